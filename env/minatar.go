package env

import (
	"fmt"
	"image"
	"math"
	"math/bits"
	"strings"
)

// MinAtar is one of the five games of MinAtar (Young & Tian 2019), reproduced
// from MinAtar 1.0.15 (git 4241f246) rule for rule and draw for draw: given the
// same seed and actions, every observation, reward and terminal flag equals
// MinAtar's.
//
// The games play on a 10×10 grid. An observation is MinAtar's boolean state
// as float32 in channel-major order, C×10×10:
//
//	obs[c*100 + y*10 + x] ∈ {0, 1}   (c: channel, y: row from the top, x: column)
//
// with each game's channels in MinAtar's order (Channels). The full action set
// is MinAtar's action_map, 0..5 = no-op, left, up, right, down, fire; with
// MinimalActions, action i is the i-th entry of the game's minimal_action_set.
//
// Randomness comes from one MT19937 stream with NumPy RandomState's methods,
// drawn in MinAtar's order. Each Step first draws u = rand() for the sticky
// test (also when StickyActionProb is 0, and also after the episode ended);
// if u < StickyActionProb the previous executed action repeats. The game's own
// draws follow: Breakout's randint(2) at reset, Freeway's car speeds and
// directions at reset and at every crossing, Asterix's and Seaquest's spawns
// during play. Space Invaders draws nothing of its own.
//
// Seed(s) followed by Reset reproduces MinAtar's
//
//	env = Environment(game, sticky_action_prob, difficulty_ramping)
//	env.seed(s); env.reset()
//
// (MinAtar's constructor resets the game once from an unseeded generator;
// that draw never reaches the seeded stream.) As in MinAtar, Reset does not
// forget the last executed action, so with sticky actions the first step of an
// episode may repeat the previous episode's last action; Seed does forget it,
// as a new Environment would, so that Seed(s) and Reset give the same episode
// whatever came before.
//
// MinAtar has no time limit: an episode runs until the game ends it (the
// registry's max-steps option adds one). Freeway ends on its 2501st step
// through its own terminal flag, reported as terminated, as MinAtar reports
// it. Stepping on after the end returns reward
// 0, terminated and the last observation, as MinAtar's act does.
type MinAtar struct {
	info       *minAtarInfo
	game       minAtarGame
	cfg        MinAtarConfig
	spec       *Spec
	actions    []int // agent action → MinAtar action (index into action_map)
	rng        mt19937
	lastAction int // MinAtar's last_action: the last executed action, in the full set
	terminal   bool
	obs        []float32 // C×10×10, channel-major
}

// MinAtarConfig configures a MinAtar game. The zero value is not MinAtar's
// default; start from DefaultMinAtarConfig.
type MinAtarConfig struct {
	// StickyActionProb is the probability in [0, 1] that a step repeats the
	// previous executed action instead of the one given (MinAtar's
	// sticky_action_prob, default 0.1).
	StickyActionProb float64
	// MinimalActions restricts the actions to the game's minimal action set
	// (MinAtar's Gymnasium "-v1" ids); false gives all six (the "-v0" ids and
	// the MinAtar paper's setting).
	MinimalActions bool
	// DifficultyRamping lets Asterix, Seaquest and Space Invaders speed up as
	// play goes on (MinAtar's difficulty_ramping, default true). Breakout and
	// Freeway do not ramp.
	DifficultyRamping bool
}

// DefaultMinAtarConfig returns MinAtar's defaults: sticky actions with
// probability 0.1, all six actions, difficulty ramping on.
func DefaultMinAtarConfig() MinAtarConfig {
	return MinAtarConfig{StickyActionProb: 0.1, DifficultyRamping: true}
}

// Validate reports a sticky-action probability outside [0, 1].
func (c MinAtarConfig) Validate() error {
	if !(c.StickyActionProb >= 0 && c.StickyActionProb <= 1) {
		return fmt.Errorf("env: MinAtar sticky-action probability %v is not in [0, 1]", c.StickyActionProb)
	}
	return nil
}

// MinAtar's action_map: the indices of the full action set.
const (
	minAtarNoop = iota
	minAtarLeft
	minAtarUp
	minAtarRight
	minAtarDown
	minAtarFire
)

var minAtarActionNames = []string{"noop", "left", "up", "right", "down", "fire"}

// minAtarGame is the logic of one game: MinAtar's per-game Env class without
// its generator, which the MinAtar wrapper owns and passes in.
type minAtarGame interface {
	// reset starts an episode, drawing from rng what MinAtar's reset draws.
	reset(rng *mt19937)
	// act applies action a of the full set (0..5) to a running episode and
	// returns the reward and whether the episode ended.
	act(a int, rng *mt19937) (reward int, terminal bool)
	// observe sets the state's true cells in obs (C×10×10, zeroed by the caller).
	observe(obs []float32)
	// difficulty is MinAtar's difficulty_ramp(), or -1 where the game has none.
	difficulty() int
}

// minAtarInfo describes a game.
type minAtarInfo struct {
	name      string   // MinAtar's env_name, e.g. "space_invaders"
	title     string   // the Gymnasium id's name, e.g. "SpaceInvaders"
	label     string   // for people, e.g. "Space Invaders"
	channels  []string // MinAtar's channel names, in order
	minimal   []int    // minimal_action_set()
	rewardMax float64  // the largest reward one step can give
	newGame   func(ramping bool) minAtarGame
}

var minAtarInfos = []*minAtarInfo{breakoutInfo, spaceInvadersInfo, freewayInfo, asterixInfo, seaquestInfo}

// MinAtarGames returns the games' MinAtar names, as NewMinAtar accepts them.
func MinAtarGames() []string {
	out := make([]string, len(minAtarInfos))
	for i, g := range minAtarInfos {
		out[i] = g.name
	}
	return out
}

var _ Env = (*MinAtar)(nil)
var _ Renderer = (*MinAtar)(nil)

// NewMinAtar returns the MinAtar game named game ("breakout", "space_invaders",
// "freeway", "asterix" or "seaquest"), seeded with 0.
func NewMinAtar(game string, cfg MinAtarConfig) (*MinAtar, error) {
	var info *minAtarInfo
	for _, g := range minAtarInfos {
		if g.name == game {
			info = g
		}
	}
	if info == nil {
		return nil, fmt.Errorf("env: unknown MinAtar game %q (available: %s)", game, strings.Join(MinAtarGames(), ", "))
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &MinAtar{
		info: info,
		game: info.newGame(cfg.DifficultyRamping),
		cfg:  cfg,
		obs:  make([]float32, len(info.channels)*100),
	}
	m.actions = []int{0, 1, 2, 3, 4, 5}
	version := "v0"
	if cfg.MinimalActions {
		m.actions = info.minimal
		version = "v1"
	}
	names := make([]string, len(m.actions))
	for i, a := range m.actions {
		names[i] = minAtarActionNames[a]
	}
	lo, hi := make([]float32, len(m.obs)), make([]float32, len(m.obs))
	for i := range hi {
		hi[i] = 1
	}
	m.spec = &Spec{
		ID:          "MinAtar/" + info.title + "-" + version,
		Observation: Box{Shape: []int{len(info.channels), 10, 10}, Low: lo, High: hi},
		Actions:     Discrete{N: len(m.actions), Names: names},
		RewardRange: [2]float64{0, info.rewardMax},
		// MinAtar's display_state shows each frame for 50 ms.
		FPS: 20,
	}
	// Like MinAtar's constructor, put the game in a start state from a
	// generator of its own, so that the seeded stream is untouched.
	var scratch mt19937
	scratch.seed(0)
	m.game.reset(&scratch)
	m.Seed(0)
	return m, nil
}

// Spec returns the game's spaces; its ID is MinAtar's Gymnasium id, with
// "-v1" for the minimal action set.
func (m *MinAtar) Spec() *Spec { return m.spec }

// Channels returns the names of the observation's channels, in order.
func (m *MinAtar) Channels() []string { return m.info.channels }

// Game returns the game's MinAtar name, e.g. "breakout".
func (m *MinAtar) Game() string { return m.info.name }

// Seed reseeds the generator as numpy.random.RandomState(seed) does (MinAtar's
// Environment.seed) and forgets the last executed action. Seeds of 2³² and
// above, which RandomState rejects, seed as RandomState([lo, hi]) with the
// seed's low and high 32-bit halves.
func (m *MinAtar) Seed(seed uint64) {
	if seed <= math.MaxUint32 {
		m.rng.seed(uint32(seed))
	} else {
		m.rng.seedArray([]uint32{uint32(seed), uint32(seed >> 32)})
	}
	m.lastAction = minAtarNoop
}

// Reset starts a new episode and returns its first observation.
func (m *MinAtar) Reset() []float32 {
	m.game.reset(&m.rng)
	m.terminal = false
	return m.observe()
}

// Step draws the sticky-action test, applies the executed action and returns
// the next observation, the reward and whether the game ended (terminated;
// truncated is always false).
func (m *MinAtar) Step(action int) ([]float32, float64, bool, bool) {
	if action < 0 || action >= len(m.actions) {
		panic(fmt.Sprintf("env: %s action %d out of range [0, %d)", m.spec.ID, action, len(m.actions)))
	}
	a := m.actions[action]
	if m.rng.float64() < m.cfg.StickyActionProb {
		a = m.lastAction
	}
	m.lastAction = a
	reward := 0
	if !m.terminal {
		reward, m.terminal = m.game.act(a, &m.rng)
	}
	return m.observe(), float64(reward), m.terminal, false
}

// ExecutedAction returns the action the last Step executed, after the sticky
// test, as an index into the full action set (no-op, left, up, right, down,
// fire); after Seed it is no-op.
func (m *MinAtar) ExecutedAction() int { return m.lastAction }

// DifficultyRamp returns the game's difficulty level (MinAtar's
// difficulty_ramp()) and false for Breakout and Freeway, which have none.
func (m *MinAtar) DifficultyRamp() (int, bool) {
	d := m.game.difficulty()
	return d, d >= 0
}

func (m *MinAtar) observe() []float32 {
	clear(m.obs)
	m.game.observe(m.obs)
	return m.obs
}

// Render draws the 10×10 grid filling img's bounds, as MinAtar's
// display_state does: a cell takes the colour of its highest-numbered true
// channel, or black if it has none. Channel c of a game with n channels has
// colour c of seaborn's color_palette("cubehelix", n); see minAtarPalette.
// Cell borders fall at img.Bounds().Min + k·size/10, k = 0..10.
func (m *MinAtar) Render(img *image.RGBA) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	pal := minAtarPalette(len(m.info.channels))
	nc := len(m.info.channels)
	obs := m.observe() // redrawn from the game's state
	for y := range 10 {
		y0, y1 := b.Min.Y+y*h/10, b.Min.Y+(y+1)*h/10
		if y0 == y1 {
			continue
		}
		// Paint the band's first pixel row cell by cell, then copy it down.
		first := img.Pix[img.PixOffset(b.Min.X, y0):][:4*w]
		for x := range 10 {
			col := [3]uint8{}
			for c := nc - 1; c >= 0; c-- {
				if obs[c*100+y*10+x] != 0 {
					col = pal[c]
					break
				}
			}
			for px := x * w / 10; px < (x+1)*w/10; px++ {
				p := first[4*px : 4*px+4 : 4*px+4]
				p[0], p[1], p[2], p[3] = col[0], col[1], col[2], 0xff
			}
		}
		for py := y0 + 1; py < y1; py++ {
			copy(img.Pix[img.PixOffset(b.Min.X, py):][:4*w], first)
		}
	}
}

// RenderSize returns 400×400, 40 pixels a cell.
func (m *MinAtar) RenderSize() (width, height int) { return 400, 400 }

// minAtarPalettes holds the colours of the games, by number of channels: seaborn's
// color_palette("cubehelix", n), that is matplotlib's "cubehelix" colormap
// (Green 2011: γ = 1, s = 0.5, r = -1.5, h = 1, a 256-entry table) sampled at
// (k+1)/(n+1), k = 0..n-1, and converted to 8 bits as matplotlib does for
// display (v·255 truncated). The numbers were computed with NumPy 1.24 from
// matplotlib's formula; the unrounded values are in the comments.
var minAtarPalettes = map[int][][3]uint8{
	4: { // Breakout, Asterix
		{21, 60, 77},    // (0.0861, 0.2382, 0.3056)
		{83, 121, 46},   // (0.3293, 0.4763, 0.1837)
		{207, 126, 146}, // (0.8146, 0.4955, 0.5753)
		{193, 202, 243}, // (0.7587, 0.7922, 0.9544)
	},
	6: { // Space Invaders
		{26, 35, 65},    // (0.1023, 0.1395, 0.2560)
		{27, 97, 68},    // (0.1059, 0.3810, 0.2702)
		{104, 122, 48},  // (0.4106, 0.4804, 0.1891)
		{199, 122, 124}, // (0.7829, 0.4816, 0.4867)
		{205, 162, 224}, // (0.8046, 0.6366, 0.8797)
		{198, 225, 241}, // (0.7776, 0.8840, 0.9452)
	},
	7: { // Freeway
		{26, 29, 59},    // (0.1042, 0.1163, 0.2328)
		{21, 83, 75},    // (0.0852, 0.3266, 0.2973)
		{67, 119, 48},   // (0.2654, 0.4676, 0.1908)
		{161, 121, 74},  // (0.6328, 0.4748, 0.2907)
		{211, 131, 169}, // (0.8307, 0.5175, 0.6628)
		{198, 180, 237}, // (0.7780, 0.7069, 0.9314)
		{203, 231, 239}, // (0.7965, 0.9087, 0.9398)
	},
	10: { // Seaquest
		{25, 18, 43},    // (0.0985, 0.0712, 0.1696)
		{23, 52, 75},    // (0.0916, 0.2039, 0.2962)
		{23, 91, 72},    // (0.0941, 0.3579, 0.2838)
		{60, 117, 50},   // (0.2363, 0.4611, 0.1977)
		{126, 122, 53},  // (0.4950, 0.4799, 0.2115)
		{187, 121, 102}, // (0.7355, 0.4749, 0.4025)
		{212, 133, 175}, // (0.8326, 0.5253, 0.6869)
		{202, 169, 230}, // (0.7937, 0.6641, 0.9042)
		{193, 210, 243}, // (0.7588, 0.8254, 0.9543)
		{213, 240, 238}, // (0.8386, 0.9412, 0.9358)
	},
}

// minAtarPalette returns the colours of a game with n channels.
func minAtarPalette(n int) [][3]uint8 {
	if p, ok := minAtarPalettes[n]; ok {
		return p
	}
	panic(fmt.Sprintf("env: no MinAtar palette for %d channels", n))
}

// setBits sets plane[y*10+x] = 1 for every bit x of rows[y].
func setBits(plane []float32, rows *[10]uint16) {
	for y, row := range rows {
		for row != 0 {
			plane[y*10+bits.TrailingZeros16(row)] = 1
			row &= row - 1
		}
	}
}

func init() {
	for _, g := range minAtarInfos {
		short := strings.ReplaceAll(g.name, "_", "-")
		Register(Registration{
			Name:    "minatar-" + short,
			Aliases: []string{short, "MinAtar/" + g.title + "-v0"},
			Summary: fmt.Sprintf("MinAtar %s (Young & Tian 2019, v1.0.15): %d×10×10 binary channels, 6 actions", g.label, len(g.channels)),
			Options: minAtarOptions(g, "0"),
			New:     func(o *Options) (Env, error) { return newMinAtarFromOptions(g, o, 0) },
		})
		Register(Registration{
			Name:    "minatar-" + short + "-flicker",
			Summary: fmt.Sprintf("MinAtar %s with flickering frames: each observation blanked with probability 0.5 (DRQN's flickering Pong; needs memory)", g.label),
			Options: minAtarOptions(g, "0.5"),
			New:     func(o *Options) (Env, error) { return newMinAtarFromOptions(g, o, 0.5) },
		})
	}
}

func minAtarOptions(g *minAtarInfo, flicker string) []OptionDoc {
	return []OptionDoc{
		{Name: "sticky", Default: "0.1", Doc: "probability that a step repeats the previous action"},
		{Name: "minimal-actions", Default: "false", Doc: fmt.Sprintf("use the game's %d-action minimal set (MinAtar's -v1)", len(g.minimal))},
		{Name: "ramping", Default: "true", Doc: "difficulty ramping (Asterix, Seaquest, Space Invaders)"},
		{Name: "max-steps", Default: "0", Doc: "time limit in steps; 0: none, as in MinAtar"},
		{Name: "flicker", Default: flicker, Doc: "probability that an observation is blanked (all zeros), drawn from a stream seeded with the env (a partially observed task for recurrent agents)"},
	}
}

func newMinAtarFromOptions(g *minAtarInfo, o *Options, flickerDefault float64) (Env, error) {
	cfg := DefaultMinAtarConfig()
	cfg.StickyActionProb = o.Float("sticky", cfg.StickyActionProb)
	cfg.MinimalActions = o.Bool("minimal-actions", cfg.MinimalActions)
	cfg.DifficultyRamping = o.Bool("ramping", cfg.DifficultyRamping)
	maxSteps := o.Int("max-steps", 0)
	flicker := o.Float("flicker", flickerDefault)
	if !(cfg.StickyActionProb >= 0 && cfg.StickyActionProb <= 1) {
		o.Errorf("sticky", "must be a probability in [0, 1], got %v", cfg.StickyActionProb)
	}
	if maxSteps < 0 {
		o.Errorf("max-steps", "must be 0 (no limit) or positive, got %d", maxSteps)
	}
	if !(flicker >= 0 && flicker <= 1) {
		o.Errorf("flicker", "must be a probability in [0, 1], got %v", flicker)
	}
	if err := o.Done(); err != nil {
		return nil, err
	}
	m, err := NewMinAtar(g.name, cfg)
	if err != nil {
		return nil, err
	}
	var e Env = m
	if maxSteps > 0 {
		e = NewTimeLimit(m, maxSteps)
	}
	if flicker > 0 {
		e = NewFlicker(e, flicker)
	}
	return e, nil
}
