"""One loop for every experiment: a single run, or a whole batch of runs by broadcasting.

>>> import lrcourse as lrc
>>> bowl = lrc.landscapes.Quadratic([1.0, 10.0])
>>> r = lrc.run(bowl, lrc.GD(lr=0.15), x0=[2.0, 1.0], steps=50)
>>> r.diverged_at, r.xs.shape, r.losses.shape, r.lrs.shape
(-1, (51, 2), (51,), (50,))
>>> lrc.run(bowl, lrc.GD(lr=0.21), x0=[2.0, 1.0], steps=500).diverged_at   # 0.21 > 2/L = 0.2
75

A run inside a batch does the same arithmetic as the run alone, and gets the same numbers bit
for bit wherever the landscape computes each run's row on its own. Where it multiplies a
whole batch by a matrix at once (``(n, d) @ A`` for a quadratic), the last bit of a row can
differ from the single run's ``(d,) @ A``; a stable run keeps that difference at rounding
level, a chaotic one (an adaptive method near its edge of stability) can grow it until the
two runs part. A problem with random gradients (``landscapes.Noisy``) gives each run its own
stream: ``run`` passes ``value_and_grad`` the run number of each row as ``runs=`` (where the
problem's ``value_and_grad`` takes that argument), so run k of a batch gets the same noise
whatever else is in the batch and whichever runs diverged, and a single run gets the noise
of run 0.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
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
    raise TypeError(f"problem must be a landscape (with .value_and_grad) or a function x -> (loss, grad), "
                    f"got {problem!r}")


def run(problem, optimizer, x0, steps: int = 100, *, record: bool = True, max_loss=None) -> Run:
    """Run ``optimizer`` on ``problem`` from ``x0`` for exactly ``steps`` updates.

    Any hyper-parameter of the optimizer may be an array; ``x0`` and those arrays broadcast
    to the batch shape, so one call runs a grid of settings. Overflow inside a diverging
    run is expected and silenced; a run that diverges is dropped from the batch at the step
    where it happened, and the others carry on.

    Args:
        problem: a landscape, or any function ``x -> (loss, grad)`` for ``x`` of shape ``(n, d)``.
            Where its ``value_and_grad`` takes a keyword ``runs``, it gets the run number of
            each row (random gradients use it to give every run its own stream).
        optimizer: anything that follows the optimizer protocol (``lrcourse.optimizers``):
            ``init(x) -> state`` and ``step(x, grad, state) -> (x, state)``.
        x0: start point, shape ``(..., d)``.
        steps: number of updates (>= 0).
        record: keep positions, losses and rates at every step (turn off for big sweeps).
        max_loss: divergence bound in (0, inf], per run or one for all; default
            ``1e6·max(1, |f(x0)|)`` for each run.
    """
    steps = _checks.positive_int("steps", steps, minimum=0)
    record = _checks.flag("record", record)
    value_and_grad = _objective(problem)
    batch = _Batch(optimizer, _start(x0, getattr(problem, "dim", None)), steps, record)
    if _takes_runs(value_and_grad):         # random gradients: one stream per run
        value_and_grad = _following(value_and_grad, batch)
    if hasattr(problem, "reset"):  # noisy problems restart their random stream: runs repeat
        problem.reset()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        batch.start(*value_and_grad(batch.x), max_loss)
        state = batch.opt.init(batch.x)
        for t in range(steps):
            if batch.finished():
                break
            batch.note_rate(t)
            x, state = batch.opt.step(batch.x, batch.g, state)
            state = batch.advance(t, x, *value_and_grad(x), state)
    return batch.result()


class _Batch:
    """The runs of one ``run`` call, flattened to ``(n, d)``: broadcasting the start and the
    optimizer's array-valued hyper-parameters, the divergence bookkeeping, dropping diverged
    runs from the working arrays (and from the optimizer and its state), the records, and one
    ``ReduceOnPlateau`` rule per run."""

    def __init__(self, optimizer, x: np.ndarray, steps: int, record: bool):
        _check_protocol(optimizer)
        self.optimizer, self.steps, self.record = optimizer, steps, record
        self.hyper = _hyper_arrays(optimizer)
        shape = np.broadcast_shapes(x.shape, *[s for h in self.hyper.values() for s in _shapes(h)])
        self.batch, self.d = shape[:-1], shape[-1]
        self.n = n = int(np.prod(self.batch, dtype=int))
        self.x = np.broadcast_to(x, shape).reshape(n, self.d).copy()
        self.active = np.arange(n)             # the runs still in the working arrays
        flat = lambda h: np.broadcast_to(h, shape).reshape(n, self.d)  # noqa: E731
        self.opt = dataclasses.replace(optimizer, **{k: _map(h, flat) for k, h in self.hyper.items()}) \
            if self.hyper else optimizer
        lr = getattr(optimizer, "lr", None)
        self.rules = None
        if isinstance(lr, ReduceOnPlateau):
            # the rule follows its run's loss: one rule per run (the caller's own for one run)
            self.rules = [lr] if n == 1 else [copy.deepcopy(lr) for _ in range(n)]
            for rule in self.rules:
                rule.reset()
            self.rates = np.full(n, lr.initial_lr)
            self.hyper = {**self.hyper, "lr": None}
            self.opt = _with(self.opt, lr=self.rates[:, None].copy())
        elif isinstance(lr, Schedule) and steps:
            table = lr.tabulated(steps)          # a pure function of t: all steps at once
            self.optimizer, self.opt = _with(optimizer, lr=table), _with(self.opt, lr=table)

    def start(self, loss, g, max_loss) -> None:
        n = self.n
        loss = np.asarray(loss, dtype=float).reshape(n)
        if max_loss is None:
            self.bound = 1e6 * np.maximum(1.0, np.abs(loss))
        else:
            _checks.bound("max_loss", max_loss)
            try:
                self.bound = np.broadcast_to(np.asarray(max_loss, dtype=float), self.batch).reshape(n).copy()
            except ValueError:
                raise ValueError(f"max_loss must be one number or broadcast to the batch shape {self.batch}, "
                                 f"got shape {np.shape(max_loss)}") from None
        self.final_x, self.final_loss = self.x.copy(), np.full(n, np.inf)
        self.diverged_at = np.where(np.isfinite(loss), -1, 0)
        if self.record:
            self.xs = np.full((self.steps + 1, n, self.d), np.nan)
            self.losses = np.full((self.steps + 1, n), np.nan)
            self.xs[0], self.losses[0] = self.x, loss
            self.lrs = []
        self.g, self.loss, self.bound_now = np.asarray(g, dtype=float), loss, self.bound
        self.dead = np.zeros(n, dtype=bool)    # diverged, but still in the working arrays
        self._drop(np.isfinite(loss), None)

    def finished(self) -> bool:
        return self.active.size == 0 or bool(self.dead.all())

    def note_rate(self, t: int) -> None:
        if self.record:
            rate = self.rates.reshape(self.batch) if self.rules else _rate_at(self.optimizer, t)
            self.lrs.append(np.array(rate, dtype=float))

    def advance(self, t: int, x, loss, g, state):
        """Take the runs' new positions after update ``t + 1``; returns the state to go on with."""
        loss = np.asarray(loss, dtype=float).reshape(-1)
        fresh = ~((loss <= self.bound_now) & np.isfinite(loss)) & ~self.dead   # NaN and inf too, whatever the bound
        if self.record:
            rows = slice(None) if self.active.size == self.n else self.active
            self.xs[t + 1, rows], self.losses[t + 1, rows] = x, loss
        if fresh.any():
            gone = self.active[fresh]
            self.diverged_at[gone] = t + 1
            self.final_x[gone] = self.x[fresh]                # the last position within bounds
            self.dead |= fresh
        self.x, self.loss, self.g = x, loss, g
        # dropping runs copies every array, so big sweeps without records wait for a tenth
        if self.dead.any() and (self.record or self.dead.sum() > 0.1 * self.active.size):
            state = self._drop(~self.dead, state)
        if self.rules:
            self._step_rules()
        return state

    def _drop(self, keep, state):
        """Keep only the runs in the mask ``keep`` in the working arrays."""
        if keep.all():
            return state
        self.active, self.x, self.g = self.active[keep], self.x[keep], self.g[keep]
        self.loss, self.bound_now = self.loss[keep], self.bound_now[keep]
        self.dead = np.zeros(self.active.size, dtype=bool)
        self.opt = _select(self.opt, self.hyper, keep)
        return None if state is None else _cut(state, keep)

    def _step_rules(self) -> None:
        for j, run_loss in zip(self.active[~self.dead], self.loss[~self.dead]):
            self.rates[j] = self.rules[j].step(float(run_loss))
        self.opt = _with(self.opt, lr=self.rates[self.active][:, None])

    def result(self) -> Run:
        alive = ~self.dead
        self.final_x[self.active[alive]], self.final_loss[self.active[alive]] = self.x[alive], self.loss[alive]
        batch, steps = self.batch, self.steps
        xs = losses = lrs = None
        if self.record:
            xs = self.xs.reshape(steps + 1, *batch, self.d)
            losses = self.losses.reshape(steps + 1, *batch)
            filler = np.full_like(self.lrs[0], np.nan) if self.lrs else np.array(np.nan)
            lrs = np.stack(self.lrs + [filler] * (steps - len(self.lrs))) if steps else np.empty((0,))
        return Run(xs=xs, losses=losses, lrs=lrs, x=self.final_x.reshape(*batch, self.d),
                   loss=_checks.plain(self.final_loss.reshape(batch)),
                   diverged_at=_checks.plain(self.diverged_at.reshape(batch)), steps=steps,
                   max_loss=_checks.plain(self.bound.reshape(batch)))


def _takes_runs(fn) -> bool:
    try:
        return "runs" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _following(value_and_grad, batch):
    """``value_and_grad`` told which run each row of the working arrays belongs to."""
    return lambda x: value_and_grad(x, runs=None if batch.active.size == batch.n else batch.active)


def _check_protocol(optimizer) -> None:
    if not (callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "step", None))):
        raise TypeError("optimizer must follow the optimizer protocol, init(x) and step(x, grad, state) "
                        f"(for example lrc.GD(lr=0.1)), got {optimizer!r}")


def _start(x0, dim: int | None) -> np.ndarray:
    if isinstance(x0, (str, bytes)) or x0 is None:
        raise TypeError(f"x0 must be a start point: numbers of shape (..., d), got {x0!r}")
    try:
        x = np.asarray(x0, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"x0 must be a start point: numbers of shape (..., d), got {x0!r}") from None
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"x0 must have shape (..., d) with d >= 1, got shape {x.shape}")
    if dim is not None and x.shape[-1] != dim:
        raise ValueError(f"x0 must have shape (..., {dim}) for this {dim}-D landscape, got shape {x.shape}")
    return x


def _rate_at(optimizer, t: int):
    """The rate the optimizer uses for update ``t + 1``, for the records (NaN if it has none)."""
    if hasattr(optimizer, "lr_at"):
        return optimizer.lr_at(t)
    lr = getattr(optimizer, "lr", np.nan)
    return lr(t) if callable(lr) else lr


def _with(optimizer, **values):
    """A shallow copy of the optimizer with some fields replaced (no validation again)."""
    changed = copy.copy(optimizer)
    for name, value in values.items():
        object.__setattr__(changed, name, value)
    return changed


def _cut(state, keep):
    """The optimizer state of the runs in ``keep``: arrays with the batch as first axis are
    cut, tuples (NamedTuples) are cut entry by entry, anything else (a step count) is kept."""
    if isinstance(state, tuple):
        return type(state)(*(_cut(s, keep) for s in state)) if hasattr(state, "_fields") \
            else tuple(_cut(s, keep) for s in state)
    if isinstance(state, np.ndarray) and state.ndim >= 1 and state.shape[0] == keep.shape[0]:
        return state[keep]
    return state


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


def _select(optimizer, hyper: dict, keep):
    """The optimizer restricted to the runs in ``keep`` (a mask or index array)."""
    if not hyper:
        return optimizer
    cut = {k: _map(getattr(optimizer, k), lambda h: h[keep]) for k in hyper}
    return _with(optimizer, **cut)
