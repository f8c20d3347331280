package replay_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/deepq/deepq/replay"
)

// A two-step replay over two episodes: the first cut by a time limit (it
// bootstraps from its final observation), the second terminated.
func ExampleBuffer() {
	cfg := replay.DefaultConfig(1)
	cfg.Capacity, cfg.Gamma, cfg.NStep = 16, 0.5, 2
	buf, err := replay.New(cfg)
	if err != nil {
		panic(err)
	}
	o := func(v float32) []float32 { return []float32{v} }
	buf.Add(o(0), 0, 1, o(1), false, false)
	buf.Add(o(1), 1, 1, o(2), false, false)
	buf.Add(o(2), 0, 1, o(3), false, true) // truncated at 3
	buf.Add(o(10), 1, 5, o(11), true, false)

	batch := replay.NewBatch(64, 1)
	buf.Sample(rand.New(rand.NewPCG(1, 2)), batch)
	rows := map[string]bool{}
	for i := range batch.Size() {
		rows[fmt.Sprintf("s=%-2v a=%d R=%-4v s′=%-2v discount=%v",
			batch.Obs[i], batch.Actions[i], batch.Rewards[i], batch.NextObs[i], batch.Discounts[i])] = true
	}
	fmt.Println(buf.Len(), "transitions")
	for _, r := range slices.Sorted(func(yield func(string) bool) {
		for r := range rows {
			if !yield(r) {
				return
			}
		}
	}) {
		fmt.Println(r)
	}
	// Output:
	// 4 transitions
	// s=0  a=0 R=1.5  s′=2  discount=0.25
	// s=1  a=1 R=1.5  s′=3  discount=0.25
	// s=10 a=1 R=5    s′=11 discount=0
	// s=2  a=0 R=1    s′=3  discount=0.5
}

// Prioritized replay: the learner feeds back each sample's TD error.
func ExampleBuffer_UpdatePriorities() {
	cfg := replay.DefaultConfig(1)
	cfg.Capacity = 8
	cfg.Prioritized = &replay.Prioritized{Alpha: 0.5, Beta0: 1, BetaSteps: 1, Eps: 0.1}
	buf, _ := replay.New(cfg)
	for i := range 4 {
		buf.Add([]float32{float32(i)}, 0, 0, []float32{float32(i + 1)}, false, false)
	}
	batch := replay.NewBatch(4, 1)
	rng := rand.New(rand.NewPCG(1, 1))
	buf.Sample(rng, batch)
	fmt.Println("first:", batch.Obs)
	// Stratified sampling drew each of the four once. Transition 3 gets a
	// large TD error, the others none: p = 10.1 against 0.1, so with α = 0.5
	// transition 3 is drawn with probability √10.1 / (√10.1 + 3·√0.1) = 77%
	// and weighted by (√0.1/√10.1)^β = 0.1 against 1 for the others.
	td := make([]float32, 4)
	for i, idx := range batch.Indices {
		if idx == 3 {
			td[i] = 10
		}
	}
	buf.UpdatePriorities(batch.Indices, td)
	buf.Sample(rng, batch)
	fmt.Println("sampled:", batch.Obs)
	fmt.Printf("weights: %.2g\n", batch.Weights)
	// Output:
	// first: [0 1 2 3]
	// sampled: [1 3 3 3]
	// weights: [1 0.1 0.1 0.1]
}

// A buffer on disk: the frames live in dir/frames.dat behind a bounded cache,
// Save writes only a position record, and a new process reopens the file at
// it. A configuration spells it bits+disk:DIR (or disk:DIR over a preset).
func ExampleDisk() {
	dir, err := os.MkdirTemp("", "replay")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	var spec replay.StorageSpec
	if err := spec.UnmarshalText([]byte("bits+disk@1MiB:" + filepath.Join(dir, "buf"))); err != nil {
		panic(err)
	}
	cfg := replay.DefaultConfig(100)
	cfg.Capacity, cfg.Storage, cfg.Disk = 10_000, spec.Storage, spec.Disk
	buf, err := replay.New(cfg)
	if err != nil {
		panic(err)
	}
	frame := func(t int) []float32 {
		f := make([]float32, 100)
		f[t%100] = 1
		return f
	}
	for t := range 25_000 {
		buf.Add(frame(t), t%3, 1, frame(t+1), false, t%1000 == 999)
	}
	if err := buf.Save(filepath.Join(dir, "position")); err != nil {
		panic(err)
	}
	buf.Close()

	again, err := replay.New(cfg)
	if err != nil {
		panic(err)
	}
	defer again.Close()
	if err := again.Load(filepath.Join(dir, "position")); err != nil {
		panic(err)
	}
	fmt.Println(strings.Replace(spec.String(), dir, "$TMP", 1), "holds", again.Len(), "transitions of", again.Added())
	// Output:
	// bits+disk@1MiB:$TMP/buf holds 9990 transitions of 25000
}
