// Package remote trains on environments that run in another process, most
// often Python's (Gymnasium, ale-py, one's own simulator), over dm_env_rpc,
// DeepMind's protocol for agents and environments: one bidirectional gRPC
// stream per env, typed tensors and specs. scripts/dm_env_rpc_server.py
// serves any Gymnasium-style env object that way.
//
//	python3 scripts/dm_env_rpc_server.py --port 50051      # needs gymnasium
//	deepq train --env remote:addr=127.0.0.1:50051,world=CartPole-v1
//
// Importing the package registers "remote" with env.Make; its options are
// addr, world, obs, max-steps and timeout (see `deepq envs`). In Go:
//
//	e, err := remote.Dial(remote.DefaultConfig("127.0.0.1:50051", "CartPole-v1"))
//	e.Seed(1)
//	obs := e.Reset()
//	obs, r, terminated, truncated := e.Step(1)
//	if err := e.Err(); err != nil { ... }
//
// # The protocol, as used here
//
// Dial sends CreateWorld with the setting "env" = Config.World (and
// Config.WorldSettings), then JoinWorld, whose specs give the Spec:
//
//   - actions: exactly one, an integer scalar with one-element min and max;
//     N = max − min + 1, and action a travels as min + a;
//   - the observation: the one observation besides "reward" and "discount"
//     (or the one Config.Observation names), of any numeric type, decoded to
//     float32 row-major; its min and max (one element or one per element)
//     become the Box bounds, ±Inf where absent; a scalar becomes shape (1);
//   - "reward" and "discount" (scalar observations), if the server has them.
//
// Reset sends a ResetRequest and a StepRequest without waiting in between
// (one round trip); the StepResponse, state RUNNING, holds the first
// observation. Step sends the action and maps the response's state to
// Gymnasium's flags: TERMINATED with discount 0 is terminated, INTERRUPTED or
// TERMINATED with a positive discount (dm_env's truncation) is truncated.
// Where an episode is both, the protocol carries terminated only.
//
// # Seeding
//
// Seed(s) makes the next Reset carry the reset setting "seed" = s (UINT64);
// the Python server calls env.reset(seed=s), so deepq's Seed(s)+Reset is
// Gymnasium's reset(seed=s), and later episodes continue that generator.
// Python's generators are not Go's: a remote CartPole seeded with s starts
// elsewhere than deepq's. Other reset settings travel as reset's options
// (ResetWith), e.g. the test CartPole's explicit start state.
//
// # Errors
//
// Dial returns an error for a malformed or unreachable address, and shows the
// server's own message for a request it refused (ServerError), e.g. an
// unknown env id. Once stepping, the env.Env methods cannot return errors:
// the first failure (an error answer, a broken connection, or no answer
// within Config.Timeout) is kept for Err (env.Failer), and Reset and Step
// return at once from then on. A dead server is an error within the
// timeout, never a hang.
//
// # Vectors
//
// DialVector opens N envs on one connection; its Vector has env.Vector's
// methods and autoreset, and keeps every copy's request in flight at once, so
// N envs cost about one round trip per Step, plus N steps of the server. A
// Python server steps one request at a time, at 250 µs of CPU a step for a
// lone env and 140 µs when 8 envs' requests arrive together (mostly gRPC's;
// BenchmarkStep on a loaded machine). `dm_env_rpc_server.py --processes K`
// runs K processes on one port, among which the kernel spreads connections,
// and Config.Connections = N spreads a Vector's copies over N connections.
// That pays where cores are free; on a busy 2-core machine one connection to
// one process is faster (see BenchmarkStep).
package remote
