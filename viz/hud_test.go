package viz

import (
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata")

func testHUD(names []string) (*hud, *image.RGBA, image.Rectangle) {
	h := newHUD("deepq train  ·  CartPole-v1", "cartpole · preset cartpole · seed 1", names, 0, 50, 50000, false)
	img := image.NewRGBA(image.Rect(0, 0, hudWidth, h.height()))
	return h, img, img.Bounds()
}

func sampleState() *hudState {
	return &hudState{
		live: liveStats{Step: 12345, Episode: 118, Return: 37, Epsilon: 0.737, Mean100: 23.4, N100: 100,
			Loss: 0.0123, Updates: 3000, EvalMean: 187.3, EvalStep: 10000, Watching: true, Recorder: recRecording},
		view:    viewStats{Episode: 118, Step: 37, Return: 37, Action: 1, Greedy: true},
		hasView: true,
		q:       []float32{12.34, -3.5},
		paused:  true,
		greedy:  true,
		speed:   1,
		fps:     30,
		sps:     4210,
	}
}

// TestHUDGolden draws a fixed state and compares it with
// testdata/hud_cartpole.png (go test -run HUDGolden -update rewrites it).
func TestHUDGolden(t *testing.T) {
	h, img, r := testHUD([]string{"left", "right"})
	h.draw(img, r, sampleState())
	path := filepath.Join("testdata", "hud_cartpole.png")
	if *update {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if want.Bounds() != img.Bounds() {
		t.Fatalf("HUD %v, golden %v", img.Bounds(), want.Bounds())
	}
	bad := 0
	for y := range r.Dy() {
		for x := range r.Dx() {
			wr, wg, wb, _ := want.At(x, y).RGBA()
			gr, gg, gb, _ := img.At(x, y).RGBA()
			if wr != gr || wg != gg || wb != gb {
				bad++
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d pixels differ from %s (rerun with -update if the change is intended)", bad, path)
	}
}

// TestBars: bars start at the zero axis and are proportional to Q; the
// chosen action's bar has the chosen colour.
func TestBars(t *testing.T) {
	h, img, r := testHUD([]string{"a", "b", "c"})
	s := sampleState()
	s.q = []float32{4, 2, -2}
	s.view.Action = 2
	h.draw(img, r, s)
	// Find each bar's row span by colour.
	spans := map[int][2]int{} // action -> [left, right)
	top := -1
	for y := range r.Dy() {
		for x := hudPad + 10; x < r.Dx(); x++ { // right of the chosen action's marker
			c := img.RGBAAt(x, y)
			if c == barColor || c == chosenColor {
				if top < 0 {
					top = y
				}
				a := (y - top) / barHeight
				sp, ok := spans[a]
				if !ok {
					sp = [2]int{x, x + 1}
				}
				sp[0], sp[1] = min(sp[0], x), max(sp[1], x+1)
				spans[a] = sp
				if (c == chosenColor) != (a == 2) {
					t.Fatalf("bar of action %d has colour %v", a, c)
				}
			}
		}
	}
	if len(spans) != 3 {
		t.Fatalf("found bars %v, want 3", spans)
	}
	l0, l1, l2 := spans[0][1]-spans[0][0], spans[1][1]-spans[1][0], spans[2][1]-spans[2][0]
	if abs(l0-2*l1) > 2 || abs(l1-l2) > 2 {
		t.Fatalf("bar lengths %d, %d, %d for Q 4, 2, −2: want 2:1:1", l0, l1, l2)
	}
	// Positive bars start where the negative one ends: the zero axis.
	if abs(spans[0][0]-spans[2][1]) > 1 || abs(spans[1][0]-spans[0][0]) > 0 {
		t.Fatalf("bars %v do not share a zero axis", spans)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"}, {-45678, "-45,678"}} {
		if got := thousands(c.n); got != c.want {
			t.Errorf("thousands(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	for _, c := range []struct {
		v    float64
		want string
	}{{1, "1"}, {0.5, "0.5"}, {23.456, "23.46"}, {-0.001, "0"}, {100, "100"}} {
		if got := trim(c.v); got != c.want {
			t.Errorf("trim(%g) = %q, want %q", c.v, got, c.want)
		}
	}
	if got := fixed2(-0.001); got != "0.00" {
		t.Errorf("fixed2(-0.001) = %q", got)
	}
	if got := clip("abcdef", 4); got != "abc…" {
		t.Errorf("clip = %q", got)
	}
	if got := clip("abc", 4); got != "abc" {
		t.Errorf("clip = %q", got)
	}
}

// TestHUDTextFitsThePanel: a caption, title or note longer than the panel is
// shortened in the middle, so that nothing is drawn in the last textMargin
// pixels of the panel and the caption keeps its start and its end (a
// checkpoint's file).
func TestHUDTextFitsThePanel(t *testing.T) {
	long := "greedy policy of runs/cartpole-s1-20260101-120000/best.ckpt"
	h := newHUD("deepq play  ·  GridWorld-four-rooms-with-a-long-id-v1", long, []string{"left", "right"}, 0, 50, 0, true)
	img := image.NewRGBA(image.Rect(0, 0, hudWidth, h.height()))
	s := sampleState()
	s.note = "saved a recording to runs/cartpole-s1-20260101-120000/episode-118.gif"
	h.draw(img, img.Bounds(), s)
	for y := range img.Bounds().Dy() {
		for x := hudWidth - textMargin; x < hudWidth; x++ {
			if c := img.RGBAAt(x, y); c != bgColor {
				t.Fatalf("pixel (%d, %d) in the right padding is %v: text runs past the panel", x, y, c)
			}
		}
	}

	width := hudWidth - hudPad - textMargin
	got := fit(h.reg, long, width)
	if w := font.MeasureString(h.reg, got).Ceil(); w > width || !strings.HasPrefix(got, "greedy policy of ") ||
		!strings.HasSuffix(got, "/best.ckpt") || !strings.Contains(got, "…") {
		t.Errorf("fit(%q) = %q, %d pixels wide: want at most %d, its start and its end", long, got, w, width)
	}
	if w := font.MeasureString(h.reg, got+"x").Ceil(); w <= width {
		t.Errorf("fit(%q) = %q leaves room for more", long, got)
	}
	for _, s := range []string{"", "cartpole · preset cartpole · seed 1"} {
		if got := fit(h.reg, s, width); got != s {
			t.Errorf("fit(%q) = %q, want it unchanged", s, got)
		}
	}
	if got := fit(h.reg, "abcdef", 3); got != "" {
		t.Errorf("fit into 3 pixels = %q, want nothing", got)
	}
}
