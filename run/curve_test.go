package run

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `{"type":"episode","step":20,"episode":1,"return":20,"length":20,"terminated":true}
{"type":"episode","step":45,"episode":2,"return":25,"length":25,"terminated":true,"loss":0.5}
{"type":"eval","step":50,"episodes":5,"mean":30,"std":4,"min":25,"max":36,"final":false}
{"type":"episode","step":545,"episode":3,"return":500,"length":500,"terminated":false,"loss":0.25}
{"type":"eval","step":600,"episodes":5,"mean":500,"std":0,"min":500,"max":500,"final":true}
`

func TestWritePNG(t *testing.T) {
	lg, err := ParseLog(strings.NewReader(sample), "sample")
	if err != nil {
		t.Fatal(err)
	}
	if len(lg.Episodes) != 3 || len(lg.Evals) != 2 || *lg.Episodes[1].Loss != 0.5 || !lg.Evals[1].Final {
		t.Fatalf("parsed %+v", lg)
	}
	path := filepath.Join(t.TempDir(), "curve.png")
	if err := WriteCurvePNG(lg, "test", path, 400, 250); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 250 {
		t.Fatalf("image %v", b)
	}
	if _, err := PlotCurve(&Log{}, "empty"); err == nil {
		t.Fatal("empty log plotted")
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{"not json\n", `{"type":"nope"}` + "\n", `{"type":"eval","mean":"x"}` + "\n"} {
		if _, err := ParseLog(strings.NewReader(bad), "bad.jsonl"); err == nil || !strings.Contains(err.Error(), "bad.jsonl:1") {
			t.Errorf("Parse(%q) = %v, want an error at bad.jsonl:1", bad, err)
		}
	}
}

func TestStepLabel(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 2500: "2500", 25000: "25k", 12500: "12.5k", 1e6: "1M", 1.5e6: "1.5M", 5e6: "5M"} {
		if got := StepLabel(v); got != want {
			t.Errorf("StepLabel(%v) = %q, want %q", v, got, want)
		}
	}
}
