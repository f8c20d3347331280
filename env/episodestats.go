package env

// Episode summarises a finished episode.
type Episode struct {
	// Return is the undiscounted sum of the episode's rewards, as the wrapped
	// env gave them (before any reward clipping outside the EpisodeStats).
	Return float64
	// Length is the number of steps.
	Length int
	// Terminated and Truncated are the flags of the last step.
	Terminated, Truncated bool
}

// EpisodeStats records the return and length of each episode of the wrapped
// env, like Gymnasium's RecordEpisodeStatistics. Make puts one around every
// env, inside reward clipping and frame stacking, so that returns are the
// env's own; find it with Find[*EpisodeStats](e). An episode abandoned by
// Reset before it ended is not reported.
type EpisodeStats struct {
	Env
	// OnEpisode, if set, is called with each episode as it ends.
	OnEpisode func(Episode)

	ret      float64
	length   int
	last     Episode
	ended    bool // the last Step ended an episode
	episodes int
}

var _ Wrapper = (*EpisodeStats)(nil)

// NewEpisodeStats wraps e.
func NewEpisodeStats(e Env) *EpisodeStats { return &EpisodeStats{Env: e} }

// Reset starts a new episode.
func (s *EpisodeStats) Reset() []float32 {
	s.ret, s.length, s.ended = 0, 0, false
	return s.Env.Reset()
}

// Step steps the wrapped env and, when the episode ends, records it.
func (s *EpisodeStats) Step(action int) ([]float32, float64, bool, bool) {
	obs, r, term, trunc := s.Env.Step(action)
	s.ret += r
	s.length++
	s.ended = term || trunc
	if s.ended {
		s.last = Episode{Return: s.ret, Length: s.length, Terminated: term, Truncated: trunc}
		s.episodes++
		s.ret, s.length = 0, 0
		if s.OnEpisode != nil {
			s.OnEpisode(s.last)
		}
	}
	return obs, r, term, trunc
}

// Ended returns the episode that the last Step ended, if it ended one.
func (s *EpisodeStats) Ended() (Episode, bool) { return s.last, s.ended }

// Last returns the most recently finished episode, if any has finished.
func (s *EpisodeStats) Last() (Episode, bool) { return s.last, s.episodes > 0 }

// Episodes returns the number of finished episodes.
func (s *EpisodeStats) Episodes() int { return s.episodes }

// Current returns the return and length of the running episode so far.
func (s *EpisodeStats) Current() (ret float64, length int) { return s.ret, s.length }

// Unwrap returns the wrapped env.
func (s *EpisodeStats) Unwrap() Env { return s.Env }
