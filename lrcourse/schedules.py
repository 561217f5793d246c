"""Learning-rate schedules: pure functions of the step ``t``.

A schedule maps ``t`` -- the number of updates done so far, so ``t = 0`` is the rate used
by the very first update -- to a learning rate. Every schedule here accepts an int or an
integer array of steps and never changes anything when called: the same ``t`` always
gives the same rate.

>>> s = cosine(0.1, T_max=100)
>>> float(s(0)), float(s(50)), float(s(100))
(0.1, 0.05, 0.0)
>>> s([0, 50, 100]).round(3).tolist()
[0.1, 0.05, 0.0]

How they line up with ``torch.optim.lr_scheduler`` (PyTorch's scheduler already takes
one step when it is built, so its ``get_last_lr()`` after ``k`` calls of ``step()`` is our
``t = k``):

=========================  ===========================================================
lrcourse                   PyTorch
=========================  ===========================================================
``step_lr``                ``StepLR`` (``step_decay`` drops one step earlier)
``exponential(lr, d)``     ``ExponentialLR(gamma=exp(-d))``
``cosine(periodic=True)``  ``CosineAnnealingLR`` (which rises again after ``T_max``)
``cosine_restarts``        ``CosineAnnealingWarmRestarts``
``cyclic``                 ``CyclicLR``
``one_cycle``              ``OneCycleLR``
``warmup(constant(lr))``   ``LinearLR(start_factor, 1.0, total_iters)``
``ReduceOnPlateau``        ``ReduceLROnPlateau``
=========================  ===========================================================
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from . import _checks

__all__ = [
    "Schedule",
    "constant",
    "time_based",
    "inverse_time",
    "inverse_scaling",
    "step_decay",
    "step_lr",
    "exponential",
    "cosine",
    "cosine_restarts",
    "cyclic",
    "linear",
    "warmup",
    "one_cycle",
    "join",
    "ReduceOnPlateau",
    "describe",
]


def _steps(t) -> np.ndarray:
    """Validate ``t`` (int or integer array, >= 0) and return it as an int64 array."""
    arr = np.asarray(t)
    if arr.dtype.kind not in "iuf":          # not bool, complex, text or objects
        raise TypeError(f"t must be a non-negative integer step or an array of them, got {t!r}")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.floor(arr)):
            raise ValueError(f"t must hold whole steps (0, 1, 2, ...), got {t!r}")
    if np.any(arr < 0):
        raise ValueError(f"t must be >= 0 (t counts the updates done so far), got {t!r}")
    return arr.astype(np.int64)


class Schedule:
    """A learning-rate schedule: call it with a step ``t`` (int or array) to get the rate.

    ``name`` and ``params`` describe it for plots and for ``repr``; ``fn`` receives an int64
    array of validated steps and returns a float array of the same shape.
    """

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray], name: str, **params):
        self._fn = fn
        self.name = name
        self.params = params

    _table = None     # tabulated(): the rates of the steps a run asks for, as an array

    def __call__(self, t):
        table = self._table
        if table is not None and type(t) is int and 0 <= t < table.size:
            return float(table[t])          # the hot path of a run's loop
        steps = _steps(t)
        # One code path for a scalar and an array, so both give the same bits.
        flat = steps.reshape(-1)
        with np.errstate(over="ignore", under="ignore"):
            out = np.broadcast_to(np.asarray(self._fn(flat), dtype=float), flat.shape).reshape(steps.shape)
        return float(out) if out.ndim == 0 else out.copy()

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})"

    def tabulated(self, steps: int) -> "Schedule":
        """The same schedule with η_t for t = 0 … steps − 1 computed at once and then looked up
        (``run`` uses it: a loop of ``steps`` updates asks for exactly those). Other steps are
        computed as before, so a schedule that ends at ``steps`` (one-cycle) is served exactly."""
        steps = _checks.positive_int("steps", steps, minimum=0)
        values = self(np.arange(steps)) if steps else np.empty(0)
        inner = self._fn

        def lookup(t: np.ndarray) -> np.ndarray:
            inside = t < steps
            if inside.all():
                return values[t]
            out = np.empty(t.shape)
            out[inside] = values[t[inside]]
            out[~inside] = inner(t[~inside])
            return out

        table = Schedule(lookup, self.name, **self.params)
        table._table = values
        return table


# --------------------------------------------------------------------------- decays


def constant(lr: float) -> Schedule:
    """η_t = η₀ for every step."""
    _checks.positive("lr", lr)
    return Schedule(lambda t: np.full(t.shape, float(lr)), "constant", lr=lr)


def time_based(lr: float, decay: float) -> Schedule:
    """η_{n+1} = η_n / (1 + d·n): a recursion on the previous rate.

    Unrolled, η_n = η₀ / ∏_{k<n} (1 + d·k). For d > 0 the product is
    d^(n−1)·Γ(n + 1/d)/Γ(1 + 1/d), so

        η_n = η₀ · Γ(1 + 1/d) / (d^(n−1) · Γ(n + 1/d))          (exactly, every n >= 0)
            ≈ η₀ · Γ(1 + 1/d) / (d^(n−1) · (n−1)! · n^(1/d))    (n large),

    using Γ(n + a) ≈ (n−1)!·n^a, whose relative error is about a(a−1)/(2n) with a = 1/d: the
    approximation needs n much larger than 1/d², long after a small d has driven the rate to
    nothing. Either way the rate falls faster than any exponential. Do not confuse it with
    ``inverse_time``, the closed form η₀ / (1 + d·n) that Keras calls inverse-time decay. Note
    that the first two rates are both η₀ because the factor for n = 0 is 1.

    >>> from math import lgamma, log
    >>> lr, d, n = 0.1, 0.5, 40
    >>> exact = log(lr) + lgamma(1 + 1 / d) - (n - 1) * log(d) - lgamma(n + 1 / d)
    >>> abs(log(time_based(lr, d)(n)) - exact) < 1e-9
    True

    Args:
        lr: η₀ > 0.
        decay: d >= 0.
    """
    _checks.positive("lr", lr)
    _checks.non_negative("decay", decay)

    def fn(t):
        return _time_based(lr, decay, t)

    return Schedule(fn, "time_based", lr=lr, decay=decay)


_CHUNK = 1 << 16          # time_based multiplies its factors this many at a time
_EXACT_UP_TO = 1 << 22    # and beyond this step uses the closed form with log-gamma


def _time_based(lr: float, decay: float, t: np.ndarray) -> np.ndarray:
    """η_n = η₀ / ∏_{k<n} (1 + d·k) in memory that does not grow with n: the running product
    is built a chunk of factors at a time (the first chunk is the plain cumulative product)
    and stops once it overflows, where every later rate is 0; for n past ``_EXACT_UP_TO`` the
    log-gamma closed form of the docstring gives the rate."""
    out = np.full(t.shape, float(lr))
    if decay == 0 or t.size == 0:
        return out
    far = t > _EXACT_UP_TO
    if far.any():
        n = t[far].astype(float)
        a = 1.0 / decay
        log_rate = (math.log(lr) + math.lgamma(1.0 + a) - (n - 1.0) * math.log(decay)
                    - np.vectorize(math.lgamma)(n + a))
        out[far] = np.exp(log_rate)
    near = ~far & (t > 0)
    if not near.any():
        return out
    wanted, carry = t[near], 1.0
    rates = np.empty(wanted.shape)
    top = int(wanted.max())
    for start in range(0, top, _CHUNK):              # factors k = start … start + CHUNK − 1
        k = np.arange(start, min(start + _CHUNK, top))
        products = carry * np.cumprod(1.0 + decay * k)  # ∏_{j<=k} (1 + d·j): the rate of step k + 1
        hit = (wanted >= start + 1) & (wanted <= start + k.size)
        rates[hit] = lr / products[wanted[hit] - start - 1]
        carry = products[-1]
        if not np.isfinite(carry):                   # the rate has reached 0 for good
            rates[wanted > start + k.size] = 0.0
            break
    out[near] = rates
    return out


def inverse_time(lr: float, decay: float, decay_steps: int = 1) -> Schedule:
    """η_n = η₀ / (1 + d·n / decay_steps)  (Keras' ``InverseTimeDecay``, not staircase)."""
    _checks.positive("lr", lr)
    _checks.non_negative("decay", decay)
    _checks.positive_int("decay_steps", decay_steps)
    return Schedule(lambda t: lr / (1.0 + decay * t / decay_steps), "inverse_time",
                    lr=lr, decay=decay, decay_steps=decay_steps)


def inverse_scaling(lr: float, power: float = 0.25) -> Schedule:
    """η_n = η₀ / (n + 1)^p  (scikit-learn's SGD ``invscaling``, whose clock starts at 1)."""
    _checks.positive("lr", lr)
    _checks.non_negative("power", power)
    return Schedule(lambda t: lr / np.power(t + 1.0, power), "inverse_scaling", lr=lr, power=power)


def step_decay(lr: float, drop: float, every: int) -> Schedule:
    """η_n = η₀ · d^⌊(1 + n)/r⌋  with drop factor d and r = ``every`` steps per drop.

    This is the textbook formula. PyTorch's ``StepLR`` uses ⌊n/r⌋ (``step_lr`` here), so
    this one drops one step earlier: at n = r − 1 instead of n = r.
    """
    _checks.positive("lr", lr)
    _checks.interval("drop", drop, 0, 1, low_open=True)
    _checks.positive_int("every", every)
    return Schedule(lambda t: lr * np.power(float(drop), (1 + t) // every), "step_decay",
                    lr=lr, drop=drop, every=every)


def step_lr(lr: float, gamma: float = 0.1, step_size: int = 30) -> Schedule:
    """η_n = η₀ · γ^⌊n/step_size⌋  (PyTorch's ``StepLR``)."""
    _checks.positive("lr", lr)
    _checks.interval("gamma", gamma, 0, 1, low_open=True)
    _checks.positive_int("step_size", step_size)
    return Schedule(lambda t: lr * np.power(float(gamma), t // step_size), "step_lr",
                    lr=lr, gamma=gamma, step_size=step_size)


def exponential(lr: float, decay: float) -> Schedule:
    """η_n = η₀ · e^(−d·n).  PyTorch's ``ExponentialLR(gamma)`` is the same with γ = e^(−d)."""
    _checks.positive("lr", lr)
    _checks.non_negative("decay", decay)
    return Schedule(lambda t: lr * np.exp(-decay * t), "exponential", lr=lr, decay=decay)


# --------------------------------------------------------------------------- cosine family


def _cosine_between(lr, eta_min, t_cur, period):
    return eta_min + (lr - eta_min) * (1 + np.cos(np.pi * t_cur / period)) / 2


def cosine(lr: float, T_max: int, eta_min: float = 0.0, periodic: bool = False) -> Schedule:
    """η_n = η_min + (η₀ − η_min)·(1 + cos(π·n/T_max))/2.

    By default the rate stays at η_min after ``T_max``. PyTorch's ``CosineAnnealingLR``
    does not stop: past ``T_max`` it climbs back up (period 2·T_max); pass
    ``periodic=True`` for that behaviour.
    """
    _checks.flag("periodic", periodic)
    _checks.positive("lr", lr)
    _checks.positive_int("T_max", T_max)
    _checks.interval("eta_min", eta_min, 0, lr)

    def fn(t):
        return _cosine_between(lr, eta_min, t if periodic else np.minimum(t, T_max), T_max)

    return Schedule(fn, "cosine", lr=lr, T_max=T_max, eta_min=eta_min, periodic=periodic)


def cosine_restarts(lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> Schedule:
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017).

    The first cycle lasts ``T_0`` steps, each next one ``T_mult`` times longer; at the start
    of every cycle the rate jumps back to η₀. Matches ``CosineAnnealingWarmRestarts``.
    """
    _checks.positive("lr", lr)
    _checks.positive_int("T_0", T_0)
    _checks.positive_int("T_mult", T_mult)
    _checks.interval("eta_min", eta_min, 0, lr)

    def fn(t):
        if T_mult == 1:
            return _cosine_between(lr, eta_min, t % T_0, T_0)
        n_max = int(t.max()) if t.size else 0
        starts = [0]
        while starts[-1] <= n_max:  # integer arithmetic: restarts land exactly
            starts.append(starts[-1] + T_0 * T_mult ** (len(starts) - 1))
        starts = np.array(starts)
        cycle = np.searchsorted(starts, t, side="right") - 1
        return _cosine_between(lr, eta_min, t - starts[cycle], T_0 * float(T_mult) ** cycle)

    return Schedule(fn, "cosine_restarts", lr=lr, T_0=T_0, T_mult=T_mult, eta_min=eta_min)


def cyclic(base_lr: float, max_lr: float, step_size_up: int = 2000, step_size_down: int | None = None,
           mode: str = "triangular", gamma: float = 1.0) -> Schedule:
    """Cyclical learning rates (Smith 2017): a triangle wave between ``base_lr`` and ``max_lr``.

    Modes: ``"triangular"`` (same amplitude every cycle), ``"triangular2"`` (amplitude halves
    each cycle), ``"exp_range"`` (amplitude times γ^n). Matches PyTorch's ``CyclicLR``.
    """
    _checks.positive("base_lr", _checks.scalar("base_lr", base_lr))
    _checks.scalar("max_lr", max_lr)
    if not max_lr >= base_lr:
        raise ValueError(f"max_lr must be at least base_lr, got max_lr={max_lr!r} and base_lr={base_lr!r}")
    _checks.positive_int("step_size_up", step_size_up)
    if step_size_down is not None:
        _checks.positive_int("step_size_down", step_size_down)
    _checks.choice("mode", mode, ("triangular", "triangular2", "exp_range"))
    _checks.interval("gamma", gamma, 0, 1, low_open=True)
    up = float(step_size_up)
    down = float(step_size_down) if step_size_down is not None else up
    total = up + down
    ratio = up / total

    def fn(t):
        cycle = np.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        scale = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
        height = (max_lr - base_lr) * scale
        if mode == "triangular":
            amplitude = 1.0
        elif mode == "triangular2":
            amplitude = 1 / (2.0 ** (cycle - 1))
        else:
            amplitude = gamma ** t.astype(float)
        return base_lr + height * amplitude

    return Schedule(fn, "cyclic", base_lr=base_lr, max_lr=max_lr, step_size_up=step_size_up,
                    step_size_down=step_size_down, mode=mode, gamma=gamma)


# --------------------------------------------------------------------------- compositions


def linear(lr_start: float, lr_end: float, steps: int) -> Schedule:
    """η_n = η_start + (η_end − η_start)·min(n, steps)/steps: a straight ramp, then flat."""
    _checks.positive("lr_start", lr_start)
    _checks.positive("lr_end", lr_end)
    _checks.positive_int("steps", steps)
    return Schedule(lambda t: lr_start + (lr_end - lr_start) * np.minimum(t, steps) / steps, "linear",
                    lr_start=lr_start, lr_end=lr_end, steps=steps)


def join(schedules: Sequence[Callable], boundaries: Sequence[int]) -> Schedule:
    """Play ``schedules[0]`` until ``boundaries[0]``, then ``schedules[1]`` with its clock
    restarted at 0, and so on. ``len(boundaries) == len(schedules) − 1``."""
    if isinstance(schedules, (str, bytes)) or not hasattr(schedules, "__iter__"):
        raise TypeError(f"schedules must be a list of schedules, got {schedules!r}")
    if isinstance(boundaries, (str, bytes)) or not hasattr(boundaries, "__iter__"):
        raise TypeError(f"boundaries must be a list of whole steps, got {boundaries!r}")
    schedules = list(schedules)
    for i, schedule in enumerate(schedules):
        if not callable(schedule):
            raise TypeError(f"schedules must be schedules (functions of the step), got {schedule!r} at position {i}")
    if not all(isinstance(b, (int, np.integer)) and not isinstance(b, bool) for b in boundaries):
        raise TypeError(f"boundaries must be whole steps, got {list(boundaries)!r}")
    boundaries = [int(b) for b in boundaries]
    if len(schedules) < 1 or len(boundaries) != len(schedules) - 1:
        raise ValueError("join needs k schedules and k - 1 boundaries, "
                         f"got {len(schedules)} schedules and {len(boundaries)} boundaries")
    if any(b <= 0 for b in boundaries) or any(b2 <= b1 for b1, b2 in zip(boundaries, boundaries[1:])):
        raise ValueError(f"boundaries must be positive and increasing, got {boundaries}")
    offsets = np.array([0] + boundaries)

    def fn(t):
        piece = np.searchsorted(boundaries, t, side="right")
        out = np.empty(t.shape)
        for i, schedule in enumerate(schedules):
            mask = piece == i
            if np.any(mask):
                out[mask] = schedule(t[mask] - offsets[i])
        return out

    return Schedule(fn, "join", schedules=schedules, boundaries=boundaries)


def warmup(schedule: Callable, steps: int, start_factor: float = 0.1) -> Schedule:
    """A linear warm-up of ``steps`` updates in front of any schedule.

    The rate ramps from ``start_factor · schedule(0)`` to ``schedule(0)``, then the schedule
    plays from its own step 0. ``warmup(constant(lr), k, f)`` equals PyTorch's
    ``LinearLR(start_factor=f, end_factor=1, total_iters=k)``.
    """
    if not callable(schedule):
        raise TypeError(f"schedule must be a schedule (a function of the step), got {schedule!r}")
    _checks.positive_int("steps", steps)
    _checks.interval("start_factor", _checks.scalar("start_factor", start_factor), 0, 1, low_open=True)
    peak = float(schedule(0))
    ramp = linear(start_factor * peak, peak, steps)
    return join([ramp, schedule], [steps])


def one_cycle(max_lr: float, total_steps: int, pct_start: float = 0.3, div_factor: float = 25.0,
              final_div_factor: float = 1e4, anneal: str = "cos", three_phase: bool = False) -> Schedule:
    """One-cycle policy (Smith & Topin 2019), exactly as PyTorch's ``OneCycleLR``.

    Starts at ``max_lr/div_factor``, rises to ``max_lr`` at step ``pct_start·total_steps − 1``,
    then anneals to ``max_lr/(div_factor·final_div_factor)`` at step ``total_steps − 1``.
    Steps at or past ``total_steps`` are an error, as in PyTorch.
    """
    for name, value in (("max_lr", max_lr), ("pct_start", pct_start), ("div_factor", div_factor),
                        ("final_div_factor", final_div_factor)):
        _checks.scalar(name, value)
    _checks.flag("three_phase", three_phase)
    _checks.positive("max_lr", max_lr)
    total_steps = _checks.positive_int("total_steps", total_steps, minimum=2)
    _checks.interval("pct_start", pct_start, 0, 1, low_open=True, high_open=True)
    _checks.interval("div_factor", div_factor, 1, None)
    _checks.interval("final_div_factor", final_div_factor, 1, None)
    _checks.choice("anneal", anneal, ("cos", "linear"))
    initial = max_lr / div_factor
    final = initial / final_div_factor
    up_end = float(pct_start * total_steps) - 1
    if three_phase:
        phases = [(up_end, initial, max_lr), (2 * up_end, max_lr, initial), (total_steps - 1.0, initial, final)]
    else:
        phases = [(up_end, initial, max_lr), (total_steps - 1.0, max_lr, final)]
    starts = [0.0] + [p[0] for p in phases[:-1]]
    if any(end <= start for (end, _, _), start in zip(phases, starts)):
        raise ValueError(f"pct_start={pct_start} with total_steps={total_steps} leaves a phase with no "
                         "steps; raise total_steps or move pct_start towards 0.5")

    def fn(t):
        if np.any(t >= total_steps):
            raise ValueError(f"one_cycle is defined for 0 <= t < total_steps={total_steps}, "
                             f"got t={int(t.max())}")
        out = np.empty(t.shape)
        done = np.zeros(t.shape, dtype=bool)
        for i, ((end, lo, hi), start) in enumerate(zip(phases, starts)):
            mask = ~done & ((t <= end) | (i == len(phases) - 1))
            pct = (t[mask] - start) / (end - start)
            if anneal == "cos":
                out[mask] = hi + (lo - hi) / 2.0 * (np.cos(np.pi * pct) + 1)
            else:
                out[mask] = (hi - lo) * pct + lo
            done |= mask
        return out

    return Schedule(fn, "one_cycle", max_lr=max_lr, total_steps=total_steps, pct_start=pct_start,
                    div_factor=div_factor, final_div_factor=final_div_factor, anneal=anneal,
                    three_phase=three_phase)


# --------------------------------------------------------------------------- plateau


class ReduceOnPlateau:
    """Cut the rate by ``factor`` when the monitored loss stops improving.

    The one schedule that needs the loss, so it keeps a little state: call ``step(loss)``
    once per epoch (or per evaluation) and read ``lr``. The rule follows PyTorch's
    ``ReduceLROnPlateau``: a loss counts as better than the best so far when it is below
    ``best·(1 − threshold)`` (``threshold_mode="rel"``) or ``best − threshold`` (``"abs"``);
    once the number of epochs without improvement *exceeds* ``patience`` the rate becomes
    ``max(lr·factor, min_lr)`` and ``cooldown`` epochs follow in which bad epochs are not
    counted. Calling it with a step ``t`` returns the current rate, so it can be passed
    wherever a schedule is accepted.
    """

    def __init__(self, lr: float, factor: float = 0.1, patience: int = 10, threshold: float = 1e-4,
                 threshold_mode: str = "rel", cooldown: int = 0, min_lr: float = 0.0,
                 mode: str = "min", eps: float = 1e-8):
        for name, value in (("lr", lr), ("factor", factor), ("threshold", threshold), ("min_lr", min_lr), ("eps", eps)):
            _checks.scalar(name, value)
        _checks.positive("lr", lr)
        _checks.interval("factor", factor, 0, 1, low_open=True, high_open=True)
        _checks.positive_int("patience", patience, minimum=0)
        _checks.non_negative("threshold", threshold)
        _checks.choice("threshold_mode", threshold_mode, ("rel", "abs"))
        _checks.positive_int("cooldown", cooldown, minimum=0)
        _checks.non_negative("min_lr", min_lr)
        _checks.choice("mode", mode, ("min", "max"))
        _checks.non_negative("eps", eps)
        self.initial_lr = float(lr)
        self.factor, self.patience, self.threshold = factor, patience, threshold
        self.threshold_mode, self.cooldown, self.min_lr = threshold_mode, cooldown, min_lr
        self.mode, self.eps = mode, eps
        self.reset()

    def reset(self) -> None:
        self.lr = self.initial_lr
        self.best = math.inf if self.mode == "min" else -math.inf
        self.bad_epochs = 0
        self.cooldown_left = 0
        self.history: list[float] = []

    def _is_better(self, value: float) -> bool:
        sign = 1 if self.mode == "min" else -1
        if self.threshold_mode == "rel":
            target = self.best * (1 - sign * self.threshold)
        else:
            target = self.best - sign * self.threshold
        return value < target if self.mode == "min" else value > target

    def step(self, loss: float) -> float:
        """Report one epoch's monitored value; return the rate to use next."""
        if isinstance(loss, (str, bytes, bool)) or np.ndim(loss) != 0:
            raise TypeError(f"loss must be one number (the epoch's monitored value), got {loss!r}")
        value = float(loss)
        if math.isnan(value):
            raise ValueError("loss must be a number, got nan (a diverged run has no plateau to detect)")
        if self._is_better(value):
            self.best = value
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad_epochs = 0
        if self.bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_left = self.cooldown
            self.bad_epochs = 0
        self.history.append(self.lr)
        return self.lr

    def __call__(self, t=None) -> float:
        return self.lr

    def __repr__(self) -> str:
        return (f"ReduceOnPlateau(lr={self.initial_lr!r}, factor={self.factor!r}, patience={self.patience!r}, "
                f"threshold={self.threshold!r}, cooldown={self.cooldown!r}, min_lr={self.min_lr!r})")


# --------------------------------------------------------------------------- names for people

_WORDS = {"constant": "constant", "time_based": "time-based decay", "inverse_time": "inverse-time decay",
          "inverse_scaling": "inverse scaling", "step_decay": "step decay", "step_lr": "StepLR",
          "exponential": "exponential decay", "cosine": "cosine", "cosine_restarts": "cosine with warm restarts",
          "cyclic": "cyclic", "linear": "linear ramp", "one_cycle": "one-cycle"}
_SYMBOLS = {"lr": "η₀", "decay": "d", "power": "p", "drop": "drop", "every": "every", "gamma": "γ",
            "step_size": "step size", "T_max": "T_max", "eta_min": "η_min", "T_0": "T₀", "T_mult": "T_mult",
            "base_lr": "η_low", "max_lr": "η_peak", "step_size_up": "half cycle", "step_size_down": "down",
            "total_steps": "steps", "decay_steps": "decay steps"}


def _number(value) -> str:
    """A parameter as people write it: 3 significant digits, so 0.1 * 0.1 reads 0.01."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.3g}"
    return str(value)


def describe(schedule, numbers: bool = True) -> str:
    """A schedule in words with rounded numbers, for legends and titles (``repr`` is for code).

    Parameters left at their defaults are not shown; ``numbers=False`` gives the words only.

    >>> describe(time_based(0.1, 0.1 * 0.1))
    'time-based decay (η₀ = 0.1, d = 0.01)'
    >>> describe(warmup(cosine(0.1, 250, 0.001), 50))
    'warm-up from 0.01 over 50 steps, then cosine (η₀ = 0.1, T_max = 250, η_min = 0.001)'
    >>> describe(join([linear(0.1, 0.01, 20), constant(0.01)], [20]), numbers=False)
    'linear ramp, then constant'
    >>> describe(one_cycle(0.1, 300), numbers=False)
    'one-cycle'
    """
    if isinstance(schedule, ReduceOnPlateau):
        if not numbers:
            return "reduce on plateau"
        return (f"reduce on plateau (η₀ = {_number(schedule.initial_lr)}, factor {_number(schedule.factor)}, "
                f"patience {schedule.patience})")
    if not isinstance(schedule, Schedule):
        return "constant" if not numbers else f"constant (η = {_number(float(schedule))})"
    params = schedule.params
    if schedule.name == "join":
        parts = [describe(s, numbers) for s in params["schedules"]]
        first, rest = params["schedules"][0], params["schedules"][1:]
        if (len(params["boundaries"]) == 1 and isinstance(first, Schedule) and first.name == "linear"
                and first.params["lr_start"] < first.params["lr_end"] and callable(rest[0])
                and np.isclose(first.params["lr_end"], float(rest[0](0)))):
            parts[0] = ("warm-up" if not numbers else
                        f"warm-up from {_number(first.params['lr_start'])} over {first.params['steps']} steps")
        return ", then ".join(parts)
    words = _WORDS.get(schedule.name, schedule.name.replace("_", " "))
    if schedule.name == "linear":
        if not numbers:
            return words
        return (f"linear ramp from {_number(params['lr_start'])} to {_number(params['lr_end'])} "
                f"over {params['steps']} steps")
    if not numbers:
        return words
    import inspect

    factory = globals().get(schedule.name)
    defaults = {}
    if factory is not None:
        defaults = {k: p.default for k, p in inspect.signature(factory).parameters.items()
                    if p.default is not inspect.Parameter.empty}
    shown = []
    for key, value in params.items():
        if key in defaults and value == defaults[key]:
            continue
        if isinstance(value, (bool, np.bool_)):
            shown.append(key.replace("_", " ") if value else f"not {key.replace('_', ' ')}")
        else:
            shown.append(f"{_SYMBOLS.get(key, key)} = {_number(value)}")
    return f"{words} ({', '.join(shown)})" if shown else words
