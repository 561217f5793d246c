"""Grids of runs in one call: every setting of two (or more) hyper-parameters at once.

The grid is not a loop: each axis becomes an array shaped to broadcast against the
others, and ``run`` does the rest. Only final results are kept, not trajectories.

>>> import numpy as np, lrcourse as lrc
>>> bowl = lrc.landscapes.Quadratic.from_condition(10.0)
>>> g = grid(bowl, lrc.Momentum, x0=[2.0, 2.0], steps=100,
...          lr=np.logspace(-3, 0, 4), momentum=[0.0, 0.5, 0.9])
>>> g.loss.shape, g.diverged.shape
((4, 3), (4, 3))
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .run import run

__all__ = ["grid", "Grid", "seeds", "clearly_above", "SEED_VARIABLE"]

#: Environment variable that shifts every seed a notebook draws from ``seeds``, so a whole
#: lesson can be re-run on fresh randomness (``LRCOURSE_SEED=1000 jupyter nbconvert ...``).
SEED_VARIABLE = "LRCOURSE_SEED"


def seeds(n: int) -> np.ndarray:
    """``n`` consecutive integer seeds, starting at the course's base seed.

    The base is 0 unless the environment variable ``LRCOURSE_SEED`` names another integer;
    notebooks take every seed from here, so one variable re-runs an experiment on fresh noise
    and initializations (``tools/check_verdicts.py`` does that to show verdicts do not flip).

    >>> seeds(3).tolist() if os.environ.get(SEED_VARIABLE) is None else [0, 1, 2]
    [0, 1, 2]
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1 (got {n!r})")
    raw = os.environ.get(SEED_VARIABLE, "0")
    try:
        base = int(raw)
    except ValueError:
        raise ValueError(f"{SEED_VARIABLE} must be a non-negative integer (got {raw!r})") from None
    if base < 0:
        raise ValueError(f"{SEED_VARIABLE} must be a non-negative integer (got {raw!r})")
    return base + np.arange(int(n))


def clearly_above(a, b) -> bool:
    """Whether mean(a) exceeds mean(b) by more than twice the standard error of the difference.

    ``a`` and ``b`` are results over seeds (non-finite values are left out), or a plain number
    for a fixed level without spread. With fewer than two finite values on a side there is no
    spread to judge against, and the answer is False.

    >>> clearly_above([0.97, 0.975, 0.972], [0.94, 0.945, 0.943])
    True
    >>> clearly_above([0.97, 0.90, 0.99], [0.94, 0.95, 0.96])   # within the spread
    False
    """
    means, var = [], 0.0
    for x in (a, b):
        if np.ndim(x) == 0:
            means.append(float(x))
            continue
        x = np.asarray(x, float).ravel()
        x = x[np.isfinite(x)]
        if x.size < 2:
            return False
        means.append(x.mean())
        var += x.var(ddof=1) / x.size
    return bool(means[0] - means[1] > 2 * np.sqrt(var))


@dataclass
class Grid:
    """Results over a grid. ``axes`` maps each hyper-parameter name to its values, in order;
    ``loss``, ``diverged_at`` and ``x`` have one axis per hyper-parameter."""

    axes: dict
    loss: np.ndarray
    diverged_at: np.ndarray
    x: np.ndarray
    steps: int

    @property
    def diverged(self):
        return self.diverged_at >= 0

    def best(self) -> dict:
        """The setting with the lowest final loss among runs that did not diverge."""
        flat = int(np.argmin(np.where(self.diverged, np.inf, self.loss)))
        index = np.unravel_index(flat, self.loss.shape)
        out = {name: float(values[i]) for (name, values), i in zip(self.axes.items(), index)}
        out["loss"] = float(self.loss[index])
        return out


def grid(problem, make_optimizer, x0, steps: int = 100, *, max_loss=None, fixed: dict | None = None,
         **axes) -> Grid:
    """Run ``make_optimizer(**axes, **fixed)`` for every combination of the ``axes`` values.

    Args:
        problem: a landscape.
        make_optimizer: an optimizer class such as ``lrc.Momentum``.
        x0: start point, shape ``(d,)``.
        steps: updates per run.
        fixed: hyper-parameters shared by every run.
        **axes: name=values for each swept hyper-parameter, e.g. ``lr=np.logspace(-3, 0, 200)``.
    """
    if not axes:
        raise ValueError("grid needs at least one axis, e.g. lr=np.logspace(-3, 0, 50)")
    axes = {name: np.asarray(values, dtype=float).ravel() for name, values in axes.items()}
    k = len(axes)
    shaped = {}
    for i, (name, values) in enumerate(axes.items()):
        shape = [1] * (k + 1)  # one axis per hyper-parameter, plus the parameter axis d
        shape[i] = values.size
        shaped[name] = values.reshape(shape)
    optimizer = make_optimizer(**shaped, **(fixed or {}))
    result = run(problem, optimizer, x0, steps, record=False, max_loss=max_loss)
    return Grid(axes=axes, loss=result.loss, diverged_at=result.diverged_at, x=result.x, steps=steps)
