package apex

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/replay"
)

// RunInfo is what the learner tells its actors, in the run's key-value
// bucket under "info": the DQN configuration (network, γ, n, Double DQN,
// reward clipping) and the env's spaces as the replay stores them.
type RunInfo struct {
	Config     agent.Config   `json:"config"`
	ObsShape   []int          `json:"obs_shape"`
	NumActions int            `json:"num_actions"`
	Storage    replay.Storage `json:"storage"`
	FrameSize  int            `json:"frame_size"`
	// Streams is the number of actor indices the learner's replay has a
	// stream for: actor i must have i < Streams.
	Streams int `json:"streams"`
}

func (ri *RunInfo) validate() error {
	if err := ri.Config.Validate(); err != nil {
		return err
	}
	d := 1
	for _, s := range ri.ObsShape {
		if s < 1 {
			return fmt.Errorf("observation shape %v", ri.ObsShape)
		}
		d *= s
	}
	switch {
	case len(ri.ObsShape) == 0:
		return errors.New("no observation shape")
	case ri.NumActions < 1 || ri.NumActions > MaxActions:
		return fmt.Errorf("%d actions outside [1, %d]", ri.NumActions, MaxActions)
	case ri.FrameSize < 1 || d%ri.FrameSize != 0:
		return fmt.Errorf("frame size %d does not divide observations of %d elements", ri.FrameSize, d)
	case ri.Storage > maxStorage:
		return fmt.Errorf("unknown storage %d", ri.Storage)
	case ri.Streams < 1:
		return fmt.Errorf("%d replay streams", ri.Streams)
	}
	return nil
}

func decodeRunInfo(p []byte) (*RunInfo, error) {
	ri := &RunInfo{}
	if err := json.Unmarshal(p, ri); err != nil {
		return nil, fmt.Errorf("apex: the learner's run info: %w", err)
	}
	if err := ri.validate(); err != nil {
		return nil, fmt.Errorf("apex: the learner's run info: %w", err)
	}
	return ri, nil
}

// Parameters go to the object store as
//
//	magic "DQP1" | version i64 | online size u64 | online | target size u64 | target
//
// with online and target as net.MarshalModel writes them. The version is the
// learner's number of gradient steps when it published them.
const paramsMagic = "DQP1"

func encodeParams(online, target *net.Sequential[float32], version int64) ([]byte, error) {
	on, err := net.MarshalModel(online)
	if err != nil {
		return nil, err
	}
	tg, err := net.MarshalModel(target)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	p := make([]byte, 0, 4+8+8+len(on)+8+len(tg))
	p = append(p, paramsMagic...)
	p = le.AppendUint64(p, uint64(version))
	p = le.AppendUint64(p, uint64(len(on)))
	p = append(p, on...)
	p = le.AppendUint64(p, uint64(len(tg)))
	p = append(p, tg...)
	return p, nil
}

// decodeParams decodes parameters and checks that they fit ref, the
// actor's own network.
func decodeParams(p []byte, ref *net.Sequential[float32]) (online, target *net.Sequential[float32], version int64, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("apex: published parameters: %w", err)
		}
	}()
	le := binary.LittleEndian
	if len(p) < 20 || string(p[:4]) != paramsMagic {
		return nil, nil, 0, errors.New("not a deepq parameter blob")
	}
	version = int64(le.Uint64(p[4:]))
	p = p[12:]
	var nets [2]*net.Sequential[float32]
	for i := range nets {
		if len(p) < 8 {
			return nil, nil, 0, errors.New("truncated")
		}
		n := le.Uint64(p)
		p = p[8:]
		if n > uint64(len(p)) || n > math.MaxInt32 {
			return nil, nil, 0, fmt.Errorf("a network of %d bytes in %d", n, len(p))
		}
		if nets[i], err = net.UnmarshalModel[float32](p[:n]); err != nil {
			return nil, nil, 0, err
		}
		p = p[n:]
	}
	if len(p) != 0 {
		return nil, nil, 0, fmt.Errorf("%d bytes after the networks", len(p))
	}
	if err := validateNets(nets[0], nets[1], ref); err != nil {
		return nil, nil, 0, err
	}
	if !sameShape(nets[0].InShape, ref.InShape) || !sameShape(nets[1].InShape, ref.InShape) {
		return nil, nil, 0, fmt.Errorf("the networks take observations of shape %v, want %v", nets[0].InShape, ref.InShape)
	}
	return nets[0], nets[1], version, nil
}
