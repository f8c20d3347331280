package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// DecodeConfig reads a JSON configuration (the format of a run's
// config.json) onto c: fields it names replace c's, others keep their value.
// Unknown fields and malformed JSON are errors naming what is wrong. The
// result is not validated; call Validate.
func DecodeConfig(data []byte, c *Config) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("config: more than one JSON value")
	}
	return nil
}

// LoadConfigFile applies the JSON configuration in path onto c.
func LoadConfigFile(path string, c *Config) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := DecodeConfig(b, c); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// SetFields applies "key=value,key=value" overrides onto c, keys being the
// JSON names of Config's fields (as in config.json). A value that parses as
// JSON (a number, true, false, an array such as [64,64]) is taken as such,
// anything else as a string; commas inside brackets do not split.
func SetFields(spec string, c *Config) error {
	var parts []string
	depth, start := 0, 0
	for i, r := range spec {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, spec[start:i])
				start = i + 1
			}
		}
	}
	parts = append(parts, spec[start:])
	obj := map[string]json.RawMessage{}
	for _, p := range parts {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || k == "" {
			return fmt.Errorf("config: %q is not of the form key=value", p)
		}
		raw := json.RawMessage(v)
		if !json.Valid(raw) {
			raw, _ = json.Marshal(v)
		}
		obj[k] = raw
	}
	b, _ := json.Marshal(obj)
	return DecodeConfig(b, c)
}
