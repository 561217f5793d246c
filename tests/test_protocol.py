"""The optimizer protocol (lrcourse/optimizers.py's docstring) and the run loop's contract: an
optimizer written from that text alone works in ``run``, ``sweeps.grid``, the range test and a
dashboard; a plateau rule is stepped per run also inside a batch; a run of N steps serves
exactly N updates, also of a schedule that ends at N."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest

import lrcourse as lrc
from lrcourse import landscapes as L
from lrcourse import schedules as S


class SignState(NamedTuple):
    t: int
    last: np.ndarray          # the previous step, per run: cut when a run is dropped


@dataclass(frozen=True)
class SignGD:
    """x ← x − η·sign(g): written from the protocol text only (not an lrcourse.Optimizer)."""

    lr: float = 0.1

    def init(self, x):
        return SignState(t=0, last=np.zeros_like(np.asarray(x, dtype=float)))

    def step(self, x, grad, state):
        lr = self.lr(state.t) if callable(self.lr) else self.lr
        step = lr * np.sign(grad)
        return x - step, SignState(state.t + 1, step)


def test_a_third_party_optimizer_runs_alone_and_in_a_batch():
    bowl = L.Quadratic([1.0, 4.0])
    one = lrc.run(bowl, SignGD(lr=0.05), x0=[1.0, -1.0], steps=30)
    assert one.loss < bowl.value(np.array([1.0, -1.0])) and np.allclose(one.lrs, 0.05)
    rates = np.array([0.05, 0.2, 1e6])[:, None]          # the last run leaves any bound at once
    batch = lrc.run(bowl, SignGD(lr=rates), x0=[1.0, -1.0], steps=30)
    assert list(batch.diverged) == [False, False, True] and batch.diverged_at[2] == 1
    np.testing.assert_array_equal(batch.xs[:, 0], one.xs)   # dropping a run leaves the others alone
    decay = S.step_decay(0.1, 0.5, 2)
    with_schedule = lrc.run(bowl, SignGD(lr=decay), x0=[1.0, -1.0], steps=5)
    np.testing.assert_array_equal(with_schedule.lrs, decay(np.arange(5)))


def test_a_third_party_optimizer_in_a_grid_sweep_the_range_test_and_a_dashboard():
    bowl = L.Quadratic([1.0, 4.0])
    g = lrc.sweeps.grid(bowl, SignGD, x0=[1.0, -1.0], steps=40, lr=np.logspace(-3, 0, 7))
    assert g.loss.shape == (7,) and np.isfinite(g.best()["loss"])
    from lrcourse import lr_finder

    rt = lr_finder.range_test(bowl, [1.0, -1.0], SignGD(), 1e-4, 10.0, steps=60)
    assert rt.lrs.size > 10 and set(rt.suggestions()) == {"steepest", "minimum/10", "valley"}
    widgets = pytest.importorskip("lrcourse.widgets")
    board = widgets.range_test_explorer(bowl, [1.0, -1.0], optimizer=SignGD(), steps=60)
    before = board.state["test"].lrs[-1]
    board.controls["lr_max"].value = 1.0              # a slider moves: the dashboard recomputes
    assert board.state["test"].lrs[-1] < before


def test_a_bare_optimizer_with_only_init_and_step_runs_and_its_rates_are_not_invented():
    class Halve:
        def init(self, x):
            return (0,)

        def step(self, x, grad, state):
            return x / 2, (state[0] + 1,)

    r = lrc.run(L.Parabola(), Halve(), x0=[8.0], steps=3)
    np.testing.assert_allclose(r.xs[:, 0], [8.0, 4.0, 2.0, 1.0])
    assert np.isnan(r.lrs).all() and r.lrs.shape == (3,)


def test_a_plateau_rule_is_stepped_for_each_run_of_a_batch():
    well = L.DoubleWell()
    rule = S.ReduceOnPlateau(0.28, factor=0.5, patience=3)
    alone = lrc.run(well, lrc.GD(lr=rule), x0=[1.2, 0.5], steps=100)
    # the caller's rule was the one stepped (once more after the last update)
    assert rule.lr <= alone.lrs[-1] < 0.28 and len(rule.history) >= 100
    pair = lrc.run(well, lrc.GD(lr=S.ReduceOnPlateau(0.28, factor=0.5, patience=3)),
                   x0=[[1.2, 0.5], [-1.0, 0.3]], steps=100)
    np.testing.assert_array_equal(pair.lrs[:, 0], alone.lrs)
    np.testing.assert_array_equal(pair.losses[:, 0], alone.losses)
    other = lrc.run(well, lrc.GD(lr=S.ReduceOnPlateau(0.28, factor=0.5, patience=3)), x0=[-1.0, 0.3], steps=100)
    np.testing.assert_array_equal(pair.lrs[:, 1], other.lrs)


def test_a_run_of_n_steps_serves_a_one_cycle_of_n_steps_exactly():
    schedule = S.one_cycle(0.1, 300, 0.3)
    r = lrc.run(L.Quadratic([1.0, 10.0]), lrc.GD(lr=schedule), x0=[1.0, 1.0], steps=300)
    np.testing.assert_array_equal(r.lrs, schedule(np.arange(300)))
    with pytest.raises(ValueError):
        schedule(300)                                  # there is no update 301 in a one-cycle of 300
    table = schedule.tabulated(300)
    assert table(7) == schedule(7) and np.array_equal(table(np.arange(300)), schedule(np.arange(300)))


def test_the_run_loop_fits_on_one_screen():
    import inspect

    lines = [line for line in inspect.getsource(lrc.run).splitlines() if line.strip()]
    body = lines[lines.index(next(line for line in lines if line.strip().startswith('"""'))):]
    assert len(lines) <= 45, f"run() has {len(lines)} lines"
    assert body
