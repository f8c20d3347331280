package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/deepq/deepq/bench"
	"github.com/deepq/deepq/internal/gemm"
)

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deepq bench", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object keyed by benchmark name instead of a table")
	filter := fs.String("run", "", "run only the benchmarks whose name matches this `regexp`")
	long := fs.Bool("long", false, "also run the long benchmarks (a whole CartPole training with CleanRL's settings, ~10 s)")
	minTime := fs.Duration("time", 200*time.Millisecond, "minimum `duration` of each of the rounds of a benchmark")
	rounds := fs.Int("rounds", 5, "rounds per benchmark; the median is reported")
	kernel := fs.String("kernel", "", "GEMM kernel to use (default: the fastest this CPU has: "+joinNames(gemm.Kernels())+")")
	list := fs.Bool("list", false, "list the benchmarks and exit")
	threads := fs.Int("threads", gemm.Threads(), "goroutines per matrix multiply `N` outside the gemm/ benchmarks (which run at 1 and 2)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: deepq bench [--json] [--run REGEXP] [--long] [--time D] [--rounds N] [--kernel NAME]\n\n"+
			"Runs deepq's standard benchmarks on this machine: GEMM GFLOP/s at the DQN shapes and at\n"+
			"64³, 256³, 1024³ on 1 and 2 threads, train-step times, environment steps, replay operations,\n"+
			"and PQN frames/s in its MinAtar setting on 1 and 2 threads with the shares of the time in\n"+
			"env steps, acting, λ-returns and learning.\n"+
			"Figures are medians of the rounds; other load on the machine lowers them (check uptime).\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	re, err := regexp.Compile(*filter)
	if err != nil {
		return usageError{fmt.Errorf("--run: %v", err)}
	}
	if *minTime <= 0 || *rounds < 1 {
		return usageError{fmt.Errorf("--time must be > 0 and --rounds at least 1, got %v and %d", *minTime, *rounds)}
	}
	if *threads < 1 {
		return usageError{fmt.Errorf("--threads must be at least 1, got %d", *threads)}
	}
	defer gemm.SetThreads(gemm.SetThreads(*threads))
	if *kernel != "" {
		prev, err := gemm.Use(*kernel)
		if err != nil {
			return usageError{err}
		}
		defer gemm.Use(prev)
	}
	var cases []bench.Case
	for _, c := range bench.Cases() {
		// Long cases run with --long or when --run names them.
		if re.MatchString(c.Name) && (!c.Long || *long || *filter != "") {
			cases = append(cases, c)
		}
	}
	if len(cases) == 0 {
		return usageError{fmt.Errorf("no benchmark matches --run %q (see --list)", *filter)}
	}
	if *list {
		for _, c := range cases {
			fmt.Fprintf(stdout, "%-40s %s\n", c.Name, c.Unit)
		}
		return nil
	}
	results := make(map[string]bench.Result, len(cases))
	if !*asJSON {
		fmt.Fprintf(stdout, "deepq bench: %s/%s, %d CPUs, GEMM kernel %s, %d threads; median of %d rounds of ≥ %v\n",
			runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), gemm.Kernel(), *threads, *rounds, *minTime)
	}
	for _, c := range cases {
		r := c.Run(*minTime, *rounds)
		results[c.Name] = r
		if !*asJSON {
			fmt.Fprintf(stdout, "%-40s %12.4g %s%s\n", c.Name, r.Value, r.Unit, formatParts(r))
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	return nil
}

func joinNames(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// formatParts formats a benchmark's CPU time and parts as
// "  (CPU 47.1 µs/frame; env 1%, act 16%, ...)", or "" if it has neither.
func formatParts(r bench.Result) string {
	var s []string
	for _, p := range r.Parts {
		s = append(s, fmt.Sprintf("%s %.0f%%", p.Name, p.Percent))
	}
	parts := strings.Join(s, ", ")
	if r.CPUMicros > 0 {
		per := strings.TrimSuffix(strings.TrimSuffix(r.Unit, "/s"), "s") // frames/s: µs/frame
		cpu := fmt.Sprintf("CPU %.3g µs/%s", r.CPUMicros, per)
		if parts == "" {
			parts = cpu
		} else {
			parts = cpu + "; " + parts
		}
	}
	if parts == "" {
		return ""
	}
	return "  (" + parts + ")"
}
