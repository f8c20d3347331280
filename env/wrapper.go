package env

// Wrapper is implemented by envs that wrap another (TimeLimit, FrameStack,
// ClipReward, EpisodeStats): Unwrap returns the wrapped env.
type Wrapper interface {
	Env
	Unwrap() Env
}

// Unwrapped returns the innermost env under any wrappers, as Gymnasium's
// env.unwrapped.
func Unwrapped(e Env) Env {
	for {
		w, ok := e.(Wrapper)
		if !ok {
			return e
		}
		e = w.Unwrap()
	}
}

// Find returns the first env of type T in the chain of wrappers from e inward
// (e itself included), e.g. Find[*EpisodeStats](e) or Find[Renderer](e).
func Find[T any](e Env) (T, bool) {
	for {
		if t, ok := e.(T); ok {
			return t, true
		}
		w, ok := e.(Wrapper)
		if !ok {
			var zero T
			return zero, false
		}
		e = w.Unwrap()
	}
}
