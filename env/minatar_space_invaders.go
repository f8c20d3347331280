package env

import "math/bits"

// minAtarSpaceInvaders is MinAtar's Space Invaders
// (minatar/environments/space_invaders.py).
//
// A cannon on the bottom row shoots upward (one bullet every 5 steps at most)
// at a 4×6 block of aliens that marches sideways, stepping down a row and
// turning at the walls; each alien shot gives +1. Every 10 steps the alien
// nearest the cannon's column (ties to the lower column) drops a bullet from
// its lowest cell. The aliens move every min(#aliens, interval) steps, the
// interval starting at 12; a cleared wave is replaced by a new one, and with
// ramping the interval shrinks by one per wave down to 6. An alien or enemy
// bullet on the cannon ends the episode. The game draws no random numbers.
// Channels: cannon, alien, alien_left, alien_right (the aliens again, in the
// channel of their direction), friendly_bullet, enemy_bullet.
type minAtarSpaceInvaders struct {
	ramping bool

	pos               int        // the cannon's column, on row 9
	aliens            [10]uint16 // bit x of aliens[y]: an alien at row y, column x
	fBullets          [10]uint16 // the cannon's bullets, moving up
	eBullets          [10]uint16 // the aliens' bullets, moving down
	alienDir          int        // -1 left, +1 right
	enemyMoveInterval int
	alienMoveTimer    int
	alienShotTimer    int
	shotTimer         int
	rampIndex         int
}

const (
	siCannon = iota
	siAlien
	siAlienLeft
	siAlienRight
	siFriendlyBullet
	siEnemyBullet
)

const (
	siShotCoolDown      = 5
	siEnemyMoveInterval = 12
	siEnemyShotInterval = 10
	siCol0              = 1
	siCol9              = 1 << 9
	siRow               = 1<<10 - 1
	siWaveRow           = 0b0011111100 // columns 2..7
)

var spaceInvadersInfo = &minAtarInfo{
	name:     "space_invaders",
	title:    "SpaceInvaders",
	label:    "Space Invaders",
	channels: []string{"cannon", "alien", "alien_left", "alien_right", "friendly_bullet", "enemy_bullet"},
	minimal:  []int{minAtarNoop, minAtarLeft, minAtarRight, minAtarFire},
	// At most two of the cannon's bullets fly at once (5-step cool-down,
	// 9 steps from the bottom row to the top), and each kills one alien.
	rewardMax: 2,
	newGame:   func(ramping bool) minAtarGame { return &minAtarSpaceInvaders{ramping: ramping} },
}

func (g *minAtarSpaceInvaders) reset(*mt19937) {
	g.pos = 5
	g.fBullets = [10]uint16{}
	g.eBullets = [10]uint16{}
	g.aliens = [10]uint16{}
	g.newWave()
	g.alienDir = -1
	g.enemyMoveInterval = siEnemyMoveInterval
	g.alienMoveTimer = g.enemyMoveInterval
	g.alienShotTimer = siEnemyShotInterval
	g.rampIndex = 0
	g.shotTimer = 0
}

func (g *minAtarSpaceInvaders) newWave() {
	for y := range 4 {
		g.aliens[y] |= siWaveRow
	}
}

func (g *minAtarSpaceInvaders) act(a int, _ *mt19937) (reward int, terminal bool) {
	switch {
	case a == minAtarFire && g.shotTimer == 0:
		g.fBullets[9] |= 1 << g.pos
		g.shotTimer = siShotCoolDown
	case a == minAtarLeft:
		g.pos = max(0, g.pos-1)
	case a == minAtarRight:
		g.pos = min(9, g.pos+1)
	}

	// The cannon's bullets move up a row (np.roll by -1 along rows, the
	// wrapped-around top row cleared); the aliens' move down.
	copy(g.fBullets[:9], g.fBullets[1:])
	g.fBullets[9] = 0
	copy(g.eBullets[1:], g.eBullets[:9])
	g.eBullets[0] = 0
	cannon := uint16(1) << g.pos
	if g.eBullets[9]&cannon != 0 {
		terminal = true
	}

	if g.aliens[9]&cannon != 0 {
		terminal = true
	}
	if g.alienMoveTimer == 0 {
		g.alienMoveTimer = min(g.count(), g.enemyMoveInterval)
		var cols uint16 // bit x: some alien in column x
		for _, row := range g.aliens {
			cols |= row
		}
		if (cols&siCol0 != 0 && g.alienDir < 0) || (cols&siCol9 != 0 && g.alienDir > 0) {
			g.alienDir = -g.alienDir
			if g.aliens[9] != 0 {
				terminal = true
			}
			// np.roll by one row: the bottom row wraps around to the top.
			last := g.aliens[9]
			copy(g.aliens[1:], g.aliens[:9])
			g.aliens[0] = last
		} else {
			// np.roll by alienDir columns, wrapping around.
			for y, row := range g.aliens {
				if g.alienDir > 0 {
					g.aliens[y] = (row<<1 | row>>9) & siRow
				} else {
					g.aliens[y] = (row>>1 | row<<9) & siRow
				}
			}
		}
		if g.aliens[9]&cannon != 0 {
			terminal = true
		}
	}
	if g.alienShotTimer == 0 {
		g.alienShotTimer = siEnemyShotInterval
		// The aliens are never all gone here: a cleared wave is replaced at
		// the end of the step that cleared it.
		y, x := g.nearestAlien()
		g.eBullets[y] |= 1 << x
	}

	for y := range g.aliens {
		kill := g.aliens[y] & g.fBullets[y]
		reward += bits.OnesCount16(kill)
		g.aliens[y] &^= kill
		g.fBullets[y] &^= kill
	}

	if g.shotTimer > 0 {
		g.shotTimer--
	}
	g.alienMoveTimer--
	g.alienShotTimer--
	if g.count() == 0 {
		if g.enemyMoveInterval > 6 && g.ramping {
			g.enemyMoveInterval--
			g.rampIndex++
		}
		g.newWave()
	}
	return reward, terminal
}

func (g *minAtarSpaceInvaders) count() int {
	n := 0
	for _, row := range g.aliens {
		n += bits.OnesCount16(row)
	}
	return n
}

// nearestAlien returns the lowest alien of the nearest column holding one,
// searching columns by distance from the cannon with ties to the lower column
// (Python's stable sort of 0..9 by |x - pos|).
func (g *minAtarSpaceInvaders) nearestAlien() (y, x int) {
	for d := 0; d < 10; d++ {
		for _, x := range [2]int{g.pos - d, g.pos + d} {
			if x < 0 || x > 9 {
				continue
			}
			for y := 9; y >= 0; y-- {
				if g.aliens[y]>>x&1 != 0 {
					return y, x
				}
			}
		}
	}
	panic("env: Space Invaders has no alien to shoot")
}

func (g *minAtarSpaceInvaders) observe(obs []float32) {
	obs[siCannon*100+90+g.pos] = 1
	setBits(obs[siAlien*100:], &g.aliens)
	if g.alienDir < 0 {
		setBits(obs[siAlienLeft*100:], &g.aliens)
	} else {
		setBits(obs[siAlienRight*100:], &g.aliens)
	}
	setBits(obs[siFriendlyBullet*100:], &g.fBullets)
	setBits(obs[siEnemyBullet*100:], &g.eBullets)
}

func (g *minAtarSpaceInvaders) difficulty() int { return g.rampIndex }
