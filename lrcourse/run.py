"""One loop for every experiment: a single run, or a whole batch of runs by broadcasting.

>>> import lrcourse as lrc
>>> bowl = lrc.landscapes.Quadratic([1.0, 10.0])
>>> r = lrc.run(bowl, lrc.GD(lr=0.15), x0=[2.0, 1.0], steps=50)
>>> r.diverged_at, r.xs.shape, r.losses.shape, r.lrs.shape
(-1, (51, 2), (51,), (50,))
>>> lrc.run(bowl, lrc.GD(lr=0.21), x0=[2.0, 1.0], steps=500).diverged_at   # 0.21 > 2/L = 0.2
75
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import _checks
from .schedules import ReduceOnPlateau, Schedule

__all__ = ["run", "Run"]


@dataclass
class Run:
    """What a run recorded.

    Shapes use ``B`` for the batch shape (``()`` for a single run) and ``d`` for the
    dimension. ``xs``, ``losses`` and ``lrs`` are ``None`` when ``record=False``.

    Attributes:
        xs: positions, shape ``(steps + 1, *B, d)``; ``xs[0]`` is the start.
        losses: loss at each position, shape ``(steps + 1, *B)``.
        lrs: the learning rate used by each update, shape ``(steps, *shape of lr)``.
        x: final position ``(*B, d)``; for a diverged run, the last position within bounds.
        loss: final loss ``(*B)``; ``inf`` for a diverged run.
        diverged_at: ``(*B)`` ints: the number of updates after which the loss first left
            the bound (or stopped being finite); ``-1`` where the run did not diverge.
            After that step a diverged run is frozen and its records hold NaN, so plots
            simply stop there.
        steps: number of updates asked for.
        max_loss: the divergence bound that was used (per run).
    """

    xs: np.ndarray | None
    losses: np.ndarray | None
    lrs: np.ndarray | None
    x: np.ndarray
    loss: np.ndarray
    diverged_at: np.ndarray
    steps: int
    max_loss: np.ndarray

    @property
    def diverged(self):
        return self.diverged_at >= 0

    def steps_to(self, tol: float, f_min: float = 0.0):
        """The first step ``t`` with ``loss[t] − f_min <= tol``, or ``-1`` if never reached."""
        if self.losses is None:
            raise ValueError("steps_to needs the recorded losses: run with record=True")
        with np.errstate(invalid="ignore"):
            hit = self.losses - f_min <= tol
        first = np.argmax(hit, axis=0)
        reached = np.any(hit, axis=0)
        return _checks.plain(np.where(reached, first, -1))

    def summary(self) -> str:
        """One line for a single run: where it ended or where it diverged."""
        if np.ndim(self.diverged_at) != 0:
            n_div = int(np.sum(self.diverged))
            return f"{np.size(self.diverged_at)} runs of {self.steps} steps: {n_div} diverged"
        if self.diverged:
            t = int(self.diverged_at)
            last = self.losses[t] if self.losses is not None else np.inf
            return (f"diverged at step {t}: loss {last:.3g} passed the bound {float(self.max_loss):.3g}")
        return f"{self.steps} steps: final loss {float(self.loss):.6g}"


def _objective(problem) -> Callable:
    """A function x -> (loss, grad) for a landscape or for such a function itself."""
    if hasattr(problem, "value_and_grad"):
        return problem.value_and_grad
    if callable(problem):
        return problem
    raise ValueError("problem must be a landscape (with .value and .grad) or a function x -> (loss, grad)")


def _hyper_arrays(optimizer) -> dict:
    """The optimizer's array-valued hyper-parameters (also inside tuples such as ``betas``):
    they set the batch shape."""
    if not dataclasses.is_dataclass(optimizer):
        return {}
    found = {}
    for f in dataclasses.fields(optimizer):
        v = getattr(optimizer, f.name)
        if isinstance(v, np.ndarray) or (isinstance(v, tuple) and any(isinstance(e, np.ndarray) for e in v)):
            found[f.name] = v
    return found


def _shapes(value):
    return [e.shape for e in (value if isinstance(value, tuple) else (value,)) if isinstance(e, np.ndarray)]


def _map(value, fn):
    """Apply ``fn`` to an array, or to the arrays inside a tuple."""
    if isinstance(value, tuple):
        return tuple(fn(e) if isinstance(e, np.ndarray) else e for e in value)
    return fn(value)


def run(problem, optimizer, x0, steps: int = 100, *, record: bool = True, max_loss=None) -> Run:
    """Run ``optimizer`` on ``problem`` from ``x0`` for ``steps`` updates.

    Any hyper-parameter of the optimizer may be an array; ``x0`` and those arrays broadcast
    to the batch shape, so one call runs a grid of settings. Overflow inside a diverging
    run is expected and silenced; a run that diverges is dropped from the batch at the step
    where it happened, and the others carry on.

    Args:
        problem: a landscape, or any function ``x -> (loss, grad)``.
        optimizer: an optimizer from ``lrcourse.optimizers``.
        x0: start point, shape ``(..., d)``.
        steps: number of updates (>= 0).
        record: keep positions, losses and rates at every step (turn off for big sweeps).
        max_loss: divergence bound; default ``1e6·max(1, |f(x0)|)`` for each run.
    """
    steps = _checks.positive_int("steps", steps, minimum=0)
    value_and_grad = _objective(problem)
    if hasattr(problem, "reset"):  # noisy problems restart their random stream: runs repeat
        problem.reset()
    x = np.asarray(x0, dtype=float)
    hyper = _hyper_arrays(optimizer)
    shape = np.broadcast_shapes(x.shape, *[s for h in hyper.values() for s in _shapes(h)])
    batch, d = shape[:-1], shape[-1]
    n = int(np.prod(batch, dtype=int))
    # Work on a flat batch (n, d) so that diverged runs can simply be dropped.
    x = np.broadcast_to(x, shape).reshape(n, d).copy()
    flat = lambda h: np.broadcast_to(h, shape).reshape(n, d)
    opt = dataclasses.replace(optimizer, **{k: _map(h, flat) for k, h in hyper.items()}) if hyper else optimizer
    plateau = optimizer.lr if isinstance(getattr(optimizer, "lr", None), ReduceOnPlateau) else None
    if isinstance(getattr(optimizer, "lr", None), Schedule) and steps:
        # A schedule is a pure function of t: evaluate it for all steps at once.
        table = _Table(optimizer.lr, steps)
        optimizer = dataclasses.replace(optimizer, lr=table)
        opt = dataclasses.replace(opt, lr=table)
    if plateau is not None:
        plateau.reset()

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        loss, g = value_and_grad(x)
        loss = np.asarray(loss, dtype=float).reshape(n)
        if max_loss is None:
            bound = 1e6 * np.maximum(1.0, np.abs(loss))
        else:
            bound = np.broadcast_to(np.asarray(max_loss, dtype=float), batch).reshape(n).copy()
        final_x, final_loss = x.copy(), np.full(n, np.inf)
        diverged_at = np.full(n, -1)
        if record:
            xs = np.full((steps + 1, n, d), np.nan)
            losses = np.full((steps + 1, n), np.nan)
            xs[0], losses[0] = x, loss
            lrs = []
        start_ok = np.isfinite(loss)
        diverged_at[~start_ok] = 0
        active = np.flatnonzero(start_ok)  # indices of the runs in the working batch
        x, g, loss, bound_now = x[active], g[active], loss[active], bound[active]
        opt = _select(opt, hyper, active)
        state = opt.init(x)
        # Runs that diverged but are still in the working batch (compacting the batch costs
        # a copy of everything, so big sweeps do it only once a tenth of it is dead).
        dead = np.zeros(active.size, dtype=bool)
        n_dead = 0

        for t in range(steps):
            if n_dead == active.size:
                break
            if record:
                lrs.append(np.asarray(optimizer.lr_at(t), dtype=float))
            x_new, state = opt.step(x, g, state)
            loss_new, g = value_and_grad(x_new)
            fresh = ~(loss_new <= bound_now)  # True for NaN and inf as well
            if n_dead:
                fresh &= ~dead
            if record:
                rows = slice(None) if active.size == n else active
                xs[t + 1, rows], losses[t + 1, rows] = x_new, loss_new
            if fresh.any():
                gone = active[fresh]
                diverged_at[gone] = t + 1
                final_x[gone] = x[fresh]  # the last position within bounds
                dead |= fresh
                n_dead = int(dead.sum())
            x, loss = x_new, loss_new
            if n_dead and (record or n_dead > 0.1 * active.size):
                keep = ~dead
                active, x, loss, g, bound_now = active[keep], x[keep], loss[keep], g[keep], bound_now[keep]
                state = type(state)(*(s[keep] if _per_run(s, keep) else s for s in state))
                opt = _select(opt, hyper, keep)
                dead, n_dead = np.zeros(active.size, dtype=bool), 0
            if plateau is not None and n == 1 and active.size:
                plateau.step(float(loss[0]))

    alive = ~dead
    final_x[active[alive]], final_loss[active[alive]] = x[alive], loss[alive]
    out_x = final_x.reshape(*batch, d)
    if record:
        xs = xs.reshape(steps + 1, *batch, d)
        losses = losses.reshape(steps + 1, *batch)
        lrs += [np.full_like(lrs[0], np.nan) if lrs else np.array(np.nan)] * (steps - len(lrs))
        lrs = np.stack(lrs) if steps else np.empty((0,))
    else:
        xs = losses = lrs = None
    return Run(xs=xs, losses=losses, lrs=lrs, x=out_x, loss=_checks.plain(final_loss.reshape(batch)),
               diverged_at=_checks.plain(diverged_at.reshape(batch)), steps=steps,
               max_loss=_checks.plain(bound.reshape(batch)))


class _Table:
    """A schedule's values for t = 0 … steps, looked up instead of recomputed each step."""

    def __init__(self, schedule: Schedule, steps: int):
        self.schedule, self.values = schedule, schedule(np.arange(steps + 1))

    def __call__(self, t):
        return float(self.values[t]) if 0 <= t < self.values.size else self.schedule(t)


def _per_run(value, keep) -> bool:
    return isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == keep.shape[0]


def _select(optimizer, hyper: dict, keep):
    """The optimizer restricted to the runs in ``keep`` (a mask or index array)."""
    if not hyper:
        return optimizer
    # A shallow copy with the arrays cut down; the values were validated already.
    smaller = copy.copy(optimizer)
    for k in hyper:
        object.__setattr__(smaller, k, _map(getattr(optimizer, k), lambda h: h[keep]))
    return smaller
