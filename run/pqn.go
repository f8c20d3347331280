package run

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
)

// IsPQNPreset reports whether name is a PQN preset (agent.PQNPresetNames):
// Open then trains with PQN.
func IsPQNPreset(name string) bool { return slices.Contains(agent.PQNPresetNames(), name) }

// Check checks the options of a new run, DQN or PQN, without building
// anything: what Open would refuse for its configuration.
func Check(o Options) error {
	if IsPQNPreset(o.Preset) {
		_, _, err := ConfigurePQN(o)
		return err
	}
	_, _, err := Configure(o)
	return err
}

// ConfigurePQN resolves a new PQN run's configuration from its layers, as
// Configure does for DQN: the PQN preset o.Preset (its env unless o.Env is
// given), then the config file (a PQN run's config.json format), then the
// --set overrides by PQNConfig's JSON names, then Env, Seed and Steps when
// given. It returns the configuration, validated, and the preset's name.
func ConfigurePQN(o Options) (agent.PQNConfig, string, error) {
	var cfg agent.PQNConfig
	if o.SaveReplay != nil && *o.SaveReplay {
		return cfg, "", usage(fmt.Errorf("--save-replay: preset %s trains with PQN, which keeps no replay buffer (its checkpoints resume exactly without one)", o.Preset))
	}
	if o.Env != "" {
		if err := knownEnv(o.Env); err != nil {
			return cfg, "", err
		}
	}
	cfg, err := agent.PQNPreset(o.Preset)
	if err != nil {
		return cfg, "", usage(err)
	}
	if o.ConfigFile != "" {
		if err := agent.LoadPQNConfigFile(o.ConfigFile, &cfg); err != nil {
			return cfg, "", usage(err)
		}
	}
	if o.Set != "" {
		if err := agent.SetPQNFields(o.Set, &cfg); err != nil {
			return cfg, "", usage(fmt.Errorf("--set: %w", err))
		}
	}
	if o.Env != "" {
		cfg.Env = o.Env
	}
	if o.Seed != nil {
		cfg.Seed = *o.Seed
	}
	if o.Steps != 0 {
		cfg.TotalSteps = o.Steps
	}
	if err := cfg.Validate(); err != nil {
		return cfg, "", usage(err)
	}
	if err := knownEnv(cfg.Env); err != nil {
		return cfg, "", err
	}
	return cfg, o.Preset, nil
}

// openPQN opens a new PQN run.
func openPQN(o Options) (*Run, error) {
	cfg, preset, err := ConfigurePQN(o)
	if err != nil {
		return nil, err
	}
	r := &Run{Preset: preset, Dir: o.Dir, log: NewLogWriter(nil)}
	if r.Dir == "" {
		r.Dir = DefaultDir(agent.Config{Env: cfg.Env, Seed: cfg.Seed}, time.Now())
	}
	// The trainer first: an env that cannot be built, or a network that does
	// not fit it, leaves nothing behind.
	if r.PQN, err = agent.NewPQN(func() (env.Env, error) { return env.Make(cfg.Env) }, cfg, r.log); err != nil {
		return nil, usage(err)
	}
	if err := makeRunDir(r.Dir); err != nil {
		return nil, err
	}
	return r.start(o, os.O_EXCL)
}

// pqnResume returns the PQN checkpoint to resume for path (a file, or a run
// directory's newer of latest.ckpt and final.ckpt by step, final.ckpt on a
// tie) with its header, and ok; ok is false when path holds no readable PQN
// checkpoint, for LoadResume to load a DQN one or report what is wrong.
func pqnResume(path string) (string, agent.CheckpointHeader, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", agent.CheckpointHeader{}, false
	}
	if !fi.IsDir() {
		h, err := agent.ReadCheckpointHeader(path)
		return path, h, err == nil && h.Format == agent.PQNFormat
	}
	best, bh, ok := "", agent.CheckpointHeader{}, false
	for _, name := range []string{"latest.ckpt", "final.ckpt"} {
		p := filepath.Join(path, name)
		h, err := agent.ReadCheckpointHeader(p)
		if err != nil {
			continue
		}
		if h.Format != agent.PQNFormat {
			return "", h, false // a DQN run
		}
		if !ok || h.Step >= bh.Step {
			best, bh, ok = p, h, true
		}
	}
	return best, bh, ok
}

// openResumedPQN resumes the PQN run of the checkpoint at path (openResumed
// has refused the options a resumed run cannot change).
func openResumedPQN(o Options, path string, h agent.CheckpointHeader) (*Run, error) {
	if o.NoReplay {
		return nil, usage(errors.New("--no-replay: a PQN run keeps no replay buffer; resume it without --no-replay"))
	}
	if o.SaveReplay != nil && *o.SaveReplay {
		return nil, usage(errors.New("--save-replay: a PQN run keeps no replay buffer (its checkpoints resume exactly without one)"))
	}
	r := &Run{resumed: true, Dir: filepath.Dir(path), log: NewLogWriter(nil)}
	p, err := agent.ResumePQN(path, nil, r.log)
	if err != nil {
		return nil, err
	}
	r.PQN, r.Preset = p, agent.PQNPresetFor(p.Config.Env)
	cfg := &p.Config
	switch {
	case o.Steps != 0 && o.Steps <= p.Step():
		return nil, usage(fmt.Errorf("--steps %d: the run is already at step %d", o.Steps, p.Step()))
	case o.Steps != 0 && o.Steps < int64(cfg.NumEnvs*cfg.RolloutSteps):
		return nil, usage(fmt.Errorf("--steps %d: less than one rollout of %d frames", o.Steps, cfg.NumEnvs*cfg.RolloutSteps))
	case o.Steps != 0:
		if cfg.LRDecay && o.Steps != cfg.TotalSteps {
			r.Notes = append(r.Notes, fmt.Sprintf("lr_decay: the learning rate now decays to 0 at step %d instead of %d, so the run differs from one started with --steps %d",
				o.Steps, cfg.TotalSteps, o.Steps))
		}
		cfg.TotalSteps = o.Steps
	case p.Step() >= cfg.TotalSteps/int64(cfg.NumEnvs*cfg.RolloutSteps)*int64(cfg.NumEnvs*cfg.RolloutSteps):
		return nil, usage(fmt.Errorf("%s: the run is complete at step %d; give --steps to train it further", path, p.Step()))
	}
	// The lines a killed run wrote past its checkpoint are dropped: the
	// resumed run writes them again.
	dropped, err := TruncateLogAfter(r.logPath(), p.Step())
	if err != nil {
		return nil, err
	}
	if dropped > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%s: dropped %d lines past step %d (the resumed run writes them again)", r.logPath(), dropped, p.Step()))
	}
	return r.start(o, os.O_APPEND)
}

// Info is what a run says of itself, whichever its algorithm.
type Info struct {
	// Algorithm is "dqn" or "pqn".
	Algorithm string
	Env       string
	Seed      uint64
	// TotalSteps is the environment steps (frames) the run trains for.
	TotalSteps        int64
	FinalEvalEpisodes int
}

// Info returns the run's algorithm and main settings.
func (r *Run) Info() Info {
	if r.PQN != nil {
		c := &r.PQN.Config
		return Info{"pqn", c.Env, c.Seed, c.TotalSteps, c.FinalEvalEpisodes}
	}
	c := &r.Config
	return Info{"dqn", c.Env, c.Seed, c.TotalSteps, c.FinalEvalEpisodes}
}

// Observe adds observers to the run's trainer. Call it before Train.
func (r *Run) Observe(obs ...agent.Observer) {
	if r.PQN != nil {
		r.PQN.Observe(obs...)
		return
	}
	r.Trainer.Observe(obs...)
}

// Step returns the environment steps (frames) taken so far.
func (r *Run) Step() int64 {
	if r.PQN != nil {
		return r.PQN.Step()
	}
	return r.Trainer.Step()
}

// Spec returns the spec of the env the run trains on.
func (r *Run) Spec() *env.Spec {
	if r.PQN != nil {
		return r.PQN.Vec.Spec()
	}
	return r.Trainer.Env.Spec()
}

// Resuming reports whether the run continues a checkpoint.
func (r *Run) Resuming() bool { return r.resumed }

// Threads returns the number of goroutines each matrix product should use
// (net.SetThreads) for the run, given the default def: 1 for a PQN run
// with several shards, whose shards already keep the cores busy (threaded
// products inside them only add hand-offs: agent.BenchmarkPQNMinAtar), else
// def.
func (r *Run) Threads(def int) int {
	if r.PQN != nil && r.PQN.Config.Shards > 1 {
		return 1
	}
	return def
}

// PQNTimings formats where a PQN run's time went, as shares of the four
// parts (agent.PQNTimings), or "" for a DQN run.
func (r *Run) PQNTimings() string {
	if r.PQN == nil {
		return ""
	}
	return FormatPQNTimings(r.PQN.Timings)
}

// FormatPQNTimings formats PQN timings as each part's share of their sum:
// "env 41%, act 18%, returns 3%, learn 38%".
func FormatPQNTimings(t agent.PQNTimings) string {
	total := t.Env + t.Act + t.Returns + t.Learn
	if total <= 0 {
		return "no time measured"
	}
	var parts []string
	for _, p := range []struct {
		name string
		d    time.Duration
	}{{"env", t.Env}, {"act", t.Act}, {"returns", t.Returns}, {"learn", t.Learn}} {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", p.name, 100*p.d.Seconds()/total.Seconds()))
	}
	return strings.Join(parts, ", ")
}
