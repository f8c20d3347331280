package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
)

// Options say which run to start or resume. Their zero values mean "not
// given": then the layer below decides.
type Options struct {
	// Env names the env with its options (env.Make); "" takes the env of the
	// config file or --set layers, else DefaultEnv.
	Env string
	// Preset names the preset the configuration starts from; "" takes the
	// env's own (agent.PresetFor).
	Preset string
	// ConfigFile is a JSON file in the format of config.json, applied over
	// the preset (only the fields it names).
	ConfigFile string
	// Set holds key=value overrides by config.json names, applied over the
	// config file.
	Set string
	// Seed and Steps, when not nil and not 0, override everything below.
	Seed  *uint64
	Steps int64
	// Dir is the run directory; "" is DefaultDir of the configuration.
	Dir string

	// Resume continues the run of a checkpoint file, or of a run directory
	// (its newer checkpoint of latest.ckpt and final.ckpt). Env, Preset,
	// ConfigFile, Set, Seed and Dir must then be empty.
	Resume string
	// NoReplay resumes a run whose replay file is lost: the buffer refills
	// before learning goes on (the run is then no longer bit-exact).
	NoReplay bool

	// CheckpointEvery and SaveReplay, when not nil, set the checkpoint
	// settings; else a new run has none and a resumed run keeps its own.
	CheckpointEvery *int64
	SaveReplay      *bool
}

// DefaultEnv is the env of a run that names none.
const DefaultEnv = "cartpole"

// Run is a training run in its directory: the configuration resolved from
// its layers or its checkpoint, the trainer, and the log it writes. A run
// trains with DQN (Trainer and Config) or, for a PQN preset or checkpoint,
// with PQN (PQN, whose Config is the run's). Add observers (Observe) before
// Train.
type Run struct {
	Config  agent.Config
	Preset  string
	Dir     string
	Trainer *agent.Trainer
	// PQN is the run's PQN trainer, for a PQN run; then Trainer is nil and
	// Config zero.
	PQN *agent.PQN
	// Resumed is the DQN checkpoint the run continues, or nil for a new run
	// (Resuming says whether a run of either kind continues a checkpoint).
	Resumed *agent.Checkpoint
	// Notes are what Open did that the user should hear of, such as log
	// lines dropped past the checkpoint.
	Notes []string

	log     *LogWriter
	logFile *os.File
	resumed bool
}

// Open resolves the run's configuration, creates its directory (or, when
// resuming, reopens it and drops the log lines past the checkpoint) and
// builds its trainer, with the log writer attached. A new run refuses a
// directory that already holds one. Errors that the options caused are
// *UsageError.
func Open(o Options) (*Run, error) {
	if o.Resume != "" {
		return openResumed(o)
	}
	if IsPQNPreset(o.Preset) {
		return openPQN(o)
	}
	cfg, preset, err := Configure(o)
	if err != nil {
		return nil, err
	}
	// The trainer first: an env that cannot be built leaves nothing behind.
	r := &Run{Config: cfg, Preset: preset, Dir: o.Dir, log: NewLogWriter(nil)}
	if r.Dir == "" {
		r.Dir = DefaultDir(cfg, time.Now())
	}
	if d := cfg.ReplayStorage.Disk; d != nil {
		// A new run starts its own buffer: reusing the file would overwrite
		// the one another run's checkpoints name.
		if _, err := os.Stat(d.File()); err == nil {
			return nil, usage(fmt.Errorf("replay_storage: %s already holds a replay buffer (another run's, which its checkpoints name): remove it or give this run another directory", d.File()))
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("replay_storage: %w", err)
		}
	}
	if r.Trainer, err = agent.NewTrainer(cfg, r.log); err != nil {
		return nil, usage(err)
	}
	if d := cfg.ReplayStorage.Disk; d != nil {
		// The buffer's file is this run's (it held the lock): a run that
		// fails to start removes it, so that trying again is not refused.
		defer func() {
			if err != nil {
				os.Remove(d.File())
			}
		}()
	}
	if err = makeRunDir(r.Dir); err != nil {
		r.Close()
		return nil, err
	}
	var started *Run
	started, err = r.start(o, os.O_EXCL)
	return started, err
}

// start opens the run's log (with the extra open flag: O_EXCL for a new
// run, O_APPEND for a resumed one), applies the checkpoint settings the
// options give, and writes config.json. On error it closes the run.
func (r *Run) start(o Options, flag int) (*Run, error) {
	var err error
	if r.logFile, err = os.OpenFile(r.logPath(), os.O_CREATE|os.O_WRONLY|flag, 0o644); err != nil {
		r.Close()
		return nil, err
	}
	r.log.Reset(r.logFile)
	if r.PQN != nil {
		if o.CheckpointEvery != nil {
			r.PQN.CheckpointEvery = *o.CheckpointEvery
		}
		r.PQN.CheckpointDir = r.Dir
		if err := writeJSON(filepath.Join(r.Dir, "config.json"), r.PQN.Config); err != nil {
			r.Close()
			return nil, err
		}
		return r, nil
	}
	if o.CheckpointEvery != nil {
		r.Trainer.CheckpointEvery = *o.CheckpointEvery
	}
	if o.SaveReplay != nil {
		r.Trainer.SaveReplay = *o.SaveReplay
	}
	r.Trainer.CheckpointDir = r.Dir
	if err := writeJSON(filepath.Join(r.Dir, "config.json"), r.Config); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Configure resolves a new run's configuration from its layers: the preset,
// then the config file, then the --set overrides, then Env, Seed and Steps
// when given. It returns the configuration, validated, and the preset's name.
// A PQN preset is an error: ConfigurePQN resolves those.
func Configure(o Options) (agent.Config, string, error) {
	if IsPQNPreset(o.Preset) {
		return agent.Config{}, "", usage(fmt.Errorf("preset %s trains with PQN, and this command trains DQN presets only (%s)",
			o.Preset, strings.Join(agent.PresetNames(), ", ")))
	}
	name := o.Env
	if name == "" {
		name = DefaultEnv
	}
	if err := knownEnv(name); err != nil {
		return agent.Config{}, "", err
	}
	preset := o.Preset
	if preset == "" {
		if preset = agent.PresetFor(name); preset == "" {
			return agent.Config{}, "", usage(fmt.Errorf("no preset for env %q; choose one with --preset (available: %s)",
				name, strings.Join(agent.PresetNames(), ", ")))
		}
	}
	cfg, err := agent.Preset(preset)
	if err != nil {
		return cfg, "", usage(fmt.Errorf("%w; PQN presets: %s", err, strings.Join(agent.PQNPresetNames(), ", ")))
	}
	if o.ConfigFile != "" {
		if err := agent.LoadConfigFile(o.ConfigFile, &cfg); err != nil {
			return cfg, "", usage(err)
		}
	}
	if o.Set != "" {
		if err := agent.SetFields(o.Set, &cfg); err != nil {
			return cfg, "", usage(fmt.Errorf("--set: %w", err))
		}
	}
	// Flags the user gave win over every layer; flags not given change nothing.
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
	if d := cfg.ReplayStorage.Disk; d != nil && !filepath.IsAbs(d.Dir) {
		// config.json and the checkpoints name the directory: absolute, a
		// resume from elsewhere finds it.
		abs, err := filepath.Abs(d.Dir)
		if err != nil {
			return cfg, "", fmt.Errorf("replay_storage: %w", err)
		}
		disk := *d
		disk.Dir = abs
		cfg.ReplayStorage.Disk = &disk
	}
	if err := knownEnv(cfg.Env); err != nil {
		return cfg, "", err
	}
	return cfg, preset, nil
}

// knownEnv checks that name is a registered env, without building it (Open
// builds it once, and reports bad options then).
func knownEnv(name string) error {
	if _, ok := env.Lookup(name); ok {
		return nil
	}
	_, err := env.Make(name) // not registered: env.Make's error lists the envs
	if err == nil {
		err = fmt.Errorf("unknown environment %q", name)
	}
	return usage(err)
}

func openResumed(o Options) (*Run, error) {
	for _, f := range []struct {
		name string
		set  bool
	}{{"env", o.Env != ""}, {"preset", o.Preset != ""}, {"seed", o.Seed != nil}, {"out", o.Dir != ""},
		{"config", o.ConfigFile != ""}, {"set", o.Set != ""}} {
		if f.set {
			return nil, usage(fmt.Errorf("--%s cannot be changed when resuming: the run keeps its own", f.name))
		}
	}
	if path, h, ok := pqnResume(o.Resume); ok {
		return openResumedPQN(o, path, h)
	}
	c, err := LoadResume(o.Resume)
	if err != nil {
		return nil, err
	}
	path := c.Path
	if o.Steps != 0 && o.Steps <= c.Meta.Step {
		return nil, usage(fmt.Errorf("--steps %d: the run is already at step %d", o.Steps, c.Meta.Step))
	}
	r := &Run{Resumed: c, resumed: true, Dir: filepath.Dir(path), Preset: agent.PresetFor(c.Meta.Config.Env)}
	r.log = NewLogWriter(nil) // opened once the trainer is rebuilt
	r.Trainer, err = agent.ResumeCheckpoint(c, agent.ResumeOptions{TotalSteps: o.Steps, NoReplay: o.NoReplay}, r.log)
	var missing *agent.MissingReplayError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("%w; resume with --no-replay to refill the buffer instead (the run will then differ from the uninterrupted one)", err)
	}
	if err != nil {
		return nil, err
	}
	if c.Meta.Replay != "" && o.NoReplay {
		r.Notes = append(r.Notes, fmt.Sprintf("resuming without the replay file %s: the buffer refills before learning goes on", c.Meta.Replay))
	}
	r.Config = r.Trainer.Config
	// The lines a killed run wrote past its checkpoint are dropped: the
	// resumed run writes them again.
	dropped, err := TruncateLogAfter(r.logPath(), r.Trainer.Step())
	if err != nil {
		r.Close()
		return nil, err
	}
	if dropped > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%s: dropped %d lines past step %d (the resumed run writes them again)", r.logPath(), dropped, r.Trainer.Step()))
	}
	return r.start(o, os.O_APPEND)
}

// LoadResume loads the checkpoint to resume for path: path itself if it is
// a file, or, for a run directory, the newer of its latest.ckpt and
// final.ckpt (by step; final.ckpt on a tie). Each file is read once.
func LoadResume(path string) (*agent.Checkpoint, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, usage(fmt.Errorf("--resume: %w", err))
	}
	if !fi.IsDir() {
		return agent.LoadCheckpoint(path)
	}
	var best *agent.Checkpoint
	var errs []error
	for _, name := range []string{"latest.ckpt", "final.ckpt"} {
		c, err := agent.LoadCheckpoint(filepath.Join(path, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if best == nil || c.Meta.Step >= best.Meta.Step {
			best = c
		}
	}
	if best == nil {
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return nil, usage(fmt.Errorf("--resume: %s holds neither latest.ckpt nor final.ckpt", path))
	}
	return best, nil
}

func (r *Run) logPath() string { return filepath.Join(r.Dir, "log.jsonl") }

// Name is the run's name: its directory's base name, the run label of its
// metrics.
func (r *Run) Name() string { return filepath.Base(filepath.Clean(r.Dir)) }

// Train runs the trainer until the run's end or until ctx is done, then
// flushes the log and draws curve.png (a curve that cannot be drawn is a
// note, not an error: the run's results are saved).
func (r *Run) Train(ctx context.Context) (agent.Result, error) {
	var res agent.Result
	var err error
	if r.PQN != nil {
		res, err = r.PQN.Run(ctx)
	} else {
		res, err = r.Trainer.Run(ctx)
	}
	if err != nil {
		return res, err
	}
	if err := r.log.Flush(); err != nil {
		return res, fmt.Errorf("writing log.jsonl: %w", err)
	}
	if err := PlotDir(r.Dir, ""); err != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("no learning curve: %v", err))
	}
	return res, nil
}

// Close closes the run's log and its trainer (releasing a replay buffer's
// file on disk). The checkpoints are what a later resume continues from.
func (r *Run) Close() error {
	var errs []error
	if r.Trainer != nil {
		errs = append(errs, r.Trainer.Close())
	}
	if r.logFile != nil {
		errs = append(errs, r.log.Flush(), r.logFile.Close())
		r.logFile = nil
	}
	return errors.Join(errs...)
}

// DefaultDir is the directory of a new run of cfg started at t:
// runs/<env>-s<seed>-<time>, with the env's options kept (filesystem-safe),
// e.g. runs/gridworld_map-four-rooms-s1-20261202-101500.
func DefaultDir(cfg agent.Config, t time.Time) string {
	return filepath.Join("runs", fmt.Sprintf("%s-s%d-%s", SafeName(cfg.Env), cfg.Seed, t.Format("20060102-150405")))
}

// SafeName turns an env name with options into a file name: ':' and ','
// become '_', '=' becomes '-', and any other character outside letters,
// digits, '.', '-' and '_' becomes '-'; at most 100 bytes.
func SafeName(name string) string {
	var b strings.Builder
	for _, c := range strings.TrimSpace(name) {
		switch {
		case c == ':' || c == ',':
			b.WriteByte('_')
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), ".")
	if len(s) > 100 {
		s = s[:100]
	}
	if s == "" {
		s = "env"
	}
	return s
}

// makeRunDir creates dir, refusing one that already holds a run so that no
// saved work is overwritten.
func makeRunDir(dir string) error {
	for _, f := range []string{"final.ckpt", "best.ckpt", "log.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return usage(fmt.Errorf("%s already holds a run (%s); choose another --out", dir, f))
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating run directory: %w", err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// UsageError marks an error in the options a user gave (a command line's
// exit status 2), as opposed to one met while running.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usage(err error) error { return &UsageError{err} }

// PlotDir draws the learning curve of the run in dir from its log.jsonl
// into out ("" for dir/curve.png), titled with the env and seed of its
// config.json.
func PlotDir(dir, out string) error {
	if out == "" {
		out = filepath.Join(dir, "curve.png")
	}
	lg, err := ReadLog(filepath.Join(dir, "log.jsonl"))
	if err != nil {
		return err
	}
	title := dir
	if b, err := os.ReadFile(filepath.Join(dir, "config.json")); err == nil {
		var cfg struct { // of a DQN run or a PQN one
			Env  string `json:"env"`
			Seed uint64 `json:"seed"`
		}
		if json.Unmarshal(b, &cfg) == nil {
			title = fmt.Sprintf("%s, seed %d", cfg.Env, cfg.Seed)
		}
	}
	return WriteCurvePNG(lg, title, out, curveWidth, curveHeight)
}

var _ io.Closer = (*Run)(nil)
