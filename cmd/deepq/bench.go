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
	"github.com/deepq/deepq/internal/bf16"
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
	bf16Kernel := fs.String("bf16-kernel", "", "bf16 kernel of the bf16_ cases (default: the fastest this process may use: "+joinNames(bf16.Kernels())+")")
	list := fs.Bool("list", false, "list the benchmarks and exit")
	threads := fs.Int("threads", gemm.Threads(), "goroutines per matrix multiply `N` outside the gemm/ benchmarks (which run at 1 and 2)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: deepq bench [--json] [--run REGEXP] [--long] [--time D] [--rounds N] [--kernel NAME] [--bf16-kernel NAME]\n\n"+
			"Runs deepq's standard benchmarks on this machine: GEMM GFLOP/s at the DQN shapes and at\n"+
			"64³, 256³, 1024³ on 1 and 2 threads in float32 (gemm/) and in bf16 mixed precision\n"+
			"(bf16_gemm/, with bf16_peak, the bf16 instruction's one-core peak), train-step times in\n"+
			"both, environment steps, replay operations, and PQN frames/s in its MinAtar setting on 1\n"+
			"and 2 threads with the shares of the time in env steps, acting, λ-returns and learning.\n"+
			"The table ends with each bf16 figure beside its float32 twin and the bf16 kernel in use\n"+
			"(AMX, AVX512-BF16, or float32 on rounded operands where the CPU has neither) with the\n"+
			"reason it is that one.\n"+
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
	if *bf16Kernel != "" {
		prev, err := bf16.Use(*bf16Kernel)
		if err != nil {
			return usageError{err}
		}
		defer bf16.Use(prev)
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
	b16Name, b16Why := bf16.Kernel()
	if !*asJSON {
		fmt.Fprintf(stdout, "deepq bench: %s/%s, %d CPUs, GEMM kernel %s, bf16 kernel %s, %d threads; median of %d rounds of ≥ %v\n",
			runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), gemm.Kernel(), b16Name, *threads, *rounds, *minTime)
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
	if cmp := bench.Compare(results); len(cmp) > 0 {
		fmt.Fprintf(stdout, "\nbf16 against float32 (bf16 kernel %s: %s)\n", b16Name, b16Why)
		fmt.Fprintf(stdout, "%-40s %12s %12s %8s %s\n", "", "float32", "bf16", "speedup", "")
		for _, c := range cmp {
			peak := ""
			if c.OfPeak > 0 {
				peak = fmt.Sprintf("  %.0f%% of bf16_peak", 100*c.OfPeak)
			}
			fmt.Fprintf(stdout, "%-40s %12.4g %12.4g %7.2f× %s%s\n", c.Name, c.Float32.Value, c.BF16.Value, c.Speedup, c.Float32.Unit, peak)
		}
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
