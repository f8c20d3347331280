package agent

import (
	"context"
	"slices"
	"testing"

	"github.com/deepq/deepq/policy"
)

// greedyWatcher asks for greedy actions in the episodes listed in greedy and
// checks the steps of those episodes.
type greedyWatcher struct {
	NopObserver
	t       *testing.T
	greedy  []int // episodes (0-based) to act greedily in
	episode int
	checked int // greedy steps seen
}

func (w *greedyWatcher) want() bool { return slices.Contains(w.greedy, w.episode) }

func (w *greedyWatcher) OnStep(e *StepEvent) {
	if !w.want() {
		return
	}
	if e.Q == nil || e.Action != policy.Greedy(e.Q) {
		w.t.Fatalf("step %d of greedy episode %d: action %d with Q %v, want the greedy action", e.Step, w.episode, e.Action, e.Q)
	}
	w.checked++
}

func (w *greedyWatcher) OnEpisode(e *EpisodeEvent) { w.episode = e.Episode }

func TestGreedyHook(t *testing.T) {
	run := func(hook func(*greedyWatcher) func() bool, greedy ...int) (*recorder, *greedyWatcher) {
		r := &recorder{}
		w := &greedyWatcher{t: t, greedy: greedy}
		tr, err := NewTrainer(shortConfig(t, 3), r, w)
		if err != nil {
			t.Fatal(err)
		}
		if hook != nil {
			tr.Actor.Greedy = hook(w)
		}
		if _, err := tr.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return r, w
	}
	same := func(a, b *recorder) bool {
		return slices.Equal(a.returns, b.returns) && slices.Equal(a.losses, b.losses) && slices.Equal(a.evals, b.evals)
	}
	base, _ := run(nil)
	// A hook that never asks changes nothing, to the bit.
	never, _ := run(func(*greedyWatcher) func() bool { return func() bool { return false } })
	if !same(base, never) {
		t.Fatal("a Greedy hook that returns false changed the run")
	}
	// Episodes 2 (random warm-up) and 40 (ε-greedy) turn greedy; the run
	// then differs.
	asked, w := run(func(w *greedyWatcher) func() bool { return w.want }, 2, 40)
	if w.checked == 0 || w.episode < 41 {
		t.Fatalf("%d greedy steps checked over %d episodes", w.checked, w.episode)
	}
	if same(base, asked) {
		t.Fatal("greedy episodes left the run unchanged")
	}
	if !slices.Equal(base.returns[:2], asked.returns[:2]) {
		t.Fatal("the episodes before the first greedy one changed")
	}
}
