package run

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTruncateLogAfter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log.jsonl")
	if n, err := TruncateLogAfter(path, 10); n != 0 || err != nil {
		t.Fatalf("missing log: %d, %v", n, err)
	}
	keep := `{"type":"episode","step":5,"episode":1,"return":5,"length":5,"terminated":true}` + "\n" +
		`{"type":"eval","step":10,"episodes":2,"mean":9,"std":0,"min":9,"max":9,"final":false}` + "\n"
	log := keep +
		`{"type":"episode","step":12,"episode":2,"return":7,"length":7,"terminated":true}` + "\n" +
		`{"type":"episode","st` // a run killed mid-line
	os.WriteFile(path, []byte(log), 0o644)
	n, err := TruncateLogAfter(path, 10)
	if err != nil || n != 2 {
		t.Fatalf("dropped %d, %v; want 2", n, err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != keep {
		t.Fatalf("kept\n%s\nwant\n%s", got, keep)
	}
	if _, err := ReadLog(path); err != nil {
		t.Fatal(err)
	}
	// Nothing to drop: the file is left as it is.
	if n, err := TruncateLogAfter(path, 10); n != 0 || err != nil {
		t.Fatalf("second call: %d, %v", n, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".log.jsonl.*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
