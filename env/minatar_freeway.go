package env

// minAtarFreeway is MinAtar's Freeway (minatar/environments/freeway.py).
//
// A chicken in column 4 crosses eight lanes of traffic (rows 1-8) from the
// bottom row to the top; it may move up or down once every 3 steps. Reaching
// the top gives +1, sends it back to the bottom and re-draws every car's speed
// and direction; a car on the chicken's cell also sends it back. The car in
// lane i, of speed s ∈ ±{1..5}, moves one cell every |s|+1 steps (its timer
// counts down from |s| to 0) in the direction of s's sign, wrapping around. The episode ends after 2500 frames (on the 2501st
// step, when the frame counter drops below zero). Channels: chicken, car,
// speed1..speed5 (a car's previous cell, in the channel of its |s|).
//
// Draws: at reset and at each crossing, speeds = randint(1, 6, size=8) and
// directions = sign(rand(8) - 0.5), in that order.
type minAtarFreeway struct {
	cars           [8]freewayCar
	pos            int // the chicken's row
	moveTimer      int
	terminateTimer int
}

// freewayCar is one of MinAtar's car lists [x, y, timer, speed].
type freewayCar struct {
	x, y, timer, speed int
}

const (
	fwChicken = iota
	fwCar
	fwSpeed1 // speed1..speed5 follow
)

const (
	freewayPlayerSpeed = 3
	freewayTimeLimit   = 2500
)

var freewayInfo = &minAtarInfo{
	name:      "freeway",
	title:     "Freeway",
	label:     "Freeway",
	channels:  []string{"chicken", "car", "speed1", "speed2", "speed3", "speed4", "speed5"},
	minimal:   []int{minAtarNoop, minAtarUp, minAtarDown},
	rewardMax: 1,
	newGame:   func(bool) minAtarGame { return &minAtarFreeway{} },
}

func (g *minAtarFreeway) reset(rng *mt19937) {
	g.randomizeCars(rng, true)
	g.pos = 9
	g.moveTimer = freewayPlayerSpeed
	g.terminateTimer = freewayTimeLimit
}

// randomizeCars draws new speeds and directions; initialize also puts every
// car at column 0 of its lane.
func (g *minAtarFreeway) randomizeCars(rng *mt19937, initialize bool) {
	var speeds [8]int
	for i := range speeds {
		speeds[i] = int(rng.randint(1, 6))
	}
	for i := range speeds {
		// np.sign(u - 0.5): 0 for u = 0.5 exactly, which stops nothing (a car of
		// speed 0 moves left every step, as in MinAtar).
		switch u := rng.float64() - 0.5; {
		case u < 0:
			speeds[i] = -speeds[i]
		case u == 0:
			speeds[i] = 0
		}
	}
	for i, s := range speeds {
		if initialize {
			g.cars[i].x, g.cars[i].y = 0, i+1
		}
		g.cars[i].timer, g.cars[i].speed = abs(s), s
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func (g *minAtarFreeway) act(a int, rng *mt19937) (reward int, terminal bool) {
	switch {
	case a == minAtarUp && g.moveTimer == 0:
		g.moveTimer = freewayPlayerSpeed
		g.pos = max(0, g.pos-1)
	case a == minAtarDown && g.moveTimer == 0:
		g.moveTimer = freewayPlayerSpeed
		g.pos = min(9, g.pos+1)
	}

	if g.pos == 0 {
		reward++
		g.randomizeCars(rng, false)
		g.pos = 9
	}

	for i := range g.cars {
		c := &g.cars[i]
		if c.x == 4 && c.y == g.pos {
			g.pos = 9
		}
		if c.timer == 0 {
			c.timer = abs(c.speed)
			if c.speed > 0 {
				c.x++
			} else {
				c.x--
			}
			if c.x < 0 {
				c.x = 9
			} else if c.x > 9 {
				c.x = 0
			}
			if c.x == 4 && c.y == g.pos {
				g.pos = 9
			}
		} else {
			c.timer--
		}
	}

	if g.moveTimer > 0 {
		g.moveTimer--
	}
	g.terminateTimer--
	return reward, g.terminateTimer < 0
}

func (g *minAtarFreeway) observe(obs []float32) {
	obs[fwChicken*100+g.pos*10+4] = 1
	trail := -1
	for _, c := range g.cars {
		obs[fwCar*100+c.y*10+c.x] = 1
		back := c.x + 1
		if c.speed > 0 {
			back = c.x - 1
		}
		if back < 0 {
			back = 9
		} else if back > 9 {
			back = 0
		}
		// For a speed of 0 (see randomizeCars) MinAtar's state() keeps the
		// previous car's trail channel, or fails on the first car; we skip it.
		if s := abs(c.speed); s >= 1 && s <= 5 {
			trail = fwSpeed1 + s - 1
		}
		if trail >= 0 {
			obs[trail*100+c.y*10+back] = 1
		}
	}
}

func (g *minAtarFreeway) difficulty() int { return -1 }
