"""lrcourse's optimizers and schedules give PyTorch's numbers (float64, 200 steps)."""

import math

import numpy as np
import pytest
import torch

import lrcourse as lrc
from lrcourse import schedules as S

pytestmark = pytest.mark.torch
STEPS = 200


def random_problem(seed, dim):
    """f(x) = ½xᵀAx + bᵀx with a random SPD A (condition number up to 50)."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    A = q @ np.diag(np.geomspace(1.0, rng.uniform(5, 50), dim)) @ q.T
    b = rng.normal(size=dim)
    x0 = rng.normal(size=dim) * 2
    return (lambda x: A @ x + b), x0


def torch_twin(opt, lr):
    """The torch.optim class and keyword arguments that should match ``opt``."""
    if isinstance(opt, lrc.Momentum):
        return torch.optim.SGD, dict(lr=lr, momentum=opt.momentum, nesterov=opt.nesterov)
    if isinstance(opt, lrc.GD):
        return torch.optim.SGD, dict(lr=lr)
    if isinstance(opt, lrc.Adagrad):
        return torch.optim.Adagrad, dict(lr=lr, eps=opt.eps, weight_decay=opt.weight_decay,
                                         initial_accumulator_value=opt.initial_accumulator_value)
    if isinstance(opt, lrc.Adadelta):
        return torch.optim.Adadelta, dict(lr=lr, rho=opt.rho, eps=opt.eps, weight_decay=opt.weight_decay)
    if isinstance(opt, lrc.RMSprop):
        return torch.optim.RMSprop, dict(lr=lr, alpha=opt.alpha, eps=opt.eps, momentum=opt.momentum,
                                         centered=opt.centered, weight_decay=opt.weight_decay)
    if isinstance(opt, lrc.AdamW):
        return torch.optim.AdamW, dict(lr=lr, betas=opt.betas, eps=opt.eps, weight_decay=opt.weight_decay)
    if isinstance(opt, lrc.Adam):
        return torch.optim.Adam, dict(lr=lr, betas=opt.betas, eps=opt.eps, weight_decay=opt.weight_decay)
    raise AssertionError(opt)


def ours(opt, seed, dim):
    grad, x0 = random_problem(seed, dim)
    x, state, path = x0.copy(), opt.init(x0), [x0.copy()]
    for _ in range(STEPS):
        x, state = opt.step(x, grad(x), state)
        path.append(x)
    return np.array(path)


def trajectories(opt, seed, dim, schedule=None):
    """Our path and PyTorch's, both fed the same gradient function."""
    grad, x0 = random_problem(seed, dim)
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    cls, kwargs = torch_twin(opt, 1.0 if schedule else opt.lr)
    topt = cls([p], **kwargs)
    sched = torch.optim.lr_scheduler.LambdaLR(topt, lambda t: schedule(t)) if schedule else None
    theirs = [x0.copy()]
    for _ in range(STEPS):
        p.grad = torch.from_numpy(grad(p.detach().numpy()))
        topt.step()
        if sched:
            sched.step()
        theirs.append(p.detach().numpy().copy())
    return ours(opt, seed, dim), np.array(theirs)


def max_rel_diff(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-3)))


CONSTANT = [
    lrc.GD(lr=0.02),
    lrc.Momentum(lr=0.01, momentum=0.9),
    lrc.Momentum(lr=0.01, momentum=0.5, convention="pytorch"),
    lrc.Nesterov(lr=0.01, momentum=0.9),
    lrc.Nesterov(lr=0.01, momentum=0.7, convention="pytorch"),
    lrc.Adagrad(),
    lrc.Adagrad(lr=0.3, eps=1e-6, initial_accumulator_value=0.1, weight_decay=0.01),
    lrc.Adadelta(),
    lrc.Adadelta(lr=0.5, rho=0.95, eps=1e-5, weight_decay=0.02),
    lrc.RMSprop(),
    lrc.RMSprop(lr=1e-3, alpha=0.9, momentum=0.5, weight_decay=0.01),
    lrc.RMSprop(lr=5e-3, centered=True),
    lrc.Adam(),
    lrc.Adam(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    lrc.AdamW(),
    lrc.AdamW(lr=0.02, betas=(0.8, 0.99), weight_decay=0.3),
]


def test_every_optimizer_is_compared_with_torch():
    """The two lists above must name every optimizer lrcourse exports: a new one fails here
    until it has its cases."""
    exported = {getattr(lrc.optimizers, n) for n in lrc.optimizers.__all__ if n != "Optimizer"}
    assert {type(o) for o in CONSTANT} == exported
    assert {cls for cls, _ in SCHEDULED} == exported


@pytest.mark.parametrize("opt", CONSTANT, ids=repr)
@pytest.mark.parametrize("seed,dim", [(0, 2), (1, 5), (2, 10)])
def test_optimizer_matches_torch_constant_rate(opt, seed, dim):
    ours, theirs = trajectories(opt, seed, dim)
    assert max_rel_diff(ours, theirs) <= 1e-10


SCHEDULED = [
    (lrc.GD, {}),
    (lrc.Momentum, dict(momentum=0.9, convention="pytorch")),
    (lrc.Nesterov, dict(momentum=0.8, convention="pytorch")),
    (lrc.Adagrad, {}),
    (lrc.Adadelta, {}),
    (lrc.RMSprop, dict(momentum=0.3)),
    (lrc.Adam, {}),
    (lrc.AdamW, dict(weight_decay=0.1)),
]


@pytest.mark.parametrize("cls,kwargs", SCHEDULED, ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("seed", [3, 4])
def test_optimizer_matches_torch_under_a_schedule(cls, kwargs, seed):
    peak = 0.02 if cls in (lrc.GD, lrc.Momentum, lrc.Nesterov) else 0.05
    schedule = S.warmup(S.cosine(peak, T_max=150, eta_min=peak / 100), steps=20)
    ours, theirs = trajectories(cls(lr=schedule, **kwargs), seed, 4, schedule=schedule)
    assert max_rel_diff(ours, theirs) <= 1e-10


# --------------------------------------------------------------------------- schedulers


def torch_rates(make_scheduler, steps, lr=0.1):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, momentum=0.9)
    sched = make_scheduler(opt)
    rates = [sched.get_last_lr()[0]]
    for _ in range(steps - 1):
        opt.step()
        sched.step()
        rates.append(sched.get_last_lr()[0])
    return np.array(rates)


def assert_close_rates(ours, theirs):
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)


LR = torch.optim.lr_scheduler


def test_step_lr_and_the_one_step_shift_of_the_textbook_formula():
    theirs = torch_rates(lambda o: LR.StepLR(o, step_size=7, gamma=0.5), 60)
    t = np.arange(60)
    assert_close_rates(S.step_lr(0.1, gamma=0.5, step_size=7)(t), theirs)
    textbook = S.step_decay(0.1, drop=0.5, every=7)(t)
    assert_close_rates(textbook[:-1], theirs[1:])          # one step earlier
    assert not np.allclose(textbook, theirs)


def test_exponential():
    d = 0.03
    theirs = torch_rates(lambda o: LR.ExponentialLR(o, gamma=math.exp(-d)), 200)
    assert_close_rates(S.exponential(0.1, d)(np.arange(200)), theirs)


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_cosine_annealing_including_its_rise_after_t_max(eta_min):
    theirs = torch_rates(lambda o: LR.CosineAnnealingLR(o, T_max=40, eta_min=eta_min), 130)
    t = np.arange(130)
    assert_close_rates(S.cosine(0.1, 40, eta_min, periodic=True)(t), theirs)
    held = S.cosine(0.1, 40, eta_min)(t)
    assert_close_rates(held[:41], theirs[:41])
    assert np.all(held[40:] == held[40]) and theirs[60] > theirs[40]


@pytest.mark.parametrize("T_0,T_mult", [(10, 1), (5, 2), (3, 3)])
def test_cosine_warm_restarts(T_0, T_mult):
    theirs = torch_rates(lambda o: LR.CosineAnnealingWarmRestarts(o, T_0=T_0, T_mult=T_mult, eta_min=0.001), 150)
    assert_close_rates(S.cosine_restarts(0.1, T_0, T_mult, eta_min=0.001)(np.arange(150)), theirs)


@pytest.mark.parametrize("mode,down", [("triangular", None), ("triangular2", 7), ("exp_range", 12)])
def test_cyclic(mode, down):
    def make(o):
        return LR.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10, step_size_down=down, mode=mode, gamma=0.99,
                           cycle_momentum=False)

    theirs = torch_rates(make, 120)
    ours = S.cyclic(0.01, 0.1, 10, down, mode=mode, gamma=0.99)(np.arange(120))
    assert_close_rates(ours, theirs)


@pytest.mark.parametrize("anneal,three_phase,pct", [("cos", False, 0.3), ("linear", False, 0.25), ("cos", True, 0.3)])
def test_one_cycle(anneal, three_phase, pct):
    total = 100

    def make(o):
        return LR.OneCycleLR(o, max_lr=0.5, total_steps=total, pct_start=pct, anneal_strategy=anneal,
                             three_phase=three_phase, cycle_momentum=False)

    theirs = torch_rates(make, total)
    ours = S.one_cycle(0.5, total, pct_start=pct, anneal=anneal, three_phase=three_phase)(np.arange(total))
    assert_close_rates(ours, theirs)
    assert ours[-1] == pytest.approx(0.5 / (25 * 1e4))
    with pytest.raises(ValueError, match="total_steps"):
        S.one_cycle(0.5, total)(total)


def test_linear_warmup_matches_linear_lr():
    theirs = torch_rates(lambda o: LR.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=8), 30)
    assert_close_rates(S.warmup(S.constant(0.1), 8, start_factor=0.25)(np.arange(30)), theirs)


@pytest.mark.parametrize("kwargs", [dict(), dict(patience=2, cooldown=3, factor=0.5, min_lr=0.004),
                                    dict(threshold_mode="abs", threshold=0.05, patience=1),
                                    dict(mode="max", patience=3)])
def test_reduce_on_plateau(kwargs, rng):
    losses = np.concatenate([np.linspace(1, 0.5, 10), 0.5 + 0.01 * rng.random(30),
                             np.linspace(0.5, 0.2, 10), 0.2 + 0.001 * rng.random(40)])
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = LR.ReduceLROnPlateau(opt, **kwargs)
    ours = S.ReduceOnPlateau(0.1, **kwargs)
    for value in losses:
        opt.step()
        sched.step(value)
        assert ours.step(value) == pytest.approx(sched.get_last_lr()[0], rel=1e-12)
    assert ours.lr < 0.1 or kwargs.get("mode") == "max"
