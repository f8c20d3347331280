package agent

import "time"

// Observer watches a training run: metrics exporters, logs, progress bars and
// the live window implement it. The trainer calls it synchronously from the
// training goroutine, so a method must return quickly and must not keep the
// slices it is given (copy what it needs). Embed NopObserver to implement only
// some methods.
type Observer interface {
	// OnStep follows every environment step.
	OnStep(e *StepEvent)
	// OnEpisode follows the step that ended an episode.
	OnEpisode(e *EpisodeEvent)
	// OnUpdate follows every gradient step.
	OnUpdate(e *UpdateEvent)
	// OnTargetUpdate follows every target-network update.
	OnTargetUpdate(step, updates int64)
	// OnEval follows every evaluation.
	OnEval(e *EvalEvent)
}

// CheckpointObserver is an Observer that also wants to know when the trainer
// is about to write a checkpoint, e.g. to flush a log so that everything up
// to the checkpoint's step is on disk before the checkpoint is.
type CheckpointObserver interface {
	Observer
	// BeforeCheckpoint precedes writing the checkpoint of the run at step.
	BeforeCheckpoint(step int64)
}

// StatefulObserver is an Observer whose state belongs to the run: a
// checkpoint saves it under the observer's StateKey and resuming restores
// it, so that what the observer writes after a resume is what it would have
// written without the interruption (the log's running mean of the losses
// since the last episode, for one).
type StatefulObserver interface {
	Observer
	// StateKey names the state in the checkpoint; unique among a run's
	// observers.
	StateKey() string
	// MarshalState returns the state as JSON.
	MarshalState() ([]byte, error)
	// UnmarshalState restores a state MarshalState returned.
	UnmarshalState([]byte) error
}

// StepEvent describes one environment step.
type StepEvent struct {
	Step    int64 // environment steps so far, this one included
	Episode int   // episodes finished before this step
	// Obs is the observation the action was chosen from.
	Obs    []float32
	Action int
	// Q holds Q(obs, ·) if the action was greedy, nil if it was random.
	Q          []float32
	Reward     float64
	Return     float64 // the episode's return so far
	Terminated bool
	Truncated  bool
	// Epsilon is ε of ε-greedy exploration at this step (the temperature T
	// with Boltzmann exploration).
	Epsilon float64
	// ReplaySize is the number of transitions in the replay after storing
	// this one; ReplayCapacity is the most it holds.
	ReplaySize, ReplayCapacity int
	// EnvDuration is how long Env.Step took. Timing every step would cost
	// more than the step of a light env, so only one step in
	// StepTimingInterval is timed (those with Step%StepTimingInterval == 0);
	// EnvDuration is 0 on the others and at least 1ns on timed ones.
	EnvDuration time.Duration
}

// StepTimingInterval is how often the trainer times an environment step: see
// StepEvent.EnvDuration.
const StepTimingInterval = 64

// EpisodeEvent describes a finished training episode.
type EpisodeEvent struct {
	Step       int64
	Episode    int // episodes finished, this one included
	Return     float64
	Length     int
	Terminated bool // false: truncated by the time limit
}

// UpdateEvent describes one gradient step.
type UpdateEvent struct {
	Step    int64
	Updates int64
	UpdateStats
	// Duration is the wall time of the gradient step: sampling the batch,
	// the forward and backward passes and the optimizer step (not the
	// target-network update that may follow).
	Duration time.Duration
}

// EvalEvent describes a greedy evaluation.
type EvalEvent struct {
	Step int64
	EvalResult
	// Best reports whether this is the best mean so far.
	Best bool
	// Final marks the evaluation at the end of training.
	Final bool
}

// NopObserver implements Observer with methods that do nothing.
type NopObserver struct{}

func (NopObserver) OnStep(*StepEvent)           {}
func (NopObserver) OnEpisode(*EpisodeEvent)     {}
func (NopObserver) OnUpdate(*UpdateEvent)       {}
func (NopObserver) OnTargetUpdate(int64, int64) {}
func (NopObserver) OnEval(*EvalEvent)           {}

var _ Observer = NopObserver{}
