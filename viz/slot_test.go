package viz

import (
	"sync"
	"sync/atomic"
	"testing"
)

type pair struct{ a, b int }

func TestLatestSequential(t *testing.T) {
	l := newLatest(func() *pair { return &pair{} })
	if _, ok := l.take(); ok {
		t.Fatal("take before any publish reported a value")
	}
	if l.wanted() {
		t.Fatal("wanted before any request")
	}
	l.request()
	if !l.wanted() {
		t.Fatal("not wanted after request")
	}
	*l.buffer() = pair{1, 1}
	l.publish()
	if l.wanted() {
		t.Fatal("still wanted after publish")
	}
	*l.buffer() = pair{2, 2}
	l.publish() // replaces 1: latest wins
	v, ok := l.take()
	if !ok || *v != (pair{2, 2}) {
		t.Fatalf("took %v, %v; want {2 2}, true", *v, ok)
	}
	if v2, ok := l.take(); ok || v2 != v {
		t.Fatal("a second take without publish gave a new value")
	}
	// The three buffers stay distinct whatever the order of calls.
	seen := map[*pair]bool{}
	for range 10 {
		seen[l.buffer()] = true
		l.publish()
		p, _ := l.take()
		seen[p] = true
		if l.buffer() == p {
			t.Fatal("producer and consumer share a buffer")
		}
	}
	if len(seen) != 3 {
		t.Fatalf("%d buffers in use, want 3", len(seen))
	}
}

// TestLatestConcurrent: under the race detector, the consumer never sees a
// torn value nor an older one than before, and the producer never waits.
func TestLatestConcurrent(t *testing.T) {
	l := newLatest(func() *pair { return &pair{} })
	const enough = 200 // takes before the producer stops
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		i := 1
		for ; !stop.Load() && i < 2e6; i++ {
			if i%3 == 0 && !l.wanted() {
				continue // only when wanted, as the viewer does
			}
			p := l.buffer()
			p.a = i
			p.b = -i
			l.publish()
		}
		p := l.buffer()
		p.a, p.b = -1, 1 // the end
		l.publish()
	}()
	last, takes := 0, 0
	for {
		l.request()
		p, ok := l.take()
		if !ok {
			continue
		}
		if p.a == -1 {
			break
		}
		if takes++; takes == enough {
			stop.Store(true)
		}
		if p.b != -p.a {
			t.Fatalf("torn value %v", *p)
		}
		if p.a <= last {
			t.Fatalf("value %d after %d", p.a, last)
		}
		last = p.a
	}
	wg.Wait()
	t.Logf("%d takes", takes)
}
