"""Newton's method, and Armijo backtracking, which evaluates several shrunken trial steps in one
call of the loss: its results must be those of the plain loop that shrinks one step at a time."""

import numpy as np
import pytest

from lrcourse import landscapes as L, linesearch, widgets as W


def one_shrink_at_a_time(landscape, x0, steps, lr0, shrink=0.5, c=1e-4):
    """The textbook loop: try η, multiply it by ``shrink`` until Armijo's condition holds."""
    x, lr0 = np.asarray(x0, float), np.asarray(lr0, float)
    batch = np.broadcast_shapes(x.shape[:-1], lr0.shape)
    x = np.broadcast_to(x, batch + x.shape[-1:]).copy()
    lr0 = np.broadcast_to(lr0, batch)
    f = np.asarray(landscape.value(x), float)
    xs, shrinks, evaluations = [x], [], np.ones(batch, int)
    active = np.ones(batch, bool)
    for _ in range(steps):
        g = landscape.grad(x)
        g2 = np.sum(g * g, -1)
        active &= ~(g2 < 1e-28)
        if not active.any():
            break
        lr = np.where(active, lr0, 0.0)
        f_new = landscape.value(x - lr[..., None] * g)
        evaluations += active
        fail = active & (f_new > f - c * lr * g2)
        count = np.zeros(batch, int)
        while fail.any():
            lr = np.where(fail, lr * shrink, lr)
            count += fail
            evaluations += fail
            f_new = np.where(fail, landscape.value(x - lr[..., None] * g), f_new)
            fail &= (f_new > f - c * lr * g2) & (lr > 1e-12)
        x = x - lr[..., None] * g
        f = np.where(active, f_new, f)
        xs.append(x)
        shrinks.append(count)
    return np.array(xs), np.array(shrinks), evaluations


@pytest.mark.parametrize("seed", range(12))
def test_backtracking_is_the_one_shrink_at_a_time_loop(seed):
    rng = np.random.default_rng(seed)
    land = [L.Quadratic.from_condition(10 ** rng.uniform(0, 3), L=1.0, angle=rng.uniform(0, 1.5)),
            L.Rosenbrock(), L.MultiWell()][seed % 3]
    shrink = float(rng.choice([0.5, 0.3, 0.77, 0.9]))
    lr0 = np.append(10 ** rng.uniform(-2, 3, size=3), 1e5)[:, None]   # some never backtrack, some > 8 times
    x0 = rng.normal(size=(3, 2))
    r = linesearch.backtracking(land, x0, 60, lr0=lr0, shrink=shrink)
    xs, shrinks, evaluations = one_shrink_at_a_time(land, x0, 60, lr0, shrink)
    n = len(shrinks)
    np.testing.assert_array_equal(r.xs[:n + 1], xs)
    np.testing.assert_array_equal(r.backtracks[:n], shrinks)
    np.testing.assert_array_equal(r.evaluations, evaluations)
    assert shrinks.max() > 8 or seed % 3, "the test must include a step that needs more than one ladder"


def test_a_step_that_never_passes_stops_at_the_smallest_step():
    # a loss that rises in every direction of descent: Armijo never holds, η shrinks to 1e-12
    class Upward:
        def value(self, x):
            return np.where(np.all(np.asarray(x) == 0, axis=-1), 0.0, 1.0)

        def grad(self, x):
            return np.ones_like(np.asarray(x, dtype=float))

    r = linesearch.backtracking(Upward(), [0.0, 0.0], steps=1, lr0=1.0)
    xs, shrinks, evaluations = one_shrink_at_a_time(Upward(), [0.0, 0.0], 1, 1.0)
    assert int(r.backtracks[0]) == int(shrinks[0]) == 40         # 2^-40 < 1e-12 < 2^-39
    assert r.lrs[0] <= 1e-12 and r.evaluations == evaluations


def test_the_race_dashboard_batches_bowls_without_changing_a_run():
    # moving the angle fills every angle's runs in one batched call; each equals its own run
    dash = W.curvature_race(kappa=30.0, angle=0.0, lr0=100.0, steps=60)
    angles = W.positions(dash.controls["angle"])
    for a in angles[[1, 7, 18]]:
        dash.controls["angle"].value = float(a)
        land = L.Quadratic.from_condition(30.0, L=1.0, angle=float(a))
        alone = linesearch.backtracking(land, np.array([-2.0, 1.5]), 60, lr0=100.0)
        assert dash.state["armijo_backtracks"] == int(alone.backtracks.sum())
        np.testing.assert_allclose(dash.state["armijo"].losses, alone.losses, rtol=1e-10, atol=1e-300)
    kappas = W.positions(dash.controls["kappa"])
    dash.controls["kappa"].value = float(kappas[-3])
    land = L.Quadratic.from_condition(float(kappas[-3]), L=1.0, angle=float(angles[18]))
    alone = linesearch.backtracking(land, np.array([-2.0, 1.5]), 60, lr0=100.0)
    assert dash.state["armijo_backtracks"] == int(alone.backtracks.sum())


def test_backtracking_stops_at_tol_or_a_vanishing_gradient_and_holds_its_point():
    bowl = L.Quadratic([1.0, 4.0])
    x0 = np.array([[1.0, 1.0], [0.0, 0.0], [1e3, 1e3]])        # the second starts at the minimum
    r = linesearch.backtracking(bowl, x0, steps=30, lr0=0.25, tol=1e-6)   # η₀ = 1/L: no backtracking
    assert isinstance(r, linesearch.SearchRun)
    first = int(np.argmax(r.losses[:, 0] <= 1e-6))
    assert first > 0 and r.stopped_at.tolist() == [first, 0, -1]
    assert np.all(r.xs[first:, 0] == r.xs[first, 0]) and np.all(r.lrs[first:, 0] == 0)
    assert np.all(r.xs[:, 1] == 0) and r.losses[-1, 2] > 1e-6
    assert r.evaluations.tolist() == [1 + first, 1, 31] and r.backtracks.sum() == 0


@pytest.mark.parametrize("kappa", [1.0, 1e3, 1e6])
def test_newton_lands_on_a_bowls_minimum_in_one_step_whatever_its_condition(kappa):
    bowl = L.Quadratic.from_condition(kappa, L=1.0, angle=0.4, center=[0.5, -1.0])
    r = linesearch.newton(bowl, [-2.0, 1.5], steps=5)
    np.testing.assert_allclose(r.xs[1:], np.tile(bowl.center, (5, 1)), atol=1e-9)
    assert r.xs.shape == (6, 2) and r.losses.shape == (6,) and r.diverged_at == -1
    assert r.lrs[0] == 1.0 and r.loss < 1e-20


def test_damped_newton_cuts_the_distance_to_a_bowls_minimum_by_the_same_factor_each_step():
    bowl = L.Quadratic([0.01, 100.0], center=[1.0, 2.0])
    x0 = np.array([3.0, -2.0])
    r = linesearch.newton(bowl, x0, steps=4, damping=0.25)
    np.testing.assert_allclose(r.xs, bowl.center + 0.75 ** np.arange(5)[:, None] * (x0 - bowl.center), rtol=1e-12)
    np.testing.assert_allclose(r.losses, bowl.value(r.xs), rtol=1e-12)
    np.testing.assert_array_equal(r.lrs, [0.25] * 4)


def test_newton_finds_rosenbrocks_minimum_and_holds_it_once_the_gradient_vanishes():
    r = linesearch.newton(L.Rosenbrock(), [-1.2, 1.0], steps=20)
    np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-12)
    taken = int(np.count_nonzero(r.lrs))
    assert 0 < taken < 20 and np.all(r.lrs[:taken] == 1.0)
    assert np.all(r.xs[taken:] == r.x) and np.all(r.losses[taken:] == r.loss)


@pytest.mark.parametrize("fn,kwargs,name", [
    (linesearch.newton, dict(damping=0.0), "damping"),
    (linesearch.newton, dict(damping=1.5), "damping"),
    (linesearch.newton, dict(steps=-1), "steps"),
    (linesearch.backtracking, dict(lr0=0.0), "lr0"),
    (linesearch.backtracking, dict(shrink=1.0), "shrink"),
    (linesearch.backtracking, dict(c=0.0), "c"),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_bad_arguments_name_the_argument(fn, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        fn(L.Quadratic([1.0, 4.0]), [1.0, 1.0], **kwargs)
