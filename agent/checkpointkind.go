package agent

import (
	"encoding/json"
	"fmt"
	"github.com/deepq/deepq/policy"
	"io"
	"math"
	"slices"

	"github.com/deepq/deepq/internal/ckpt"
	"github.com/deepq/deepq/net"
)

// The formats of deepq's checkpoints, as their meta section names them.
const (
	// DQNFormat is the format of a Trainer's checkpoint (LoadCheckpoint,
	// Resume).
	DQNFormat = checkpointFormat
	// PQNFormat is the format of a PQN run's checkpoint (ResumePQN).
	PQNFormat = pqnCheckpointFormat
)

// CheckpointHeader is what every checkpoint's meta section says of it.
type CheckpointHeader struct {
	// Format is DQNFormat or PQNFormat.
	Format string `json:"format"`
	// Step is the number of environment steps (frames) the run had taken.
	Step int64 `json:"step"`
}

// ReadCheckpointHeader reads the format and step of the checkpoint at path
// from its meta section alone, to choose how to load it. It does not verify
// the file's checksum: loading the checkpoint does. A file that is not a
// deepq checkpoint, or one of an unknown format, is an error naming path.
func ReadCheckpointHeader(path string) (CheckpointHeader, error) {
	h, err := readCheckpointHeader(path)
	if err != nil {
		return h, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return h, nil
}

func readCheckpointHeader(path string) (CheckpointHeader, error) {
	var h CheckpointHeader
	r, f, err := ckpt.Open(path)
	if err != nil {
		return h, err
	}
	defer f.Close()
	name, _, err := r.Next()
	if err == io.EOF || (err == nil && name != "meta") {
		return h, fmt.Errorf("no meta section first: not a deepq checkpoint")
	}
	if err != nil {
		return h, err
	}
	b, err := r.ReadAll(math.MaxInt32)
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return h, fmt.Errorf("meta: %w", err)
	}
	if h.Format != DQNFormat && h.Format != PQNFormat {
		return h, fmt.Errorf("format %q, want %q or %q", h.Format, DQNFormat, PQNFormat)
	}
	return h, nil
}

// PQNCheckpoint is a loaded PQN checkpoint: its meta section and Q-network.
type PQNCheckpoint struct {
	// Path is the file it was loaded from.
	Path string
	Meta PQNMeta
	Q    *net.Sequential[float32]
}

// LoadPQNCheckpoint reads a PQN checkpoint's meta section and Q-network, for
// evaluation (ResumePQN continues the run). A damaged or foreign file, or one
// whose network does not fit its config, is an error naming path.
func LoadPQNCheckpoint(path string) (*PQNCheckpoint, error) {
	c, err := loadPQNCheckpoint(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

func loadPQNCheckpoint(path string) (*PQNCheckpoint, error) {
	sections, err := readSections(path)
	if err != nil {
		return nil, err
	}
	m, err := decodePQNMeta(sections)
	if err != nil {
		return nil, err
	}
	q, err := net.UnmarshalModel[float32](sections["q"])
	if err != nil {
		return nil, fmt.Errorf("q: %w", err)
	}
	if !slices.Equal(q.InShape, m.ObsShape) || !slices.Equal(q.OutShape(), []int{m.NumActions}) {
		return nil, fmt.Errorf("q: the network does not match the config's for observations %v and %d actions", m.ObsShape, m.NumActions)
	}
	return &PQNCheckpoint{Meta: m, Q: q}, nil
}

// CheckpointPolicy is the greedy Q-function of a checkpoint of either format,
// with what evaluating or playing it needs to know.
type CheckpointPolicy struct {
	Path   string
	Format string
	// Env is the env the run trained on, Step the frames it had taken.
	Env  string
	Step int64
	// InShape and NumActions are the Q-network's observation shape and
	// number of actions.
	InShape    []int
	NumActions int
	// Q computes the Q-values the greedy policy acts on (Checkpoint.GreedyQ
	// for a DQN checkpoint, the Q-network for a PQN one, a RecurrentQ for a
	// recurrent one).
	Q ActingQ
	// Recurrent reports a recurrent network: Q carries the LSTM state from
	// call to call (an agent.Memory), so it acts alone, never in an ensemble.
	Recurrent bool
}

// ActingQ is what a checkpoint's greedy policy acts with: the Q-values of
// one observation or of a batch.
type ActingQ interface {
	policy.QFunc
	policy.BatchQFunc
}

// LoadCheckpointPolicy loads the checkpoint at path, whichever its format,
// for its greedy policy; seed seeds the draws of a DQN checkpoint's IQN τ
// (Checkpoint.GreedyQ).
func LoadCheckpointPolicy(path string, seed uint64) (*CheckpointPolicy, error) {
	// A file whose header does not read is left to LoadCheckpoint to report.
	if h, err := ReadCheckpointHeader(path); err == nil && h.Format == PQNFormat {
		c, err := LoadPQNCheckpoint(path)
		if err != nil {
			return nil, err
		}
		return &CheckpointPolicy{Path: path, Format: PQNFormat, Env: c.Meta.Config.Env, Step: c.Meta.Step,
			InShape: c.Q.InShape, NumActions: c.Meta.NumActions, Q: NewQNet(c.Q)}, nil
	}
	c, err := LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if c.ROnline != nil {
		return &CheckpointPolicy{Path: path, Format: DQNFormat, Env: c.Meta.Config.Env, Step: c.Meta.Step,
			InShape: c.InShape(), NumActions: c.Meta.NumActions, Q: NewRecurrentQ(c.ROnline), Recurrent: true}, nil
	}
	return &CheckpointPolicy{Path: path, Format: DQNFormat, Env: c.Meta.Config.Env, Step: c.Meta.Step,
		InShape: c.Online.InShape, NumActions: c.Meta.NumActions, Q: c.GreedyQ(seed)}, nil
}
