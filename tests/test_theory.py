"""The closed forms on a quadratic hold in simulation."""

import numpy as np
import pytest

import lrcourse as lrc
from lrcourse import landscapes as L, theory as th


@pytest.mark.parametrize("eigs", [(1.0, 10.0), (0.5, 3.0, 40.0)])
def test_gd_converges_just_below_2_over_L_and_diverges_just_above(eigs):
    bowl = L.Quadratic(list(eigs))
    limit = th.gd_stability_limit(bowl.L)
    x0 = np.ones(bowl.dim)
    below = lrc.run(bowl, lrc.GD(lr=0.99 * limit), x0, steps=3000)
    assert not below.diverged and below.loss < 1e-12
    above = lrc.run(bowl, lrc.GD(lr=1.01 * limit), x0, steps=3000)
    assert above.diverged
    # Along the top eigenvector the loss grows by |1 − ηL|² = 1.02² per step.
    top = lrc.run(bowl, lrc.GD(lr=1.01 * limit), np.eye(bowl.dim)[int(np.argmax(eigs))], steps=3000)
    predicted = int(np.floor(np.log(1e6) / (2 * np.log(1.02)))) + 1
    assert top.diverged_at == predicted


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_the_momentum_stability_boundary(momentum):
    bowl = L.Quadratic([1.0, 20.0])
    limit = th.momentum_stability_limit(bowl.L, momentum)
    assert limit == pytest.approx((2 + 2 * momentum) / 20)
    ok = lrc.run(bowl, lrc.Momentum(lr=0.99 * limit, momentum=momentum), [1.0, 1.0], steps=5000)
    bad = lrc.run(bowl, lrc.Momentum(lr=1.01 * limit, momentum=momentum), [1.0, 1.0], steps=5000)
    assert not ok.diverged and ok.loss < 1e-6
    assert bad.diverged
    assert th.heavy_ball_rate(0.99 * limit, momentum, [1.0, 20.0]) < 1 < th.heavy_ball_rate(1.01 * limit, momentum, [1.0, 20.0])


def steps_to_reduce(result, factor=1e3):
    err = np.linalg.norm(result.xs, axis=-1)
    return int(np.argmax(err <= err[0] / factor))


def test_heavy_ball_optimum_at_kappa_100():
    bowl = L.Quadratic([1.0, 100.0])
    lr, mu, rate = th.heavy_ball_optimum(bowl.L, bowl.mu)
    assert (lr, mu, rate) == pytest.approx(((2 / 11) ** 2, (9 / 11) ** 2, 9 / 11))
    gd = lrc.run(bowl, lrc.GD(lr=th.best_gd_lr(bowl.L, bowl.mu)), [1.0, 1.0], steps=1000)
    gd_steps = steps_to_reduce(gd)
    assert abs(gd_steps - th.iterations_to_reduce(th.best_gd_rate(100.0))) <= 0.1 * gd_steps   # ≈ 345
    t = np.arange(400)
    for axis, lam in enumerate(bowl.eigenvalues):
        x0 = np.eye(2)[axis]
        hb = lrc.run(bowl, lrc.Momentum(lr=lr, momentum=mu), x0, steps=400)
        measured = steps_to_reduce(hb)
        # exact theory: the error curve of the 2-term recursion (a double root here)
        predicted = int(np.argmax(np.abs(th.heavy_ball_error(t, lr, mu, lam)) <= 1e-3))
        assert abs(measured - predicted) <= 0.1 * predicted
        # the rate alone (≈ 35 steps) is a lower bound, reached up to the factor (1 + c·t)
        assert th.iterations_to_reduce(rate) <= measured <= 2 * th.iterations_to_reduce(rate)
        assert measured < gd_steps / 5
        np.testing.assert_allclose(hb.xs[:, axis], th.heavy_ball_error(np.arange(401), lr, mu, lam), atol=1e-12)


def test_rate_map_matches_simulated_contraction():
    lrs, mus = np.linspace(0.01, 0.15, 8), np.linspace(0.0, 0.9, 6)
    rates = th.rate_map(lrs, mus, [1.0, 20.0])
    assert rates.shape == (8, 6)
    bowl = L.Quadratic([1.0, 20.0])
    r = lrc.run(bowl, lrc.Momentum(lr=lrs[:, None, None], momentum=mus[None, :, None]), [1.0, 1.0], steps=400)
    err = np.linalg.norm(r.xs, axis=-1)
    fine = (rates < 0.97) & ~r.diverged
    measured = (err[350:].max(axis=0) / err[250:300].max(axis=0)) ** (1 / 100)  # envelope: complex roots oscillate
    np.testing.assert_allclose(measured[fine], rates[fine], rtol=0.03)
    assert np.all(r.diverged[rates > 1.05]) and np.all(~r.diverged[rates < 1])


def test_gd_rate_and_critical_damping():
    assert th.gd_rate(th.best_gd_lr(10.0, 1.0), [1.0, 10.0]) == pytest.approx(th.best_gd_rate(10.0))
    assert th.heavy_ball_rate(0.05, 0.0, [1.0, 10.0]) == pytest.approx(th.gd_rate(0.05, [1.0, 10.0]))
    beta = th.critical_momentum(0.04, 1.0)
    assert beta == pytest.approx(0.64)
    assert th.heavy_ball_rate(0.04, beta, [1.0]) == pytest.approx(np.sqrt(beta))
    assert th.iterations_to_reduce(1.2) == np.inf


@pytest.mark.parametrize("call,name", [
    (lambda: th.gd_stability_limit(0), "L"),
    (lambda: th.best_gd_rate(0.5), "kappa"),
    (lambda: th.heavy_ball_optimum(1.0, -1.0), "mu"),
    (lambda: th.momentum_stability_limit(1.0, 1.0), "momentum"),
    (lambda: th.iterations_to_reduce(0.5, factor=1.0), "factor"),
])
def test_bad_arguments(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        call()
