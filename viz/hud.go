package viz

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// The heads-up display is a panel of hudWidth pixels right of the frame,
// drawn in Go (golang.org/x/image/font with the Go Mono font) into the
// window's image, so it looks the same in the window, in screenshots and in
// tests.
const (
	hudWidth   = 300
	hudPad     = 12
	lineHeight = 17
	barHeight  = 18
	fontSize   = 13
	valueX     = 96 // value column, from the panel's padding
	textMargin = 4  // least room right of a line of text, in the right padding
)

var (
	bgColor     = color.RGBA{22, 22, 28, 255}
	textColor   = color.RGBA{230, 230, 230, 255}
	dimColor    = color.RGBA{140, 140, 150, 255}
	ruleColor   = color.RGBA{60, 60, 70, 255}
	barColor    = color.RGBA{74, 143, 220, 255}
	chosenColor = color.RGBA{240, 160, 48, 255}
	pauseColor  = color.RGBA{250, 210, 60, 255}
	recColor    = color.RGBA{235, 64, 52, 255}
	greedyColor = color.RGBA{80, 200, 120, 255}
)

var fonts struct {
	once          sync.Once
	regular, bold *opentype.Font
	err           error
}

// newFaces returns the HUD's regular and bold faces. A face is not safe for
// concurrent use: each hud has its own.
func newFaces() (reg, bold font.Face) {
	fonts.once.Do(func() {
		if fonts.regular, fonts.err = opentype.Parse(gomono.TTF); fonts.err == nil {
			fonts.bold, fonts.err = opentype.Parse(gomonobold.TTF)
		}
	})
	if fonts.err != nil {
		panic("viz: parsing the Go Mono font: " + fonts.err.Error())
	}
	opt := &opentype.FaceOptions{Size: fontSize, DPI: 72, Hinting: font.HintingFull}
	reg, err := opentype.NewFace(fonts.regular, opt)
	if err == nil {
		bold, err = opentype.NewFace(fonts.bold, opt)
	}
	if err != nil {
		panic("viz: making a Go Mono face: " + err.Error())
	}
	return reg, bold
}

// liveStats are the training run's numbers at the latest step.
type liveStats struct {
	Step     int64
	Episode  int     // episodes finished
	Return   float64 // of the running episode so far
	Epsilon  float64
	Mean100  float64 // mean return of the last (up to) 100 episodes
	N100     int     // episodes in Mean100
	Loss     float64
	Updates  int64
	EvalMean float64
	EvalStep int64 // 0: no evaluation yet
	Watching bool  // the running episode is watched
	Recorder recState
}

// recState says whether the producer records.
type recState uint8

const (
	recOff       recState = iota
	recArmed              // asked for, waiting for a watched episode
	recRecording          // recording the running episode
)

// viewStats describe the step whose frame is shown.
type viewStats struct {
	Episode int     // index of the episode, from 0
	Step    int     // steps into the episode
	Return  float64 // the episode's return so far
	Action  int
	Greedy  bool // the action was greedy
	Done    bool // the step ended the episode
}

// hudState is everything the display shows.
type hudState struct {
	live    liveStats
	view    viewStats
	hasView bool
	q       []float32 // Q(s, ·) of the shown step, empty if unknown
	paused  bool
	greedy  bool
	record  bool // key R asked for a recording
	speed   float64
	fps     float64
	sps     float64 // training steps a second
	note    string  // a passing message
}

// hud draws the heads-up display.
type hud struct {
	reg, bold   font.Face
	title       string
	caption     string
	names       []string // action names
	every       int
	envFPS      int
	totalSteps  int64
	playing     bool // playing episodes, not training
	uniform     map[color.RGBA]*image.Uniform
	ascent      int
	nameColumns int

	fitWidth             int    // the width fitTitle and fitCaption fit
	fitTitle, fitCaption string // title and caption, shortened to fitWidth pixels
}

func newHUD(title, caption string, names []string, every, envFPS int, totalSteps int64, playing bool) *hud {
	h := &hud{title: title, caption: caption, names: names, every: every, envFPS: envFPS,
		totalSteps: totalSteps, playing: playing, uniform: map[color.RGBA]*image.Uniform{}}
	reg, bold := newFaces()
	h.reg, h.bold = newGlyphCache(reg), newGlyphCache(bold)
	h.ascent = h.reg.Metrics().Ascent.Ceil()
	h.nameColumns = 1
	for _, n := range names {
		h.nameColumns = max(h.nameColumns, len([]rune(n)))
	}
	h.nameColumns = min(h.nameColumns, 8)
	return h
}

// height is the panel's height in pixels for its number of actions.
func (h *hud) height() int {
	rows := 9 // TRAINING's
	if h.playing {
		rows = 5 // PLAYING's: no ε, loss, evaluation or watching
	}
	return 2*hudPad + 2*lineHeight + // title, caption
		6 + lineHeight + rows*lineHeight + // TRAINING and its rows
		6 + lineHeight + 2*lineHeight + // VIEW, return, action
		len(h.names)*barHeight + // Q bars
		6 + lineHeight + // status
		6 + 3*lineHeight // keys and mode
}

func (h *hud) src(c color.RGBA) *image.Uniform {
	u, ok := h.uniform[c]
	if !ok {
		u = image.NewUniform(c)
		h.uniform[c] = u
	}
	return u
}

// text draws s with its top-left at (x, y) and returns the x after it.
func (h *hud) text(dst *image.RGBA, face font.Face, c color.RGBA, x, y int, s string) int {
	d := font.Drawer{Dst: dst, Src: h.src(c), Face: face, Dot: fixed.P(x, y+h.ascent)}
	d.DrawString(s)
	return d.Dot.X.Ceil()
}

func fill(dst *image.RGBA, r image.Rectangle, c color.RGBA) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// draw paints the panel into r of dst.
func (h *hud) draw(dst *image.RGBA, r image.Rectangle, s *hudState) {
	fill(dst, r, bgColor)
	x0, y := r.Min.X+hudPad, r.Min.Y+hudPad
	width := r.Dx() - 2*hudPad
	row := func(label, value string, c color.RGBA) {
		h.text(dst, h.reg, dimColor, x0, y, label)
		h.text(dst, h.reg, c, x0+valueX, y, value)
		y += lineHeight
	}
	section := func(name string) {
		y += 6
		fill(dst, image.Rect(x0, y-3, x0+width, y-2), ruleColor)
		h.text(dst, h.bold, dimColor, x0, y, name)
		y += lineHeight
	}

	// Lines of text may run into the right padding, up to textMargin from
	// the panel's edge; longer ones are shortened to fit.
	textWidth := r.Max.X - textMargin - x0
	if h.fitWidth != textWidth { // the title and caption, fitted once per width
		h.fitWidth = textWidth
		h.fitTitle, h.fitCaption = fit(h.bold, h.title, textWidth), fit(h.reg, h.caption, textWidth)
	}
	h.text(dst, h.bold, textColor, x0, y, h.fitTitle)
	y += lineHeight
	h.text(dst, h.reg, dimColor, x0, y, h.fitCaption)
	y += lineHeight

	l := &s.live
	if h.playing {
		section("PLAYING")
	} else {
		section("TRAINING")
	}
	steps := thousands(l.Step)
	if h.totalSteps > 0 {
		steps += " / " + thousands(h.totalSteps)
	}
	row("step", steps, textColor)
	row("episode", thousands(int64(l.Episode)), textColor)
	row("return", trim(l.Return), textColor)
	if l.N100 > 0 {
		row("mean(100)", fmt.Sprintf("%s  (%d ep)", trim(l.Mean100), l.N100), textColor)
	} else {
		row("mean(100)", "–", dimColor)
	}
	if !h.playing {
		eps := strconv.FormatFloat(l.Epsilon, 'f', 3, 64)
		if s.greedy {
			eps += "  (greedy on)"
		}
		row("ε", eps, textColor)
		if l.Updates > 0 {
			row("loss", strconv.FormatFloat(l.Loss, 'g', 4, 64), textColor)
		} else {
			row("loss", "–", dimColor)
		}
		if l.EvalStep > 0 {
			row("eval", fmt.Sprintf("%s  @ %s", trim(l.EvalMean), thousands(l.EvalStep)), textColor)
		} else {
			row("eval", "–", dimColor)
		}
	}
	row("steps/s", thousands(int64(math.Round(s.sps))), textColor)
	switch {
	case h.playing:
	case h.every > 0 && l.Watching:
		row("watching", "this episode", greedyColor)
	case h.every > 0:
		next := (l.Episode/h.every + 1) * h.every
		if l.Episode%h.every == 0 {
			next = l.Episode
		}
		row("watching", "episode "+thousands(int64(next)), dimColor)
	default:
		row("watching", "every episode", dimColor)
	}

	if !s.hasView {
		section("VIEW")
		row("", "waiting for a frame", dimColor)
		y += lineHeight + len(h.names)*barHeight
	} else {
		v := &s.view
		section(fmt.Sprintf("VIEW  episode %s, step %d", thousands(int64(v.Episode)), v.Step))
		ret := trim(v.Return)
		if v.Done {
			ret += "  (episode over)"
		}
		row("return", ret, textColor)
		how := "random"
		if v.Greedy {
			how = "greedy"
		}
		row("action", h.name(v.Action)+"  ("+how+")", textColor)
		h.bars(dst, x0, y, width, s.q, v.Action)
		y += len(h.names) * barHeight
	}

	// Status: paused, recording, greedy.
	y += 6
	x := x0
	if s.paused {
		x = h.text(dst, h.bold, pauseColor, x, y, "PAUSED") + 12
	}
	switch {
	case l.Recorder == recRecording:
		x = h.text(dst, h.bold, recColor, x, y, "● REC") + 12
	case l.Recorder == recArmed || s.record:
		x = h.text(dst, h.bold, recColor, x, y, "REC armed") + 12
	}
	if s.greedy {
		x = h.text(dst, h.bold, greedyColor, x, y, "GREEDY") + 12
	}
	if s.note != "" {
		h.text(dst, h.reg, textColor, x, y, fit(h.reg, s.note, x0+textWidth-x))
	}
	y += lineHeight

	y += 6
	fill(dst, image.Rect(x0, y-3, x0+width, y-2), ruleColor)
	h.text(dst, h.reg, dimColor, x0, y, "space pause  N step  G greedy")
	y += lineHeight
	h.text(dst, h.reg, dimColor, x0, y, "+/- speed  R record  Esc close")
	y += lineHeight
	var mode string
	if h.playing {
		mode = "full speed"
		if s.speed > 0 {
			mode = fmt.Sprintf("speed %s× (%s fps)", trim(s.speed), trim(s.speed*float64(h.envFPS)))
		}
	} else if h.every > 0 {
		if s.speed == 0 {
			mode = fmt.Sprintf("1 episode in %d, full speed", h.every)
		} else {
			mode = fmt.Sprintf("1 episode in %d at %s× (%s fps)", h.every, trim(s.speed), trim(s.speed*float64(h.envFPS)))
		}
	} else {
		mode = fmt.Sprintf("sampling %s frames/s", trim(s.fps))
	}
	h.text(dst, h.reg, textColor, x0, y, mode)
}

// bars draws one bar per action of q, from a zero axis, scaled to the
// largest |Q|, with its value; the chosen action's bar is marked.
func (h *hud) bars(dst *image.RGBA, x0, y, width int, q []float32, chosen int) {
	nameW := 7*h.nameColumns + 8
	const valueW = 64
	bx, bw := x0+nameW+10, width-nameW-10-valueW
	lo, hi := 0.0, 0.0
	for _, v := range q {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	axis := bx
	if hi > lo {
		axis = bx + int(math.Round(float64(bw)*-lo/(hi-lo)))
	}
	for a := range h.names {
		top := y + a*barHeight
		c := barColor
		if a == chosen {
			c = chosenColor
			// A triangle left of the name points at the chosen action.
			for i := range 5 {
				fill(dst, image.Rect(x0+i, top+4+i, x0+i+1, top+13-i), chosenColor)
			}
		}
		h.text(dst, h.reg, textColor, x0+8, top+1, clip(h.name(a), h.nameColumns))
		if a >= len(q) {
			h.text(dst, h.reg, dimColor, bx, top+1, "–")
			continue
		}
		v := float64(q[a])
		if hi > lo {
			end := bx + int(math.Round(float64(bw)*(v-lo)/(hi-lo)))
			l, r := min(axis, end), max(axis, end)
			if r == l {
				r = l + 1
			}
			fill(dst, image.Rect(l, top+3, r, top+barHeight-3), c)
		}
		h.text(dst, h.reg, textColor, bx+bw+6, top+1, fixed2(v))
	}
	if lo < 0 && hi > lo {
		fill(dst, image.Rect(axis, y, axis+1, y+len(h.names)*barHeight), dimColor)
	}
}

func (h *hud) name(a int) string {
	if a >= 0 && a < len(h.names) && h.names[a] != "" {
		return h.names[a]
	}
	return strconv.Itoa(a)
}

// thousands formats n with thin separators: 12,345.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// trim formats v with up to 2 decimals and no trailing zeros.
func trim(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// fixed2 formats v with 2 decimals, without a minus sign on zero.
func fixed2(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if s == "-0.00" {
		s = "0.00"
	}
	return s
}

// fit returns s if it is at most w pixels wide in face, else s with its
// middle replaced by "…", keeping as much of its start and end as fits: the
// start of a caption says what it is, the end of a path names the file
// ("greedy policy of runs/…-120000/best.ckpt"). If not even "…" fits, it
// returns "".
func fit(face font.Face, s string, w int) string {
	if font.MeasureString(face, s).Ceil() <= w {
		return s
	}
	r := []rune(s)
	// The longest k runes kept, ⌈k/2⌉ from the start and ⌊k/2⌋ from the
	// end, that fit: binary search, widths growing with k.
	cut := func(k int) string { return string(r[:(k+1)/2]) + "…" + string(r[len(r)-k/2:]) }
	lo, hi := -1, len(r)-1 // cut(lo) fits (-1: nothing does), cut(hi+1) does not
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if font.MeasureString(face, cut(max(mid, 0))).Ceil() <= w && mid >= 0 {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo < 0 {
		return ""
	}
	return cut(lo)
}

// clip shortens s to at most n runes, ending it with … if cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 1 {
		return s
	}
	return string(r[:n-1]) + "…"
}
