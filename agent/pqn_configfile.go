package agent

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
)

// pqnConfigFields maps the JSON name of each field of PQNConfig to the field.
var pqnConfigFields = sync.OnceValue(jsonFields[PQNConfig])

// DecodePQNConfig reads a JSON PQN configuration (the format of a PQN run's
// config.json) onto c, as DecodeConfig does for Config: fields it names
// replace c's, and its errors name the line, the column and the field (a
// field PQNConfig does not have, with the one it resembles). On error c is
// unchanged. The result is not validated; call Validate.
func DecodePQNConfig(data []byte, c *PQNConfig) error {
	if err := decodeConfig(data, c, pqnConfigFields()); err != nil {
		return fmt.Errorf("pqn config: %w", err)
	}
	return nil
}

// LoadPQNConfigFile applies the JSON PQN configuration in path onto c, as
// DecodePQNConfig does; its errors start with path.
func LoadPQNConfigFile(path string, c *PQNConfig) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := decodeConfig(b, c, pqnConfigFields()); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// SetPQNFields applies "key=value,key=value" overrides onto c, keys being the
// JSON names of PQNConfig's fields (as in a PQN run's config.json), with
// SetFields' syntax and errors (`pqn config: unknown field "n_step"`). On
// error c is unchanged.
func SetPQNFields(spec string, c *PQNConfig) error {
	err := setFields(spec, c, pqnConfigFields())
	var uf *unknownFieldError
	if errors.As(err, &uf) {
		if _, dqn := configFields()[uf.key]; dqn {
			// A DQN setting given to a PQN run: say so, with PQN's fields.
			return fmt.Errorf("pqn config: %s is a DQN setting, not PQN's; PQN's fields are %s",
				uf.key, strings.Join(slices.Sorted(maps.Keys(pqnConfigFields())), ", "))
		}
	}
	if err != nil {
		return fmt.Errorf("pqn %w", err)
	}
	return nil
}
