"""The optimizers' own behaviour: update rules checked against steps worked out by hand, state,
defaults, and the checks on their hyper-parameters. The numbers against PyTorch are in
test_torch_parity.py."""

import dataclasses
import re

import numpy as np
import pytest

import lrcourse as lrc
from lrcourse import schedules as S

# every optimizer the package exports (a new one is checked here without editing this file)
OPTIMIZERS = [getattr(lrc.optimizers, name) for name in lrc.optimizers.__all__ if name != "Optimizer"]


def test_every_optimizer_is_a_frozen_dataclass_whose_docstring_opens_with_its_update_rule():
    for cls in OPTIMIZERS:
        opt = cls()
        assert "lr" in {f.name for f in dataclasses.fields(cls)}, cls.__name__
        with pytest.raises(dataclasses.FrozenInstanceError):
            opt.lr = 1.0
        assert "←" in cls.__doc__.splitlines()[0], cls.__name__


# --------------------------------------------------------------------------- update rules

X0, G1, G2 = np.array([1.0, 2.0]), np.array([3.0, -4.0]), np.array([4.0, 3.0])
SQRT2 = np.sqrt(2.0)


def _adadelta_by_hand(lr, eps):
    """Adadelta with ρ = ½: E[g²] = ½·G1² = (4.5, 8) after the first update and ¼·G1² + ½·G2²
    = (10.25, 8.5) after the second; the numerator starts from E[Δ²] = 0, then ½·Δ₁²."""
    d1 = np.sqrt(eps) / np.sqrt(np.array([4.5, 8.0]) + eps) * G1
    d2 = np.sqrt(0.5 * d1 ** 2 + eps) / np.sqrt(np.array([10.25, 8.5]) + eps) * G2
    return X0 - lr * d1, X0 - lr * d1 - lr * d2


# Adam with β = (½, ¾): the first update is −η·sign(g) in every coordinate; after the second,
# m̂ = (½·½·G1 + ½·G2)/(1 − ¼) = (11/3, 2/3) and v̂ = (¾·¼·G1² + ¼·G2²)/(1 − 9/16) = (13, 12).
ADAM_STEP2 = -0.1 * np.array([11 / 3 / np.sqrt(13.0), 2 / 3 / np.sqrt(12.0)])
ADADELTA = _adadelta_by_hand(0.5, 1e-2)

# Two updates from X0 with the gradients G1, then G2 (whatever x is; weight decay reads x), worked
# out from the update rules in the docstrings: (optimizer, x after one update, x after two). ε,
# at most 1e-8 beside roots of 2 or more, is below the tolerance where it is left out.
HAND = [
    (lrc.GD(lr=0.5), [-0.5, 4.0], [-2.5, 2.5]),
    (lrc.GD(lr=np.array([0.5, 0.25])), [-0.5, 3.0], [-2.5, 2.25]),           # a rate per coordinate
    (lrc.GD(lr=lambda t: 0.5 / (t + 1)), [-0.5, 4.0], [-1.5, 3.25]),         # update t + 1 uses lr(t)
    # Δ₁ = −½·G1 = (−1.5, 2); Δ₂ = ½·Δ₁ − ½·G2 = (−2.75, −0.5)
    (lrc.Momentum(lr=0.5, momentum=0.5), [-0.5, 4.0], [-3.25, 3.5]),
    # v₁ = G1, v₂ = ½·G1 + G2 = (5.5, 1): the same points while η is constant
    (lrc.Momentum(lr=0.5, momentum=0.5, convention="pytorch"), [-0.5, 4.0], [-3.25, 3.5]),
    # x₁ = X0 + ½·Δ₁ − ½·G1; x₂ = x₁ + ½·Δ₂ − ½·G2
    (lrc.Nesterov(lr=0.5, momentum=0.5), [-1.25, 5.0], [-4.625, 3.25]),
    # x₁ = X0 − ½·(G1 + ½·v₁); x₂ = x₁ − ½·(G2 + ½·v₂)
    (lrc.Nesterov(lr=0.5, momentum=0.5, convention="pytorch"), [-1.25, 5.0], [-4.625, 3.25]),
    # G = (9, 16), then (25, 25): steps ½·(3/3, −4/4), then ½·(4/5, 3/5)
    (lrc.Adagrad(lr=0.5), [0.5, 2.5], [0.1, 2.2]),
    # G = 16 + (9, 16) = (25, 32): the second coordinate's step is ½·4/√32 = 1/√8
    (lrc.Adagrad(lr=0.5, initial_accumulator_value=16.0), [0.7, 2.0 + 1 / np.sqrt(8.0)],
     [0.7 - 2 / np.sqrt(41.0), 2.0 + 1 / np.sqrt(8.0) - 1.5 / np.sqrt(41.0)]),
    (lrc.Adadelta(lr=0.5, rho=0.5, eps=1e-2), *ADADELTA),
    # E[g²] = (4.5, 8), then (10.25, 8.5); G1/√(4.5, 8) = (√2, −√2)
    (lrc.RMSprop(lr=0.1, alpha=0.5), [1 - 0.1 * SQRT2, 2 + 0.1 * SQRT2],
     [1 - 0.1 * SQRT2 - 0.4 / np.sqrt(10.25), 2 + 0.1 * SQRT2 - 0.3 / np.sqrt(8.5)]),
    # b₁ = (√2, −√2), b₂ = ½·b₁ + G2/√(10.25, 8.5)
    (lrc.RMSprop(lr=0.1, alpha=0.5, momentum=0.5), [1 - 0.1 * SQRT2, 2 + 0.1 * SQRT2],
     [1 - 0.15 * SQRT2 - 0.4 / np.sqrt(10.25), 2 + 0.15 * SQRT2 - 0.3 / np.sqrt(8.5)]),
    # E[g] = (1.5, −2), then (2.75, 0.5): variances (2.25, 4), then (2.6875, 8.25)
    (lrc.RMSprop(lr=0.1, alpha=0.5, centered=True), [0.8, 2.2],
     [0.8 - 0.4 / np.sqrt(2.6875), 2.2 - 0.3 / np.sqrt(8.25)]),
    (lrc.Adam(lr=0.1, betas=(0.5, 0.75)), [0.9, 2.1], [0.9, 2.1] + ADAM_STEP2),
    # L2: the gradients are G1 + 4·X0 = (7, 4), then G2 + 4·x₁ = (7.6, 10.6); m̂ = (7.4, 8.4),
    # v̂ = (¾·¼·(49, 16) + ¼·(7.6², 10.6²))/(7/16)
    (lrc.Adam(lr=0.1, betas=(0.5, 0.75), weight_decay=4.0), [0.9, 1.9],
     [0.9, 1.9] - 0.1 * np.array([7.4, 8.4]) / np.sqrt(np.array([23.6275, 31.09]) / 0.4375)),
    # decoupled: x shrinks by 1 − η·λ = 0.95 before each Adam step, which sees the plain gradients
    (lrc.AdamW(lr=0.1, betas=(0.5, 0.75), weight_decay=0.5), [0.85, 2.0], [0.8075, 1.9] + ADAM_STEP2),
]


def test_every_optimizer_has_a_hand_computed_case():
    """A new optimizer fails here until HAND holds its first steps."""
    assert {type(opt) for opt, _, _ in HAND} == set(OPTIMIZERS)


@pytest.mark.parametrize("opt,x1,x2", HAND, ids=[f"{type(o).__name__}-{i}" for i, (o, _, _) in enumerate(HAND)])
def test_two_updates_match_the_hand_computed_ones(opt, x1, x2):
    state = opt.init(X0)
    x, state = opt.step(X0, G1, state)
    np.testing.assert_allclose(x, x1, rtol=1e-8)
    x, state = opt.step(x, G2, state)
    np.testing.assert_allclose(x, x2, rtol=1e-8)
    assert state.t == 2


def test_adam_first_step_has_size_lr_whatever_the_gradient_scale():
    opt = lrc.Adam(lr=0.01)
    x = np.zeros(3)
    x1, _ = opt.step(x, np.array([1e-4, -3.0, 1e4]), opt.init(x))
    np.testing.assert_allclose(np.abs(x1), 0.01, rtol=1e-3)   # until |g| nears eps = 1e-8
    raw = lrc.Adam(lr=0.01, bias_correction=False)
    x1, _ = raw.step(x, np.array([1e-3, -3.0, 1e4]), raw.init(x))
    np.testing.assert_allclose(np.abs(x1), 0.01 * 0.1 / np.sqrt(0.001), rtol=1e-3)   # ≈ 3.2× too large


def quadratic_path(opt, steps=200):
    """The points of ``opt`` on f(x) = ½xᵀAx + bᵀx (curvatures 1 to 40), stepped by hand."""
    A, b = np.diag([1.0, 7.0, 40.0]), np.array([1.0, -1.0, 0.5])
    x = np.array([2.0, -1.0, 1.5])
    state, path = opt.init(x), [x]
    for _ in range(steps):
        x, state = opt.step(x, A @ x + b, state)
        path.append(x)
    return np.array(path)


@pytest.mark.parametrize("nesterov", [False, True])
def test_heavy_ball_equals_pytorch_convention_only_while_the_rate_is_constant(nesterov):
    constant = [quadratic_path(lrc.Momentum(lr=0.01, momentum=0.9, nesterov=nesterov, convention=c))
                for c in ("heavy_ball", "pytorch")]
    np.testing.assert_allclose(*constant, rtol=1e-10, atol=1e-12)
    schedule = S.step_lr(0.02, gamma=0.1, step_size=50)
    scheduled = [quadratic_path(lrc.Momentum(lr=schedule, momentum=0.9, nesterov=nesterov, convention=c))
                 for c in ("heavy_ball", "pytorch")]
    np.testing.assert_allclose(scheduled[0][:51], scheduled[1][:51], rtol=1e-10, atol=1e-12)
    assert np.abs(scheduled[0] - scheduled[1]).max() > 1e-3   # after the first drop the two part ways


# --------------------------------------------------------------------------- state and defaults


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_state_is_a_named_tuple_and_steps_are_pure(cls):
    opt = cls(lr=0.01)
    x = np.array([1.0, -2.0])
    state = opt.init(x)
    assert state.t == 0 and hasattr(state, "_fields")
    x1, s1 = opt.step(x, 2 * x, state)
    x2, s2 = opt.step(x, 2 * x, state)
    np.testing.assert_array_equal(x1, x2)
    assert s1.t == 1 and np.all(x == [1.0, -2.0])


def test_pytorch_names_and_defaults():
    defaults = {cls.__name__: {f.name: f.default for f in dataclasses.fields(cls)} for cls in OPTIMIZERS}
    assert {k: defaults["Adagrad"][k] for k in ("lr", "eps")} == {"lr": 1e-2, "eps": 1e-10}
    assert {k: defaults["Adadelta"][k] for k in ("lr", "rho", "eps")} == {"lr": 1.0, "rho": 0.9, "eps": 1e-6}
    assert {k: defaults["RMSprop"][k] for k in ("lr", "alpha", "eps")} == {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8}
    assert {k: defaults["Adam"][k] for k in ("lr", "betas", "eps")} == {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}
    assert defaults["AdamW"]["weight_decay"] == 1e-2 and defaults["Adam"]["weight_decay"] == 0.0
    assert lrc.Adam(betas=(0.8, 0.9)).beta1 == 0.8


# --------------------------------------------------------------------------- argument checks

BAD = [
    (lrc.GD, dict(lr=0), "lr"),
    (lrc.GD, dict(lr=-1e-3), "lr"),
    (lrc.GD, dict(lr=np.array([0.1, -0.1])), "lr"),
    (lrc.Momentum, dict(momentum=1.0), "momentum"),
    (lrc.Momentum, dict(momentum=-0.1), "momentum"),
    (lrc.Momentum, dict(convention="keras"), "convention"),
    (lrc.Nesterov, dict(lr=float("inf")), "lr"),
    (lrc.Adagrad, dict(eps=0), "eps"),
    (lrc.Adagrad, dict(initial_accumulator_value=-1), "initial_accumulator_value"),
    (lrc.Adadelta, dict(rho=1.0), "rho"),
    (lrc.RMSprop, dict(alpha=1.5), "alpha"),
    (lrc.RMSprop, dict(momentum=1.0), "momentum"),
    (lrc.Adam, dict(betas=(1.0, 0.999)), re.escape("betas[0] (β₁)")),
    (lrc.Adam, dict(betas=(0.9, -0.1)), re.escape("betas[1] (β₂)")),
    (lrc.Adam, dict(eps=-1e-8), "eps"),
    (lrc.AdamW, dict(weight_decay=-0.1), "weight_decay"),
]


@pytest.mark.parametrize("cls,kwargs,name", BAD, ids=lambda v: getattr(v, "__name__", str(v)))
def test_bad_arguments_name_the_argument_and_the_range(cls, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must") as info:
        cls(**kwargs)
    assert re.search(r"[\[(].*, .*[\])]|one of", str(info.value))   # the allowed range is stated
