"""Grids of runs in one call: every setting of two (or more) hyper-parameters at once.

The grid is not a loop: each axis becomes an array shaped to broadcast against the
others, and ``run`` does the rest. Only final results are kept, not trajectories.

>>> import numpy as np, lrcourse as lrc
>>> bowl = lrc.landscapes.Quadratic.from_condition(10.0)
>>> g = grid(bowl, lrc.Momentum, x0=[2.0, 2.0], steps=100,
...          lr=np.logspace(-3, 0, 4), momentum=[0.0, 0.5, 0.9])
>>> g.loss.shape, g.diverged.shape
((4, 3), (4, 3))

``progress`` puts a progress bar on a slow loop (over seeds, rates, configurations) in a
notebook or a terminal.
"""

from __future__ import annotations

import os
import warnings
import weakref
from dataclasses import dataclass

import numpy as np

from . import _checks
from .run import run

__all__ = ["grid", "Grid", "tail_losses", "seeds", "clearly_above", "progress", "loop_bar", "SEED_VARIABLE"]

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
    """Run ``make_optimizer(**axes, **fixed)`` for every combination of the ``axes`` values,
    all in one batch, and keep where each run ended (a map of loss over the settings). Its
    cousin ``search.grid_search`` scores any objective (a validation loss, say) at each setting
    and keeps the best.

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
    for name, values in axes.items():
        _checks.interval(name, values)          # numbers (finite), at least one
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


# --------------------------------------------------------------------------- progress bars

_showing = weakref.WeakSet()     # bars made by ``progress`` that are on screen now
_bar_class = None


def tail_losses(problem, optimizer, x0, steps: int, tail: int, runs: int = 1) -> np.ndarray:
    """Each run's mean loss over its last ``tail`` of ``steps`` updates, ``inf`` for a run that
    diverged: ``runs`` runs of ``optimizer`` from the start ``x0`` (shape ``(d,)``) in one
    batch, replicates that differ only by their noise on a noisy problem. Shape ``(runs,)``.
    What a schedule or a rate is worth on a budget, run by run, so that a mean comes with its
    spread."""
    steps = _checks.positive_int("steps", steps)
    tail = _checks.positive_int("tail", tail)
    if tail > steps:
        raise ValueError(f"tail must be at most steps ({steps}), got {tail}")
    runs = _checks.positive_int("runs", runs)
    x0 = np.asarray(x0, dtype=float)
    if x0.ndim != 1:
        raise ValueError(f"x0 must be one start point, shape (d,), got shape {x0.shape}")
    r = run(problem, optimizer, np.tile(x0, (runs, 1)), steps)
    return np.where(r.diverged, np.inf, r.losses[-tail:].mean(axis=0))


def progress(iterable=None, desc: str | None = None, total: int | None = None, *, disable: bool = False,
             leave: bool = False, **kwargs):
    """A progress bar for a slow loop: ``for s in progress(seeds, desc="training 6 seeds"):``.

    It is ``tqdm.auto.tqdm`` (a widget in Jupyter, a line of text in a terminal) with
    ``leave=False``, so it disappears once the loop is done, and with three differences:

    - in Jupyter it leaves no output behind, not even in a notebook that nbconvert or nbval
      executed and saved (a plain tqdm widget would leave its text there);
    - while one of these bars is showing, every bar made inside it (the epochs of
      ``training.fit``, say) stays hidden: one bar per cell, no stack of bars;
    - tqdm's import warnings (notebook mode, ipywidgets missing) are not shown, and in a
      Jupyter kernel without ipywidgets there is no bar at all rather than lines of text.

    Takes tqdm's other keyword arguments (``unit``, ``mininterval``, ...) as they are.
    """
    cls = _progress_class()
    hidden = bool(disable) or any(not bar.disable for bar in list(_showing))
    if cls is None:
        from tqdm.std import tqdm as cls
        hidden = True
    bar = cls(iterable, desc=desc, total=total, leave=leave, disable=hidden, **kwargs)
    if not bar.disable:
        _showing.add(bar)
    return bar


def loop_bar(show, iterable=None, *, desc: str, total: int | None = None):
    """The bar of a library loop (the epochs of ``training.fit``, say), from its ``progress``
    argument: True, a bar of its own (``progress``); False, none; a bar made by ``progress``,
    no bar of its own: the loop advances that bar by one per item instead, so that a cell
    that runs several such loops can show one bar for all of them::

        with progress(total=2 * epochs, desc="2 sweeps") as bar:
            for schedule in (None, decay):
                T.sweep_rates(..., epochs=epochs, progress=bar)
    """
    if isinstance(show, (bool, type(None))) or not hasattr(show, "update"):
        return progress(iterable, desc=desc, total=total, disable=not show)
    return _Advancing(show, iterable)


class _Advancing:
    """Stands in for a loop's own bar: advances an outer bar instead."""

    def __init__(self, bar, iterable=None):
        self.bar, self.iterable = bar, iterable

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.bar.update()

    def update(self, n=1):
        self.bar.update(n)

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _progress_class():
    """The bar class for this session: tqdm.auto's, made to clean up after itself in
    Jupyter; None in a Jupyter kernel where tqdm can only draw text (no ipywidgets)."""
    global _bar_class
    if _bar_class is not None:
        return _bar_class or None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # "IProgress not found", "notebook mode" notes
        from tqdm.auto import tqdm
    if not any(c.__module__ == "tqdm.notebook" for c in tqdm.__mro__):
        _bar_class = False if _in_kernel() else tqdm
        return _bar_class or None
    from tqdm.std import tqdm as std_tqdm

    class NotebookBar(tqdm):
        """tqdm's widget, shown under a display id so that closing it can also clear its
        output (the text a saved notebook would otherwise keep)."""

        def __init__(self, *args, **kwargs):
            self._handle = None
            super().__init__(*args, display=False, **kwargs)
            if not self.disable and self.delay <= 0:
                self._show()

        def _show(self):
            from IPython.display import display
            self._handle = display(self.container, display_id=True)
            self.displayed = True

        def display(self, *args, check_delay=True, **kwargs):
            super().display(*args, check_delay=False, **kwargs)
            if check_delay and self.delay > 0 and not self.displayed:
                self._show()

        def close(self):
            if self.disable or self.leave:
                return super().close()
            failed = self.container.children[1].bar_style == "danger"   # the iterable itself raised
            std_tqdm.close(self)      # the bookkeeping, without tqdm.notebook's red bar for a loop left early
            if failed:
                return                # keep the red bar: it shows where the loop stopped
            for widget in (*self.container.children, self.container):
                for model in (getattr(widget, "style", None), widget.layout, widget):
                    if model is not None:
                        model.close()
            if self._handle is not None:
                self._handle.update({"text/plain": ""}, raw=True)
                self._handle = None

    _bar_class = NotebookBar
    return _bar_class
