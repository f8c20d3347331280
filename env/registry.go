package env

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Registration describes an environment that Make can build by name.
type Registration struct {
	// Name is the registry name, lower case, e.g. "cartpole".
	Name string
	// Aliases are other accepted names, e.g. the Gymnasium id "CartPole-v1".
	Aliases []string
	// Summary is one line for `deepq envs`.
	Summary string
	// Options documents the options New accepts.
	Options []OptionDoc
	// New builds the env; it reads its options from o and must call o.Done.
	New func(o *Options) (Env, error)
}

// OptionDoc documents one option of a registered env.
type OptionDoc struct {
	Name, Default, Doc string
}

var (
	registryMu sync.RWMutex
	registry   = map[string]*Registration{}
	aliases    = map[string]string{}
)

// Register adds r to the registry. It panics if the name or an alias is taken.
func Register(r Registration) {
	registryMu.Lock()
	defer registryMu.Unlock()
	for _, n := range append([]string{r.Name}, r.Aliases...) {
		k := strings.ToLower(n)
		if _, dup := aliases[k]; dup {
			panic("env: Register called twice for " + n)
		}
		aliases[k] = r.Name
	}
	registry[r.Name] = &r
}

// Registered returns the registrations sorted by name.
func Registered() []Registration {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]Registration, 0, len(registry))
	for _, r := range registry {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Registration) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Make builds the env named by spec: a registered name or alias, optionally
// followed by ":key=value,key=value" options, e.g. "cartpole:max-steps=200".
// The env comes wrapped, from the inside out, in its time limit (Standard
// adds the one its spec declares if its constructor did not), an
// EpisodeStats, and the wrappers that CommonOptions ask for:
//
//	FrameStack(ClipReward(EpisodeStats(TimeLimit(env))))
//
// Unwrapped gives the bare env, Find a wrapper.
func Make(spec string) (Env, error) {
	name, opts, err := ParseName(spec)
	if err != nil {
		return nil, err
	}
	registryMu.RLock()
	canon, ok := aliases[strings.ToLower(name)]
	var r *Registration
	if ok {
		r = registry[canon]
	}
	registryMu.RUnlock()
	if r == nil {
		var names []string
		for _, r := range Registered() {
			names = append(names, r.Name)
		}
		return nil, fmt.Errorf("env: unknown environment %q (available: %s)", name, strings.Join(names, ", "))
	}
	opts.env = r.Name
	k := opts.Int("frame-stack", 1)
	if k < 1 {
		opts.Errorf("frame-stack", "must be at least 1, got %d", k)
	}
	clip, err := ParseClipMode(opts.String("clip-reward", "none"))
	if err != nil {
		opts.Errorf("clip-reward", "%v", err)
	}
	e, err := r.New(opts)
	if err != nil {
		return nil, err
	}
	if err := opts.Done(); err != nil {
		return nil, err
	}
	e = Standard(e)
	if clip != 0 {
		e = NewClipReward(e, clip)
	}
	if k > 1 {
		e = NewFrameStack(e, k)
	}
	return e, nil
}

// CommonOptions are the options every env accepts; Make applies them as
// wrappers around the env, after its time limit and episode statistics.
var CommonOptions = []OptionDoc{
	{Name: "frame-stack", Default: "1", Doc: "stack the last K observations along the first (channel) axis"},
	{Name: "clip-reward", Default: "none", Doc: "clip rewards: none, sign (−1, 0, +1) or unit (to [−1, 1])"},
}

// Lookup returns the registration of name (a registered name or alias, in
// any case, options after a colon ignored).
func Lookup(name string) (Registration, bool) {
	base, _, _ := strings.Cut(strings.TrimSpace(name), ":")
	registryMu.RLock()
	defer registryMu.RUnlock()
	if canon, ok := aliases[strings.ToLower(base)]; ok {
		return *registry[canon], true
	}
	return Registration{}, false
}

// ParseName splits "name:key=value,key=value" into the name and its options.
func ParseName(spec string) (string, *Options, error) {
	name, rest, hasOpts := strings.Cut(strings.TrimSpace(spec), ":")
	if name == "" {
		return "", nil, fmt.Errorf("env: empty environment name in %q", spec)
	}
	o := &Options{env: name, kv: map[string]string{}}
	if !hasOpts {
		return name, o, nil
	}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return "", nil, fmt.Errorf("env: option %q in %q is not of the form key=value", kv, spec)
		}
		if _, dup := o.kv[k]; dup {
			return "", nil, fmt.Errorf("env: option %q given twice in %q", k, spec)
		}
		o.kv[k] = v
		o.order = append(o.order, k)
	}
	return name, o, nil
}

// Options are the key=value options of an env name. Getters return the
// default when the key is absent and record an error when its value does not
// parse; Done reports the first such error and any option that was not read.
type Options struct {
	env   string
	kv    map[string]string
	order []string
	used  map[string]bool
	err   error
}

func (o *Options) lookup(key string) (string, bool) {
	if o.used == nil {
		o.used = map[string]bool{}
	}
	o.used[key] = true
	v, ok := o.kv[key]
	return v, ok
}

func (o *Options) fail(key, v, want string) {
	if o.err == nil {
		o.err = fmt.Errorf("env %s: option %s=%q: want %s", o.env, key, v, want)
	}
}

// String returns the option's value, or def.
func (o *Options) String(key, def string) string {
	if v, ok := o.lookup(key); ok {
		return v
	}
	return def
}

// Int returns the option as an integer, or def.
func (o *Options) Int(key string, def int) int {
	v, ok := o.lookup(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		o.fail(key, v, "an integer")
		return def
	}
	return n
}

// Float returns the option as a number, or def.
func (o *Options) Float(key string, def float64) float64 {
	v, ok := o.lookup(key)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		o.fail(key, v, "a number")
		return def
	}
	return f
}

// Bool returns the option as a boolean (true/false/1/0), or def.
func (o *Options) Bool(key string, def bool) bool {
	v, ok := o.lookup(key)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		o.fail(key, v, "true or false")
		return def
	}
	return b
}

// Errorf records an error about an option's value (e.g. out of range).
func (o *Options) Errorf(key, format string, args ...any) {
	if o.err == nil {
		o.err = fmt.Errorf("env %s: option %s: %s", o.env, key, fmt.Sprintf(format, args...))
	}
}

// Done returns the first error recorded, or an error naming an option that no
// getter asked for.
func (o *Options) Done() error {
	if o.err != nil {
		return o.err
	}
	for _, k := range o.order {
		if !o.used[k] {
			return fmt.Errorf("env %s: unknown option %q", o.env, k)
		}
	}
	return nil
}

func init() {
	Register(Registration{
		Name:    "cartpole",
		Aliases: []string{"CartPole-v1"},
		Summary: "Gymnasium CartPole-v1: balance a pole on a cart (4 floats, 2 actions)",
		Options: cartPoleOptions("false"),
		New:     func(o *Options) (Env, error) { return newCartPoleFromOptions(o, false) },
	})
	Register(Registration{
		Name:    "cartpole-pomdp",
		Summary: "CartPole-v1 with the velocities hidden: observes cart position and pole angle only (2 floats, 2 actions; needs memory)",
		Options: cartPoleOptions("true"),
		New:     func(o *Options) (Env, error) { return newCartPoleFromOptions(o, true) },
	})
}

// hideVelocityDoc documents the hide-velocity option.
const hideVelocityDoc = "hide the velocities: observe positions only (a partially observed task for recurrent agents)"

func cartPoleOptions(hide string) []OptionDoc {
	return []OptionDoc{
		{Name: "max-steps", Default: "500", Doc: "time limit in steps"},
		{Name: "hide-velocity", Default: hide, Doc: hideVelocityDoc + ": (x, θ) of (x, ẋ, θ, θ̇)"},
	}
}

func newCartPoleFromOptions(o *Options, hideDefault bool) (Env, error) {
	max := o.Int("max-steps", 500)
	if max < 1 {
		o.Errorf("max-steps", "must be at least 1, got %d", max)
	}
	hide := o.Bool("hide-velocity", hideDefault)
	if err := o.Done(); err != nil {
		return nil, err
	}
	var e Env = NewTimeLimit(NewCartPole(), max)
	if hide {
		e = NewKeepObs(e, []int{0, 2})
	}
	return e, nil
}

func mountainCarOptions(hide string) []OptionDoc {
	return []OptionDoc{
		{Name: "max-steps", Default: "200", Doc: "time limit in steps"},
		{Name: "goal-velocity", Default: "0", Doc: "least velocity at the flag that ends the episode"},
		{Name: "hide-velocity", Default: hide, Doc: hideVelocityDoc + ": the position of (position, velocity)"},
	}
}

func newMountainCarFromOptions(o *Options, hideDefault bool) (Env, error) {
	max := o.Int("max-steps", 200)
	if max < 1 {
		o.Errorf("max-steps", "must be at least 1, got %d", max)
	}
	m := NewMountainCar()
	m.GoalVelocity = o.Float("goal-velocity", 0)
	hide := o.Bool("hide-velocity", hideDefault)
	if err := o.Done(); err != nil {
		return nil, err
	}
	var e Env = NewTimeLimit(m, max)
	if hide {
		e = NewKeepObs(e, []int{0})
	}
	return e, nil
}

func init() {
	Register(Registration{
		Name:    "mountaincar",
		Aliases: []string{"MountainCar-v0"},
		Summary: "Gymnasium MountainCar-v0: drive an under-powered car up a hill (2 floats, 3 actions)",
		Options: mountainCarOptions("false"),
		New:     func(o *Options) (Env, error) { return newMountainCarFromOptions(o, false) },
	})
	Register(Registration{
		Name:    "mountaincar-pomdp",
		Summary: "MountainCar-v0 with the velocity hidden: observes the position only (1 float, 3 actions; needs memory)",
		Options: mountainCarOptions("true"),
		New:     func(o *Options) (Env, error) { return newMountainCarFromOptions(o, true) },
	})
	Register(Registration{
		Name:    "acrobot",
		Aliases: []string{"Acrobot-v1"},
		Summary: "Gymnasium Acrobot-v1: swing a two-link pendulum above a line (6 floats, 3 actions)",
		Options: []OptionDoc{
			{Name: "max-steps", Default: "500", Doc: "time limit in steps"},
			{Name: "dynamics", Default: "book", Doc: "equations of motion: book (Sutton & Barto) or nips (Sutton 1996)"},
		},
		New: func(o *Options) (Env, error) {
			max := o.Int("max-steps", 500)
			if max < 1 {
				o.Errorf("max-steps", "must be at least 1, got %d", max)
			}
			a := NewAcrobot()
			switch d := o.String("dynamics", "book"); d {
			case "book":
			case "nips":
				a.Nips = true
			default:
				o.Errorf("dynamics", "want book or nips, got %q", d)
			}
			if err := o.Done(); err != nil {
				return nil, err
			}
			return NewTimeLimit(a, max), nil
		},
	})
}

func init() {
	Register(Registration{
		Name:    "gridworld",
		Summary: "a tabular maze from a built-in or user map (one-hot, coords or image observations, 4 actions)",
		Options: []OptionDoc{
			{Name: "map", Default: "open-5x5", Doc: "built-in map: " + builtinGridMapNames()},
			{Name: "file", Default: "", Doc: "read the map from this text file (a path without commas) instead: # wall, . free, S start, G goal, L lava"},
			{Name: "obs", Default: "onehot", Doc: "observation: onehot (cell index), coords (normalised row, col) or image (4×H×W: agent, walls, goals, pits)"},
			{Name: "slip", Default: "0", Doc: "probability that a move goes to a random neighbour"},
			{Name: "goal", Default: "map's", Doc: "reward for entering a goal (1; cliff: -1)"},
			{Name: "pit", Default: "map's", Doc: "reward for entering lava (-1; cliff: -100)"},
			{Name: "step", Default: "map's", Doc: "reward of every other step (-0.01; cliff: -1)"},
			{Name: "max-steps", Default: "map's", Doc: "time limit in steps (open-5x5 100, maze-8x8 200, cliff 100, four-rooms 500, files 4·cells)"},
		},
		New: newGridWorldFromOptions,
	})
}
