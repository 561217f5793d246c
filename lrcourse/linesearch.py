"""Steps chosen from curvature: Newton's method and Armijo backtracking line search.

Both return a ``Run`` like ``lrcourse.run``, so they plot and compare the same way.
``backtracking`` also counts what the search costs: how often it shrank the trial step
and how many times it evaluated the loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _checks
from .run import Run

__all__ = ["newton", "backtracking", "armijo", "SearchRun"]


@dataclass
class SearchRun(Run):
    """A ``Run`` of ``backtracking``, plus what the search cost.

    Attributes:
        backtracks: ``(steps, *B)`` ints: how many times the trial step was shrunk at each
            step (0 where the first trial passed, and after a run stopped).
        evaluations: ``(*B)`` ints: loss evaluations in all, the start included; each step
            costs one gradient and ``1 + backtracks`` loss evaluations.
        stopped_at: ``(*B)`` ints: the step after which the run stopped (gradient zero or loss
            at most ``tol``), or ``-1`` where it used every step.
    """

    backtracks: np.ndarray | None = None
    evaluations: np.ndarray | None = None
    stopped_at: np.ndarray | None = None


def _finish(xs, losses, lrs, steps):
    xs, losses = np.array(xs), np.array(losses)
    pad = steps + 1 - len(xs)
    if pad:  # converged exactly: hold the last point
        xs = np.concatenate([xs, np.repeat(xs[-1:], pad, axis=0)])
        losses = np.concatenate([losses, np.repeat(losses[-1:], pad)])
        lrs = lrs + [0.0] * pad
    return Run(xs=xs, losses=losses, lrs=np.array(lrs), x=xs[-1], loss=float(losses[-1]), diverged_at=-1,
               steps=steps, max_loss=np.inf)


def newton(landscape, x0, steps: int = 20, damping: float = 1.0) -> Run:
    """x ← x − α·H⁻¹∇L(x): the step a learning rate imitates. On a quadratic, α = 1 lands
    on the minimizer in one step whatever the condition number. ``lrs`` records α."""
    steps = _checks.positive_int("steps", steps, minimum=0)
    _checks.interval("damping", damping, 0, 1, low_open=True)
    x = np.asarray(x0, dtype=float)
    # far from the minimum, a landscape's powers overflow to inf: a result to show, not a warning
    with np.errstate(over="ignore", invalid="ignore"):
        xs, losses, lrs = [x], [float(landscape.value(x))], []
        for _ in range(steps):
            g = landscape.grad(x)
            if np.linalg.norm(g) < 1e-14:
                break
            x = x - damping * np.linalg.solve(landscape.hessian(x), g)
            xs.append(x)
            losses.append(float(landscape.value(x)))
            lrs.append(damping)
    return _finish(xs, losses, lrs, steps)


#: How many shrunken trial steps _backtrack evaluates in one call of the loss.
_LADDER = 8


def _backtrack(landscape, x, g, f, g2, lr, f_new, fail, shrink, c):
    """Shrink the failing runs' trial step until Armijo's condition holds (or the step falls to
    1e-12). The result is the one-shrink-at-a-time loop's (the same products lr·shrink·shrink…,
    the same counts), but the next _LADDER trial steps of every failing run are evaluated in
    one call of the loss, so a step that backtracks ten times costs two calls, not ten.
    Returns the accepted step, its loss and the number of shrinks of each run."""
    ladder = np.empty((_LADDER,) + lr.shape)
    shrinks = np.zeros(lr.shape, dtype=int)
    while fail.any():
        ladder[0] = lr * shrink
        for k in range(1, _LADDER):
            ladder[k] = ladder[k - 1] * shrink
        values = landscape.value(x - ladder[..., None] * g)
        # a run stops at the first trial that passes, or that is at most 1e-12 long
        stop = ~(values > f - c * ladder * g2) | ~(ladder > 1e-12)
        stopped = stop.any(axis=0)
        k = np.where(stopped, np.argmax(stop, axis=0), _LADDER - 1)[None]   # the last trial used
        lr = np.where(fail, np.take_along_axis(ladder, k, axis=0)[0], lr)
        f_new = np.where(fail, np.take_along_axis(values, k, axis=0)[0], f_new)
        shrinks += np.where(fail, k[0] + 1, 0)
        fail = fail & ~stopped
    return lr, f_new, shrinks


def armijo(f, grad, w, lr0=1.0, shrink=0.5, c=1e-4):
    """The first rate η in lr0, lr0·shrink, lr0·shrink², … that passes Armijo's test at the
    point ``w``: f(w − η·g) <= f(w) − c·η·|g|² with g = grad(w). One point and plain
    functions (exercise 02.2 asks for this function); ``backtracking`` runs the same search
    at every step of whole batches of runs.

    >>> armijo(lambda w: float(w @ w), lambda w: 2 * w, np.array([1.0, 1.0]))
    0.5
    """
    g = grad(w)
    lr, f0, gg = lr0, f(w), float(g @ g)
    while not f(w - lr * g) <= f0 - c * lr * gg:      # "not <=": a trial that overflows to NaN fails too
        lr *= shrink
    return lr


def backtracking(landscape, x0, steps: int = 100, lr0=1.0, shrink: float = 0.5, c: float = 1e-4,
                 tol: float | None = None) -> SearchRun:
    """Gradient descent whose step length is chosen afresh at every iteration.

    Each step starts from the trial step η = ``lr0`` and multiplies it by ``shrink`` until
    the Armijo (sufficient decrease) condition holds: L(x − η·g) <= L(x) − c·η·|g|².
    ``lrs`` records the accepted η of each step and ``backtracks`` how many times it was
    shrunk. The trial step matters: on a bowl with top curvature L, any η <= 2(1 − c)/L
    passes at once, so ``lr0 = 1/L`` never backtracks and is plain GD at 1/L.

    ``x0`` (shape ``(..., d)``) and ``lr0`` broadcast, so one call runs many starts or trial
    steps. A run stops (and holds its point) once its gradient vanishes or, with ``tol``,
    once its loss is at most ``tol``.

    >>> from lrcourse.landscapes import Quadratic
    >>> bowl = Quadratic([0.1, 1.0])                          # L = 1
    >>> r = backtracking(bowl, [1.0, 1.0], steps=3, lr0=1.0)  # η₀ = 1/L: plain GD
    >>> r.backtracks.tolist(), r.lrs.tolist()
    ([0, 0, 0], [1.0, 1.0, 1.0])
    >>> r = backtracking(bowl, [1.0, 1.0], steps=3, lr0=10.0)
    >>> r.backtracks.tolist(), r.lrs.tolist(), r.evaluations  # the last step is longer than 2/L
    ([3, 3, 2], [1.25, 1.25, 2.5], 12)
    """
    with np.errstate(over="ignore", invalid="ignore"):   # trial steps far out overflow: they fail
        return _backtracking(landscape, x0, steps, lr0, shrink, c, tol)


def _backtracking(landscape, x0, steps, lr0, shrink, c, tol) -> SearchRun:
    steps = _checks.positive_int("steps", steps, minimum=0)
    _checks.positive("lr0", lr0)
    _checks.interval("shrink", shrink, 0, 1, low_open=True, high_open=True)
    _checks.interval("c", c, 0, 1, low_open=True, high_open=True)
    if tol is not None:
        _checks.interval("tol", tol)
    x = np.asarray(x0, dtype=float)
    lr0 = np.asarray(lr0, dtype=float)
    batch = np.broadcast_shapes(x.shape[:-1], lr0.shape)
    d = x.shape[-1]
    x = np.broadcast_to(x, batch + (d,)).copy()
    lr0 = np.broadcast_to(lr0, batch)
    f = np.asarray(landscape.value(x), dtype=float)
    xs, losses = np.empty((steps + 1,) + batch + (d,)), np.empty((steps + 1,) + batch)
    lrs, backtracks = np.zeros((steps,) + batch), np.zeros((steps,) + batch, dtype=int)
    xs[0], losses[0] = x, f
    evaluations = np.ones(batch, dtype=int)
    stopped_at = np.full(batch, -1)
    active = np.ones(batch, dtype=bool)
    t = 0
    for t in range(steps):
        g = landscape.grad(x)
        g2 = np.sum(g * g, axis=-1)
        done = g2 < 1e-28
        if tol is not None:
            done |= f <= tol
        stopped_at = np.where(active & done, t, stopped_at)
        active &= ~done
        if not active.any():
            xs[t + 1:], losses[t + 1:] = x, f
            break
        lr = np.where(active, lr0, 0.0)
        f_new = landscape.value(x - lr[..., None] * g)
        evaluations += active
        fail = active & (f_new > f - c * lr * g2)
        if fail.any():
            lr, f_new, shrinks = _backtrack(landscape, x, g, f, g2, lr, f_new, fail, shrink, c)
            backtracks[t] += shrinks
            evaluations += shrinks
        x = x - lr[..., None] * g
        f = np.where(active, f_new, f)
        xs[t + 1], losses[t + 1], lrs[t] = x, f, lr
    return SearchRun(xs=xs, losses=losses, lrs=lrs, x=x, loss=_checks.plain(f), diverged_at=_checks.plain(np.full(batch, -1)),
                     steps=steps, max_loss=np.inf, backtracks=backtracks, evaluations=_checks.plain(evaluations),
                     stopped_at=_checks.plain(stopped_at))
