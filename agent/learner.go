package agent

import (
	"fmt"
	"time"

	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/replay"
)

// Learner learns from a replay buffer: each Step samples a batch, takes one
// gradient step of its DQN, feeds the TD errors back as priorities (with
// prioritized replay) and updates the target network when it is due. It does
// not know where the transitions came from: an actor in the same goroutine,
// another goroutine or another process fills the buffer through an Adder.
// Actors act with the parameters it publishes (Params).
type Learner struct {
	DQN    *DQN
	Replay *replay.Buffer

	rng      stream // batch sampling
	batch    *replay.Batch
	tdErrors []float32
}

// NewLearner returns a learner of d on buf whose batches are drawn from
// stream seed.
func NewLearner(d *DQN, buf *replay.Buffer, seed uint64) *Learner {
	b := d.cfg.BatchSize
	return &Learner{DQN: d, Replay: buf, rng: newStream(seed, streamSample),
		batch: replay.NewBatch(b, d.obsSize), tdErrors: make([]float32, b)}
}

// Params returns the online network, whose parameters actors act with, and
// their version: the number of gradient steps taken.
func (l *Learner) Params() (*net.Sequential[float32], int64) { return l.DQN.Online, l.DQN.Updates() }

// SetLR sets the learning rate of the next gradient steps.
func (l *Learner) SetLR(lr float64) { l.DQN.Opt.SetLR(lr) }

// Step takes one gradient step on a batch sampled from the replay and
// reports it, and whether it was followed by a target-network update. The
// event's Duration covers sampling, the forward and backward passes and the
// optimizer step, not the target update. A loss that is not finite is an
// error (prioritized replay cannot take it as a priority).
func (l *Learner) Step() (ev UpdateEvent, targetUpdated bool, err error) {
	t0 := time.Now()
	l.Replay.Sample(l.rng.Rand, l.batch)
	ev.UpdateStats = l.DQN.Update(l.batch, l.tdErrors)
	if l.Replay.Prioritized() {
		if err := l.Replay.UpdatePriorities(l.batch.Indices, l.tdErrors); err != nil {
			return ev, false, fmt.Errorf("%w (the loss diverged; lower the learning rate)", err)
		}
	}
	ev.Duration = time.Since(t0)
	ev.Updates = l.DQN.Updates()
	if l.DQN.TargetDue() {
		l.DQN.UpdateTarget()
		targetUpdated = true
	}
	return ev, targetUpdated, nil
}
