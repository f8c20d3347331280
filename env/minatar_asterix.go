package env

// minAtarAsterix is MinAtar's Asterix (minatar/environments/asterix.py).
//
// The player moves freely in rows 1-8. Enemies and gold enter from either
// side, at most one per row (row = slot+1 of eight slots), and cross the
// screen one cell per move; touching gold gives +1 and removes it, touching
// an enemy ends the episode. An entity spawns every spawn_speed steps (10 at
// first) and all move every move_speed steps (5 at first). With ramping, every
// 102 steps spawn_speed drops by one and, at every second ramp, move_speed
// too, both down to 1. Channels: player, enemy, trail (an entity's previous
// cell), gold.
//
// Draws, at each spawn: lr = rand() < 1/2 (enters from the left, moving
// right), gold = rand() < 1/3, then, if some slot is free, a slot by
// randint(#free slots) among the free ones in order (no draw for one).
type minAtarAsterix struct {
	ramping bool

	playerX, playerY int
	entities         [8]asterixEntity
	spawnSpeed       int
	spawnTimer       int
	moveSpeed        int
	moveTimer        int
	rampTimer        int
	rampIndex        int
}

// asterixEntity is one of MinAtar's entity lists [x, y, lr, is_gold], or None.
type asterixEntity struct {
	live     bool
	x, y     int
	lr, gold bool // lr: moving right
}

const (
	axPlayer = iota
	axEnemy
	axTrail
	axGold
)

const (
	axRampInterval     = 100
	axInitSpawnSpeed   = 10
	axInitMoveInterval = 5
)

var asterixInfo = &minAtarInfo{
	name:     "asterix",
	title:    "Asterix",
	label:    "Asterix",
	channels: []string{"player", "enemy", "trail", "gold"},
	minimal:  []int{minAtarNoop, minAtarLeft, minAtarUp, minAtarRight, minAtarDown},
	// One entity per row, so the player touches at most one gold per step.
	rewardMax: 1,
	newGame:   func(ramping bool) minAtarGame { return &minAtarAsterix{ramping: ramping} },
}

func (g *minAtarAsterix) reset(*mt19937) {
	g.playerX, g.playerY = 5, 5
	g.entities = [8]asterixEntity{}
	g.spawnSpeed = axInitSpawnSpeed
	g.spawnTimer = g.spawnSpeed
	g.moveSpeed = axInitMoveInterval
	g.moveTimer = g.moveSpeed
	g.rampTimer = axRampInterval
	g.rampIndex = 0
}

func (g *minAtarAsterix) act(a int, rng *mt19937) (reward int, terminal bool) {
	if g.spawnTimer == 0 {
		g.spawn(rng)
		g.spawnTimer = g.spawnSpeed
	}

	switch a {
	case minAtarLeft:
		g.playerX = max(0, g.playerX-1)
	case minAtarRight:
		g.playerX = min(9, g.playerX+1)
	case minAtarUp:
		g.playerY = max(1, g.playerY-1)
	case minAtarDown:
		g.playerY = min(8, g.playerY+1)
	}

	for i := range g.entities {
		e := &g.entities[i]
		if e.live && e.x == g.playerX && e.y == g.playerY {
			if e.gold {
				e.live = false
				reward++
			} else {
				terminal = true
			}
		}
	}
	if g.moveTimer == 0 {
		g.moveTimer = g.moveSpeed
		for i := range g.entities {
			e := &g.entities[i]
			if !e.live {
				continue
			}
			if e.lr {
				e.x++
			} else {
				e.x--
			}
			if e.x < 0 || e.x > 9 {
				e.live = false // off screen; it cannot be on the player either
				continue
			}
			if e.x == g.playerX && e.y == g.playerY {
				if e.gold {
					e.live = false
					reward++
				} else {
					terminal = true
				}
			}
		}
	}

	g.spawnTimer--
	g.moveTimer--

	if g.ramping && (g.spawnSpeed > 1 || g.moveSpeed > 1) {
		if g.rampTimer >= 0 {
			g.rampTimer--
		} else {
			if g.moveSpeed > 1 && g.rampIndex%2 == 1 {
				g.moveSpeed--
			}
			if g.spawnSpeed > 1 {
				g.spawnSpeed--
			}
			g.rampIndex++
			g.rampTimer = axRampInterval
		}
	}
	return reward, terminal
}

// spawn is MinAtar's _spawn_entity: both coin flips are drawn even when every
// slot is taken.
func (g *minAtarAsterix) spawn(rng *mt19937) {
	lr := rng.float64() < 1.0/2
	gold := rng.float64() < 1.0/3
	x := 9
	if lr {
		x = 0
	}
	var free [8]int
	n := 0
	for i, e := range g.entities {
		if !e.live {
			free[n] = i
			n++
		}
	}
	if n == 0 {
		return
	}
	slot := free[rng.randint(0, int64(n))]
	g.entities[slot] = asterixEntity{live: true, x: x, y: slot + 1, lr: lr, gold: gold}
}

func (g *minAtarAsterix) observe(obs []float32) {
	obs[axPlayer*100+g.playerY*10+g.playerX] = 1
	for _, e := range g.entities {
		if !e.live {
			continue
		}
		c := axEnemy
		if e.gold {
			c = axGold
		}
		obs[c*100+e.y*10+e.x] = 1
		back := e.x + 1
		if e.lr {
			back = e.x - 1
		}
		if back >= 0 && back <= 9 {
			obs[axTrail*100+e.y*10+back] = 1
		}
	}
}

func (g *minAtarAsterix) difficulty() int { return g.rampIndex }
