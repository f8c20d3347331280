package env

// minAtarBreakout is MinAtar's Breakout (minatar/environments/breakout.py).
//
// A paddle on the bottom row bounces a ball that moves one cell diagonally
// each step through three rows of bricks (rows 1-3); each brick broken gives
// +1 and reflects the ball vertically; a ball that reaches the bottom row
// beside the paddle ends the episode. When the ball comes down to the paddle's
// row with no bricks left, the three rows are restored. The only random draw is
// randint(2) at reset, which picks the ball's starting side. Channels: paddle,
// ball, trail (the ball's previous cell), brick.
type minAtarBreakout struct {
	ballX, ballY int
	ballDir      int // 0: up-left, 1: up-right, 2: down-right, 3: down-left
	pos          int // the paddle's column, on row 9
	lastX, lastY int // the ball's previous cell, drawn as the trail
	strike       bool
	bricks       [10]uint16 // bit x of bricks[y] is the brick at row y, column x
	nBricks      int
}

const (
	breakoutPaddle = iota
	breakoutBall
	breakoutTrail
	breakoutBrick
)

var breakoutInfo = &minAtarInfo{
	name:      "breakout",
	title:     "Breakout",
	label:     "Breakout",
	channels:  []string{"paddle", "ball", "trail", "brick"},
	minimal:   []int{minAtarNoop, minAtarLeft, minAtarRight},
	rewardMax: 1, // the strike flag lets the ball break at most one brick per step
	newGame:   func(bool) minAtarGame { return &minAtarBreakout{} },
}

// The direction tables of breakout.py: a horizontal reflection (wall), a
// vertical one (ceiling, brick, paddle's near half) and the reversal of the
// paddle's far half.
var (
	breakoutFlipX   = [4]int{1, 0, 3, 2}
	breakoutFlipY   = [4]int{3, 2, 1, 0}
	breakoutReverse = [4]int{2, 3, 0, 1}
	breakoutDX      = [4]int{-1, 1, 1, -1}
	breakoutDY      = [4]int{-1, -1, 1, 1}
)

const breakoutBrickRow = 1<<10 - 1

func (g *minAtarBreakout) reset(rng *mt19937) {
	g.ballY = 3
	if rng.randint(0, 2) == 0 {
		g.ballX, g.ballDir = 0, 2
	} else {
		g.ballX, g.ballDir = 9, 3
	}
	g.pos = 4
	g.bricks = [10]uint16{}
	g.fillBricks()
	g.strike = false
	g.lastX, g.lastY = g.ballX, g.ballY
}

func (g *minAtarBreakout) fillBricks() {
	g.bricks[1], g.bricks[2], g.bricks[3] = breakoutBrickRow, breakoutBrickRow, breakoutBrickRow
	g.nBricks = 30
}

func (g *minAtarBreakout) act(a int, _ *mt19937) (reward int, terminal bool) {
	switch a {
	case minAtarLeft:
		g.pos = max(0, g.pos-1)
	case minAtarRight:
		g.pos = min(9, g.pos+1)
	}

	g.lastX, g.lastY = g.ballX, g.ballY
	newX, newY := g.ballX+breakoutDX[g.ballDir], g.ballY+breakoutDY[g.ballDir]
	strikeToggle := false
	if newX < 0 || newX > 9 {
		newX = min(max(newX, 0), 9)
		g.ballDir = breakoutFlipX[g.ballDir]
	}
	switch {
	case newY < 0:
		newY = 0
		g.ballDir = breakoutFlipY[g.ballDir]
	case g.bricks[newY]>>newX&1 != 0:
		strikeToggle = true
		if !g.strike {
			reward++
			g.strike = true
			g.bricks[newY] &^= 1 << newX
			g.nBricks--
			newY = g.lastY
			g.ballDir = breakoutFlipY[g.ballDir]
		}
	case newY == 9:
		if g.nBricks == 0 {
			g.fillBricks()
		}
		switch {
		case g.ballX == g.pos:
			g.ballDir = breakoutFlipY[g.ballDir]
			newY = g.lastY
		case newX == g.pos:
			g.ballDir = breakoutReverse[g.ballDir]
			newY = g.lastY
		default:
			terminal = true
		}
	}
	if !strikeToggle {
		g.strike = false
	}
	g.ballX, g.ballY = newX, newY
	return reward, terminal
}

func (g *minAtarBreakout) observe(obs []float32) {
	obs[breakoutBall*100+g.ballY*10+g.ballX] = 1
	obs[breakoutPaddle*100+90+g.pos] = 1
	obs[breakoutTrail*100+g.lastY*10+g.lastX] = 1
	setBits(obs[breakoutBrick*100:], &g.bricks)
}

func (g *minAtarBreakout) difficulty() int { return -1 }
