package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/internal/ckpt"
	"github.com/deepq/deepq/net"
)

// An agent checkpoint is a ckpt container with the sections
//
//	meta       JSON: format, the run's Config, the env's spaces, counters
//	online     the online Q-network (net.MarshalModel; net.MarshalRecurrent for a recurrent config)
//	target     the target network
//	optimizer  the optimizer's config and state (net.MarshalOptimizer)
//
// An exported checkpoint (Export) has only meta, naming the dtype of its
// weights in "weights", and online, in that dtype: it acts (eval, play,
// ONNX export) but cannot resume training.

const checkpointFormat = "deepq-agent"

// Meta is the JSON section of an agent checkpoint.
type Meta struct {
	Format     string `json:"format"`
	Config     Config `json:"config"`
	EnvID      string `json:"env_id"`
	ObsShape   []int  `json:"obs_shape"`
	NumActions int    `json:"num_actions"`
	Step       int64  `json:"step"`
	Updates    int64  `json:"updates"`
	Episodes   int    `json:"episodes"`
	// BestEval is the best evaluation mean so far, absent before any.
	BestEval *float64 `json:"best_eval,omitempty"`

	// What Resume needs to continue the run exactly.
	//
	// ActRNG and SampleRNG are the states of the exploration and replay-sampling
	// generators (PCG, binary).
	ActRNG    []byte `json:"act_rng,omitempty"`
	SampleRNG []byte `json:"sample_rng,omitempty"`
	// LearnRNG and ActQRNG are the states of the generators of the noise of
	// noisy layers and of IQN's τ, the learner's and the actor's (present
	// only for such heads).
	LearnRNG []byte `json:"learn_rng,omitempty"`
	ActQRNG  []byte `json:"act_q_rng,omitempty"`
	// HeadRNG is the state of Bootstrapped DQN's generator of the actor's
	// head per episode, and ActHead the head of the running episode (both
	// present only with bootstrap_heads).
	HeadRNG []byte `json:"head_rng,omitempty"`
	ActHead *int   `json:"act_head,omitempty"`
	// EpisodeActions are the actions of the running episode since its Reset:
	// replaying them from the episode's seed restores the env.
	EpisodeActions []int32 `json:"episode_actions"`
	// ActorH and ActorC are a recurrent actor's LSTM state (h, c) after the
	// last step, absent at an episode's start (zeros).
	ActorH []float32 `json:"actor_h,omitempty"`
	ActorC []float32 `json:"actor_c,omitempty"`
	// Replay names the file beside the checkpoint that holds the replay
	// buffer, if it was saved, and ReplayAdded the number of transitions it had
	// been given, which the file must agree with.
	Replay      string `json:"replay,omitempty"`
	ReplayAdded int64  `json:"replay_added,omitempty"`
	// CheckpointEvery and SaveReplay are the run's checkpoint settings,
	// which a resumed run keeps.
	CheckpointEvery int64 `json:"checkpoint_every,omitempty"`
	SaveReplay      bool  `json:"save_replay,omitempty"`
	// Observers holds the state of each StatefulObserver by its StateKey.
	Observers map[string]json.RawMessage `json:"observers,omitempty"`
	// Weights is the dtype of an exported checkpoint's online network
	// ("float32", "float16" or "bfloat16"; see Export), empty for the full
	// checkpoint of a run.
	Weights string `json:"weights,omitempty"`
}

// Checkpoint is a loaded agent checkpoint. Target and Opt are nil for an
// exported checkpoint (Meta.Weights set), which holds the online network
// alone.
type Checkpoint struct {
	// Path is the file it was loaded from.
	Path string
	Meta Meta
	// Online and Target are the networks of a DQN checkpoint, or nil for a
	// recurrent one, whose networks are ROnline and RTarget.
	Online  *net.Sequential[float32]
	Target  *net.Sequential[float32]
	ROnline *net.Recurrent[float32]
	RTarget *net.Recurrent[float32]
	Opt     net.Optimizer[float32]
}

// InShape returns the shape of the observations the networks take.
func (c *Checkpoint) InShape() []int {
	if c.ROnline != nil {
		return c.ROnline.InShape
	}
	return c.Online.InShape
}

// Exported reports whether c is an exported checkpoint (Export): the online
// network alone, to act with, not to resume.
func (c *Checkpoint) Exported() bool { return c.Meta.Weights != "" }

// ExportDTypes are the weight formats Export writes: float32 as trained, or
// half the size in float16 (IEEE binary16: 11 significant bits, weights
// within 2⁻¹¹ relative, |w| ≤ 65504) or bfloat16 (8 significant bits,
// within 2⁻⁸, float32's range).
var ExportDTypes = []string{"float32", "float16", "bfloat16"}

// Export writes c's online network with its meta (config, env spaces,
// counters) to path atomically as an exported checkpoint: the weights
// stored as dtype (one of ExportDTypes), without the target network, the
// optimizer state or the replay, which only resuming needs. LoadCheckpoint
// reads it for evaluation, play and ONNX export; Resume refuses it.
func (c *Checkpoint) Export(path, dtype string) error {
	if !slices.Contains(ExportDTypes, dtype) {
		return fmt.Errorf("export: weights %q: want %s", dtype, strings.Join(ExportDTypes, ", "))
	}
	if c.ROnline != nil {
		return fmt.Errorf("export: the network is recurrent (an LSTM); exported checkpoints hold feed-forward Q-networks")
	}
	m := c.Meta
	m.Weights = dtype
	m.Replay, m.ReplayAdded, m.SaveReplay, m.CheckpointEvery = "", 0, false, 0
	meta, err := json.Marshal(m)
	if err != nil {
		return err
	}
	online, err := net.MarshalModelAs(c.Online, dtype)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return ckpt.WriteFile(path, func(w *ckpt.Writer) error {
		return errors.Join(w.Bytes("meta", meta), w.Bytes("online", online))
	})
}

// SaveCheckpoint writes the agent's networks, optimizer, counters and random
// states to path atomically, and with SaveReplay or a buffer on disk (except
// for best.ckpt) the replay buffer, or a disk buffer's position record, to a
// file beside it named after path and the step, e.g.
// latest.ckpt.20000.replay. The replay file is written first and the one the
// previous checkpoint at path named is removed last, so that path always
// names a complete pair.
func (t *Trainer) SaveCheckpoint(path string) error {
	for _, o := range t.observers {
		if co, ok := o.(CheckpointObserver); ok {
			co.BeforeCheckpoint(t.step)
		}
	}
	m := Meta{
		Format: checkpointFormat, Config: t.Config, EnvID: t.Env.Spec().ID,
		ObsShape: t.Env.Spec().Observation.Shape, NumActions: t.Env.Spec().Actions.N,
		Step: t.step, Updates: t.updates(), Episodes: t.Actor.episodes,
		EpisodeActions:  t.Actor.epActions,
		CheckpointEvery: t.CheckpointEvery, SaveReplay: t.SaveReplay,
	}
	if !math.IsInf(t.best, -1) {
		b := t.best
		m.BestEval = &b
	}
	for _, o := range t.observers {
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
	if m.ActRNG, err = t.Actor.rng.src.MarshalBinary(); err != nil {
		return err
	}
	if m.SampleRNG, err = t.sampleRNG().src.MarshalBinary(); err != nil {
		return err
	}
	if t.actMem != nil {
		m.ActorH, m.ActorC = t.actMem.Q.state()
	}
	if t.Config.usesLearnRNG() {
		if m.LearnRNG, err = t.Agent.rng.src.MarshalBinary(); err != nil {
			return err
		}
		if m.ActQRNG, err = t.actQ.src.MarshalBinary(); err != nil {
			return err
		}
	}
	if t.head != nil {
		if m.HeadRNG, err = t.head.rng.src.MarshalBinary(); err != nil {
			return err
		}
		h := t.head.Head()
		m.ActHead = &h
	}
	var oldReplay string
	if t.savesReplay() && filepath.Base(path) != "best.ckpt" {
		m.Replay = fmt.Sprintf("%s.%d.replay", filepath.Base(path), t.step)
		m.ReplayAdded = t.replay.Added()
		if err := t.replay.Save(filepath.Join(filepath.Dir(path), m.Replay)); err != nil {
			return err
		}
		if prev, err := LoadCheckpoint(path); err == nil && prev.Meta.Replay != m.Replay {
			oldReplay = prev.Meta.Replay
		}
	}
	meta, err := json.Marshal(m)
	if err != nil {
		return err
	}
	online, target, opt, err := t.marshalNets()
	if err != nil {
		return err
	}
	err = ckpt.WriteFile(path, func(w *ckpt.Writer) error {
		return errors.Join(w.Bytes("meta", meta), w.Bytes("online", online), w.Bytes("target", target), w.Bytes("optimizer", opt))
	})
	if err == nil && oldReplay != "" {
		os.Remove(filepath.Join(filepath.Dir(path), oldReplay))
	}
	return err
}

// marshalNets encodes the online and target networks and the optimizer.
func (t *Trainer) marshalNets() (online, target, opt []byte, err error) {
	if r := t.Recurrent; r != nil {
		if online, err = net.MarshalRecurrent(r.DQN.Online); err != nil {
			return
		}
		if target, err = net.MarshalRecurrent(r.DQN.Target); err != nil {
			return
		}
		opt, err = net.MarshalOptimizer(r.DQN.Opt)
		return
	}
	if online, err = net.MarshalModel(t.Agent.Online); err != nil {
		return
	}
	if target, err = net.MarshalModel(t.Agent.Target); err != nil {
		return
	}
	opt, err = net.MarshalOptimizer(t.Agent.Opt)
	return
}

// sampleRNG is the learner's batch-sampling stream.
func (t *Trainer) sampleRNG() *stream {
	if t.Recurrent != nil {
		return &t.Recurrent.rng
	}
	return &t.Learner.rng
}

// restoreNets sets the trainer's networks, optimizer and update count from
// the checkpoint's.
func (t *Trainer) restoreNets(c *Checkpoint) error {
	var opt net.Optimizer[float32]
	if r := t.Recurrent; r != nil {
		if c.ROnline == nil || !slices.Equal(c.ROnline.Specs(), r.DQN.Online.Specs()) || !slices.Equal(c.ROnline.InShape, r.DQN.Online.InShape) {
			return fmt.Errorf("the saved network's architecture does not match its config")
		}
		r.DQN.Online.CopyFrom(c.ROnline)
		r.DQN.Target.CopyFrom(c.RTarget)
		r.DQN.updates = c.Meta.Updates
		opt = r.DQN.Opt
	} else {
		if c.Online == nil || !slices.Equal(c.Online.Specs(), t.Agent.Online.Specs()) || !slices.Equal(c.Online.InShape, t.Agent.Online.InShape) {
			return fmt.Errorf("the saved network's architecture does not match its config")
		}
		t.Agent.Online.CopyFrom(c.Online)
		t.Agent.Target.CopyFrom(c.Target)
		t.Agent.updates = c.Meta.Updates
		opt = t.Agent.Opt
	}
	if c.Opt.Name() != opt.Name() {
		return fmt.Errorf("the saved optimizer is %s, the config says %s", c.Opt.Name(), opt.Name())
	}
	if err := opt.SetState(c.Opt.Steps(), c.Opt.State()); err != nil {
		return err
	}
	opt.SetLR(c.Opt.LR())
	return nil
}

// Resume rebuilds the trainer of the checkpoint at path so that Run
// continues the run as if it had never stopped: networks, optimizer state,
// counters, random states, the checkpoint settings (CheckpointEvery,
// SaveReplay), the env mid-episode (replayed from the episode's seed and
// actions) and, if the checkpoint saved it, the replay buffer (a buffer on
// disk reopens its file at the checkpoint's record, copying nothing; a file
// that no longer holds that state, as after a run killed and resumed from an
// older checkpoint, is refused with an error naming it). Then the run
// is bit for bit the one that was not interrupted (given the same GEMM
// thread count in the deterministic single-thread mode). Without a saved
// replay the run goes on with an empty buffer, acting without learning until
// it holds LearningStarts transitions again. totalSteps > 0 changes the run's
// length (and so its schedules); it must exceed the checkpoint's step.
func Resume(path string, totalSteps int64, observers ...Observer) (*Trainer, error) {
	c, err := LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	return ResumeCheckpoint(c, ResumeOptions{TotalSteps: totalSteps}, observers...)
}

// ResumeOptions say how ResumeCheckpoint continues a run.
type ResumeOptions struct {
	// TotalSteps > 0 changes the run's length (and so its schedules); it
	// must exceed the checkpoint's step.
	TotalSteps int64
	// NoReplay resumes without the replay file the checkpoint names, when it
	// is lost: the buffer refills before learning goes on, and the run is no
	// longer the uninterrupted one. Without NoReplay a missing replay file is
	// a *MissingReplayError.
	NoReplay bool
	// MakeEnv makes the run's env, for an env that is not registered (as New
	// takes it); nil makes env.Make(Config.Env).
	MakeEnv func() (env.Env, error)
}

// MissingReplayError reports that the replay file a checkpoint names is not
// beside it.
type MissingReplayError struct {
	Checkpoint, Replay string
}

func (e *MissingReplayError) Error() string {
	return fmt.Sprintf("the replay file %s that the checkpoint names is missing", e.Replay)
}

// ResumeCheckpoint rebuilds the trainer of a loaded checkpoint (see Resume).
func ResumeCheckpoint(c *Checkpoint, o ResumeOptions, observers ...Observer) (*Trainer, error) {
	t, err := resume(c, o, observers)
	if err != nil {
		return nil, fmt.Errorf("resuming from %s: %w", c.Path, err)
	}
	return t, nil
}

func resume(c *Checkpoint, o ResumeOptions, observers []Observer) (t *Trainer, err error) {
	if c.Exported() {
		return nil, fmt.Errorf("it is an exported checkpoint (%s weights of the online network alone), which can be evaluated and played but not resumed; resume from the run's latest.ckpt or final.ckpt", c.Meta.Weights)
	}
	m := &c.Meta
	cfg := m.Config
	if o.TotalSteps > 0 {
		if o.TotalSteps <= m.Step {
			return nil, fmt.Errorf("the run is at step %d; --steps %d must be larger", m.Step, o.TotalSteps)
		}
		cfg.TotalSteps = o.TotalSteps
	}
	replayPath := ""
	if m.Replay != "" && !o.NoReplay {
		replayPath = filepath.Join(filepath.Dir(c.Path), m.Replay)
		if _, err := os.Stat(replayPath); errors.Is(err, os.ErrNotExist) {
			return nil, &MissingReplayError{Checkpoint: c.Path, Replay: replayPath}
		}
	}
	mk := o.MakeEnv
	if mk == nil {
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
		mk = func() (env.Env, error) { return env.Make(cfg.Env) }
	}
	t, err = New(mk, cfg, observers...)
	if err != nil {
		return nil, err
	}
	built := t
	defer func() {
		if err != nil {
			built.Close() // a disk buffer's file, for the next attempt
		}
	}()
	t.CheckpointEvery, t.SaveReplay = m.CheckpointEvery, m.SaveReplay
	for _, o := range t.observers {
		if so, ok := o.(StatefulObserver); ok {
			if st, ok := m.Observers[so.StateKey()]; ok {
				if err := so.UnmarshalState(st); err != nil {
					return nil, fmt.Errorf("observer %s: %w", so.StateKey(), err)
				}
			}
		}
	}
	if err := t.restoreNets(c); err != nil {
		return nil, err
	}
	if err := t.Actor.rng.src.UnmarshalBinary(m.ActRNG); err != nil {
		return nil, fmt.Errorf("act_rng: %w", err)
	}
	if err := t.sampleRNG().src.UnmarshalBinary(m.SampleRNG); err != nil {
		return nil, fmt.Errorf("sample_rng: %w", err)
	}
	if cfg.usesLearnRNG() {
		if err := t.Agent.rng.src.UnmarshalBinary(m.LearnRNG); err != nil {
			return nil, fmt.Errorf("learn_rng: %w", err)
		}
		if err := t.actQ.src.UnmarshalBinary(m.ActQRNG); err != nil {
			return nil, fmt.Errorf("act_q_rng: %w", err)
		}
	}
	if t.head != nil {
		if err := t.head.rng.src.UnmarshalBinary(m.HeadRNG); err != nil {
			return nil, fmt.Errorf("head_rng: %w", err)
		}
		if m.ActHead == nil || *m.ActHead < 0 || *m.ActHead >= cfg.BootstrapHeads {
			return nil, fmt.Errorf("act_head is %s, want a head in [0, %d)", fmtHead(m.ActHead), cfg.BootstrapHeads)
		}
		t.head.head.active = *m.ActHead
	}
	t.step, t.Actor.episodes = m.Step, m.Episodes
	if m.BestEval != nil {
		t.best = *m.BestEval
	}
	if replayPath != "" {
		if err := t.replay.Load(replayPath); err != nil {
			return nil, err
		}
		if t.replay.Added() != m.ReplayAdded {
			return nil, fmt.Errorf("%s holds a replay of %d transitions, the checkpoint expects %d", m.Replay, t.replay.Added(), m.ReplayAdded)
		}
	} else {
		// Without the buffer the run cannot be exact: refill before learning,
		// and start the interrupted episode afresh (a new episode in the
		// buffer must begin at a Reset).
		t.refill = int(min(max(cfg.LearningStarts, int64(cfg.BatchSize)), int64(cfg.BufferSize/2)))
		if cfg.Recurrent {
			// In sequences: as many as the random steps fill, at least a batch.
			t.refill = max(int(cfg.LearningStarts)/cfg.seqPeriod(), cfg.BatchSize)
			t.refill = min(t.refill, max(t.replayCap()/2, 1))
		}
		t.Actor.StartEpisode()
		return t, nil
	}
	// Restore the env: the running episode from its seed and actions, and
	// a recurrent actor's state after its last step.
	if err := t.Actor.RestoreEpisode(m.EpisodeActions); err != nil {
		return nil, err
	}
	if t.actMem != nil {
		if err := t.actMem.Q.setState(m.ActorH, m.ActorC); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// fmtHead formats a saved head index, or "absent".
func fmtHead(h *int) string {
	if h == nil {
		return "absent"
	}
	return fmt.Sprint(*h)
}

// LoadCheckpoint reads an agent checkpoint. A damaged, truncated or foreign
// file, or one whose parts do not fit together, is an error that names path.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	c, err := loadCheckpoint(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// checkpointSections are the sections of an agent checkpoint, in the order
// SaveCheckpoint writes them.
var checkpointSections = []string{"meta", "online", "target", "optimizer"}

// readSections reads every section of the checkpoint container at path.
func readSections(path string) (map[string][]byte, error) {
	r, f, err := ckpt.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sections := map[string][]byte{}
	for {
		name, _, err := r.Next()
		if err == io.EOF {
			return sections, nil
		}
		if err != nil {
			return nil, err
		}
		if sections[name], err = r.ReadAll(math.MaxInt32); err != nil {
			return nil, err
		}
	}
}

func loadCheckpoint(path string) (*Checkpoint, error) {
	sections, err := readSections(path)
	if err != nil {
		return nil, err
	}
	if sections["meta"] == nil || sections["online"] == nil {
		return nil, errors.New("no \"meta\" or \"online\" section: not an agent checkpoint")
	}
	c := &Checkpoint{}
	// Options added to Config after checkpoints were first written are
	// absent from older files: they take the behaviour that predates them.
	c.Meta.Config = legacyConfig()
	dec := json.NewDecoder(bytes.NewReader(sections["meta"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c.Meta); err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	if c.Meta.Format != checkpointFormat {
		return nil, fmt.Errorf("format %q, want %q", c.Meta.Format, checkpointFormat)
	}
	switch {
	case c.Meta.Weights != "" && !slices.Contains(ExportDTypes, c.Meta.Weights):
		return nil, fmt.Errorf("meta: weights %q: want %s", c.Meta.Weights, strings.Join(ExportDTypes, ", "))
	case c.Meta.Weights != "" && (sections["target"] != nil || sections["optimizer"] != nil):
		return nil, errors.New("an exported checkpoint with a target network or optimizer section")
	case c.Meta.Weights == "":
		for _, s := range checkpointSections {
			if sections[s] == nil {
				return nil, fmt.Errorf("no %q section: not an agent checkpoint", s)
			}
		}
	}
	if err := c.Meta.Config.Validate(); err != nil {
		return nil, err
	}
	if c.Meta.Config.Recurrent {
		return c, loadRecurrent(c, sections)
	}
	if len(c.Meta.ActorH) != 0 || len(c.Meta.ActorC) != 0 {
		return nil, fmt.Errorf("meta: actor_h and actor_c are for a recurrent config")
	}
	if c.Online, err = net.UnmarshalModel[float32](sections["online"]); err != nil {
		return nil, fmt.Errorf("online network: %w", err)
	}
	if err := checkWeights(sections["online"], c.Meta.Weights); err != nil {
		return nil, fmt.Errorf("online network: %w", err)
	}
	if !slices.Equal(c.Online.InShape, c.Meta.ObsShape) {
		return nil, fmt.Errorf("network maps %v to %v, the env has observations %v and %d actions",
			c.Online.InShape, c.Online.OutShape(), c.Meta.ObsShape, c.Meta.NumActions)
	}
	if err := checkOutShape(&c.Meta.Config, c.Online, c.Meta.NumActions); err != nil {
		return nil, err
	}
	if c.Exported() {
		return c, nil
	}
	if c.Target, err = net.UnmarshalModel[float32](sections["target"]); err != nil {
		return nil, fmt.Errorf("target network: %w", err)
	}
	if !slices.EqualFunc(c.Online.Specs(), c.Target.Specs(), func(a, b net.LayerSpec) bool { return a == b }) ||
		!slices.Equal(c.Online.InShape, c.Target.InShape) {
		return nil, fmt.Errorf("online and target networks differ in architecture")
	}
	if c.Opt, err = net.UnmarshalOptimizer(sections["optimizer"], c.Online.Params()); err != nil {
		return nil, err
	}
	return c, nil
}

// loadRecurrent decodes the networks and optimizer of a recurrent
// checkpoint and checks that they fit its meta.
func loadRecurrent(c *Checkpoint, sections map[string][]byte) error {
	var err error
	if c.ROnline, err = net.UnmarshalRecurrent[float32](sections["online"]); err != nil {
		return fmt.Errorf("online network: %w", err)
	}
	if c.RTarget, err = net.UnmarshalRecurrent[float32](sections["target"]); err != nil {
		return fmt.Errorf("target network: %w", err)
	}
	m, cfg := &c.Meta, &c.Meta.Config
	if !slices.Equal(c.ROnline.InShape, m.ObsShape) || !slices.Equal(c.ROnline.OutShape(), []int{m.NumActions}) {
		return fmt.Errorf("network maps %v to %v, the env has observations %v and %d actions",
			c.ROnline.InShape, c.ROnline.OutShape(), m.ObsShape, m.NumActions)
	}
	if !slices.Equal(c.ROnline.Specs(), c.RTarget.Specs()) || !slices.Equal(c.ROnline.InShape, c.RTarget.InShape) {
		return fmt.Errorf("online and target networks differ in architecture")
	}
	if c.ROnline.LSTM.Hidden != cfg.LSTMSize {
		return fmt.Errorf("the network's LSTM has %d units, the config's lstm_size is %d", c.ROnline.LSTM.Hidden, cfg.LSTMSize)
	}
	if (len(m.ActorH) != 0 || len(m.ActorC) != 0) && (len(m.ActorH) != cfg.LSTMSize || len(m.ActorC) != cfg.LSTMSize) {
		return fmt.Errorf("meta: actor_h and actor_c have %d and %d elements, lstm_size is %d", len(m.ActorH), len(m.ActorC), cfg.LSTMSize)
	}
	if c.Opt, err = net.UnmarshalOptimizer(sections["optimizer"], c.ROnline.Params()); err != nil {
		return err
	}
	return nil
}

// legacyConfig holds, for each Config option added after the checkpoint
// format was fixed, the value that reproduces the behaviour from before the
// option existed. Fields a checkpoint names replace these.
func legacyConfig() Config {
	return Config{Exploration: EpsilonGreedy, Distributional: NoDist, Precision: FP32}
}

// checkWeights checks that a model payload stores its weights as the meta
// says: dtype for an exported checkpoint, float32 for a full one.
func checkWeights(payload []byte, dtype string) error {
	if dtype == "" {
		dtype = "float32"
	}
	got, err := net.ModelDType(payload)
	if err != nil {
		return err
	}
	if got != dtype {
		return fmt.Errorf("weights stored as %s, the meta says %s", got, dtype)
	}
	return nil
}
