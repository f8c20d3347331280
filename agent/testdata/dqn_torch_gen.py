"""Writes dqn_minatar_torch.json: MinAtar's DQN update, done by PyTorch.

Needs PyTorch (Debian 12's python3-torch, 1.13) and NumPy:
    /usr/bin/python3 dqn_torch_gen.py > dqn_minatar_torch.json
agent/torchref_test.go runs the same updates through deepq's DQN and compares.

The update is MinAtar's examples/dqn.py train(): Q-network Conv2d(4, 16, 3) ->
ReLU -> Linear(1024, 128) -> ReLU -> Linear(128, 6); target
y = r + 0.99 * max_a' Q_target(s', a') (0 for a terminal s'); loss
smooth_l1_loss(y, Q(s, a)), mean over the batch of 32; torch.optim.RMSprop
(lr 2.5e-4, alpha 0.95, eps 0.01, centered); the target network copies the
online one every `target_every` updates. PyTorch runs in float32, as MinAtar's
DQN does (and deepq's); a float64 run moves the conv weights' sum by 3e-4
relative after 40 updates (rounding amplified by the centered RMSProp), the
float32 runs of the two agree to about 1e-6.

Initial weights and batches come from SplitMix64 streams that the Go test
repeats, so the file carries no weights or observations, only the outcome:
the loss of every update, Q-values of a probe batch after the last update,
and digests (sum, sum of squares, a few entries) of how far each parameter
moved over the updates (final minus initial).
"""
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.x = seed & MASK

    def next(self):
        self.x = (self.x + 0x9E3779B97F4A7C15) & MASK
        z = self.x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def float(self):
        """Uniform in [0, 1) with 53 random bits."""
        return (self.next() >> 11) * 2.0 ** -53


C, H, W, A, B = 4, 10, 10, 6, 32
GAMMA = 0.99
UPDATES = 40
TARGET_EVERY = 10
WEIGHT_SEED = 1
BATCH_SEED = 2
PROBE_SEED = 3
PICK = [0, 1, 7, 100, 1000, 4095]  # entries reported per parameter (mod its size)


def net():
    return nn.Sequential(
        nn.Conv2d(C, 16, 3), nn.ReLU(), nn.Flatten(),
        nn.Linear(16 * 8 * 8, 128), nn.ReLU(), nn.Linear(128, A))


def init(model):
    """Every parameter in state-dict order, row-major, from one stream:
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's default bounds), computed
    in float64 and rounded to float32."""
    rng = SplitMix64(WEIGHT_SEED)
    fans = {"0": C * 9, "3": 16 * 8 * 8, "5": 128}
    with torch.no_grad():
        for name, p in model.named_parameters():
            bound = 1 / math.sqrt(fans[name.split(".")[0]])
            flat = [bound * (2 * rng.float() - 1) for _ in range(p.numel())]
            p.copy_(torch.tensor(flat, dtype=torch.float64).view(p.shape))


def observations(rng, n):
    """n binary C*H*W observations, each cell on with probability 0.15."""
    return torch.tensor([1.0 if rng.float() < 0.15 else 0.0 for _ in range(n * C * H * W)]).view(n, C, H, W)


def batch(rng):
    s = observations(rng, B)
    s2 = observations(rng, B)
    a = torch.tensor([int(rng.float() * A) for _ in range(B)])
    r = torch.tensor([1.0 if rng.float() < 0.3 else 0.0 for _ in range(B)])
    term = torch.tensor([1.0 if rng.float() < 0.1 else 0.0 for _ in range(B)])
    return s, s2, a, r, term


def digest(p, p0):
    flat = (p.detach() - p0).flatten()
    return {"sum": float(flat.sum()), "sumsq": float((flat * flat).sum()),
            "pick": [float(flat[i % flat.numel()]) for i in PICK]}


def main():
    torch.set_num_threads(1)
    online, target = net(), net()
    init(online)
    start = {name: p.detach().clone() for name, p in online.named_parameters()}
    target.load_state_dict(online.state_dict())
    opt = torch.optim.RMSprop(online.parameters(), lr=2.5e-4, alpha=0.95, eps=0.01, centered=True)
    rng = SplitMix64(BATCH_SEED)
    losses = []
    for u in range(1, UPDATES + 1):
        s, s2, a, r, term = batch(rng)
        q = online(s).gather(1, a.unsqueeze(1)).squeeze(1)
        with torch.no_grad():
            y = r + GAMMA * (1 - term) * target(s2).max(1)[0]
        loss = F.smooth_l1_loss(y, q)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
        if u % TARGET_EVERY == 0:
            target.load_state_dict(online.state_dict())
    probe = observations(SplitMix64(PROBE_SEED), 4)
    with torch.no_grad():
        qp = online(probe).flatten().tolist()
    out = {
        "torch_version": torch.__version__,
        "dtype": str(torch.get_default_dtype()),
        "spec": {"channels": C, "actions": A, "batch": B, "gamma": GAMMA, "updates": UPDATES,
                 "target_every": TARGET_EVERY, "lr": 2.5e-4, "alpha": 0.95, "eps": 0.01, "centered": True,
                 "loss": "smooth_l1 (beta 1, mean)", "weight_seed": WEIGHT_SEED, "batch_seed": BATCH_SEED,
                 "probe_seed": PROBE_SEED, "pick": PICK,
                 "streams": "SplitMix64; uniform = (next >> 11) * 2^-53; weights per parameter in "
                            "state-dict order; per batch: s, s' cells (on if u < 0.15), actions "
                            "floor(u*6), rewards (1 if u < 0.3), terminal (1 if u < 0.1)"},
        "losses": losses,
        "probe_q": qp,
        "moved": {name: digest(p, start[name]) for name, p in online.named_parameters()},
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
