#!/usr/bin/env python3
"""scripts/dm_env_rpc_server.py serving a CartPole written here, for env/remote's tests.

CartPole is Gymnasium's CartPole-v1 (gymnasium/envs/classic_control/cartpole.py)
in plain Python floats, operation for operation as deepq's env/cartpole.go,
with a TimeLimit as gymnasium.make adds. Its start states come from the same
generator as deepq's (Go's math/rand/v2 PCG seeded with (seed,
0x9e3779b97f4a7c15), GoRand below), so reset(seed=s) gives deepq's start
state for seed s to the bit, and a run trained through this server is the run
trained on deepq's own CartPole. Its reset also takes an explicit start state
through the option "state" (four floats: x, x_dot, theta, theta_dot).

    python3 cartpole_server.py [--port P]    # prints "listening on 127.0.0.1:P"

World settings: "env" = "CartPole-v1" or "Probe-v0" (see Probe; any other id
is an error naming the ones served), "max_episode_steps" (default 500).
"""

import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))

import dm_env_rpc_server as server  # noqa: E402


M64 = (1 << 64) - 1


class GoRand:
    """Go's math/rand/v2 PCG (128-bit LCG, DXSM output) and Rand.Float64."""

    MUL = (2549297995355413924 << 64) | 4865540595714422341
    INC = (6364136223846793005 << 64) | 1442695040888963407

    def __init__(self, seed1, seed2):
        self.state = ((seed1 & M64) << 64) | (seed2 & M64)

    def uint64(self):
        self.state = (self.state * self.MUL + self.INC) & ((1 << 128) - 1)
        hi, lo = self.state >> 64, self.state & M64
        hi ^= hi >> 32
        hi = (hi * 0xDA942042E4DD58B5) & M64
        hi ^= hi >> 48
        return (hi * (lo | 1)) & M64

    def float64(self):
        return ((self.uint64() << 11 & M64) >> 11) / (1 << 53)


class CartPole:
    gravity = 9.8
    masscart = 1.0
    masspole = 0.1
    total_mass = masspole + masscart
    length = 0.5  # half the pole's length
    polemass_length = masspole * length
    force_mag = 10.0
    tau = 0.02
    theta_threshold_radians = 12 * 2 * math.pi / 360
    x_threshold = 2.4

    def __init__(self):
        high = [self.x_threshold * 2, 3.4028234663852886e38, self.theta_threshold_radians * 2, 3.4028234663852886e38]
        self.observation_space = server.Box([-h for h in high], high, (4,), "float32")
        self.action_space = server.Discrete(2)
        self.rng = GoRand(0, 0x9E3779B97F4A7C15)
        self.state = None
        self.steps_beyond_terminated = None

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.rng = GoRand(seed, 0x9E3779B97F4A7C15)  # as env/cartpole.go's newRand
        options = dict(options or {})
        state = options.pop("state", None)
        if options:
            raise ValueError(f"CartPole.reset: unknown options {sorted(options)} (it takes state)")
        if state is None:
            self.state = [-0.05 + 0.1 * self.rng.float64() for _ in range(4)]
        else:
            if not isinstance(state, list) or len(state) != 4:
                raise ValueError(f"CartPole.reset: option state must be 4 floats, got {state!r}")
            self.state = [float(v) for v in state]
        self.steps_beyond_terminated = None
        return list(self.state), {}

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        costheta = math.cos(theta)
        sintheta = math.sin(theta)
        temp = (force + self.polemass_length * (theta_dot * theta_dot) * sintheta) / self.total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * (costheta * costheta) / self.total_mass))
        xacc = temp - self.polemass_length * thetaacc * costheta / self.total_mass
        x = x + self.tau * x_dot
        x_dot = x_dot + self.tau * xacc
        theta = theta + self.tau * theta_dot
        theta_dot = theta_dot + self.tau * thetaacc
        self.state = [x, x_dot, theta, theta_dot]
        terminated = (x < -self.x_threshold or x > self.x_threshold
                      or theta < -self.theta_threshold_radians or theta > self.theta_threshold_radians)
        if not terminated:
            reward = 1.0
        elif self.steps_beyond_terminated is None:
            self.steps_beyond_terminated = 0
            reward = 1.0
        else:
            self.steps_beyond_terminated += 1
            reward = 0.0
        return list(self.state), reward, terminated, False, {}


class TimeLimit:
    """Gymnasium's TimeLimit: truncated once max_episode_steps steps are taken."""

    def __init__(self, env, max_episode_steps):
        self.env, self.max_episode_steps, self.steps = env, max_episode_steps, 0
        self.observation_space, self.action_space = env.observation_space, env.action_space

    def reset(self, seed=None, options=None):
        self.steps = 0
        return self.env.reset(seed=seed, options=options)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.steps += 1
        if self.steps >= self.max_episode_steps:
            truncated = True
        return obs, reward, terminated, truncated, info


class Probe:
    """Probe-v0 checks the server's and client's handling of types: uint8
    observations of shape (2, 3) with per-element bounds, actions {-1, 0, 1}.
    Step(a) gives reward a and the observation [[t, a+1, 7], [255, 0, t]]
    after t steps; the episode terminates after 3 steps. Reset's observation
    is [[0, 0, 7], [255, 0, 0]]."""

    def __init__(self):
        self.observation_space = server.Box([[0, 0, 7], [0, 0, 0]], [[255, 2, 7], [255, 255, 255]], (2, 3), "uint8")
        self.action_space = server.Discrete(3, start=-1)
        self.t = 0

    def _obs(self, a):
        return [[self.t, a + 1, 7], [255, 0, self.t]]

    def reset(self, seed=None, options=None):
        self.t = 0
        return self._obs(-1), {}

    def step(self, action):
        self.t += 1
        return self._obs(action), float(action), self.t >= 3, False, {}


def make_env(env_id, max_episode_steps=500):
    if env_id == "Probe-v0":
        return Probe()
    if env_id != "CartPole-v1":
        raise server.RequestError(server.NOT_FOUND, f"no env {env_id!r} on this test server (it serves CartPole-v1 and Probe-v0)")
    return TimeLimit(CartPole(), max_episode_steps)


if __name__ == "__main__":
    server.main(make_env)
