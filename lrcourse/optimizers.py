"""Optimizers written from scratch in numpy, and the protocol every optimizer follows.

The optimizer protocol (all that ``lrc.run``, ``sweeps.grid``, ``lr_finder.range_test`` and
the dashboards rely on; a class written from this text alone works with all of them):

* ``init(x) -> state``: the state before the first update, for start points ``x`` of shape
  ``(n, d)`` (``run`` always passes a flat batch of ``n`` runs). Make it a ``NamedTuple``:
  ``run`` drops a diverged run from every array in it whose first axis has length ``n``, and
  keeps the other entries (a step count) as they are.
* ``step(x, grad, state) -> (x, state)``: one update for every run, nothing changed in place.
* Hyper-parameters are fields of a frozen ``dataclass``, the learning rate named ``lr``. A
  field may hold an array: ``run`` broadcasts it against ``x`` to make a batch of runs (that is
  how ``sweeps.grid`` sweeps), and cuts it when runs are dropped. ``lr`` may also be a
  schedule, a function of the step; read the rate of update number ``t + 1`` as ``lr(t)``
  when ``lr`` is callable (``Optimizer.lr_at`` does it), with ``t`` the updates done so far,
  kept in the state. ``range_test`` replaces ``lr`` with its rising rate.
* Optional: a ``lr_at(t)`` method; ``run`` records its value as the rate of each update
  (without it ``run`` reads ``lr`` itself, and records NaN where there is none).

A ``ReduceOnPlateau`` rate needs the loss: ``run`` gives each run of a batch its own copy of
the rule, steps it with that run's loss after every update, and hands the optimizer the rates
as an array (one run: the rule you passed is the one stepped, so you can read it afterwards).

Every optimizer here follows it: a small frozen dataclass whose state is a named tuple you
can print and inspect. ``lr`` may be a number, a schedule or an array: arrays broadcast against
``x``, which gives a per-parameter rate (shape ``(d,)``) or a whole grid of runs at once (shape
``(n, 1, 1)`` against ``x`` of shape ``(n, m, d)``). Argument names and defaults follow
``torch.optim``; the numbers match it in float64 (see ``tests/test_torch_parity.py``).

>>> import numpy as np
>>> opt = GD(lr=0.1)
>>> x, state = np.array([1.0]), opt.init(np.array([1.0]))
>>> x, state = opt.step(x, 2 * x, state)   # f(x) = x², f'(x) = 2x
>>> x
array([0.8])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple, Union

import numpy as np

from . import _checks

__all__ = ["Optimizer", "GD", "Momentum", "Nesterov", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW"]

LearningRate = Union[float, np.ndarray, Callable]


def _check_lr(lr) -> None:
    if callable(lr):
        return
    _checks.positive("lr", lr)


class Optimizer:
    """Shared plumbing: read the rate for step ``t`` and validate common arguments."""

    lr: LearningRate

    def lr_at(self, t: int):
        """The learning rate used by update number ``t + 1`` (``t`` updates done so far)."""
        return self.lr(t) if callable(self.lr) else self.lr

    def init(self, x):  # pragma: no cover - every optimizer overrides it
        raise NotImplementedError

    def step(self, x, grad, state):  # pragma: no cover
        raise NotImplementedError


# --------------------------------------------------------------------------- plain gradient descent


class GDState(NamedTuple):
    t: int


@dataclass(frozen=True)
class GD(Optimizer):
    """x ← x − η·g.  Plain (full-batch or stochastic) gradient descent.

    Args:
        lr: η > 0, a number, an array or a schedule.
    """

    lr: LearningRate = 0.1

    def __post_init__(self):
        _check_lr(self.lr)

    def init(self, x) -> GDState:
        return GDState(t=0)

    def step(self, x, grad, state: GDState):
        return x - self.lr_at(state.t) * grad, GDState(state.t + 1)


# --------------------------------------------------------------------------- momentum


class MomentumState(NamedTuple):
    t: int
    velocity: np.ndarray


@dataclass(frozen=True)
class Momentum(Optimizer):
    """Δ ← β·Δ − η·g; x ← x + Δ   (heavy ball, Polyak 1964; β is the momentum).

    ``convention="pytorch"`` uses PyTorch's form instead: v ← β·v + g; x ← x − η·v. The two
    give the same iterates while η is constant (Δ = −η·v), but not under a schedule: the
    heavy-ball velocity remembers the old, larger steps, while PyTorch's buffer remembers
    gradients and multiplies them by the *current* rate.

    ``nesterov=True`` evaluates the gradient at the look-ahead point. Written in the
    variables the optimizer keeps (Sutskever et al. 2013; Bengio et al. 2013):
    heavy ball Δ ← β·Δ − η·g; x ← x + β·Δ − η·g, PyTorch v ← β·v + g; x ← x − η·(g + β·v).

    Args:
        lr: η > 0.
        momentum: β in [0, 1).
        nesterov: use Nesterov's look-ahead gradient.
        convention: ``"heavy_ball"`` or ``"pytorch"``.
    """

    lr: LearningRate = 0.01
    momentum: float = 0.9
    nesterov: bool = False
    convention: str = "heavy_ball"

    def __post_init__(self):
        _check_lr(self.lr)
        _checks.unit("momentum", self.momentum)
        _checks.flag("nesterov", self.nesterov)
        _checks.choice("convention", self.convention, ("heavy_ball", "pytorch"))

    def init(self, x) -> MomentumState:
        return MomentumState(t=0, velocity=np.zeros_like(np.asarray(x, dtype=float)))

    def step(self, x, grad, state: MomentumState):
        lr, beta, v = self.lr_at(state.t), self.momentum, state.velocity
        if self.convention == "heavy_ball":
            v = beta * v - lr * grad
            x = x + beta * v - lr * grad if self.nesterov else x + v
        else:
            v = beta * v + grad
            x = x - lr * (grad + beta * v) if self.nesterov else x - lr * v
        return x, MomentumState(state.t + 1, v)


@dataclass(frozen=True)
class Nesterov(Momentum):
    """Δ ← β·Δ − η·g; x ← x + β·Δ − η·g   (Nesterov 1983, in the look-ahead variables).

    Same arguments as ``Momentum``; ``nesterov`` is on.
    """

    nesterov: bool = True


# --------------------------------------------------------------------------- adaptive methods


def _with_weight_decay(x, grad, weight_decay):
    """L2 regularisation as PyTorch adds it: g ← g + λ·x."""
    if np.ndim(weight_decay) == 0:   # the common case, checked without a reduction
        return grad + weight_decay * x if weight_decay else grad
    return grad + weight_decay * x if np.any(weight_decay) else grad


class AdagradState(NamedTuple):
    t: int
    sum_sq: np.ndarray


@dataclass(frozen=True)
class Adagrad(Optimizer):
    """G ← G + g²; x ← x − η·g / (√G + ε)   (Duchi et al. 2011).

    Each coordinate's effective rate η/(√G + ε) only ever shrinks: large past gradients
    mean small future steps.

    Args:
        lr: η > 0 (PyTorch default 1e-2).
        eps: ε > 0, added after the square root (default 1e-10).
        initial_accumulator_value: G at the start, >= 0.
        weight_decay: L2 coefficient λ >= 0 added to the gradient.
    """

    lr: LearningRate = 1e-2
    eps: float = 1e-10
    initial_accumulator_value: float = 0.0
    weight_decay: float = 0.0

    def __post_init__(self):
        _check_lr(self.lr)
        _checks.positive("eps", self.eps)
        _checks.non_negative("initial_accumulator_value", self.initial_accumulator_value)
        _checks.non_negative("weight_decay", self.weight_decay)

    def init(self, x) -> AdagradState:
        x = np.asarray(x, dtype=float)
        return AdagradState(0, np.full_like(x, self.initial_accumulator_value))

    def step(self, x, grad, state: AdagradState):
        grad = _with_weight_decay(x, grad, self.weight_decay)
        sum_sq = state.sum_sq + grad * grad
        x = x - self.lr_at(state.t) * grad / (np.sqrt(sum_sq) + self.eps)
        return x, AdagradState(state.t + 1, sum_sq)


class AdadeltaState(NamedTuple):
    t: int
    square_avg: np.ndarray
    delta_avg: np.ndarray


@dataclass(frozen=True)
class Adadelta(Optimizer):
    """E[g²] ← ρ·E[g²] + (1−ρ)·g²; Δ = √(E[Δ²] + ε)/√(E[g²] + ε)·g;
    E[Δ²] ← ρ·E[Δ²] + (1−ρ)·Δ²; x ← x − η·Δ   (Zeiler 2012).

    The ratio of two running RMS values gives a step with the units of x, which is why
    Zeiler's paper needs no learning rate; PyTorch keeps η (default 1.0) as a final scale.

    Args:
        lr: η > 0 (default 1.0).
        rho: ρ in [0, 1) (default 0.9).
        eps: ε > 0 inside both square roots (default 1e-6).
        weight_decay: L2 coefficient λ >= 0.
    """

    lr: LearningRate = 1.0
    rho: float = 0.9
    eps: float = 1e-6
    weight_decay: float = 0.0

    def __post_init__(self):
        _check_lr(self.lr)
        _checks.unit("rho", self.rho)
        _checks.positive("eps", self.eps)
        _checks.non_negative("weight_decay", self.weight_decay)

    def init(self, x) -> AdadeltaState:
        zeros = np.zeros_like(np.asarray(x, dtype=float))
        return AdadeltaState(0, zeros, zeros)

    def step(self, x, grad, state: AdadeltaState):
        grad = _with_weight_decay(x, grad, self.weight_decay)
        rho = self.rho
        square_avg = rho * state.square_avg + (1 - rho) * grad * grad
        delta = np.sqrt(state.delta_avg + self.eps) / np.sqrt(square_avg + self.eps) * grad
        delta_avg = rho * state.delta_avg + (1 - rho) * delta * delta
        x = x - self.lr_at(state.t) * delta
        return x, AdadeltaState(state.t + 1, square_avg, delta_avg)


class RMSpropState(NamedTuple):
    t: int
    square_avg: np.ndarray
    grad_avg: np.ndarray
    buffer: np.ndarray


@dataclass(frozen=True)
class RMSprop(Optimizer):
    """E[g²] ← α·E[g²] + (1−α)·g²; x ← x − η·g / (√E[g²] + ε)   (Tieleman & Hinton 2012).

    Like Adagrad, but the sum is replaced by a running average, so old gradients are
    forgotten and the effective rate can grow again.

    Args:
        lr: η > 0 (default 1e-2).
        alpha: α in [0, 1) (default 0.99).
        eps: ε > 0, added after the square root (default 1e-8).
        momentum: β in [0, 1): b ← β·b + g/(√E[g²] + ε); x ← x − η·b.
        centered: divide by an estimate of the variance instead (E[g²] − E[g]²).
        weight_decay: L2 coefficient λ >= 0.
    """

    lr: LearningRate = 1e-2
    alpha: float = 0.99
    eps: float = 1e-8
    momentum: float = 0.0
    centered: bool = False
    weight_decay: float = 0.0

    def __post_init__(self):
        _check_lr(self.lr)
        _checks.unit("alpha", self.alpha)
        _checks.flag("centered", self.centered)
        _checks.positive("eps", self.eps)
        _checks.unit("momentum", self.momentum)
        _checks.non_negative("weight_decay", self.weight_decay)

    def init(self, x) -> RMSpropState:
        zeros = np.zeros_like(np.asarray(x, dtype=float))
        return RMSpropState(0, zeros, zeros, zeros)

    def step(self, x, grad, state: RMSpropState):
        grad = _with_weight_decay(x, grad, self.weight_decay)
        alpha = self.alpha
        square_avg = alpha * state.square_avg + (1 - alpha) * grad * grad
        grad_avg = state.grad_avg
        if self.centered:
            grad_avg = alpha * grad_avg + (1 - alpha) * grad
            denom = np.sqrt(square_avg - grad_avg * grad_avg) + self.eps
        else:
            denom = np.sqrt(square_avg) + self.eps
        lr = self.lr_at(state.t)
        buffer = state.buffer
        if np.any(self.momentum):
            buffer = self.momentum * buffer + grad / denom
            x = x - lr * buffer
        else:
            x = x - lr * grad / denom
        return x, RMSpropState(state.t + 1, square_avg, grad_avg, buffer)


class AdamState(NamedTuple):
    t: int
    m: np.ndarray
    v: np.ndarray


@dataclass(frozen=True)
class Adam(Optimizer):
    """m ← β₁·m + (1−β₁)·g; v ← β₂·v + (1−β₂)·g²;
    x ← x − η/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)   (Kingma & Ba 2015).

    The bias corrections 1/(1−βᵗ) undo the pull towards zero of averages that start at
    zero. Both averages are pulled down, but v much more (β₂ is closer to 1) and it sits
    under a square root, so without them (``bias_correction=False``) the early steps are
    too *large*, by (1−β₁ᵗ)/√(1−β₂ᵗ): 3.2× at t = 1, 6.6× at t = 12, and above 1 for
    thousands of steps at the defaults. With them, the first step has size ≈ η in every
    coordinate, whatever the scale of the gradient.

    ``weight_decay`` is an L2 term added to the gradient (PyTorch's ``Adam``); it is then
    divided by √v like the rest of the gradient. ``AdamW`` decouples it instead.

    Args:
        lr: η > 0 (default 1e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε > 0, added after the square root (default 1e-8).
        weight_decay: λ >= 0.
        bias_correction: apply Adam's bias corrections (default True).
    """

    lr: LearningRate = 1e-3
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    bias_correction: bool = True
    decoupled_weight_decay: bool = False

    def __post_init__(self):
        _check_lr(self.lr)
        if not isinstance(self.betas, (tuple, list)) or len(self.betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), each in [0, 1), got {self.betas!r}")
        _checks.unit("betas[0] (β₁)", self.betas[0])
        _checks.unit("betas[1] (β₂)", self.betas[1])
        _checks.flag("bias_correction", self.bias_correction)
        _checks.flag("decoupled_weight_decay", self.decoupled_weight_decay)
        _checks.positive("eps", self.eps)
        _checks.non_negative("weight_decay", self.weight_decay)

    @property
    def beta1(self):
        return self.betas[0]

    @property
    def beta2(self):
        return self.betas[1]

    def init(self, x) -> AdamState:
        zeros = np.zeros_like(np.asarray(x, dtype=float))
        return AdamState(0, zeros, zeros)

    def step(self, x, grad, state: AdamState):
        lr, (b1, b2) = self.lr_at(state.t), self.betas
        if self.decoupled_weight_decay:
            x = x * (1 - lr * self.weight_decay)
        else:
            grad = _with_weight_decay(x, grad, self.weight_decay)
        t = state.t + 1
        m = b1 * state.m + (1 - b1) * grad
        v = b2 * state.v + (1 - b2) * grad * grad
        if self.bias_correction:
            step_size = lr / (1 - b1 ** t)
            denom = np.sqrt(v) / np.sqrt(1 - b2 ** t) + self.eps
        else:
            step_size, denom = lr, np.sqrt(v) + self.eps
        return x - step_size * m / denom, AdamState(t, m, v)


@dataclass(frozen=True)
class AdamW(Adam):
    """x ← x·(1 − η·λ), then the Adam step   (Loshchilov & Hutter 2019).

    Weight decay acts on the weights directly instead of passing through Adam's
    normalisation, so every weight shrinks by the same fraction η·λ per step.

    Same arguments as ``Adam``; ``weight_decay`` defaults to 1e-2.
    """

    weight_decay: float = 1e-2
    decoupled_weight_decay: bool = True
