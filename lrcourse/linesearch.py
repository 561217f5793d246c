"""Steps chosen from curvature: Newton's method and Armijo backtracking line search.

Both return a ``Run`` like ``lrcourse.run``, so they plot and compare the same way.
"""

from __future__ import annotations

import numpy as np

from . import _checks
from .run import Run

__all__ = ["newton", "backtracking"]


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


def backtracking(landscape, x0, steps: int = 100, lr0: float = 1.0, shrink: float = 0.5, c: float = 1e-4) -> Run:
    """Gradient descent whose step length is chosen afresh at every iteration.

    Start from η = lr0 and multiply by ``shrink`` until the Armijo condition holds:
    L(x − η·g) <= L(x) − c·η·|g|². ``lrs`` records the accepted η of each step.
    """
    steps = _checks.positive_int("steps", steps, minimum=0)
    _checks.positive("lr0", lr0)
    _checks.interval("shrink", shrink, 0, 1, low_open=True, high_open=True)
    _checks.interval("c", c, 0, 1, low_open=True, high_open=True)
    x = np.asarray(x0, dtype=float)
    f = float(landscape.value(x))
    xs, losses, lrs = [x], [f], []
    for _ in range(steps):
        g = landscape.grad(x)
        g2 = float(g @ g)
        if g2 < 1e-28:
            break
        lr = lr0
        while landscape.value(x - lr * g) > f - c * lr * g2 and lr > 1e-12:
            lr *= shrink
        x = x - lr * g
        f = float(landscape.value(x))
        xs.append(x)
        losses.append(f)
        lrs.append(lr)
    return _finish(xs, losses, lrs, steps)
