package env

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
)

// GridObs selects how a GridWorld observes the agent's position.
type GridObs int

const (
	// GridOneHot is a vector of Rows·Cols floats, 1 at the agent's cell index
	// r·Cols + c and 0 elsewhere.
	GridOneHot GridObs = iota
	// GridCoords is (r/(Rows−1), c/(Cols−1)), the position normalised to [0, 1]
	// (0 along an axis of length 1).
	GridCoords
	// GridImage is a 4×Rows×Cols stack of 0/1 channels for a conv net, in the
	// order agent, walls, goals, pits (C×H×W, row-major).
	GridImage
)

var gridObsNames = [...]string{GridOneHot: "onehot", GridCoords: "coords", GridImage: "image"}

func (o GridObs) String() string {
	if o < 0 || int(o) >= len(gridObsNames) {
		return fmt.Sprintf("GridObs(%d)", int(o))
	}
	return gridObsNames[o]
}

// ParseGridObs parses "onehot", "coords" or "image".
func ParseGridObs(s string) (GridObs, error) {
	for i, n := range gridObsNames {
		if n == s {
			return GridObs(i), nil
		}
	}
	return 0, fmt.Errorf("unknown gridworld observation %q (want onehot, coords or image)", s)
}

// GridWorldConfig configures a GridWorld.
type GridWorldConfig struct {
	// Map is the layout; see ParseGridMap and BuiltinGridMap.
	Map *GridMap
	// GoalReward is the reward of the step that enters a goal G (which ends
	// the episode).
	GoalReward float64
	// PitReward is the reward of the step that enters lava L (which ends the
	// episode); usually a penalty.
	PitReward float64
	// StepReward is the reward of every other step.
	StepReward float64
	// Slip is the probability that a move goes to a uniformly random one of
	// the four neighbours (possibly the intended one) instead; 0 makes the
	// world deterministic.
	Slip float64
	// Obs is the observation mode.
	Obs GridObs
}

// DefaultGridWorldConfig returns the open 5×5 room with its default rewards
// and one-hot observations.
func DefaultGridWorldConfig() GridWorldConfig {
	info, _ := BuiltinGridMap("open-5x5")
	return GridWorldConfig{
		Map:        MustParseGridMap(info.Name, info.Text),
		GoalReward: info.GoalReward, PitReward: info.PitReward, StepReward: info.StepReward,
	}
}

// Validate reports the first invalid field.
func (c *GridWorldConfig) Validate() error {
	switch {
	case c.Map == nil:
		return fmt.Errorf("gridworld: no map")
	case !(c.Slip >= 0 && c.Slip <= 1):
		return fmt.Errorf("gridworld: slip probability %v is not in [0, 1]", c.Slip)
	case c.Obs < GridOneHot || c.Obs > GridImage:
		return fmt.Errorf("gridworld: unknown observation mode %d", int(c.Obs))
	}
	for _, r := range []float64{c.GoalReward, c.PitReward, c.StepReward} {
		if math.IsNaN(r) || math.IsInf(r, 0) {
			return fmt.Errorf("gridworld: rewards must be finite, got goal %v, pit %v, step %v", c.GoalReward, c.PitReward, c.StepReward)
		}
	}
	return nil
}

// GridWorld is a tabular maze: the agent moves up (0), right (1), down (2) or
// left (3) by one cell; moving into a wall or off the grid leaves it in place.
// Entering a goal or a pit terminates the episode with GoalReward or PitReward;
// every other step gives StepReward. With probability Slip the move goes to a
// random neighbour instead. Episodes start on the map's S. The registry wraps
// it in a TimeLimit.
type GridWorld struct {
	cfg  GridWorldConfig
	spec Spec
	rng  *rand.Rand
	pos  int // the agent's cell index
	done bool
	obs  []float32

	background *image.RGBA // Render's cells and lines, drawn once per image size
}

var _ Env = (*GridWorld)(nil)

// GridWorld's action names, in action order.
var gridActionNames = []string{"up", "right", "down", "left"}

// NewGridWorld returns a GridWorld for cfg, seeded with 0.
func NewGridWorld(cfg GridWorldConfig) (*GridWorld, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := cfg.Map
	g := &GridWorld{cfg: cfg}
	var shape []int
	switch cfg.Obs {
	case GridOneHot:
		shape = []int{m.Rows * m.Cols}
	case GridCoords:
		shape = []int{2}
	case GridImage:
		shape = []int{4, m.Rows, m.Cols}
	}
	b := Box{Shape: shape}
	n := b.Size()
	b.Low, b.High = make([]float32, n), make([]float32, n)
	for i := range b.High {
		b.High[i] = 1
	}
	lo := min(cfg.GoalReward, cfg.PitReward, cfg.StepReward)
	hi := max(cfg.GoalReward, cfg.PitReward, cfg.StepReward)
	g.spec = Spec{
		ID:          "GridWorld-" + m.Name,
		Observation: b,
		Actions:     Discrete{N: 4, Names: gridActionNames},
		RewardRange: [2]float64{lo, hi},
		FPS:         8,
	}
	if cfg.Slip == 0 {
		if ret, _, err := g.optimum(0); err == nil {
			// A deterministic world is solved by an optimal policy.
			g.spec.RewardThreshold = ret
		}
	}
	g.obs = make([]float32, n)
	g.Seed(0)
	g.pos = m.Start
	g.writeObs()
	return g, nil
}

// Config returns the configuration the world was made with.
func (g *GridWorld) Config() GridWorldConfig { return g.cfg }

// Spec returns the world's spaces.
func (g *GridWorld) Spec() *Spec { return &g.spec }

// Seed reseeds the generator that draws slips.
func (g *GridWorld) Seed(seed uint64) { g.rng = newRand(seed) }

// Pos returns the agent's row and column.
func (g *GridWorld) Pos() (r, c int) { return g.pos / g.cfg.Map.Cols, g.pos % g.cfg.Map.Cols }

// Reset puts the agent on the start cell.
func (g *GridWorld) Reset() []float32 {
	g.pos = g.cfg.Map.Start
	g.done = false
	g.writeObs()
	return g.obs
}

// Step moves the agent. With probability Slip (one Float64 drawn per step
// when Slip > 0) the direction is replaced by a uniformly drawn one.
func (g *GridWorld) Step(action int) ([]float32, float64, bool, bool) {
	if action < 0 || action > 3 {
		panic("env: GridWorld action must be in [0, 4)")
	}
	if g.cfg.Slip > 0 && g.rng.Float64() < g.cfg.Slip {
		action = g.rng.IntN(4)
	}
	m := g.cfg.Map
	r, c := g.pos/m.Cols+gridMoves[action][0], g.pos%m.Cols+gridMoves[action][1]
	old := g.pos
	if m.At(r, c) != Wall {
		g.pos = r*m.Cols + c
	}
	g.moveObs(old)
	switch m.Cells[g.pos] {
	case Goal:
		g.done = true
		return g.obs, g.cfg.GoalReward, true, false
	case Pit:
		g.done = true
		return g.obs, g.cfg.PitReward, true, false
	}
	return g.obs, g.cfg.StepReward, false, false
}

// writeObs writes the whole observation for the current position.
func (g *GridWorld) writeObs() {
	m := g.cfg.Map
	clear(g.obs)
	switch g.cfg.Obs {
	case GridImage:
		n := m.Rows * m.Cols
		for i, c := range m.Cells {
			switch c {
			case Wall:
				g.obs[n+i] = 1
			case Goal:
				g.obs[2*n+i] = 1
			case Pit:
				g.obs[3*n+i] = 1
			}
		}
	}
	g.moveObs(-1)
}

// moveObs updates the observation after the agent moved from cell old (−1:
// nowhere) to g.pos, touching only the cells that change.
func (g *GridWorld) moveObs(old int) {
	m := g.cfg.Map
	switch g.cfg.Obs {
	case GridOneHot, GridImage: // the agent channel comes first in both
		if old >= 0 {
			g.obs[old] = 0
		}
		g.obs[g.pos] = 1
	case GridCoords:
		r, c := g.Pos()
		g.obs[0], g.obs[1] = 0, 0
		if m.Rows > 1 {
			g.obs[0] = float32(r) / float32(m.Rows-1)
		}
		if m.Cols > 1 {
			g.obs[1] = float32(c) / float32(m.Cols-1)
		}
	}
}

// OptimalReturn returns the largest undiscounted return of an episode of at
// most maxSteps steps (0: no limit) in a deterministic world, and the number of
// steps of an episode that achieves it. Distances come from a breadth-first
// search; the candidates are walking the shortest way to the nearest goal
// ((d−1)·StepReward + GoalReward for d steps), to the nearest pit, or, with a
// step limit, never ending (maxSteps·StepReward; without a limit and with
// StepReward = 0 never ending returns 0 in −1 steps). It is an error if the world
// slips, if no goal can be reached (or not within maxSteps), or if the return
// is unbounded (StepReward > 0 without a limit).
func (g *GridWorld) OptimalReturn(maxSteps int) (float64, int, error) {
	if g.cfg.Slip != 0 {
		return 0, 0, fmt.Errorf("gridworld %s: the optimal return needs a deterministic world, but slip is %v", g.cfg.Map.Name, g.cfg.Slip)
	}
	if maxSteps < 0 {
		return 0, 0, fmt.Errorf("gridworld %s: negative step limit %d", g.cfg.Map.Name, maxSteps)
	}
	return g.optimum(maxSteps)
}

func (g *GridWorld) optimum(maxSteps int) (float64, int, error) {
	m, cfg := g.cfg.Map, &g.cfg
	dist := m.Distances()
	goal, pit := -1, -1 // the nearest reachable goal and pit distances
	for i, d := range dist {
		if d <= 0 || maxSteps > 0 && d > maxSteps {
			continue
		}
		switch m.Cells[i] {
		case Goal:
			if goal < 0 || d < goal {
				goal = d
			}
		case Pit:
			if pit < 0 || d < pit {
				pit = d
			}
		}
	}
	if goal < 0 {
		sr, sc := m.Start/m.Cols, m.Start%m.Cols
		if maxSteps > 0 {
			for i, d := range dist {
				if m.Cells[i] == Goal && d > 0 {
					return 0, 0, fmt.Errorf("gridworld %s: the nearest goal is %d steps from the start (row %d, column %d), beyond the step limit %d",
						m.Name, d, sr+1, sc+1, maxSteps)
				}
			}
		}
		return 0, 0, fmt.Errorf("gridworld %s: no goal can be reached from the start (row %d, column %d)", m.Name, sr+1, sc+1)
	}
	if cfg.StepReward > 0 && maxSteps == 0 {
		return 0, 0, fmt.Errorf("gridworld %s: positive step reward %v without a step limit makes the return unbounded", m.Name, cfg.StepReward)
	}
	best, steps := float64(goal-1)*cfg.StepReward+cfg.GoalReward, goal
	if pit > 0 {
		if r := float64(pit-1)*cfg.StepReward + cfg.PitReward; r > best {
			best, steps = r, pit
		}
	}
	// The agent can keep an episode going if some move from the start does
	// not end it (a bump into a wall or the edge counts).
	canWander := false
	sr, sc := m.Start/m.Cols, m.Start%m.Cols
	for _, d := range gridMoves {
		if c := m.At(sr+d[0], sc+d[1]); c == Wall || c == Free {
			canWander = true
		}
	}
	if canWander && maxSteps > 0 {
		if r := float64(maxSteps) * cfg.StepReward; r > best {
			best, steps = r, maxSteps
		}
	} else if canWander && cfg.StepReward == 0 && best < 0 {
		best, steps = 0, -1 // wandering forever returns 0
	}
	return best, steps, nil
}
