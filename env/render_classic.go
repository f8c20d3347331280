package env

import (
	"image"
	"image/color"
	"math"
)

// The classic-control envs draw what Gymnasium's pygame renderers draw, in the
// same proportions: a frame of Gymnasium's window size (RenderSize) scaled
// uniformly to the image and centred in it. Gymnasium draws with y up and
// flips the surface; up is drawn as y decreasing here.

var (
	_ Renderer    = (*CartPole)(nil)
	_ RenderSizer = (*CartPole)(nil)
	_ Renderer    = (*MountainCar)(nil)
	_ RenderSizer = (*MountainCar)(nil)
	_ Renderer    = (*Acrobot)(nil)
	_ RenderSizer = (*Acrobot)(nil)
)

// rotate turns (x, y) by θ counter-clockwise, as pygame's Vector2.rotate_rad.
func rotate(x, y, θ float64) (float64, float64) {
	s, c := math.Sincos(θ)
	return x*c - y*s, x*s + y*c
}

// RenderSize is Gymnasium's window size for CartPole, 600×400.
func (c *CartPole) RenderSize() (int, int) { return 600, 400 }

// Render draws the track, the cart and the pole.
func (c *CartPole) Render(img *image.RGBA) {
	const W, H = 600.0, 400.0
	cv := newCanvas(img, W, H, white)
	up := func(x, y float64) [2]float64 { return [2]float64{x, H - y} }
	const (
		scale      = W / (2 * CartPoleXThreshold)
		poleWidth  = 10.0
		poleLen    = scale * 2 * cartPoleLength
		cartWidth  = 50.0
		cartHeight = 30.0
		axleOffset = cartHeight / 4
		cartY      = 100.0
	)
	cartX := c.State[0]*scale + W/2
	cv.segment(black, 1, 0, H-cartY, W, H-cartY) // the track
	l, r, t, b := -cartWidth/2, cartWidth/2, cartHeight/2, -cartHeight/2
	cv.polygon(black, up(l+cartX, b+cartY), up(l+cartX, t+cartY), up(r+cartX, t+cartY), up(r+cartX, b+cartY))
	l, r, t, b = -poleWidth/2, poleWidth/2, poleLen-poleWidth/2, -poleWidth/2
	var pole [4][2]float64
	for i, p := range [4][2]float64{{l, b}, {l, t}, {r, t}, {r, b}} {
		x, y := rotate(p[0], p[1], -c.State[2])
		pole[i] = up(x+cartX, y+cartY+axleOffset)
	}
	cv.polygon(color.RGBA{202, 152, 101, 255}, pole[:]...)
	axle := up(cartX, cartY+axleOffset)
	cv.circle(color.RGBA{129, 132, 203, 255}, axle[0], axle[1], poleWidth/2)
}

// RenderSize is Gymnasium's window size for MountainCar, 600×400.
func (m *MountainCar) RenderSize() (int, int) { return 600, 400 }

// Render draws the hill, the car with its wheels, and the flag.
func (m *MountainCar) Render(img *image.RGBA) {
	const W, H = 600.0, 400.0
	cv := newCanvas(img, W, H, white)
	up := func(x, y float64) [2]float64 { return [2]float64{x, H - y} }
	const (
		scale      = W / (mountainCarMaxPosition - mountainCarMinPosition)
		carWidth   = 40.0
		carHeight  = 20.0
		clearance  = 10.0
		hillPoints = 100
	)
	hill := make([][2]float64, hillPoints)
	for i := range hill {
		x := mountainCarMinPosition + (mountainCarMaxPosition-mountainCarMinPosition)*float64(i)/(hillPoints-1)
		hill[i] = up((x-mountainCarMinPosition)*scale, mountainCarHeight(x)*scale)
	}
	cv.polyline(black, 1.5, hill)

	pos := m.State[0]
	// Gymnasium turns the car by cos(3x) radians (not by the slope's angle).
	θ := math.Cos(3 * pos)
	ox, oy := (pos-mountainCarMinPosition)*scale, clearance+mountainCarHeight(pos)*scale
	l, r, t, b := -carWidth/2, carWidth/2, carHeight, 0.0
	var car [4][2]float64
	for i, p := range [4][2]float64{{l, b}, {l, t}, {r, t}, {r, b}} {
		x, y := rotate(p[0], p[1], θ)
		car[i] = up(x+ox, y+oy)
	}
	cv.polygon(black, car[:]...)
	for _, wx := range []float64{carWidth / 4, -carWidth / 4} {
		x, y := rotate(wx, 0, θ)
		w := up(x+ox, y+oy)
		cv.circle(color.RGBA{128, 128, 128, 255}, w[0], w[1], carHeight/2.5)
	}

	flagX := (MountainCarGoalPosition - mountainCarMinPosition) * scale
	flagY1 := mountainCarHeight(MountainCarGoalPosition) * scale
	flagY2 := flagY1 + 50
	cv.segment(black, 1, flagX, H-flagY1, flagX, H-flagY2)
	cv.polygon(color.RGBA{204, 204, 0, 255}, up(flagX, flagY2), up(flagX, flagY2-10), up(flagX+25, flagY2-5))
}

// RenderSize is Gymnasium's window size for Acrobot, 500×500.
func (a *Acrobot) RenderSize() (int, int) { return 500, 500 }

// Render draws the target line one link length above the pivot, the two
// links, and the joints.
func (a *Acrobot) Render(img *image.RGBA) {
	const D = 500.0
	cv := newCanvas(img, D, D, white)
	const (
		bound  = acrobotL1 + acrobotL2 + 0.2
		scale  = D / (bound * 2)
		offset = D / 2
	)
	// World (x right, y up, metres) to pixels.
	at := func(x, y float64) [2]float64 { return [2]float64{x*scale + offset, D - (y*scale + offset)} }
	l := at(-bound, 1)
	r := at(bound, 1)
	cv.segment(black, 1, l[0], l[1], r[0], r[1])

	θ1, θ2 := a.State[0], a.State[1]
	// θ = 0 hangs straight down.
	p1x, p1y := acrobotL1*math.Sin(θ1), -acrobotL1*math.Cos(θ1)
	p2x, p2y := p1x+acrobotL2*math.Sin(θ1+θ2), p1y-acrobotL2*math.Cos(θ1+θ2)
	linkColor, jointColor := color.RGBA{0, 204, 204, 255}, color.RGBA{204, 204, 0, 255}
	for _, link := range [2][4]float64{{0, 0, p1x, p1y}, {p1x, p1y, p2x, p2y}} {
		s, e := at(link[0], link[1]), at(link[2], link[3])
		cv.segment(linkColor, 0.2*scale, s[0], s[1], e[0], e[1])
		cv.circle(jointColor, s[0], s[1], 0.1*scale)
	}
}
