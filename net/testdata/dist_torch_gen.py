"""Writes dist_torch.json: distributional and noisy-network numbers by PyTorch.

Needs PyTorch (Debian 12's python3-torch, 1.13):
    OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 /usr/bin/python3 dist_torch_gen.py > dist_torch.json
net/dist_torch_test.go runs the same computations through deepq and compares.
Everything is float64; all floats are written at full round-trip precision.

These cases complement wave2_dist.json (one C51 and one QR case, no terminal
transitions, no importance weights) with what that file does not exercise:

- c51[]: 51 atoms on [-10, 10] (CleanRL's c51.py projection, index_add_ with
  the l == u fix), terminal transitions, rewards that land exactly on atoms,
  outside the support and between atoms, per-sample importance weights: loss =
  mean_b w_b * CE_b, its gradient, and the unweighted CE_b.
- qr[]: the quantile Huber loss with N estimates against N' != N targets,
  kappa != 1, per-sample fractions tau (IQN) or the midpoints (QR-DQN), and
  weights, as wave2's loss_def: mean over batch of w_b * mean over j of sum
  over i of |tau_i - 1{u_ij<0}| * huber_kappa(u_ij)/kappa, u_ij = target_j -
  theta_i.
- noisy: a factorised noisy linear layer (Kaixhin's Rainbow NoisyLinear) with
  given mu, sigma and noise factors: y with the noise and with the mean
  weights, and the gradients of sum(y * grad_y).
- iqn: IQN's cosine embedding, n = 64, cos(pi * k * tau) for k = 0..63 (the
  paper's sum from 0; Dopamine counts from 1), merged with the features by a
  product, rows b*N + i: h and the gradients of sum(h * grad_h).
"""
import json

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(20261202)


def randn(*shape):
    return torch.randn(*shape, generator=g)


def rand(*shape):
    return torch.rand(*shape, generator=g)


def lst(t):
    return t.detach().tolist()


def c51_case(batch, atoms, v_min, v_max, rewards, discounts, weighted):
    z = torch.linspace(v_min, v_max, atoms)
    dz = (v_max - v_min) / (atoms - 1)
    next_probs = F.softmax(2 * randn(batch, atoms), dim=1)
    r = torch.tensor(rewards)
    d = torch.tensor(discounts)
    tz = (r[:, None] + d[:, None] * z[None, :]).clamp(v_min, v_max)
    b = (tz - v_min) / dz
    l = b.floor().clamp(0, atoms - 1)
    u = b.ceil().clamp(0, atoms - 1)
    d_m_l = (u + (l == u).double() - b) * next_probs
    d_m_u = (b - l) * next_probs
    m = torch.zeros(batch, atoms)
    for i in range(batch):
        m[i].index_add_(0, l[i].long(), d_m_l[i])
        m[i].index_add_(0, u[i].long(), d_m_u[i])
    logits = randn(batch, atoms).requires_grad_()
    w = 0.2 + rand(batch) if weighted else torch.ones(batch)
    per = -(m * F.log_softmax(logits, dim=1)).sum(1)
    loss = (w * per).mean()
    loss.backward()
    return {
        "atoms": atoms, "v_min": v_min, "v_max": v_max,
        "next_probs": lst(next_probs), "reward": rewards, "discount": discounts,
        "weights": lst(w) if weighted else None,
        "projected": lst(m), "logits": lst(logits), "loss": loss.item(),
        "per_sample": lst(per), "grad_logits": lst(logits.grad),
    }


def qr_case(batch, n, n_target, kappa, sampled_tau, weighted):
    theta = randn(batch, n).requires_grad_()
    target = randn(batch, n_target)
    if sampled_tau:
        tau = rand(batch, n)
    else:
        tau = ((torch.arange(n) + 0.5) / n).expand(batch, n)
    w = 0.2 + rand(batch) if weighted else torch.ones(batch)
    u = target[:, None, :] - theta[:, :, None]  # (B, N, N'), u_bij
    huber = torch.where(u.abs() <= kappa, 0.5 * u * u, kappa * (u.abs() - 0.5 * kappa))
    rho = (tau[:, :, None] - (u < 0).double()).abs() * huber / kappa
    per = rho.sum(1).mean(1)
    loss = (w * per).mean()
    loss.backward()
    return {
        "kappa": kappa, "theta": lst(theta), "target": lst(target),
        "tau": lst(tau) if sampled_tau else None,
        "weights": lst(w) if weighted else None,
        "loss": loss.item(), "per_sample": lst(per), "grad_theta": lst(theta.grad),
    }


def noisy_case(batch, n_in, n_out):
    mu_w = (rand(n_out, n_in) * 2 - 1) / n_in ** 0.5
    sigma_w = 0.5 / n_in ** 0.5 + 0.1 * randn(n_out, n_in)
    mu_b = (rand(n_out) * 2 - 1) / n_in ** 0.5
    sigma_b = 0.5 / n_in ** 0.5 + 0.1 * randn(n_out)
    f = lambda x: x.sign() * x.abs().sqrt()
    eps_in, eps_out = f(randn(n_in)), f(randn(n_out))
    params = [p.requires_grad_() for p in (mu_w, sigma_w, mu_b, sigma_b)]
    x = randn(batch, n_in).requires_grad_()
    weight = mu_w + sigma_w * torch.outer(eps_out, eps_in)
    bias = mu_b + sigma_b * eps_out
    y = F.linear(x, weight, bias)
    grad_y = randn(batch, n_out)
    (y * grad_y).sum().backward()
    return {
        "weight_mu": lst(mu_w), "weight_sigma": lst(sigma_w),
        "bias_mu": lst(mu_b), "bias_sigma": lst(sigma_b),
        "epsilon_in": lst(eps_in), "epsilon_out": lst(eps_out),
        "x": lst(x), "y": lst(y), "y_mean": lst(F.linear(x, mu_w, mu_b)),
        "grad_y": lst(grad_y),
        "grad_weight_mu": lst(params[0].grad), "grad_weight_sigma": lst(params[1].grad),
        "grad_bias_mu": lst(params[2].grad), "grad_bias_sigma": lst(params[3].grad),
        "grad_x": lst(x.grad),
    }


def iqn_case(batch, n, d, cosines):
    w = (randn(d, cosines) / cosines ** 0.5).requires_grad_()
    b = (0.1 * randn(d)).requires_grad_()
    x = randn(batch, d).requires_grad_()
    tau = rand(batch, n)
    k = torch.arange(cosines).double()
    c = torch.cos(torch.pi * k[None, None, :] * tau[:, :, None]).reshape(batch * n, cosines)
    phi = F.relu(F.linear(c, w, b))  # (B*N, D)
    h = x.repeat_interleave(n, dim=0) * phi  # row b*N + i
    grad_h = randn(batch * n, d)
    (h * grad_h).sum().backward()
    return {
        "cosines": cosines, "weight": lst(w), "bias": lst(b), "x": lst(x), "tau": lst(tau),
        "h": lst(h), "grad_h": lst(grad_h),
        "grad_weight": lst(w.grad), "grad_bias": lst(b.grad), "grad_x": lst(x.grad),
    }


gamma_n = 0.99 ** 3
out = {
    "generator": "PyTorch %s, float64, dist_torch_gen.py" % torch.__version__,
    "c51": [
        # terminal on an atom (0.4 = z_26), terminal between atoms, terminal
        # beyond v_max and v_min, bootstrapped from the support's middle and
        # pushed past both ends.
        c51_case(8, 51, -10.0, 10.0,
                 [0.4, 1.3, 25.0, -12.0, 0.0, 0.5, 9.0, -9.5],
                 [0.0, 0.0, 0.0, 0.0, gamma_n, gamma_n, gamma_n, 0.5], True),
        c51_case(3, 5, -2.0, 2.0, [1.0, -0.25, 0.7], [0.0, 1.0, 0.5], False),
    ],
    "qr": [
        qr_case(4, 8, 5, 1.0, False, False),
        qr_case(4, 6, 9, 2.0, True, True),
        qr_case(3, 5, 5, 0.5, True, False),
    ],
    "noisy": [noisy_case(3, 5, 4)],
    "iqn": [iqn_case(2, 3, 5, 64)],
}
print(json.dumps(out))
