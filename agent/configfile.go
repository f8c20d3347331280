package agent

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// DecodeConfig reads a JSON configuration (the format of a run's
// config.json) onto c: fields it names replace c's, others keep their value.
// Its errors are in the terms of the text: malformed JSON with its line and
// column, a field name that Config does not have (with the one it resembles),
// a field given twice, and a value of the wrong type named by its field as
// written, e.g. `config: line 3, column 13: n_step: want an integer, got "3"`.
// On error c is unchanged. The result is not validated; call Validate.
func DecodeConfig(data []byte, c *Config) error {
	if err := decodeConfig(data, c, configFields()); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// LoadConfigFile applies the JSON configuration in path onto c, as
// DecodeConfig does; its errors start with path.
func LoadConfigFile(path string, c *Config) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := decodeConfig(b, c, configFields()); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// SetFields applies "key=value,key=value" overrides onto c, keys being the
// JSON names of Config's fields (as in config.json). A value that parses as
// JSON (a number, true, false, an array such as [64,64]) is taken as such,
// anything else as a string; commas inside brackets do not split. Errors name
// the key and the value as written (`n_step: want an integer, got three`);
// on error c is unchanged.
func SetFields(spec string, c *Config) error { return setFields(spec, c, configFields()) }

// setFields applies "key=value,..." overrides onto c, whose fields by JSON
// name are fields (SetFields).
func setFields[C any](spec string, c *C, fields map[string]reflect.StructField) error {
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
	next := *c
	seen := map[string]bool{}
	for _, p := range parts {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return fmt.Errorf("config: %q is not of the form key=value", p)
		}
		f, err := fieldNamed(fields, k)
		if err != nil {
			return fmt.Errorf("config: %w", err)
		}
		if seen[k] {
			return fmt.Errorf("config: %s is given twice", k)
		}
		seen[k] = true
		raw := json.RawMessage(v)
		if !json.Valid(raw) {
			raw, _ = json.Marshal(v)
		}
		if err := setField(&next, f, raw); err != nil {
			var want wantError
			if errors.As(err, &want) {
				if v == "" {
					v = "nothing"
				}
				return fmt.Errorf("config: %s: want %s, got %s", k, string(want), v)
			}
			return fmt.Errorf("config: %s: %w", k, err)
		}
	}
	*c = next
	return nil
}

// decodeConfig does DecodeConfig's work onto c, whose fields by JSON name
// are fields; its errors start with the line and column of what is wrong.
func decodeConfig[C any](data []byte, c *C, fields map[string]reflect.StructField) error {
	// at says what is wrong at the first token from byte offset off on.
	at := func(off int64, format string, args ...any) error {
		line, col := position(data, skipSpace(data, off))
		return fmt.Errorf("line %d, column %d: %s", line, col, fmt.Sprintf(format, args...))
	}
	// syntax turns the decoder's error into one at its position.
	syntax := func(dec *json.Decoder, err error) error {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return at(se.Offset, "%s", se.Error())
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return at(int64(len(data)), "the JSON ends too early (a missing } or ]?)")
		}
		return at(dec.InputOffset(), "%v", err)
	}

	next := *c
	dec := json.NewDecoder(bytes.NewReader(data))
	start := skipSpace(data, 0)
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) && start == int64(len(data)) {
			return errors.New("empty: want a JSON object such as {\"n_step\": 3}")
		}
		return syntax(dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return at(start, "want a JSON object of config fields such as {\"n_step\": 3}, got %s", clipRaw(data[start:dec.InputOffset()]))
	}
	seen := map[string]bool{}
	for dec.More() {
		keyAt := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return syntax(dec, err)
		}
		key, _ := tok.(string) // a key is a string, or Token fails
		valueAt := skipSpace(data, dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return syntax(dec, err)
		}
		f, err := fieldNamed(fields, key)
		if err != nil {
			return at(keyAt, "%v", err)
		}
		if seen[key] {
			return at(keyAt, "%s is given twice", key)
		}
		seen[key] = true
		if err := setField(&next, f, raw); err != nil {
			var want wantError
			if errors.As(err, &want) {
				return at(valueAt, "%s: want %s, got %s", key, string(want), clipRaw(raw))
			}
			return at(valueAt, "%s: %v", key, err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing }
		return syntax(dec, err)
	}
	if end := dec.InputOffset(); skipSpace(data, end) < int64(len(data)) {
		return at(end, "more than one JSON value: the config is one object {...}")
	}
	*c = next
	return nil
}

// configFields maps the JSON name of each field of Config to the field.
var configFields = sync.OnceValue(jsonFields[Config])

// jsonFields maps the JSON name of each field of C to the field.
func jsonFields[C any]() map[string]reflect.StructField {
	m := map[string]reflect.StructField{}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[C]()) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "" && name != "-" {
			m[name] = f
		}
	}
	return m
}

// fieldNamed returns the field of fields named key in JSON, or an error
// naming the field it resembles.
func fieldNamed(fields map[string]reflect.StructField, key string) (reflect.StructField, error) {
	if f, ok := fields[key]; ok {
		return f, nil
	}
	squash := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '_' || r == '-' || r == ' ' {
				return -1
			}
			return r
		}, strings.ToLower(s))
	}
	best, bestD := "", 3 // suggest a name within 2 edits
	for name := range fields {
		d := editDistance(squash(key), squash(name))
		if d < bestD || (d == bestD && name < best) {
			best, bestD = name, d
		}
	}
	if best != "" {
		return reflect.StructField{}, &unknownFieldError{key, fmt.Sprintf("unknown field %q (did you mean %s?)", key, best)}
	}
	return reflect.StructField{}, &unknownFieldError{key, fmt.Sprintf("unknown field %q: the fields are those of a run's config.json", key)}
}

// unknownFieldError is fieldNamed's error for a key that names no field.
type unknownFieldError struct{ key, msg string }

func (e *unknownFieldError) Error() string { return e.msg }

// wantError says what type of value a field takes.
type wantError string

func (w wantError) Error() string { return "want " + string(w) }

// setField decodes raw into the field f of c (a text value onto the
// field's current value, see replay.StorageSpec). A value of the wrong
// type is a wantError; other errors (a typed choice's UnmarshalText) are
// returned as they are.
func setField[C any](c *C, f reflect.StructField, raw json.RawMessage) error {
	if string(raw) == "null" {
		return wantError(describeType(f.Type))
	}
	v := reflect.New(f.Type)
	if reflect.PointerTo(f.Type).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		// A text value may name part of its field and keep the rest:
		// replay_storage=disk:DIR keeps the encoding. It decodes onto the
		// field's value (never into it: UnmarshalText makes new values).
		v.Elem().Set(reflect.ValueOf(c).Elem().FieldByIndex(f.Index))
	}
	if err := json.Unmarshal(raw, v.Interface()); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return wantError(describeType(f.Type))
		}
		return err
	}
	reflect.ValueOf(c).Elem().FieldByIndex(f.Index).Set(v.Elem())
	return nil
}

// describeType names the JSON values of Go type t for a user.
func describeType(t reflect.Type) string {
	if reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		switch t.Elem().Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return "a list of integers such as [64, 64]"
		}
		return "a list of " + describeType(t.Elem())
	}
	return "a JSON value for Go type " + t.String()
}

// clipRaw returns JSON text for an error message, shortened to 40 runes.
func clipRaw(b []byte) string {
	s := strings.TrimSpace(string(b))
	if utf8.RuneCountInString(s) > 40 {
		s = string([]rune(s)[:39]) + "…"
	}
	return s
}

// skipSpace returns the offset of the first byte of data at or after off
// that is not JSON whitespace or a separator (, or :).
func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
		off++
	}
	return off
}

// position returns the 1-based line and column (in runes) of byte offset off.
func position(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return line, col
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
