package agent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigErrorsInUserTerms: each mistake in a config file or a --set
// gives one error naming the field as written, the position in the file, and
// what was wanted, never Go's struct path; the config is left unchanged.
func TestConfigErrorsInUserTerms(t *testing.T) {
	cases := []struct{ json, want string }{
		{`{"n_step": "3"}`, `config: line 1, column 12: n_step: want an integer, got "3"`},
		{"{\n  \"gamma\": 0.9,\n  \"n_step\" 3\n}", `config: line 3, column 12: expected colon after object key`},
		{"{\"gamma\": 0.9,}", `config: line 1, column 15: invalid character '}' looking for beginning of object key string`},
		{`{"nstep": 3}`, `config: line 1, column 2: unknown field "nstep" (did you mean n_step?)`},
		{`{"N_Step": 3}`, `config: line 1, column 2: unknown field "N_Step" (did you mean n_step?)`},
		{`{"colour": "red"}`, `config: line 1, column 2: unknown field "colour": the fields are those of a run's config.json`},
		{`{"seed": -1}`, `config: line 1, column 10: seed: want a non-negative integer, got -1`},
		{`{"hidden": [64, "x"]}`, `config: line 1, column 12: hidden: want a list of integers such as [64, 64], got [64, "x"]`},
		{`{"double_dqn": 1}`, `config: line 1, column 16: double_dqn: want true or false, got 1`},
		{`{"n_step": 1e99}`, `config: line 1, column 12: n_step: want an integer, got 1e99`},
		{`{"n_step": 2.5}`, `config: line 1, column 12: n_step: want an integer, got 2.5`},
		{`{"learning_rate": "fast"}`, `config: line 1, column 19: learning_rate: want a number, got "fast"`},
		{`{"optimizer": 3}`, `config: line 1, column 15: optimizer: want a string, got 3`},
		{`{"n_step": null}`, `config: line 1, column 12: n_step: want an integer, got null`},
		{`{"gamma": 0.9, "gamma": 0.8}`, `config: line 1, column 16: gamma is given twice`},
		{"{\"gamma\": 0.9}\n{}", `config: line 2, column 1: more than one JSON value: the config is one object {...}`},
		{"{\"gamma\": 0.9,\n", `config: line 2, column 1: the JSON ends too early (a missing } or ]?)`},
		{`[1, 2]`, `config: line 1, column 1: want a JSON object of config fields such as {"n_step": 3}, got [`},
		{"  \n", `config: empty: want a JSON object such as {"n_step": 3}`},
	}
	for _, c := range cases {
		cfg := cartpole(t)
		before := cfg
		err := DecodeConfig([]byte(c.json), &cfg)
		if err == nil || err.Error() != c.want {
			t.Errorf("DecodeConfig(%q):\n got %v\nwant %s", c.json, err, c.want)
		}
		if cfg.Gamma != before.Gamma || cfg.NStep != before.NStep || cfg.Seed != before.Seed {
			t.Errorf("DecodeConfig(%q) changed the config on error", c.json)
		}
	}

	// A file's errors start with its path.
	path := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(path, []byte("{\n  \"gamma\": 0.5,\n  \"n_step\": \"3\"\n}\n"), 0o644)
	cfg := cartpole(t)
	want := path + `: line 3, column 13: n_step: want an integer, got "3"`
	if err := LoadConfigFile(path, &cfg); err == nil || err.Error() != want {
		t.Errorf("LoadConfigFile:\n got %v\nwant %s", err, want)
	}
	if cfg.Gamma == 0.5 {
		t.Error("LoadConfigFile applied gamma from a file with an error")
	}

	sets := []struct{ spec, want string }{
		{"n_step=three", "config: n_step: want an integer, got three"},
		{"n_step=\"3\"", `config: n_step: want an integer, got "3"`},
		{"nstep=3", `config: unknown field "nstep" (did you mean n_step?)`},
		{"n_stepz=3", `config: unknown field "n_stepz" (did you mean n_step?)`},
		{"seed=-1", "config: seed: want a non-negative integer, got -1"},
		{"hidden=[1,", "config: hidden: want a list of integers such as [64, 64], got [1,"},
		{"n_step=", "config: n_step: want an integer, got nothing"},
		{"gamma", `config: "gamma" is not of the form key=value`},
		{"gamma=0.5,gamma=0.6", "config: gamma is given twice"},
		{"gamma=0.5,double_dqn=yes", "config: double_dqn: want true or false, got yes"},
		{"precision=fp16", `config: precision: unknown precision "fp16" (want float32 or bf16)`},
		{"precision=1", "config: precision: want a string, got 1"},
	}
	for _, s := range sets {
		cfg := cartpole(t)
		before := cfg
		err := SetFields(s.spec, &cfg)
		if err == nil || err.Error() != s.want {
			t.Errorf("SetFields(%q):\n got %v\nwant %s", s.spec, err, s.want)
		}
		if cfg.Gamma != before.Gamma {
			t.Errorf("SetFields(%q) changed the config on error", s.spec)
		}
	}
}

// TestDecodeConfigRoundTrip: a config written as config.json decodes to the
// same config, and fields not named keep their values.
func TestDecodeConfigRoundTrip(t *testing.T) {
	c := cartpole(t)
	c.Hidden, c.NStep, c.Exploration = []int{7, 9}, 4, Boltzmann
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	got := cartpole(t)
	if err := DecodeConfig(b, &got); err != nil {
		t.Fatal(err)
	}
	if g, _ := json.Marshal(got); string(g) != string(b) {
		t.Fatalf("round trip:\n%s\nwant\n%s", g, b)
	}
	part := cartpole(t)
	if err := DecodeConfig([]byte(`{"gamma": 0.5}`), &part); err != nil || part.Gamma != 0.5 || part.NStep != cartpole(t).NStep {
		t.Fatalf("partial config: %v %+v", err, part)
	}
}

// FuzzDecodeConfig: any bytes decode without a panic; an error leaves the
// config unchanged and says where (config: line L, column C, or empty); a
// success round-trips through JSON.
func FuzzDecodeConfig(f *testing.F) {
	c, err := Preset("cartpole")
	if err != nil {
		f.Fatal(err)
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	f.Add(b)
	for _, s := range []string{`{"n_step": "3"}`, "{\n\"gamma\": 0.9,}", `{"hidden": [64, "x"]}`, `{"gamma": 0.9} {}`, `[1]`, `{"nstep": 3}`, "{\"env\": \"é\\u00e9\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, _ := Preset("cartpole")
		before, _ := json.Marshal(cfg)
		err := DecodeConfig(data, &cfg)
		after, _ := json.Marshal(cfg)
		if err != nil {
			if string(after) != string(before) {
				t.Fatalf("error %v, and the config changed", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "config: line ") && !strings.HasPrefix(msg, "config: empty") {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		again, _ := Preset("cartpole")
		if err := DecodeConfig(after, &again); err != nil {
			t.Fatalf("a decoded config does not decode again: %v\n%s", err, after)
		}
		if b, _ := json.Marshal(again); string(b) != string(after) {
			t.Fatalf("round trip differs:\n%s\n%s", b, after)
		}
	})
}

// FuzzSetFields: any --set text is applied or refused without a panic, and a
// refusal leaves the config unchanged.
func FuzzSetFields(f *testing.F) {
	for _, s := range []string{"n_step=3,hidden=[32,16]", "n_step=three", "gamma", "hidden=[1,", "a=b=c,,", "seed=-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		cfg, _ := Preset("cartpole")
		before, _ := json.Marshal(cfg)
		if err := SetFields(spec, &cfg); err != nil {
			if after, _ := json.Marshal(cfg); string(after) != string(before) {
				t.Fatalf("SetFields(%q): error %v, and the config changed", spec, err)
			}
		}
	})
}
