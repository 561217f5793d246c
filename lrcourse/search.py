"""Grid and random search over hyper-parameters, rates on a log scale, seeded.

A search space maps a name to ``(low, high, "log")`` or ``(low, high, "linear")``. The
objective is a function of keyword arguments that returns a validation loss (lower is
better). Random search draws every dimension independently, so n trials try n distinct
values of each hyper-parameter; a grid of the same size tries only n^(1/d) per dimension
(Bergstra & Bengio 2012).

    >>> space = {"lr": (1e-4, 1.0, "log")}
    >>> result = random_search(lambda lr: (np.log10(lr) + 2) ** 2, space, n=50, seed=0)
    >>> abs(np.log10(result.best["lr"]) + 2) < 0.2
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Callable

import numpy as np

from . import _checks

__all__ = ["Search", "grid_search", "random_search", "sample", "grid_points", "train_val_split"]


@dataclass
class Search:
    """Trials (one dict of settings each) and their objective values."""

    trials: list
    values: np.ndarray

    @property
    def best_index(self) -> int:
        values = np.where(np.isfinite(self.values), self.values, np.inf)
        return int(np.argmin(values))

    @property
    def best(self) -> dict:
        return dict(self.trials[self.best_index])

    @property
    def best_value(self) -> float:
        return float(self.values[self.best_index])

    def column(self, name: str) -> np.ndarray:
        return np.array([t[name] for t in self.trials], dtype=float)


def _check_space(space: dict) -> dict:
    if not space:
        raise ValueError("space must name at least one hyper-parameter")
    for name, spec in space.items():
        if not (isinstance(spec, tuple) and len(spec) == 3 and spec[2] in ("log", "linear")):
            raise ValueError(f"space[{name!r}] must be (low, high, 'log' | 'linear'), got {spec!r}")
        low, high, scale = spec
        if scale == "log":
            _checks.positive(f"{name} low", low)
        _checks.interval(f"{name} high", high, low, None, low_open=True)
    return space


def sample(space: dict, n: int, seed: int = 0) -> list:
    """n settings drawn independently per dimension (log-uniform where the scale is 'log')."""
    _check_space(space)
    n = _checks.positive_int("n", n)
    rng = np.random.default_rng(seed)
    columns = {}
    for name, (low, high, scale) in space.items():
        if scale == "log":
            columns[name] = 10 ** rng.uniform(np.log10(low), np.log10(high), size=n)
        else:
            columns[name] = rng.uniform(low, high, size=n)
    return [{k: float(v[i]) for k, v in columns.items()} for i in range(n)]


def grid_points(space: dict, per_dim: int) -> list:
    """Every combination of ``per_dim`` evenly spaced values per dimension (log-spaced for 'log')."""
    _check_space(space)
    per_dim = _checks.positive_int("per_dim", per_dim)
    axes = {name: (np.geomspace if scale == "log" else np.linspace)(low, high, per_dim)
            for name, (low, high, scale) in space.items()}
    return [dict(zip(axes, map(float, combo))) for combo in product(*axes.values())]


def _evaluate(objective: Callable, trials: list) -> Search:
    values = np.array([float(objective(**t)) for t in trials])
    return Search(trials, values)


def grid_search(objective: Callable, space: dict, per_dim: int) -> Search:
    """Evaluate ``objective`` on the grid ``grid_points(space, per_dim)``."""
    return _evaluate(objective, grid_points(space, per_dim))


def random_search(objective: Callable, space: dict, n: int, seed: int = 0) -> Search:
    """Evaluate ``objective`` at ``n`` settings drawn by ``sample(space, n, seed)``."""
    return _evaluate(objective, sample(space, n, seed))


def train_val_split(X, y, val_fraction: float = 0.2, seed: int = 0):
    """Shuffle with a seeded generator and hold out ``val_fraction`` for validation:
    returns (X_train, y_train, X_val, y_val)."""
    _checks.interval("val_fraction", val_fraction, 0, 1, low_open=True, high_open=True)
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got {len(X)} and {len(y)}")
    order = np.random.default_rng(seed).permutation(len(X))
    n_val = max(1, int(round(val_fraction * len(X))))
    val, train = order[:n_val], order[n_val:]
    return X[train], y[train], X[val], y[val]
