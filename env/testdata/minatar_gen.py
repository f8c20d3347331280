"""Writes minatar_runs_<game>.json: reference runs of MinAtar's five games.

Needs MinAtar 1.0.15 (git 4241f246) and NumPy 1.24 importable, e.g.
    PYTHONPATH=/path/to/MinAtar python3 minatar_gen.py
The files are facts about MinAtar; env/minatar_test.go replays them.

A run is one Environment, seeded once (env.seed(seed)), playing several
episodes in a row with reset() between them and without reseeding, so the
generator stream and MinAtar's last_action carry over. After an episode ends,
`post_terminal` more act() calls are made (MinAtar still draws the sticky test
and returns reward 0, terminal True). Actions come from a survival-seeking
policy: for each action it plays MinAtar a few steps ahead on a deep copy
(generator included) and picks at random among the actions that do not end
the episode, with game-specific preferences, so that episodes are long enough
to reach MinAtar's rarer rules (difficulty ramps, brick refills, Seaquest's
surfacing with six divers). The policy only chooses; the recorded actions are
what a replay needs.

Observations are hashed: FNV-1a (32-bit) over the C*10*10 bytes (0 or 1) of
state.transpose(2, 0, 1), i.e. in deepq's channel-major order obs[c*100+y*10+x].
"""
import copy
import json
import sys

import numpy as np
from minatar.environment import Environment

GAMES = ["breakout", "space_invaders", "freeway", "asterix", "seaquest"]


def fnv1a32(state):
    h = 0x811C9DC5
    for b in np.ascontiguousarray(state.transpose(2, 0, 1)).astype(np.uint8).ravel().tolist():
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return "%08x" % h


def triples(state):
    return [[int(y), int(x), int(c)] for y, x, c in zip(*np.nonzero(state))]


def dies(env, a, horizon):
    """Whether act(a) followed by no-ops ends the episode within horizon steps."""
    e = copy.deepcopy(env)
    _, t = e.act(a)
    for _ in range(horizon - 1):
        if t:
            break
        _, t = e.act(0)
    return t


def hits(env, a, horizon):
    """Whether act(a) followed by no-ops earns a reward within horizon steps."""
    e = copy.deepcopy(env)
    e.sticky_action_prob = 0
    for i in range(horizon):
        r, t = e.act(a if i == 0 else 0)
        if r:
            return True
        if t:
            return False
    return False


def prefer(game, env, actions, pol):
    g = env.env
    if game == "freeway":
        return [a for a in actions if a == 2] or actions  # up
    if game == "seaquest":
        if g.diver_count == 6 and g.sub_y > 0:
            return [a for a in actions if a == 2] or actions  # surface
        if g.diver_count == 6 or (g.oxygen < 60 and g.diver_count > 0):
            return [a for a in actions if a == 2] or actions  # surface
        if g.sub_y == 1 and g.diver_count <= 0:
            return [a for a in actions if a != 2] or actions
    if game == "space_invaders":
        # Fire if the shot will hit; else walk towards the nearest aliens,
        # leading them when they move fast.
        if 5 in actions and g.shot_timer == 0 and hits(env, 5, 9):
            return [5]
        cols = [x for x in range(10) if g.alien_map[:, x].any()]
        if cols:
            target = min(cols, key=lambda x: abs(x - g.pos))
            if g.alien_move_timer <= 2:
                target = min(9, max(0, target + g.alien_dir))
            a = 1 if g.pos > target else 3 if g.pos < target else 0
            return [b for b in actions if b == a] or actions
    if game == "seaquest" and g.diver_count < 6 and g.divers:
        # Go for the nearest diver, shooting now and then.
        d = min(g.divers, key=lambda d: abs(d[0] - g.sub_x) + abs(d[1] - g.sub_y))
        want = []
        if d[1] > g.sub_y:
            want.append(4)
        if d[1] < g.sub_y and g.sub_y > 1:
            want.append(2)
        if d[0] > g.sub_x:
            want.append(3)
        if d[0] < g.sub_x:
            want.append(1)
        if pol.rand() < 0.3:
            want.append(5)
        return [b for b in actions if b in want] or actions
    return actions


def breakout_target(env):
    """The column where the ball will come down to the paddle's row, found by
    playing no-ops on a copy."""
    e = copy.deepcopy(env)
    e.sticky_action_prob = 0
    for _ in range(40):
        g = e.env
        if g.ball_y == 8 and g.ball_dir in (2, 3):
            return g.ball_x
        _, t = e.act(0)
        if t:
            break
    return env.env.ball_x


def choose(game, env, action_set, pol, horizon):
    if game == "breakout" and pol.rand() < 0.95:
        target = breakout_target(env)
        g = env.env
        a = 1 if g.pos > target else 3 if g.pos < target else 0
        if a in action_set:
            return action_set.index(a)
    safe = [i for i, a in enumerate(action_set) if not dies(env, a, horizon)]
    if not safe or pol.rand() < 0.03:
        return int(pol.randint(len(action_set)))
    pref = prefer(game, env, [action_set[i] for i in safe], pol)
    idx = [i for i in safe if action_set[i] in pref]
    return int(idx[pol.randint(len(idx))])


def run(game, seed, sticky, ramping, minimal, episodes, cap, post_terminal, policy_seed):
    env = Environment(game, sticky_action_prob=sticky, difficulty_ramping=ramping)
    env.seed(seed)
    action_set = env.minimal_action_set() if minimal else list(range(6))
    pol = np.random.RandomState(policy_seed)
    out = dict(seed=seed, sticky_action_prob=sticky, difficulty_ramping=ramping,
               minimal_actions=minimal, episodes=[])
    for _ in range(episodes):
        env.reset()
        s = env.state()
        ep = dict(initial_obs=triples(s), initial_hash=fnv1a32(s), actions="", executed="",
                  rewards=[], terminal_at=0, hashes="", ramp_changes=[])
        ramp = env.env.difficulty_ramp()
        steps, terminal_seen, extra = 0, False, 0
        while True:
            if terminal_seen:
                if extra == post_terminal:
                    break
                extra += 1
                i = int(pol.randint(len(action_set)))
            elif steps == cap:
                break
            else:
                i = choose(game, env, action_set, pol, 4)
            r, t = env.act(action_set[i])
            s = env.state()
            steps += 1
            ep["actions"] += str(i)
            ep["executed"] += str(int(env.last_action))
            ep["rewards"].append(int(r))
            if t and not ep["terminal_at"]:
                ep["terminal_at"] = steps
            elif ep["terminal_at"] and not t:
                raise AssertionError("terminal flag dropped")
            ep["hashes"] += fnv1a32(s)
            d = env.env.difficulty_ramp()
            if d != ramp:
                ep["ramp_changes"].append([steps, int(d)])
                ramp = d
            terminal_seen = terminal_seen or t
        ep["final_obs"] = triples(s)
        ep["length"] = steps
        ep["return"] = int(sum(ep["rewards"]))
        out["episodes"].append(ep)
    return out


def main():
    games = sys.argv[1:] or GAMES
    for game in games:
        k = GAMES.index(game)
        caps = dict(breakout=1500, space_invaders=1500, freeway=3000, asterix=1500, seaquest=2500)
        runs = [
            run(game, 7 + k, 0.1, True, False, 3, caps[game], 3, 1000 + k),
            run(game, 4294967295, 0.25, False, True, 2, caps[game] // 2, 2, 2000 + k),
            run(game, 0, 0.0, True, False, 1, caps[game], 0, 3000 + k),
        ]
        if game == "seaquest":  # one long game, to the fastest spawns (interval 1)
            runs.append(run(game, 22, 0.1, True, False, 1, 3000, 0, 5022))
        if game == "freeway":  # 2501-step episodes: fewer of them
            runs = [
                run(game, 7 + k, 0.1, True, False, 2, caps[game], 3, 1000 + k),
                run(game, 4294967295, 0.25, False, True, 1, 600, 2, 2000 + k),
            ]
        doc = dict(
            game=game,
            minatar_version="1.0.15 (git 4241f246)",
            numpy_version=np.__version__,
            channels=sorted(Environment(game).env.channels, key=Environment(game).env.channels.get),
            action_map=["n", "l", "u", "r", "d", "f"],
            minimal_action_set=Environment(game).minimal_action_set(),
            obs_hash="FNV-1a 32-bit over the C*10*10 bytes (0/1) in channel-major order obs[c*100+y*10+x]",
            fields=("per episode: actions and executed are strings of one digit per step (the index "
                    "into the action set used; MinAtar's last_action after the step, in the full "
                    "set), rewards one number per step, terminal_at the first step (from 1) that "
                    "returned terminal (0: none; every later step returns terminal too), hashes 8 "
                    "hex digits per step, ramp_changes [step, difficulty_ramp()] wherever it changed; "
                    "obs triples are [row, col, channel]"),
            generator="minatar_gen.py",
            runs=runs,
        )
        with open("minatar_runs_%s.json" % game, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
        for r in runs:
            print(game, r["seed"], [(e["length"], e["return"], e["terminal_at"], e["ramp_changes"][-1:]) for e in r["episodes"]])


if __name__ == "__main__":
    main()
