"""MinAtar's DQN on MinAtar Breakout in PyTorch, as a yardstick for deepq.

deepq's `minatar` preset is MinAtar's examples/dqn.py setting for setting;
this script is an independent PyTorch run of the same algorithm, written from
that specification, so that deepq's learning curve can be compared with what
PyTorch reaches on the same machine. It logs one JSON line per episode in the
format of deepq's log.jsonl ({"type": "episode", "step", "episode",
"return"}).

Breakout's rules are restated here; --check replays MinAtar 1.0.15's recorded
runs (env/testdata/minatar_runs_breakout.json) and stops at the first
difference. Needs PyTorch and NumPy (Debian 12: apt-get install python3-torch).
Run it with one BLAS thread, or two runs side by side oversubscribe the cores
(Debian's OpenBLAS 0.3.21 also needs the core type named on this CPU):

    python3 scripts/minatar_dqn_torch.py --check env/testdata/minatar_runs_breakout.json
    OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=SkylakeX \
        python3 scripts/minatar_dqn_torch.py --seed 1 --frames 5000000 --out torch-s1.jsonl

Differences from MinAtar's script that do not change the algorithm: the
replay holds uint8 arrays instead of tensors, and the random streams differ.
"""
import argparse
import json
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# action_map indices: 0 n, 1 l, 2 u, 3 r, 4 d, 5 f
DX = (-1, 1, 1, -1)
DY = (-1, -1, 1, 1)
FLIP_X = (1, 0, 3, 2)
FLIP_Y = (3, 2, 1, 0)
PADDLE_SIDE = (2, 3, 0, 1)


class Breakout:
    def __init__(self, rng, sticky=0.1):
        self.rng = rng
        self.sticky = sticky
        self.last_action = 0

    def reset(self, ball_right=None):
        if ball_right is None:
            ball_right = self.rng.integers(2) == 1
        self.ball_y = 3
        self.ball_x, self.dir = (9, 3) if ball_right else (0, 2)
        self.pos = 4
        self.bricks = np.zeros((10, 10), dtype=bool)
        self.bricks[1:4, :] = True
        self.strike = False
        self.last_x, self.last_y = self.ball_x, self.ball_y
        self.terminal = False

    def act(self, a):
        if self.rng.random() < self.sticky:
            a = self.last_action
        self.last_action = a
        if self.terminal:
            return 0, True
        r = 0
        if a == 1:
            self.pos = max(0, self.pos - 1)
        elif a == 3:
            self.pos = min(9, self.pos + 1)
        self.last_x, self.last_y = self.ball_x, self.ball_y
        nx, ny = self.ball_x + DX[self.dir], self.ball_y + DY[self.dir]
        toggled = False
        if nx < 0 or nx > 9:
            nx = min(max(nx, 0), 9)
            self.dir = FLIP_X[self.dir]
        if ny < 0:
            ny = 0
            self.dir = FLIP_Y[self.dir]
        elif self.bricks[ny, nx]:
            toggled = True
            if not self.strike:
                r += 1
                self.strike = True
                self.bricks[ny, nx] = False
                ny = self.last_y
                self.dir = FLIP_Y[self.dir]
        elif ny == 9:
            if not self.bricks.any():
                self.bricks[1:4, :] = True
            if self.ball_x == self.pos:
                self.dir = FLIP_Y[self.dir]
                ny = self.last_y
            elif nx == self.pos:
                self.dir = PADDLE_SIDE[self.dir]
                ny = self.last_y
            else:
                self.terminal = True
        if not toggled:
            self.strike = False
        self.ball_x, self.ball_y = nx, ny
        return r, self.terminal

    def state(self):
        s = np.zeros((4, 10, 10), dtype=np.uint8)
        s[0, 9, self.pos] = 1
        s[1, self.ball_y, self.ball_x] = 1
        s[2, self.last_y, self.last_x] = 1
        s[3] = self.bricks
        return s


def fnv1a32(s):
    h = 0x811C9DC5
    for b in s.ravel().tolist():
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return "%08x" % h


def check(path):
    """Replays MinAtar's recorded executed actions and compares every step."""
    d = json.load(open(path))
    steps = 0
    for run in d["runs"]:
        if run["minimal_actions"]:
            continue
        env = Breakout(np.random.default_rng(0), sticky=0.0)
        for ep in run["episodes"]:
            ball_right = [3, 9, 1] in ep["initial_obs"]
            env.reset(ball_right)
            assert fnv1a32(env.state()) == ep["initial_hash"], "initial state"
            for i, a in enumerate(ep["executed"]):
                r, t = env.act(int(a))
                want = ep["hashes"][8 * i:8 * i + 8]
                if fnv1a32(env.state()) != want or r != ep["rewards"][i]:
                    sys.exit("mismatch at step %d of an episode (seed %d)" % (i + 1, run["seed"]))
                if t and ep["terminal_at"] and i + 1 < ep["terminal_at"]:
                    sys.exit("early terminal")
                steps += 1
    print("breakout matches MinAtar on %d steps" % steps)


class QNet(nn.Module):
    def __init__(self, channels, actions):
        super().__init__()
        self.conv = nn.Conv2d(channels, 16, kernel_size=3, stride=1)
        self.hidden = nn.Linear(8 * 8 * 16, 128)
        self.out = nn.Linear(128, actions)

    def forward(self, x):
        x = F.relu(self.conv(x))
        x = F.relu(self.hidden(x.flatten(1)))
        return self.out(x)


def train(args):
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    env = Breakout(np.random.default_rng(args.seed + 10_000), sticky=0.1)
    A, C = 6, 4
    online, target = QNet(C, A), QNet(C, A)
    target.load_state_dict(online.state_dict())
    opt = torch.optim.RMSprop(online.parameters(), lr=2.5e-4, alpha=0.95, centered=True, eps=0.01)
    N, B, gamma = 100_000, 32, 0.99
    obs = np.zeros((N, C, 10, 10), np.uint8)
    nxt = np.zeros((N, C, 10, 10), np.uint8)
    act = np.zeros(N, np.int64)
    rew = np.zeros(N, np.float32)
    term = np.zeros(N, np.float32)
    size = loc = 0
    updates = 0
    t = 0
    out = open(args.out, "w")
    start = time.time()
    episodes = 0
    recent = []
    while t < args.frames:
        env.reset()
        s = env.state()
        G, done = 0.0, False
        while not done and t < args.frames:
            if t < 5000:
                a = random.randrange(A)
            else:
                eps = 0.1 if t - 5000 >= 100_000 else 1.0 - 0.9 * (t - 5000) / 100_000
                if rng.random() < eps:
                    a = random.randrange(A)
                else:
                    with torch.no_grad():
                        a = int(online(torch.from_numpy(s).float().unsqueeze(0)).argmax(1))
            r, done = env.act(a)
            s2 = env.state()
            obs[loc], nxt[loc], act[loc], rew[loc], term[loc] = s, s2, a, r, float(done)
            loc = (loc + 1) % N
            size = min(size + 1, N)
            if t > 5000 and size >= B:
                idx = np.array(random.sample(range(size), B))
                x = torch.from_numpy(obs[idx]).float()
                x2 = torch.from_numpy(nxt[idx]).float()
                q = online(x).gather(1, torch.from_numpy(act[idx]).unsqueeze(1)).squeeze(1)
                with torch.no_grad():
                    q2 = target(x2).max(1)[0] * (1 - torch.from_numpy(term[idx]))
                    y = torch.from_numpy(rew[idx]) + gamma * q2
                loss = F.smooth_l1_loss(q, y)
                opt.zero_grad()
                loss.backward()
                opt.step()
                updates += 1
                if updates % 1000 == 0:
                    target.load_state_dict(online.state_dict())
            G += r
            t += 1
            s = s2
        episodes += 1
        recent = (recent + [G])[-100:]
        out.write(json.dumps({"type": "episode", "step": t, "episode": episodes, "return": G}) + "\n")
        if episodes % 500 == 0:
            out.flush()
            el = time.time() - start
            print("frame %d  episodes %d  last100 %.2f  %.0f frames/s" % (t, episodes, sum(recent) / len(recent), t / el), flush=True)
    out.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--check")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--frames", type=int, default=1_000_000)
    p.add_argument("--out", default="run.jsonl")
    args = p.parse_args()
    if args.check:
        check(args.check)
    else:
        train(args)


if __name__ == "__main__":
    main()
