package env

// TimeLimit truncates episodes of the wrapped env after MaxSteps steps, as
// Gymnasium's TimeLimit wrapper does: the step that reaches the limit returns
// truncated = true (and terminated as the env says; both may be true).
type TimeLimit struct {
	Env
	MaxSteps int
	steps    int
	spec     Spec
}

var _ Env = (*TimeLimit)(nil)

// NewTimeLimit wraps e so that its episodes end after maxSteps steps. It
// panics if maxSteps < 1.
func NewTimeLimit(e Env, maxSteps int) *TimeLimit {
	if maxSteps < 1 {
		panic("env: TimeLimit needs maxSteps >= 1")
	}
	t := &TimeLimit{Env: e, MaxSteps: maxSteps, spec: *e.Spec()}
	t.spec.MaxEpisodeSteps = maxSteps
	return t
}

// Spec returns the wrapped env's spec with MaxEpisodeSteps set to the limit.
func (t *TimeLimit) Spec() *Spec { return &t.spec }

// Reset starts an episode and resets the step count.
func (t *TimeLimit) Reset() []float32 {
	t.steps = 0
	return t.Env.Reset()
}

// Step steps the wrapped env and truncates at the limit.
func (t *TimeLimit) Step(action int) ([]float32, float64, bool, bool) {
	obs, r, term, trunc := t.Env.Step(action)
	t.steps++
	if t.steps >= t.MaxSteps {
		trunc = true
	}
	return obs, r, term, trunc
}

// Unwrap returns the wrapped env.
func (t *TimeLimit) Unwrap() Env { return t.Env }

// Standard wraps an env as training and evaluation expect it: in a TimeLimit
// of its spec's MaxEpisodeSteps if it declares a limit but does not enforce
// one (MaxEpisodeSteps alone is only a description: an env whose episodes
// never end would run forever), then in an EpisodeStats that records its
// episodes' returns before any reward clipping. Wrappers e already has are
// not added again.
//
//	EpisodeStats(TimeLimit(e))
func Standard(e Env) Env {
	if n := e.Spec().MaxEpisodeSteps; n > 0 {
		if _, ok := Find[*TimeLimit](e); !ok {
			e = NewTimeLimit(e, n)
		}
	}
	if _, ok := Find[*EpisodeStats](e); !ok {
		e = NewEpisodeStats(e)
	}
	return e
}
