// Runs deepq's ONNX exports in ONNX Runtime (npm's onnxruntime-node, CPU).
//
// Usage: NODE_PATH=DIR/node_modules node run_ort.js CASES
//
// CASES/cases.json is what net/onnx's tests write (see eval_onnx.py): each
// model with its observations and deepq's Q-values, raw float32. For each
// case this prints the output's dims and the largest |q_ort - q_deepq|, as
// one JSON object; it exits non-zero if a session fails.
'use strict';
const ort = require('onnxruntime-node');
const fs = require('fs');
const path = require('path');

function floats(dir, file) {
  const b = fs.readFileSync(path.join(dir, file));
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

async function main() {
  const dir = process.argv[2];
  const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json')));
  const out = {ort_version: ort.env.versions.node, cases: []};
  for (const c of cases) {
    // Default graph optimisations (node fusion), as a user gets them; one
    // thread on the shared machine.
    const sess = await ort.InferenceSession.create(path.join(dir, c.model), {intraOpNumThreads: 1});
    const res = await sess.run({obs: new ort.Tensor('float32', floats(dir, c.obs), c.obs_shape)});
    const q = res.q;
    const want = floats(dir, c.q);
    if (q.data.length !== want.length) {
      throw new Error(`${c.name}: ${q.data.length} Q-values, deepq has ${want.length}`);
    }
    let err = 0;
    let maxQ = 0;
    for (let i = 0; i < want.length; i++) {
      err = Math.max(err, Math.abs(q.data[i] - want[i]));
      maxQ = Math.max(maxQ, Math.abs(want[i]));
    }
    out.cases.push({name: c.name, dims: q.dims, max_abs_err: err, max_abs_q: maxQ,
      inputs: sess.inputNames, outputs: sess.outputNames});
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
