package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/deepq/deepq/internal/ckpt"
	"github.com/deepq/deepq/net"
)

// An agent checkpoint is a ckpt container with the sections
//
//	meta       JSON: format, the run's Config, the env's spaces, counters
//	online     the online Q-network (net.MarshalModel)
//	target     the target network
//	optimizer  the optimizer's config and state (net.MarshalOptimizer)

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
}

// Checkpoint is a loaded agent checkpoint.
type Checkpoint struct {
	Meta   Meta
	Online *net.Sequential[float32]
	Target *net.Sequential[float32]
	Opt    net.Optimizer[float32]
}

// SaveCheckpoint writes the agent's networks, optimizer and counters to path
// atomically.
func (t *Trainer) SaveCheckpoint(path string) error {
	m := Meta{
		Format: checkpointFormat, Config: t.Config, EnvID: t.Env.Spec().ID,
		ObsShape: t.Env.Spec().Observation.Shape, NumActions: t.Env.Spec().Actions.N,
		Step: t.step, Updates: t.Agent.Updates(), Episodes: t.episodes,
	}
	if !math.IsInf(t.best, -1) {
		b := t.best
		m.BestEval = &b
	}
	meta, err := json.Marshal(m)
	if err != nil {
		return err
	}
	online, err := net.MarshalModel(t.Agent.Online)
	if err != nil {
		return err
	}
	target, err := net.MarshalModel(t.Agent.Target)
	if err != nil {
		return err
	}
	opt, err := net.MarshalOptimizer(t.Agent.Opt)
	if err != nil {
		return err
	}
	return ckpt.WriteFile(path, func(w *ckpt.Writer) error {
		return errors.Join(w.Bytes("meta", meta), w.Bytes("online", online), w.Bytes("target", target), w.Bytes("optimizer", opt))
	})
}

// LoadCheckpoint reads an agent checkpoint. A damaged, truncated or foreign
// file, or one whose parts do not fit together, is an error that names path.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	c, err := loadCheckpoint(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return c, nil
}

func loadCheckpoint(path string) (*Checkpoint, error) {
	r, f, err := ckpt.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sections := map[string][]byte{}
	for {
		name, _, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if sections[name], err = r.ReadAll(math.MaxInt32); err != nil {
			return nil, err
		}
	}
	for _, s := range []string{"meta", "online", "target", "optimizer"} {
		if sections[s] == nil {
			return nil, fmt.Errorf("no %q section: not an agent checkpoint", s)
		}
	}
	c := &Checkpoint{}
	dec := json.NewDecoder(bytes.NewReader(sections["meta"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c.Meta); err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	if c.Meta.Format != checkpointFormat {
		return nil, fmt.Errorf("format %q, want %q", c.Meta.Format, checkpointFormat)
	}
	if err := c.Meta.Config.Validate(); err != nil {
		return nil, err
	}
	if c.Online, err = net.UnmarshalModel[float32](sections["online"]); err != nil {
		return nil, fmt.Errorf("online network: %w", err)
	}
	if c.Target, err = net.UnmarshalModel[float32](sections["target"]); err != nil {
		return nil, fmt.Errorf("target network: %w", err)
	}
	if !slices.Equal(c.Online.InShape, c.Meta.ObsShape) || !slices.Equal(c.Online.OutShape(), []int{c.Meta.NumActions}) {
		return nil, fmt.Errorf("network maps %v to %v, the env has observations %v and %d actions",
			c.Online.InShape, c.Online.OutShape(), c.Meta.ObsShape, c.Meta.NumActions)
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
