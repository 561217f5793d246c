"""The learning-rate range test ("LR finder", Smith 2017), from scratch.

Train for a short while with η rising exponentially from ``lr_min`` to ``lr_max``, record
the loss at every rate, smooth it (an exponential moving average, debiased as in Adam),
and stop once the smoothed loss runs away (exceeds ``diverge`` times the best so far). The
defaults follow fastai: 1e-7 → 10 over 100 steps, β = 0.98, stop at 4× the best.

The suggestion rules are pure functions of (rates, losses), so they can be compared on the
same curve:

- ``steepest``: where the smoothed loss falls fastest against log η;
- ``minimum_over_10``: a tenth of the rate at the lowest loss;
- ``valley``: halfway along the longest stretch over which the loss keeps falling.

``range_test`` runs on anything ``lrcourse.run`` accepts (a landscape or a function
``x -> (loss, grad)``, numpy); ``torch_range_test`` on any ``torch.nn.Module`` and restores
the model's and the optimizer's state afterwards (unless asked not to). ``RangeTest.plot``
clips the y axis to the interesting part of the curve (``RangeTest.ylim``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from . import _checks
from .optimizers import GD
from .run import run
from .schedules import Schedule
from .sweeps import loop_bar as _loop_bar

__all__ = ["RangeTest", "ramp", "smooth", "steepest", "minimum_over_10", "valley", "RULES", "range_test",
           "torch_range_test"]


def ramp(lr_min: float = 1e-7, lr_max: float = 10.0, steps: int = 100) -> Schedule:
    """η_t = lr_min·(lr_max/lr_min)^(t/(steps − 1)): equal factors per step, lr_max at the last."""
    _checks.positive("lr_min", lr_min)
    _checks.interval("lr_max", lr_max, lr_min, None, low_open=True)
    steps = _checks.positive_int("steps", steps, minimum=2)
    ratio = math.log(lr_max / lr_min) / (steps - 1)
    return Schedule(lambda t: lr_min * np.exp(ratio * t), "ramp", lr_min=lr_min, lr_max=lr_max, steps=steps)


def smooth(losses, beta: float = 0.98) -> np.ndarray:
    """Debiased exponential moving average: a_i = β·a_{i−1} + (1 − β)·loss_i, shown as a_i/(1 − β^(i+1))."""
    _checks.interval("beta", beta, 0, 1, high_open=True)
    losses = np.asarray(losses, dtype=float)
    out = np.empty_like(losses)
    avg = 0.0
    for i, x in enumerate(losses):
        avg = beta * avg + (1 - beta) * x
        out[i] = avg / (1 - beta ** (i + 1))
    return out


def _curve(lrs, losses):
    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
    if lrs.shape != losses.shape or lrs.ndim != 1 or lrs.size < 3:
        raise ValueError(f"lrs and losses must be 1-D of the same length (>= 3), got shapes {lrs.shape} and {losses.shape}")
    keep = np.isfinite(losses)
    return lrs[keep], losses[keep]


def steepest(lrs, losses) -> float:
    """The rate where the loss falls fastest per factor of η (most negative d loss / d log η)."""
    lrs, losses = _curve(lrs, losses)
    return float(lrs[int(np.argmin(np.gradient(losses, np.log(lrs))))])


def minimum_over_10(lrs, losses) -> float:
    """A tenth of the rate at the lowest loss (at the minimum the run is already near blowing up)."""
    lrs, losses = _curve(lrs, losses)
    return float(lrs[int(np.argmin(losses))] / 10)


def valley(lrs, losses) -> float:
    """Halfway along the longest stretch over which the loss keeps falling.

    The stretch is the longest decreasing subsequence of the losses (points may be skipped,
    so a noisy curve still has a long valley); the rule takes the point halfway between its
    first and last index.
    """
    lrs, losses = _curve(lrs, losses)
    n = len(losses)
    length, start = np.ones(n, dtype=int), np.arange(n)
    for i in range(1, n):
        lower = np.flatnonzero(losses[:i] > losses[i])
        if lower.size:
            j = lower[np.argmax(length[lower])]
            if length[j] + 1 > length[i]:
                length[i], start[i] = length[j] + 1, start[j]
    end = int(np.argmax(length))
    return float(lrs[(start[end] + end) // 2])


RULES = {"steepest": steepest, "minimum/10": minimum_over_10, "valley": valley}


@dataclass
class RangeTest:
    """A range test's record: rates, raw and smoothed losses (up to where it stopped).
    ``plotting.range_test(ax, test)`` draws it."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    stopped_at: int          # index where the smoothed loss ran away, or -1 if it never did

    def suggest(self, rule: str = "valley") -> float:
        if rule not in RULES:
            raise ValueError(f"rule must be one of {', '.join(RULES)}, got {rule!r}")
        return RULES[rule](self.lrs, self.smoothed)

    def suggestions(self) -> dict:
        return {name: self.suggest(name) for name in RULES}

    def ylim(self, top: float = 2.0) -> tuple:
        """A y range for the interesting part of the curve: from a little below the lowest
        loss (raw or smoothed) to ``top`` times the starting smoothed loss, so that a
        blow-up does not squash the rest of the curve flat."""
        finite = self.losses[np.isfinite(self.losses)]
        low = float(min(finite.min(), self.smoothed.min())) if finite.size else float(self.smoothed.min())
        high = max(top * float(self.smoothed[0]), low + 1e-12)
        pad = 0.05 * (high - low)
        return low - pad, high


def _stop(smoothed, diverge):
    best = np.minimum.accumulate(smoothed)
    bad = np.flatnonzero(~(smoothed <= diverge * best))
    return int(bad[0]) if bad.size else -1


def range_test(problem, x0, optimizer=None, lr_min: float = 1e-7, lr_max: float = 10.0, steps: int = 100,
               beta: float = 0.98, diverge: float = 4.0) -> RangeTest:
    """Range test on a numpy problem (anything ``lrcourse.run`` accepts), from ``x0``.

    ``optimizer`` (default ``GD()``) gets the rising rate as its ``lr``. The loss recorded for
    rate η_t is the loss after the update made with η_t. ``x0`` is not modified.
    """
    _checks.interval("diverge", diverge, 1, None, low_open=True)
    schedule = ramp(lr_min, lr_max, steps)
    opt = dataclasses.replace(optimizer if optimizer is not None else GD(), lr=schedule)
    r = run(problem, opt, x0, steps, max_loss=np.inf)
    lrs = schedule(np.arange(steps))
    losses = np.asarray(r.losses[1:], dtype=float)
    losses = np.where(np.isfinite(losses), losses, np.inf)
    smoothed = smooth(np.minimum(losses, 1e300), beta)
    stop = _stop(smoothed, diverge)
    end = stop + 1 if stop >= 0 else steps
    return RangeTest(lrs[:end], losses[:end], smoothed[:end], stop)


def torch_range_test(model, loss_fn, batches, optimizer, lr_min: float = 1e-7, lr_max: float = 10.0,
                     steps: int = 100, beta: float = 0.98, diverge: float = 4.0, restore: bool = True,
                     progress: bool = False) -> RangeTest:
    """Range test on a ``torch.nn.Module``.

    ``batches`` is an iterable of ``(inputs, targets)`` (cycled if it runs out), ``optimizer``
    any ``torch.optim`` optimizer over the model's parameters. Every parameter group gets the
    rising rate. Afterwards the model's and the optimizer's state are put back exactly as
    they were, so the test can be followed by real training; ``restore=False`` leaves them
    as the ramp ended instead (to look at what the largest rates did to the model).
    ``progress=True`` shows a bar over the steps (for a model slow enough to wait on).
    """
    import copy

    import torch

    schedule = ramp(lr_min, lr_max, steps)
    _checks.interval("diverge", diverge, 1, None, low_open=True)
    if restore:
        saved_model = copy.deepcopy(model.state_dict())
        saved_opt = copy.deepcopy(optimizer.state_dict())
    was_training = model.training
    lrs, losses = schedule(np.arange(steps)), []
    best, avg = math.inf, 0.0
    stop = -1
    try:
        model.train()
        it = iter(batches)
        bar = _loop_bar(progress, range(steps), desc="range test")
        for t in bar:
            try:
                x, y = next(it)
            except StopIteration:
                it = iter(batches)
                x, y = next(it)
            for group in optimizer.param_groups:
                group["lr"] = float(lrs[t])
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            value = float(loss.detach()) if torch.isfinite(loss) else math.inf
            losses.append(value)
            avg = beta * avg + (1 - beta) * min(value, 1e300)
            smoothed = avg / (1 - beta ** (t + 1))
            best = min(best, smoothed)
            if not smoothed <= diverge * best:
                stop = t
                break
        bar.close()
    finally:
        if restore:
            model.load_state_dict(saved_model)
            optimizer.load_state_dict(saved_opt)
        model.train(was_training)
    losses = np.array(losses)
    return RangeTest(lrs[:len(losses)], losses, smooth(np.minimum(losses, 1e300), beta), stop)
