package remote

import (
	"errors"
	"time"

	"github.com/deepq/deepq/env"
)

func init() {
	env.Register(env.Registration{
		Name:    "remote",
		Summary: "an env served over dm_env_rpc, e.g. Gymnasium's by scripts/dm_env_rpc_server.py (needs addr and world)",
		Options: []env.OptionDoc{
			{Name: "addr", Default: "", Doc: "the server's host:port, e.g. 127.0.0.1:50051 (required)"},
			{Name: "world", Default: "", Doc: "the env to create on the server, e.g. CartPole-v1 (required)"},
			{Name: "obs", Default: "the only one", Doc: "which observation to use, if the server offers several besides reward and discount"},
			{Name: "max-steps", Default: "the server's", Doc: "time limit, sent as the world setting max_episode_steps (0: the server's default)"},
			{Name: "timeout", Default: "10s", Doc: "longest wait for any answer from the server before the env fails"},
		},
		New: func(o *env.Options) (env.Env, error) {
			cfg := DefaultConfig(o.String("addr", ""), o.String("world", ""))
			cfg.Observation = o.String("obs", "")
			if max := o.Int("max-steps", 0); max < 0 {
				o.Errorf("max-steps", "must be 0 (the server's) or more, got %d", max)
			} else if max > 0 {
				cfg.MaxEpisodeSteps = max
				cfg.WorldSettings = append(cfg.WorldSettings, Int("max_episode_steps", int64(max)))
			}
			if t := o.String("timeout", "10s"); t != "10s" {
				d, err := time.ParseDuration(t)
				if err != nil {
					o.Errorf("timeout", "want a duration such as 10s or 500ms, got %q", t)
				}
				cfg.Timeout = d // Validate rejects 0 and negative ones
			}
			if err := o.Done(); err != nil {
				return nil, err
			}
			if cfg.Addr == "" || cfg.World == "" {
				return nil, errMissing
			}
			return Dial(cfg)
		},
	})
}

// errMissing is Make's error for "remote" without an address or world.
var errMissing = errors.New("env remote: options addr and world are required, e.g. remote:addr=127.0.0.1:50051,world=CartPole-v1 " +
	"(serve one with python3 scripts/dm_env_rpc_server.py --port 50051)")
