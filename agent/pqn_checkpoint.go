package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/internal/ckpt"
	"github.com/deepq/deepq/net"
)

// A PQN checkpoint is a ckpt container with the sections
//
//	meta       JSON (PQNMeta): format, the run's PQNConfig, the env's spaces,
//	           counters, random states and each env copy's episode
//	q          the Q-network (net.MarshalModel)
//	optimizer  Adam's config and state (net.MarshalOptimizer)

const pqnCheckpointFormat = "deepq-pqn"

// PQNMeta is the JSON section of a PQN checkpoint.
type PQNMeta struct {
	Format     string    `json:"format"`
	Config     PQNConfig `json:"config"`
	EnvID      string    `json:"env_id"`
	ObsShape   []int     `json:"obs_shape"`
	NumActions int       `json:"num_actions"`
	Step       int64     `json:"step"`
	Updates    int64     `json:"updates"`
	Episodes   int       `json:"episodes"`
	// BestEval is the best evaluation mean so far, absent before any.
	BestEval *float64 `json:"best_eval,omitempty"`
	// ActRNG and SampleRNG are the states of the exploration and
	// minibatch-shuffle generators (PCG, binary).
	ActRNG    []byte `json:"act_rng"`
	SampleRNG []byte `json:"sample_rng"`
	// CopyEpisodes[i] is the number of episodes env copy i finished and
	// CopyActions[i] the actions of its running episode: replaying them from
	// the episode's seed restores the copy (VecActor.Restore).
	CopyEpisodes []int     `json:"copy_episodes"`
	CopyActions  [][]int32 `json:"copy_actions"`
	// CheckpointEvery is the run's checkpoint interval, which a resumed run
	// keeps.
	CheckpointEvery int64 `json:"checkpoint_every,omitempty"`
	// Observers holds the state of each StatefulObserver by its StateKey.
	Observers map[string]json.RawMessage `json:"observers,omitempty"`
}

// SaveCheckpoint writes the run's network, optimizer, counters, random
// states and env copies' episodes to path atomically, between rollouts (a
// PQN checkpoint holds no rollout in progress).
func (p *PQN) SaveCheckpoint(path string) error {
	for _, o := range p.observers {
		if co, ok := o.(CheckpointObserver); ok {
			co.BeforeCheckpoint(p.step)
		}
	}
	spec := p.Vec.Spec()
	m := PQNMeta{Format: pqnCheckpointFormat, Config: p.Config, EnvID: spec.ID,
		ObsShape: p.obsShape, NumActions: p.nA, Step: p.step, Updates: p.updates,
		Episodes: p.Actor.Episodes(), CopyEpisodes: p.Actor.epCount, CopyActions: p.Actor.epActions,
		CheckpointEvery: p.CheckpointEvery}
	if !math.IsInf(p.best, -1) {
		b := p.best
		m.BestEval = &b
	}
	for _, o := range p.observers {
		if so, ok := o.(StatefulObserver); ok {
			st, err := so.MarshalState()
			if err != nil {
				return fmt.Errorf("saving the state of observer %s: %w", so.StateKey(), err)
			}
			if m.Observers == nil {
				m.Observers = map[string]json.RawMessage{}
			}
			m.Observers[so.StateKey()] = st
		}
	}
	var err error
	if m.ActRNG, err = p.Actor.rng.src.MarshalBinary(); err != nil {
		return err
	}
	if m.SampleRNG, err = p.rng.src.MarshalBinary(); err != nil {
		return err
	}
	meta, err := json.Marshal(m)
	if err != nil {
		return err
	}
	q, err := net.MarshalModel(p.Q)
	if err != nil {
		return err
	}
	opt, err := net.MarshalOptimizer(p.Opt)
	if err != nil {
		return err
	}
	return ckpt.WriteFile(path, func(w *ckpt.Writer) error {
		return errors.Join(w.Bytes("meta", meta), w.Bytes("q", q), w.Bytes("optimizer", opt))
	})
}

// ResumePQN rebuilds the PQN run of the checkpoint at path on the env that
// makeEnv makes (the one the run was trained on; nil makes the env its
// config names with env.Make), so that Run continues it as if it had never
// stopped: network, optimizer state, counters, random states, checkpoint
// interval, the state of the observers given (StatefulObserver) and every
// env copy mid-episode (replayed from its episode's seed and actions). The
// resumed run is then bit for bit the uninterrupted one.
func ResumePQN(path string, makeEnv func() (env.Env, error), observers ...Observer) (*PQN, error) {
	p, err := resumePQN(path, makeEnv, observers)
	if err != nil {
		return nil, fmt.Errorf("resuming %s: %w", path, err)
	}
	return p, nil
}

func resumePQN(path string, makeEnv func() (env.Env, error), observers []Observer) (*PQN, error) {
	sections, err := readSections(path)
	if err != nil {
		return nil, err
	}
	m, err := decodePQNMeta(sections)
	if err != nil {
		return nil, err
	}
	if makeEnv == nil {
		makeEnv = func() (env.Env, error) { return env.Make(m.Config.Env) }
	}
	p, err := NewPQN(makeEnv, m.Config, observers...)
	if err != nil {
		return nil, err
	}
	for _, o := range p.observers {
		if so, ok := o.(StatefulObserver); ok {
			if st, ok := m.Observers[so.StateKey()]; ok {
				if err := so.UnmarshalState(st); err != nil {
					return nil, fmt.Errorf("observer %s: %w", so.StateKey(), err)
				}
			}
		}
	}
	if spec := p.Vec.Spec(); spec.ID != m.EnvID || !slices.Equal(p.obsShape, m.ObsShape) || p.nA != m.NumActions {
		return nil, fmt.Errorf("the checkpoint is of env %s %v with %d actions, not %s %v with %d",
			m.EnvID, m.ObsShape, m.NumActions, spec.ID, p.obsShape, p.nA)
	}
	q, err := net.UnmarshalModel[float32](sections["q"])
	if err != nil {
		return nil, fmt.Errorf("q: %w", err)
	}
	if !slices.Equal(q.Specs(), p.Q.Specs()) {
		return nil, fmt.Errorf("q: the network does not match the config's")
	}
	p.Q.CopyFrom(q) // into the tensors the shards share
	opt, err := net.UnmarshalOptimizer(sections["optimizer"], p.Q.Params())
	if err != nil {
		return nil, fmt.Errorf("optimizer: %w", err)
	}
	p.Opt = opt
	if err := p.Actor.rng.src.UnmarshalBinary(m.ActRNG); err != nil {
		return nil, fmt.Errorf("act_rng: %w", err)
	}
	if err := p.rng.src.UnmarshalBinary(m.SampleRNG); err != nil {
		return nil, fmt.Errorf("sample_rng: %w", err)
	}
	if err := p.Actor.Restore(m.CopyEpisodes, m.CopyActions); err != nil {
		return nil, err
	}
	if p.Actor.Episodes() != m.Episodes {
		return nil, fmt.Errorf("episodes %d, but the copies finished %d", m.Episodes, p.Actor.Episodes())
	}
	p.step, p.updates, p.CheckpointEvery = m.Step, m.Updates, m.CheckpointEvery
	if m.BestEval != nil {
		p.best = *m.BestEval
	}
	return p, nil
}

// decodePQNMeta checks that sections are a PQN checkpoint's and decodes its
// meta section, checking its config and counters.
func decodePQNMeta(sections map[string][]byte) (PQNMeta, error) {
	var m PQNMeta
	for _, s := range []string{"meta", "q", "optimizer"} {
		if sections[s] == nil {
			return m, fmt.Errorf("no %q section: not a PQN checkpoint", s)
		}
	}
	// Checkpoints from before the precision option are float32 runs.
	m.Config.Precision = FP32
	if err := json.Unmarshal(sections["meta"], &m); err != nil {
		return m, fmt.Errorf("meta: %w", err)
	}
	if m.Format != pqnCheckpointFormat {
		return m, fmt.Errorf("format %q, want %q", m.Format, pqnCheckpointFormat)
	}
	if err := m.Config.Validate(); err != nil {
		return m, err
	}
	if m.Step < 0 || m.Step%int64(m.Config.rolloutSize()) != 0 || m.Step > m.Config.TotalSteps || m.Updates < 0 || m.Episodes < 0 {
		return m, fmt.Errorf("counters step %d, updates %d, episodes %d do not fit the config", m.Step, m.Updates, m.Episodes)
	}
	return m, nil
}
