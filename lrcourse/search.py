"""Grid and random search over hyper-parameters, rates on a log scale, seeded.

A search space maps a name to ``(low, high, "log")`` or ``(low, high, "linear")``. The
objective is a function of keyword arguments that returns a validation loss (lower is
better). Random search draws every dimension independently, so n trials try n distinct
values of each hyper-parameter; a grid of the same size tries only n^(1/d) per dimension
(Bergstra & Bengio 2012).

    >>> space = {"lr": (1e-4, 1.0, "log")}
    >>> result = random_search(lambda lr: (np.log10(lr) + 2) ** 2, space, n=50, seed=0)
    >>> bool(abs(np.log10(result.best["lr"]) + 2) < 0.2)
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Callable

import numpy as np

from . import _checks
from .optimizers import Adam
from .run import run
from .sweeps import loop_bar as _loop_bar

__all__ = ["Search", "grid_search", "random_search", "sample", "grid_points", "shifted_grid_points", "train_val_split",
           "train_val_test_split", "SoftmaxObjective", "compare", "read_curve", "READINGS",
           "early_stop"]


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


def shifted_grid_points(space: dict, per_dim: int, seed: int = 0) -> list:
    """A grid moved by a random offset: per dimension the values sit at fractions
    (i + u)/per_dim, i = 0 … per_dim − 1, of the range (of its logarithm for 'log'), with one
    u ~ Uniform[0, 1) per dimension drawn from ``seed``. Every point stays inside the range,
    neighbours stay one cell apart, and over seeds each value is spread evenly over the
    range, like a random draw, so grids and random searches can be compared over seeds."""
    _check_space(space)
    per_dim = _checks.positive_int("per_dim", per_dim)
    rng = np.random.default_rng(seed)
    axes = {}
    for name, (low, high, scale) in space.items():
        fractions = (np.arange(per_dim) + rng.uniform()) / per_dim
        if scale == "log":
            axes[name] = 10 ** (np.log10(low) + fractions * (np.log10(high) - np.log10(low)))
        else:
            axes[name] = low + fractions * (high - low)
    return [dict(zip(axes, map(float, combo))) for combo in product(*axes.values())]


def _evaluate(objective: Callable, trials: list, batched: bool = False, progress: bool = False) -> Search:
    if batched:    # one call with an array per hyper-parameter, one element per trial
        columns = {name: np.array([t[name] for t in trials], dtype=float) for name in trials[0]}
        values = np.asarray(objective(**columns), dtype=float).reshape(len(trials))
    else:
        bar = _loop_bar(progress, trials, desc=f"{len(trials)} trials")
        values = np.array([float(objective(**t)) for t in bar])
    return Search(trials, values)


def grid_search(objective: Callable, space: dict, per_dim: int, seed: int | None = None,
                batched: bool = False, progress: bool = False) -> Search:
    """Evaluate ``objective`` on the grid ``grid_points(space, per_dim)``, or, with a
    ``seed``, on ``shifted_grid_points(space, per_dim, seed)``. ``batched=True``: the
    objective takes arrays (one element per trial) and returns an array of values.
    ``progress=True``: a bar over the trials when they are evaluated one by one (for an
    objective slow enough to wait on; a batched objective is one call, with no bar)."""
    points = grid_points(space, per_dim) if seed is None else shifted_grid_points(space, per_dim, seed)
    return _evaluate(objective, points, batched, progress)


def random_search(objective: Callable, space: dict, n: int, seed: int = 0, batched: bool = False,
                  progress: bool = False) -> Search:
    """Evaluate ``objective`` at ``n`` settings drawn by ``sample(space, n, seed)``
    (``batched`` and ``progress`` as in ``grid_search``)."""
    return _evaluate(objective, sample(space, n, seed), batched, progress)


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


def train_val_test_split(X, y, val_fraction: float = 0.2, test_fraction: float = 0.2, seed: int = 0):
    """Shuffle with a seeded generator and cut three disjoint parts: returns
    (X_train, y_train, X_val, y_val, X_test, y_test). The validation part chooses (η, the
    epoch to keep, ...); the test part is looked at once, to report the chosen setting."""
    _checks.interval("val_fraction", val_fraction, 0, 1, low_open=True, high_open=True)
    _checks.interval("test_fraction", test_fraction, 0, 1 - val_fraction, low_open=True, high_open=True)
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got {len(X)} and {len(y)}")
    order = np.random.default_rng(seed).permutation(len(X))
    n_val = max(1, int(round(val_fraction * len(X))))
    n_test = max(1, int(round(test_fraction * len(X))))
    val, test, train = order[:n_val], order[n_val:n_val + n_test], order[n_val + n_test:]
    return X[train], y[train], X[val], y[val], X[test], y[test]


class SoftmaxObjective:
    """A search objective: softmax regression trained from zero weights by lrcourse's
    ``Adam`` for ``steps`` minibatch steps, scored by its loss on the validation split.

    Calling it with ``lr``, ``weight_decay`` and ``eps`` (numbers or arrays that broadcast)
    trains one model per element, all in one ``lrcourse.run`` call, and returns their
    validation losses (``inf`` where a run diverged). Every call sees the same sequence of
    minibatches (drawn from ``seed``), so the value is a deterministic function of the
    settings. ``fit`` returns the weights; ``score`` measures them on any split.
    """

    def __init__(self, X_train, y_train, X_val, y_val, steps: int = 150, batch_size: int = 64, seed: int = 0):
        self.X, self.y = np.asarray(X_train, dtype=float), np.asarray(y_train)
        self.X_val, self.y_val = np.asarray(X_val, dtype=float), np.asarray(y_val)
        self.classes = int(max(self.y.max(), self.y_val.max()) + 1)
        self.steps = _checks.positive_int("steps", steps)
        self.batch_size = _checks.positive_int("batch_size", batch_size)
        self.seed = seed
        self.dim = self.X.shape[1] * self.classes

    def _problem(self):
        """w (n, d·k) -> (training loss on a minibatch, gradient), for n models at once."""
        X, y, d, k = self.X, self.y, self.X.shape[1], self.classes
        b = min(self.batch_size, len(X))
        owner = self

        class Problem:
            def reset(self):
                self.rng = np.random.default_rng(owner.seed)

            def __call__(self, w):
                n = w.shape[0]
                idx = self.rng.choice(len(X), size=b, replace=False)
                xb, yb = X[idx], y[idx]
                # One matrix product for all n models: weights as (d, n·k).
                z = (xb @ w.reshape(n, d, k).transpose(1, 0, 2).reshape(d, n * k)).reshape(b, n, k)
                z -= z.max(axis=-1, keepdims=True)
                np.exp(z, out=z)
                z /= z.sum(axis=-1, keepdims=True)                      # probabilities (b, n, k)
                picked = np.arange(b), slice(None), yb                  # p of the true class, (b, n)
                loss = -np.log(np.maximum(z[picked], 1e-300)).mean(axis=0)
                z[picked] -= 1.0                                        # p − one-hot
                grad = (xb.T @ z.reshape(b, n * k) / b).reshape(d, n, k).transpose(1, 0, 2).reshape(n, d * k)
                return loss, grad

        problem = Problem()
        problem.reset()
        return problem

    def fit(self, lr, weight_decay=0.0, eps=1e-8):
        """Train one model per element of the broadcast settings: returns (weights of shape
        (*settings shape, d·k), diverged mask of the settings' shape)."""
        lr, weight_decay, eps = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (lr, weight_decay, eps)))
        shape = lr.shape
        flat = lambda a: a.reshape(-1, 1)
        r = run(self._problem(), Adam(lr=flat(lr), weight_decay=flat(weight_decay), eps=flat(eps)),
                np.zeros((lr.size, self.dim)), self.steps, record=False)
        return r.x.reshape(*shape, self.dim), np.asarray(r.diverged).reshape(shape)

    def score(self, w, X, y):
        """(mean cross-entropy, accuracy) of weights ``w`` (shape (..., d·k)) on (X, y)."""
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        w = np.asarray(w, dtype=float)
        W = w.reshape(*w.shape[:-1], X.shape[1], self.classes)
        z = X @ W                                                       # (..., n, k)
        z = z - z.max(axis=-1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        loss = -np.take_along_axis(logp, np.broadcast_to(y[:, None], logp.shape[:-1] + (1,)), -1)[..., 0].mean(-1)
        acc = (np.argmax(z, axis=-1) == y).mean(-1)
        return loss, acc

    def __call__(self, lr, weight_decay=0.0, eps=1e-8):
        w, diverged = self.fit(lr, weight_decay, eps)
        loss, _ = self.score(w, self.X_val, self.y_val)
        return np.where(diverged, np.inf, loss)


def compare(a, b, paired: bool = False, k: float = 2.0) -> dict:
    """Is the mean of ``a`` lower or higher than the mean of ``b``, beyond the spread?

    Returns the difference of the means ``diff`` (a − b), its standard error ``se`` and
    ``sign``: −1 when diff < −k·se (a is lower), +1 when diff > k·se (a is higher), 0 when it
    lies within ±k·se (not resolved). ``paired=True``: a[i] and b[i] were measured under the
    same seed i, and se is the standard deviation of the differences / √n; otherwise
    se = √(sd(a)²/n_a + sd(b)²/n_b).
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.ndim != 1 or b.ndim != 1 or a.size < 2 or b.size < 2:
        raise ValueError(f"a and b must be 1-D with at least 2 values each, got shapes {a.shape} and {b.shape}")
    if paired:
        if a.shape != b.shape:
            raise ValueError(f"paired samples must have the same length, got {a.size} and {b.size}")
        d = a - b
        diff, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size))
    else:
        diff = float(a.mean() - b.mean())
        se = float(np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size))
    sign = -1 if diff < -k * se else (1 if diff > k * se else 0)
    return {"diff": diff, "se": se, "k": k, "sign": sign}


#: The readings ``read_curve`` gives, in order from too low to too high.
READINGS = ("too low: barely moving", "learning", "too high: spiked, then stuck at chance",
            "too high: erratic", "too high: diverged")


def read_curve(losses, classes: int, tail: int = 10, spike: float = 1.5, near: float = 0.05) -> str:
    """Read a classifier's per-step training loss against chance level, ln(classes): the
    loss of predicting every class with the same probability (and about the loss of a net
    that only predicts the class frequencies, when the classes are balanced).

    - "too high: diverged": the loss stopped being finite;
    - "learning": the mean of the last ``tail`` losses is below (1 − near)·ln(classes);
    - otherwise the run has learned nothing; if its loss ever rose above spike·ln(classes),
      the steps were too big: "too high: spiked, then stuck at chance" when it now sits
      within ``near`` of ln(classes), "too high: erratic" when it is still above;
    - if it never spiked: "too low: barely moving".
    """
    losses = np.asarray(losses, dtype=float)
    classes = _checks.positive_int("classes", classes, minimum=2)
    tail = _checks.positive_int("tail", tail)
    if losses.ndim != 1 or losses.size < tail:
        raise ValueError(f"losses must be 1-D with at least tail = {tail} entries, got shape {losses.shape}")
    if not np.all(np.isfinite(losses)):
        return READINGS[4]
    chance, last = np.log(classes), float(losses[-tail:].mean())
    if last < (1 - near) * chance:
        return READINGS[1]
    if losses.max() > spike * chance:
        return READINGS[2] if last <= (1 + near) * chance else READINGS[3]
    return READINGS[0]


def early_stop(val_losses, patience):
    """Early stopping with patience on a list of validation losses, one per epoch:
    ``(stop_epoch, best_epoch)``, both 0-based indices. Training stops at the first epoch
    that is ``patience`` epochs past the best one without beating it (or at the last epoch);
    the weights to keep are those of ``best_epoch``. (Exercise 07.3 asks for this function;
    ``training.fit(patience=...)`` applies the same rule while it trains.)

    >>> early_stop([1.0, 0.9, 0.95, 0.96, 0.97, 0.5], 3)
    (4, 1)
    """
    best, best_epoch = float("inf"), 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch
    return len(val_losses) - 1, best_epoch
