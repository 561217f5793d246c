"""The run loop: batches equal single runs, divergence is reported, nothing warns."""

import warnings

import numpy as np
import pytest

import lrcourse as lrc
from lrcourse import landscapes as L, schedules as S


@pytest.mark.parametrize("make,some_diverge", [
    (lambda lr, beta: lrc.Momentum(lr=lr, momentum=beta), True),
    (lambda lr, beta: lrc.Nesterov(lr=lr, momentum=beta, convention="pytorch"), True),
    (lambda lr, beta: lrc.RMSprop(lr=lr * 0.1, momentum=beta), False),
    (lambda lr, beta: lrc.Adam(lr=lr * 0.1, betas=(beta, 0.999)), False),
])
def test_a_batched_run_equals_the_loop_of_single_runs(make, some_diverge):
    land = L.Rosenbrock()
    lrs = np.array([1e-4, 5e-4, 2e-3, 6e-3])
    betas = np.array([0.0, 0.5, 0.9])
    x0 = np.array([-1.5, 2.0])
    batch = lrc.run(land, make(lrs[:, None, None], betas[None, :, None]), x0, steps=150)
    assert batch.xs.shape == (151, 4, 3, 2)
    for i, lr in enumerate(lrs):
        for j, beta in enumerate(betas):
            single = lrc.run(land, make(float(lr), float(beta)), x0, steps=150)
            np.testing.assert_array_equal(batch.xs[:, i, j], single.xs)
            np.testing.assert_array_equal(batch.losses[:, i, j], single.losses)
            assert batch.diverged_at[i, j] == single.diverged_at
            np.testing.assert_array_equal(batch.x[i, j], single.x)
    if some_diverge:  # the grid holds both kinds
        assert batch.diverged.any() and not batch.diverged.all()


def test_record_false_gives_the_same_final_state():
    land = L.Rosenbrock()
    opt = lrc.Momentum(lr=np.logspace(-4, -2, 30)[:, None, None], momentum=np.linspace(0, 0.95, 20)[None, :, None])
    full = lrc.run(land, opt, [-1.0, 1.5], steps=200)
    lean = lrc.run(land, opt, [-1.0, 1.5], steps=200, record=False)
    assert lean.xs is None and lean.losses is None
    np.testing.assert_array_equal(full.x, lean.x)
    np.testing.assert_array_equal(full.loss, lean.loss)
    np.testing.assert_array_equal(full.diverged_at, lean.diverged_at)


def test_divergence_is_reported_where_and_when_without_warnings():
    bowl = L.Quadratic([1.0, 10.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = lrc.run(bowl, lrc.GD(lr=0.3), x0=[1.0, 1.0], steps=2000)
    assert r.diverged and r.diverged_at < 2000
    t = r.diverged_at
    assert r.losses[t] > r.max_loss >= r.losses[t - 1]
    assert np.all(np.isnan(r.losses[t + 1:])) and np.all(np.isnan(r.xs[t + 1:]))
    assert r.loss == np.inf and np.all(np.isfinite(r.x))
    np.testing.assert_array_equal(r.x, r.xs[t - 1])
    assert f"diverged at step {t}" in r.summary()


def test_overflow_to_inf_and_nan_counts_as_divergence():
    r = lrc.run(L.Rosenbrock(), lrc.GD(lr=1.0), x0=[2.0, 2.0], steps=50, max_loss=np.inf)
    assert r.diverged and r.loss == np.inf


def test_recorded_rates_follow_the_schedule_and_steps_to():
    sched = S.cosine(0.1, T_max=40)
    r = lrc.run(L.Parabola(), lrc.GD(lr=S.cosine(0.5, T_max=40)), x0=[2.0], steps=40)
    sched = S.cosine(0.5, T_max=40)
    np.testing.assert_array_equal(r.lrs, sched(np.arange(40)))
    reached = r.steps_to(1e-3)
    assert reached > 0 and r.losses[reached] <= 1e-3 < r.losses[reached - 1]
    assert lrc.run(L.Parabola(), lrc.GD(lr=1e-4), x0=[2.0], steps=5).steps_to(1e-3) == -1


def test_plateau_schedule_is_driven_by_the_loss():
    plateau = S.ReduceOnPlateau(0.28, factor=0.5, patience=3)
    r = lrc.run(L.DoubleWell(), lrc.GD(lr=plateau), x0=[1.2, 0.5], steps=100)
    assert not r.diverged
    assert r.lrs[0] == 0.28 and r.lrs[-1] < 0.28
    assert np.all(np.diff(r.lrs) <= 0)


def test_function_problems_and_bad_arguments():
    r = lrc.run(lambda x: (np.sum(x ** 2, -1), 2 * x), lrc.GD(lr=0.1), x0=[1.0, 1.0], steps=10)
    assert r.loss == pytest.approx(2 * 0.8 ** 20)
    with pytest.raises(ValueError, match="steps must"):
        lrc.run(L.Parabola(), lrc.GD(), [1.0], steps=-1)
    with pytest.raises(TypeError, match="problem must"):
        lrc.run(42, lrc.GD(), [1.0], steps=1)
    with pytest.raises(ValueError, match=r"x0 must have shape \(\.\.\., 1\) for this 1-D landscape, got shape \(2,\)"):
        lrc.run(L.Parabola(), lrc.GD(), [1.0, 2.0], steps=1)
    with pytest.raises(TypeError, match="x0 must be a start point"):
        lrc.run(L.Parabola(), lrc.GD(), None, steps=1)
    with pytest.raises(TypeError, match="optimizer must follow the optimizer protocol"):
        lrc.run(L.Parabola(), "GD", [1.0], steps=1)
    for bad in (0.0, -1.0, np.nan):
        with pytest.raises(ValueError, match=r"max_loss must lie in \(0, inf\]"):
            lrc.run(L.Parabola(), lrc.GD(), [1.0], steps=1, max_loss=bad)


def test_grid_sweep_matches_run_and_finds_the_best_setting():
    land = L.Quadratic.from_condition(kappa=10.0)
    lrs, betas = np.logspace(-2, 0.5, 12), np.linspace(0, 0.9, 5)
    g = lrc.sweeps.grid(land, lrc.Momentum, x0=[2.0, 2.0], steps=80, lr=lrs, momentum=betas)
    assert g.loss.shape == (12, 5)
    direct = lrc.run(land, lrc.Momentum(lr=lrs[:, None, None], momentum=betas[None, :, None]), [2.0, 2.0], 80,
                     record=False)
    np.testing.assert_array_equal(g.loss, direct.loss)
    best = g.best()
    assert best["loss"] == np.min(g.loss[~g.diverged])
    assert g.diverged[-1].all() and not g.diverged[0].any()
    with pytest.raises(ValueError, match="at least one axis"):
        lrc.sweeps.grid(land, lrc.Momentum, x0=[2.0, 2.0])


def test_an_infinite_loss_is_a_divergence_even_under_an_infinite_bound():
    r = lrc.run(lrc.landscapes.Rosenbrock(), lrc.GD(lr=1.0), [2.0, 2.0], 50, max_loss=np.inf)
    assert np.isfinite(r.losses[3]) and np.isinf(r.losses[4])
    assert r.diverged_at == 4 and r.loss == np.inf
