#!/usr/bin/env python3
"""Reference bootstrap intervals for stats/bootstrap_test.go, computed with numpy.

Reads testdata/bootstrap.json (the scores and the resampling indices that Go's
stats.Resample drew, written by `go test -run TestBootstrapNumpy -update`) and
adds "want": for mean, median and iqm, the statistic on the original scores and
the 95% percentile interval over the resamples, computed here independently:
the resample is indexed with numpy fancy indexing, the IQM is the mean of the
middle half of the sorted values each repeated four times (so that the quartile
boundaries fall between whole copies), and the interval is np.percentile.
"""
import json
import sys

import numpy as np


def iqm(x):
    x = np.sort(np.repeat(np.asarray(x, dtype=np.float64), 4))
    n = len(x) // 4
    return x[n:3 * n].mean()


STATS = {"mean": np.mean, "median": np.median, "iqm": iqm}


def main(path):
    with open(path) as f:
        d = json.load(f)
    strata = [np.asarray(s, dtype=np.float64) for s in d["strata"]]
    idx = d["indices"]  # [resample][stratum][i]
    c = d["confidence"]
    pooled = np.concatenate(strata)
    want = {}
    for name, fn in STATS.items():
        vals = np.array([fn(np.concatenate([strata[k][np.asarray(r[k])] for k in range(len(strata))]))
                         for r in idx])
        lo, hi = np.percentile(vals, [100 * (1 - c) / 2, 100 * (1 + c) / 2])
        want[name] = {"point": float(fn(pooled)), "lo": float(lo), "hi": float(hi)}
    d["want"] = want
    with open(path, "w") as f:
        json.dump(d, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bootstrap.json")
