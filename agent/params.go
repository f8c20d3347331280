package agent

import (
	"sync"

	"github.com/deepq/deepq/net"
)

// ParamStore holds the newest parameters a learner published, with their
// version (its gradient steps when it published them), for actors in other
// goroutines: an actor pulls them between steps into its own copy of the
// network. Across processes a message store plays the same role.
type ParamStore struct {
	mu      sync.Mutex
	net     *net.Sequential[float32]
	version int64
}

// NewParamStore returns a store holding a copy of q at version 0.
func NewParamStore(q *net.Sequential[float32]) *ParamStore {
	return &ParamStore{net: q.Clone()}
}

// Publish copies src's parameters into the store as version.
func (s *ParamStore) Publish(src *net.Sequential[float32], version int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.net.CopyFrom(src)
	s.version = version
}

// Pull copies the stored parameters into dst if they are newer than the
// version dst has, and returns the version dst now has.
func (s *ParamStore) Pull(dst *net.Sequential[float32], have int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.version <= have {
		return have
	}
	dst.CopyFrom(s.net)
	return s.version
}

// Publish publishes the learner's online parameters into s.
func (l *Learner) Publish(s *ParamStore) { s.Publish(l.DQN.Online, l.DQN.Updates()) }
