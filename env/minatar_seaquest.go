package env

// minAtarSeaquest is MinAtar's Seaquest (minatar/environments/seaquest.py).
//
// The player's submarine (a front and a back cell) moves in rows 0-8 and fires
// horizontally in the direction it faces (one shot every 5 steps at most).
// Enemy fish and submarines enter rows 1-8 from either side; subs fire
// bullets every 11 steps. Shooting an enemy gives +1; touching an enemy or an
// enemy bullet ends the episode. Divers drift across and are picked up by
// touching them, up to 6. Oxygen (200) drops by one per step below the
// surface; surfacing (moving to row 0) with no diver ends the episode, with
// 1-5 divers costs one diver and refills the oxygen, with 6 gives
// oxygen·10÷200 and refills it. Running out of oxygen ends the episode. With
// ramping, each surfacing shortens the enemy spawn interval (from 20, down to
// 1) and at every second one the enemies' move_speed (from 5, down to 2; an
// enemy moves every move_speed+1 steps).
// Channels: sub_front, sub_back, friendly_bullet, trail (an enemy's or
// diver's previous cell), enemy_bullet, enemy_fish, enemy_sub, oxygen_guage
// (a bar on row 9 from the left), diver_guage (a bar on row 9 ending at
// column 8), diver.
//
// MinAtar keeps bullets, enemies and divers in Python lists, iterates some of
// them backwards while removing from them, and removes with list.remove,
// which takes out the first element equal in value, not necessarily the one in
// hand. Those semantics are reproduced exactly: objects live in an arena and
// are referred to by handle (Python's object identity), lists are slices of
// handles, removal is by first equal value, and a backward loop visits the
// positions len-1, len-2, … of the list as it is at each step, stopping when
// the position runs past its end.
//
// Also reproduced: surfacing with six divers leaves the diver count at -1
// (MinAtar sets it to 0, then takes one away), after which surfacing no longer
// ends the episode and the gauge shows no divers until the count is back
// above 0.
//
// Draws: an enemy spawn draws lr = rand() < 1/2 (enters from the left),
// sub = rand() < 1/3 and row randint(1, 9), then spawns nothing if an enemy
// in that row moves the other way; a diver spawn (every 30 steps) draws
// lr = rand() < 1/2 and row randint(1, 9). Enemies spawn before divers.
type minAtarSeaquest struct {
	ramping bool

	objs    []seaquestObj // arena; handles index it
	free    []int32       // handles that may be reused
	pending []int32       // handles removed during this step, reusable from the next

	fBullets, eBullets, fish, subs, divers []int32

	subX, subY  int
	subOr       bool // facing right
	oxygen      int
	diverCount  int
	eSpawnSpeed int
	eSpawnTimer int
	dSpawnTimer int
	moveSpeed   int
	rampIndex   int
	shotTimer   int
	surface     bool
}

// seaquestObj holds the fields of MinAtar's lists: bullets [x, y, lr], fish
// [x, y, lr, move], subs [x, y, lr, move, shot], divers [x, y, lr, move].
// Unused fields stay 0, so == is Python's list equality within one list.
type seaquestObj struct {
	x, y       int
	lr         bool // moving right
	move, shot int  // move and shot timers
}

const (
	sqSubFront = iota
	sqSubBack
	sqFriendlyBullet
	sqTrail
	sqEnemyBullet
	sqEnemyFish
	sqEnemySub
	sqOxygenGauge
	sqDiverGauge
	sqDiver
)

const (
	sqMaxOxygen          = 200
	sqInitSpawnSpeed     = 20
	sqDiverSpawnSpeed    = 30
	sqInitMoveInterval   = 5
	sqShotCoolDown       = 5
	sqEnemyShotInterval  = 10
	sqDiverMoveInterval  = 5
	sqInitialObjCapacity = 64
)

var seaquestInfo = &minAtarInfo{
	name:  "seaquest",
	title: "Seaquest",
	label: "Seaquest",
	channels: []string{"sub_front", "sub_back", "friendly_bullet", "trail", "enemy_bullet",
		"enemy_fish", "enemy_sub", "oxygen_guage", "diver_guage", "diver"},
	minimal: []int{minAtarNoop, minAtarLeft, minAtarUp, minAtarRight, minAtarDown, minAtarFire},
	// At most two of the player's bullets fly at once (5-step cool-down, at
	// most 10 cells to travel), each killing one enemy, and a surfacing with six
	// divers gives at most 199·10÷200 = 9.
	rewardMax: 11,
	newGame: func(ramping bool) minAtarGame {
		return &minAtarSeaquest{ramping: ramping, objs: make([]seaquestObj, 0, sqInitialObjCapacity)}
	},
}

func (g *minAtarSeaquest) reset(*mt19937) {
	g.oxygen = sqMaxOxygen
	g.diverCount = 0
	g.subX, g.subY = 5, 0
	g.subOr = false
	g.objs = g.objs[:0]
	g.free = g.free[:0]
	g.pending = g.pending[:0]
	g.fBullets, g.eBullets, g.fish, g.subs, g.divers = g.fBullets[:0], g.eBullets[:0], g.fish[:0], g.subs[:0], g.divers[:0]
	g.eSpawnSpeed = sqInitSpawnSpeed
	g.eSpawnTimer = g.eSpawnSpeed
	g.dSpawnTimer = sqDiverSpawnSpeed
	g.moveSpeed = sqInitMoveInterval
	g.rampIndex = 0
	g.shotTimer = 0
	g.surface = true
}

// add appends a new object to list.
func (g *minAtarSeaquest) add(list *[]int32, o seaquestObj) {
	var h int32
	if n := len(g.free); n > 0 {
		h = g.free[n-1]
		g.free = g.free[:n-1]
		g.objs[h] = o
	} else {
		h = int32(len(g.objs))
		g.objs = append(g.objs, o)
	}
	*list = append(*list, h)
}

// remove is Python's list.remove(v): it takes out the first element of list
// equal in value to v. The object's handle stays valid until the step ends.
func (g *minAtarSeaquest) remove(list *[]int32, v seaquestObj) {
	l := *list
	for i, h := range l {
		if g.objs[h] == v {
			*list = append(l[:i], l[i+1:]...)
			g.pending = append(g.pending, h)
			return
		}
	}
	panic("env: Seaquest removed an object that is not in its list")
}

// at reports whether o is on the player's cell.
func (g *minAtarSeaquest) at(o *seaquestObj) bool { return o.x == g.subX && o.y == g.subY }

// step moves o one cell in its direction.
func (o *seaquestObj) step() {
	if o.lr {
		o.x++
	} else {
		o.x--
	}
}

func (o *seaquestObj) offScreen() bool { return o.x < 0 || o.x > 9 }

func (g *minAtarSeaquest) act(a int, rng *mt19937) (reward int, terminal bool) {
	if g.eSpawnTimer == 0 {
		g.spawnEnemy(rng)
		g.eSpawnTimer = g.eSpawnSpeed
	}
	if g.dSpawnTimer == 0 {
		g.spawnDiver(rng)
		g.dSpawnTimer = sqDiverSpawnSpeed
	}

	switch {
	case a == minAtarFire && g.shotTimer == 0:
		g.add(&g.fBullets, seaquestObj{x: g.subX, y: g.subY, lr: g.subOr})
		g.shotTimer = sqShotCoolDown
	case a == minAtarLeft:
		g.subX = max(0, g.subX-1)
		g.subOr = false
	case a == minAtarRight:
		g.subX = min(9, g.subX+1)
		g.subOr = true
	case a == minAtarUp:
		g.subY = max(0, g.subY-1)
	case a == minAtarDown:
		g.subY = min(8, g.subY+1)
	}

	// The player's bullets, backwards.
	for i := len(g.fBullets) - 1; i >= 0 && i < len(g.fBullets); i-- {
		b := &g.objs[g.fBullets[i]]
		b.step()
		if b.offScreen() {
			g.remove(&g.fBullets, *b)
			continue
		}
		if g.shoot(&g.fish, b) || g.shoot(&g.subs, b) {
			reward++
		}
	}

	// Divers, backwards.
	for i := len(g.divers) - 1; i >= 0 && i < len(g.divers); i-- {
		d := &g.objs[g.divers[i]]
		if g.at(d) && g.diverCount < 6 {
			g.remove(&g.divers, *d)
			g.diverCount++
			continue
		}
		if d.move != 0 {
			d.move--
			continue
		}
		d.move = sqDiverMoveInterval
		d.step()
		if d.offScreen() {
			g.remove(&g.divers, *d)
		} else if g.at(d) && g.diverCount < 6 {
			g.remove(&g.divers, *d)
			g.diverCount++
		}
	}

	// Enemy subs, backwards. A sub that left the screen or was shot still
	// counts down its shot timer and may fire, as in MinAtar.
	for i := len(g.subs) - 1; i >= 0 && i < len(g.subs); i-- {
		h := g.subs[i]
		s := &g.objs[h]
		if g.at(s) {
			terminal = true
		}
		if s.move == 0 {
			s.move = g.moveSpeed
			s.step()
			switch {
			case s.offScreen():
				g.remove(&g.subs, *s)
			case g.at(s):
				terminal = true
			default:
				if g.hitBy(&g.subs, s) {
					reward++
				}
			}
		} else {
			s.move--
		}
		if s.shot == 0 {
			s.shot = sqEnemyShotInterval
			o := seaquestObj{x: s.x, y: s.y, lr: s.lr}
			g.add(&g.eBullets, o) // may move the arena: s is stale from here
		} else {
			s.shot--
		}
	}

	// Enemy bullets, backwards.
	for i := len(g.eBullets) - 1; i >= 0 && i < len(g.eBullets); i-- {
		b := &g.objs[g.eBullets[i]]
		if g.at(b) {
			terminal = true
		}
		b.step()
		if b.offScreen() {
			g.remove(&g.eBullets, *b)
		} else if g.at(b) {
			terminal = true
		}
	}

	// Enemy fish, backwards.
	for i := len(g.fish) - 1; i >= 0 && i < len(g.fish); i-- {
		f := &g.objs[g.fish[i]]
		if g.at(f) {
			terminal = true
		}
		if f.move != 0 {
			f.move--
			continue
		}
		f.move = g.moveSpeed
		f.step()
		switch {
		case f.offScreen():
			g.remove(&g.fish, *f)
		case g.at(f):
			terminal = true
		default:
			if g.hitBy(&g.fish, f) {
				reward++
			}
		}
	}

	if g.eSpawnTimer > 0 {
		g.eSpawnTimer--
	}
	if g.dSpawnTimer > 0 {
		g.dSpawnTimer--
	}
	if g.shotTimer > 0 {
		g.shotTimer--
	}
	if g.oxygen <= 0 {
		terminal = true
	}
	if g.subY > 0 {
		g.oxygen--
		g.surface = false
	} else if !g.surface {
		if g.diverCount == 0 {
			terminal = true
		} else {
			reward += g.surfaceUp()
		}
	}

	g.free = append(g.free, g.pending...)
	g.pending = g.pending[:0]
	return reward, terminal
}

// shoot is the inner loop of the player's bullets: the first enemy of list on
// bullet b's cell is removed together with b. It reports a hit.
func (g *minAtarSeaquest) shoot(list *[]int32, b *seaquestObj) bool {
	for _, h := range *list {
		e := &g.objs[h]
		if e.x == b.x && e.y == b.y {
			g.remove(list, *e)
			g.remove(&g.fBullets, *b)
			return true
		}
	}
	return false
}

// hitBy is the inner loop of the enemies: if one of the player's bullets is
// on enemy e's cell, e (by value, from list) and the first such bullet are
// removed. It reports a hit.
func (g *minAtarSeaquest) hitBy(list *[]int32, e *seaquestObj) bool {
	for _, h := range g.fBullets {
		b := &g.objs[h]
		if e.x == b.x && e.y == b.y {
			g.remove(list, *e)
			g.remove(&g.fBullets, *b)
			return true
		}
	}
	return false
}

// surfaceUp is MinAtar's _surface.
func (g *minAtarSeaquest) surfaceUp() int {
	g.surface = true
	r := 0
	if g.diverCount == 6 {
		g.diverCount = 0
		r = floorDiv(g.oxygen*10, sqMaxOxygen)
	}
	g.oxygen = sqMaxOxygen
	g.diverCount--
	if g.ramping && (g.eSpawnSpeed > 1 || g.moveSpeed > 2) {
		if g.moveSpeed > 2 && g.rampIndex%2 == 1 {
			g.moveSpeed--
		}
		if g.eSpawnSpeed > 1 {
			g.eSpawnSpeed--
		}
		g.rampIndex++
	}
	return r
}

// floorDiv is Python's // for a positive divisor.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func (g *minAtarSeaquest) spawnEnemy(rng *mt19937) {
	lr := rng.float64() < 1.0/2
	isSub := rng.float64() < 1.0/3
	x := 9
	if lr {
		x = 0
	}
	y := int(rng.randint(1, 9))
	for _, list := range [2][]int32{g.subs, g.fish} {
		for _, h := range list {
			if o := &g.objs[h]; o.y == y && o.lr != lr {
				return
			}
		}
	}
	if isSub {
		g.add(&g.subs, seaquestObj{x: x, y: y, lr: lr, move: g.moveSpeed, shot: sqEnemyShotInterval})
	} else {
		g.add(&g.fish, seaquestObj{x: x, y: y, lr: lr, move: g.moveSpeed})
	}
}

func (g *minAtarSeaquest) spawnDiver(rng *mt19937) {
	lr := rng.float64() < 1.0/2
	x := 9
	if lr {
		x = 0
	}
	y := int(rng.randint(1, 9))
	g.add(&g.divers, seaquestObj{x: x, y: y, lr: lr, move: sqDiverMoveInterval})
}

func (g *minAtarSeaquest) observe(obs []float32) {
	obs[sqSubFront*100+g.subY*10+g.subX] = 1
	back := g.subX + 1
	if g.subOr {
		back = g.subX - 1
	}
	if back < 0 {
		back += 10 // NumPy's index -1; unreachable, as the sub faces left at column 0
	}
	if back <= 9 {
		obs[sqSubBack*100+g.subY*10+back] = 1
	}
	for x := range floorDiv(max(0, g.oxygen)*10, sqMaxOxygen) {
		obs[sqOxygenGauge*100+90+x] = 1
	}
	for x := 9 - g.diverCount; x < 9; x++ {
		obs[sqDiverGauge*100+90+x] = 1
	}
	for _, h := range g.fBullets {
		b := &g.objs[h]
		obs[sqFriendlyBullet*100+b.y*10+b.x] = 1
	}
	for _, h := range g.eBullets {
		b := &g.objs[h]
		obs[sqEnemyBullet*100+b.y*10+b.x] = 1
	}
	g.observeMovers(obs, g.fish, sqEnemyFish)
	g.observeMovers(obs, g.subs, sqEnemySub)
	g.observeMovers(obs, g.divers, sqDiver)
}

// observeMovers draws list's objects in channel c and their previous cells in
// the trail channel.
func (g *minAtarSeaquest) observeMovers(obs []float32, list []int32, c int) {
	for _, h := range list {
		o := &g.objs[h]
		obs[c*100+o.y*10+o.x] = 1
		back := o.x + 1
		if o.lr {
			back = o.x - 1
		}
		if back >= 0 && back <= 9 {
			obs[sqTrail*100+o.y*10+back] = 1
		}
	}
}

func (g *minAtarSeaquest) difficulty() int { return g.rampIndex }
