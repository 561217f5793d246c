"""Reference answers and hidden tests of the exercises. Each task's answer is the function
the learner writes (``solution()`` prints its source); ``hidden_<name>`` holds the tests the
grader adds to the task's test cell (its body is copied into the source notebook). A student
bundle for graded work leaves this file out, which turns ``solution()`` off.

The answers of 02.2 and 07.3 are library functions, ``linesearch.armijo`` and
``search.early_stop``: the checkers use them as references, so they live in the library once.
"""

import numpy as np

from . import schedules as S
from .exercise_data import budget_loss  # noqa: F401  (the hidden tests of 04.3 use it)
from .linesearch import armijo  # noqa: F401  (task 02.2)
from .search import early_stop  # noqa: F401  (task 07.3)


def gd_path(a, lr, w0, steps):
    w = [float(w0)]
    for _ in range(steps):
        w.append(w[-1] - lr * a * w[-1])
    return np.array(w)


def hidden_gd_path():
    path = gd_path(2.0, 0.25, 1.0, 3)
    assert len(path) == 4 and np.allclose(path, [1.0, 0.5, 0.25, 0.125])
    assert abs(gd_path(1.0, 2.5, 1.0, 10)[-1]) > 50   # η·a > 2 diverges


def stability_limit(A):
    return 2.0 / np.linalg.eigvalsh(A)[-1]


def hidden_stability_limit():
    assert np.isclose(stability_limit(np.diag([0.5, 4.0, 2.0])), 0.5)
    R = np.array([[0.0, -1.0], [1.0, 0.0]])
    assert np.isclose(stability_limit(R @ np.diag([3.0, 0.3]) @ R.T), 2 / 3)


def regime(a, lr):
    factor = 1 - lr * a
    if factor >= 0:
        return "monotone"
    if factor > -1:
        return "oscillating"
    return "diverging"


def hidden_regime():
    assert [regime(1.0, lr) for lr in (0.9, 1.5, 2.1)] == ["monotone", "oscillating", "diverging"]


def newton_step(w, g, H):
    return w - np.linalg.solve(H, g)


def hidden_newton_step():
    H = np.array([[4.0, 1.0], [1.0, 3.0]])
    w = np.array([1.0, -2.0])
    assert np.allclose(newton_step(w, H @ w, H), 0.0)   # a quadratic is solved in one step


def hidden_armijo():
    f = lambda w: float(w @ w)
    grad = lambda w: 2 * w
    assert armijo(f, grad, np.array([1.0, 1.0])) == 0.5
    assert armijo(f, grad, np.array([1.0, 1.0]), lr0=0.25) == 0.25


def heavy_ball_step(w, v, g, lr, momentum):
    v = momentum * v - lr * g
    return w + v, v


def hidden_heavy_ball_step():
    w, v = heavy_ball_step(np.array([1.0]), np.array([0.5]), np.array([2.0]), 0.1, 0.9)
    assert np.allclose(v, [0.25]) and np.allclose(w, [1.25])


def pytorch_momentum_step(w, buf, g, lr, momentum):
    buf = momentum * buf + g
    return w - lr * buf, buf


def hidden_pytorch_momentum_step():
    w, b = pytorch_momentum_step(np.array([1.0]), np.array([0.5]), np.array([2.0]), 0.1, 0.9)
    assert np.allclose(b, [2.45]) and np.allclose(w, [0.755])


def best_heavy_ball(L, mu):
    lr = (2 / (np.sqrt(L) + np.sqrt(mu))) ** 2
    kappa = L / mu
    momentum = ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2
    return lr, momentum


def hidden_best_heavy_ball():
    lr, m = best_heavy_ball(100.0, 1.0)
    assert np.isclose(lr, 4 / 121) and np.isclose(m, (9 / 11) ** 2)


def step_decay(lr0, drop, every, n):
    return lr0 * drop ** ((1 + np.asarray(n)) // every)


def hidden_step_decay():
    assert np.allclose(step_decay(2.0, 0.1, 4, np.array([0, 2, 3, 7, 11])), [2.0, 2.0, 0.2, 0.02, 0.002])


def time_based(lr0, decay, n):
    lr = lr0
    for k in range(n):
        lr = lr / (1 + decay * k)
    return lr


def hidden_time_based():
    assert time_based(1.0, 1.0, 0) == 1.0 and time_based(1.0, 1.0, 1) == 1.0
    assert np.isclose(time_based(1.0, 1.0, 4), 1 / 24)    # 1/((1 + 0)·(1 + 1)·(1 + 2)·(1 + 3))


def choose_schedule(steps):
    return S.exponential(0.5, decay=5.0 / steps)


def hidden_choose_schedule():
    assert budget_loss(choose_schedule(300), 300) < 0.07


def adam_step(w, m, v, g, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** (t + 1))
    v_hat = v / (1 - beta2 ** (t + 1))
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def hidden_adam_step():
    w, m, v = adam_step(np.zeros(2), np.zeros(2), np.zeros(2), np.array([1e-4, 1e4]), 0, lr=0.1)
    assert np.allclose(w, [-0.1, -0.1], rtol=1e-3)   # the first step has size η whatever |g| is


def adagrad_rates(grads, lr=0.1, eps=1e-10):
    G = (np.asarray(grads) ** 2).sum(axis=0)
    return lr / (np.sqrt(G) + eps)


def hidden_adagrad_rates():
    rates = adagrad_rates(np.ones((4, 2)) * np.array([1.0, 3.0]), lr=0.1)
    assert np.allclose(rates, [0.05, 0.1 / 6])


def ramp(lr_min, lr_max, steps):
    return lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))


def hidden_ramp():
    assert np.allclose(ramp(0.001, 1.0, 4), [0.001, 0.01, 0.1, 1.0])


def smooth(losses, beta=0.98):
    out, avg = [], 0.0
    for i, x in enumerate(losses):
        avg = beta * avg + (1 - beta) * x
        out.append(avg / (1 - beta ** (i + 1)))
    return np.array(out)


def hidden_smooth():
    assert np.allclose(smooth([2.0, 2.0, 2.0], 0.9), [2.0, 2.0, 2.0])   # bias correction keeps a constant
    assert np.allclose(smooth([1.0, 0.0], 0.5), [1.0, 1.0 / 3.0])         # avg from 0: 0.5, then 0.25; / 0.5, / 0.75


def steepest(lrs, losses):
    slope = np.gradient(np.asarray(losses), np.log(lrs))
    return lrs[int(np.argmin(slope))]


def hidden_steepest():
    lrs = np.geomspace(1e-4, 1.0, 5)
    assert steepest(lrs, np.array([1.0, 0.9, 0.3, 0.2, 5.0])) in (lrs[1], lrs[2])


def log_uniform(low, high, n, rng):
    return 10 ** rng.uniform(np.log10(low), np.log10(high), size=n)


def hidden_log_uniform():
    x = log_uniform(1e-4, 1e-2, 1000, np.random.default_rng(3))
    assert 0.4 < np.mean(x < 1e-3) < 0.6


def random_search(objective, low, high, n, seed):
    rng = np.random.default_rng(seed)
    lrs = log_uniform(low, high, n, rng)
    values = [objective(lr) for lr in lrs]
    i = int(np.argmin(values))
    return lrs[i], values[i]


def hidden_random_search():
    lr, value = random_search(lambda lr: (np.log10(lr) + 2) ** 2, 1e-4, 1.0, 200, 1)
    assert abs(np.log10(lr) + 2) < 0.1 and value >= 0


def hidden_early_stop():
    assert tuple(early_stop([1.0, 0.9, 0.95, 0.96, 0.97, 0.5], 3)) == (4, 1)


def param_groups(model, lr_body, lr_head):
    return [{"params": list(model[:-1].parameters()), "lr": lr_body},
            {"params": list(model[-1].parameters()), "lr": lr_head}]


def hidden_param_groups():
    import torch

    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    groups = param_groups(net, 0.001, 0.1)
    assert sorted(g["lr"] for g in groups) == [0.001, 0.1]
    assert sum(len(list(g["params"])) for g in groups) == 4


def scaled_lr(base_lr, base_batch, batch, t, warmup):
    target = base_lr * batch / base_batch
    return base_lr + (target - base_lr) * min(t, warmup) / warmup


def hidden_scaled_lr():
    assert np.isclose(scaled_lr(0.1, 100, 400, 0, 4), 0.1)
    assert np.isclose(scaled_lr(0.1, 100, 400, 1, 4), 0.175)
    assert np.isclose(scaled_lr(0.1, 100, 400, 4, 4), 0.4)
    assert np.isclose(scaled_lr(0.1, 100, 400, 99, 4), 0.4)
