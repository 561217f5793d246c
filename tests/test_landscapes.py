"""Every landscape's gradient and Hessian against finite differences, for several batch shapes."""

import numpy as np
import pytest

from lrcourse import landscapes as L

LANDSCAPES = [
    L.Parabola(curvature=3.0, center=0.5),
    L.Quadratic([1.0, 10.0, 4.0]),
    L.Quadratic.from_condition(kappa=50.0, angle=0.6, center=[1.0, -0.5]),
    L.Rosenbrock(),
    L.Rosenbrock(a=0.5, b=10.0),
    L.DoubleWell(),
    L.DoubleWell(tilt=-0.4, k=3.0),
    L.MultiWell(),
]
IDS = [f"{type(l).__name__}{i}" for i, l in enumerate(LANDSCAPES)]


def points(land, shape, rng):
    lo = np.array([w[0] for w in land.window]) if land.dim <= 2 else -2 * np.ones(land.dim)
    hi = np.array([w[1] for w in land.window]) if land.dim <= 2 else 2 * np.ones(land.dim)
    return lo + (hi - lo) * rng.random(shape + (land.dim,))


@pytest.mark.parametrize("land", LANDSCAPES, ids=IDS)
@pytest.mark.parametrize("shape", [(), (7,), (3, 4)])
def test_gradient_and_hessian_match_finite_differences(land, shape, rng):
    x = points(land, shape, rng)
    h = 1e-5
    eye = np.eye(land.dim)
    fd_grad = np.stack([(land.value(x + h * e) - land.value(x - h * e)) / (2 * h) for e in eye], axis=-1)
    fd_hess = np.stack([(land.grad(x + h * e) - land.grad(x - h * e)) / (2 * h) for e in eye], axis=-1)
    g, H = land.grad(x), land.hessian(x)
    assert land.value(x).shape == shape and g.shape == shape + (land.dim,)
    assert H.shape == shape + (land.dim, land.dim)
    scale = 1 + np.abs(g).max()
    np.testing.assert_allclose(g, fd_grad, atol=1e-6 * scale)
    np.testing.assert_allclose(H, fd_hess, atol=1e-5 * (1 + np.abs(H).max()))
    np.testing.assert_allclose(H, np.swapaxes(H, -1, -2), atol=1e-12)
    value, grad = land.value_and_grad(x)
    np.testing.assert_allclose(value, land.value(x), rtol=1e-13)
    np.testing.assert_allclose(grad, g, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("land", LANDSCAPES, ids=IDS)
def test_minimizers_are_minima_sorted_deepest_first(land):
    m = land.minimizers
    assert m.ndim == 2 and m.shape[1] == land.dim
    np.testing.assert_allclose(land.grad(m), 0, atol=1e-8)
    assert np.all(np.linalg.eigvalsh(land.hessian(m)) > 0)
    values = land.value(m)
    assert np.all(np.diff(values) >= 0) and land.min_value == pytest.approx(values[0])
    assert all(lo < hi for lo, hi in land.window)
    for lo_hi, c in zip(land.window, m.T):
        assert np.all((lo_hi[0] < c) & (c < lo_hi[1]))


def test_several_wells_of_different_depth():
    assert len(L.DoubleWell().minimizers) == 2
    multi = L.MultiWell()
    assert len(multi.minimizers) == 3
    assert len(set(np.round(multi.value(multi.minimizers), 6))) == 3


def test_quadratic_from_eigenvalues_and_condition():
    bowl = L.Quadratic.from_condition(kappa=100.0, L=2.0, angle=0.3)
    assert bowl.L == 2.0 and bowl.mu == pytest.approx(0.02) and bowl.kappa == pytest.approx(100.0)
    np.testing.assert_allclose(np.linalg.eigvalsh(bowl.A), [0.02, 2.0])
    X, Y, Z = bowl.mesh(30)
    assert X.shape == Y.shape == Z.shape == (30, 30)


@pytest.mark.parametrize("make,name", [
    (lambda: L.Parabola(curvature=0), "curvature"),
    (lambda: L.Quadratic([1.0, -2.0]), "eigenvalues"),
    (lambda: L.Quadratic.from_condition(kappa=0.5), "kappa"),
    (lambda: L.Rosenbrock(b=-1), "b"),
    (lambda: L.DoubleWell(tilt=3.0), "tilt"),
    (lambda: L.MultiWell(widths=(0.1, 0.0, 0.3)), "widths"),
])
def test_bad_arguments(make, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        make()


def test_wrong_point_shape_is_explained():
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        L.Rosenbrock().value(np.zeros(3))


def test_noisy_gives_every_run_its_own_stream():
    """Run k of a batch draws the same noise whatever else is in the batch and whether other
    runs diverge; a single run is run 0; a reset repeats the streams."""
    import lrcourse as lrc

    noisy = L.Noisy(L.Quadratic.from_condition(10.0, L=2.0), sigma=2.0, seed=5)
    batch = lrc.run(noisy, lrc.GD(lr=np.array([0.05, 0.3, 1.2, 0.1])[:, None]), [3.0, 3.0], 200)
    assert batch.diverged_at.tolist()[2] > 0 and (batch.diverged_at[[0, 1, 3]] == -1).all()
    alone = lrc.run(noisy, lrc.GD(lr=0.05), [3.0, 3.0], 200)
    assert np.array_equal(alone.xs, batch.xs[:, 0])
    calm = lrc.run(noisy, lrc.GD(lr=np.array([0.05, 0.3, 0.7, 0.1])[:, None]), [3.0, 3.0], 200)
    assert (calm.diverged_at == -1).all()
    assert np.array_equal(calm.xs[:, 3], batch.xs[:, 3])       # the divergence of run 2 changed nothing
    longer = lrc.run(noisy, lrc.GD(lr=np.array([0.05, 0.3, 1.2, 0.1, 0.2, 0.2])[:, None]), [3.0, 3.0], 200)
    assert np.array_equal(longer.xs[:, :4], batch.xs, equal_nan=True)
    twins = lrc.run(noisy, lrc.GD(lr=0.1), np.tile([3.0, 3.0], (2, 1)), 50)
    assert not np.array_equal(twins.xs[:, 0], twins.xs[:, 1])   # replicates differ
    noisy.reset()
    g = noisy.grad(np.zeros((3, 2)), runs=[2, 0, 1])
    noisy.reset()
    assert np.array_equal(noisy.grad(np.zeros((3, 2)))[[2, 0, 1]], g)
    with pytest.raises(ValueError, match="runs must give one run number per row"):
        noisy.grad(np.zeros((3, 2)), runs=[0, 1])
    with pytest.raises(ValueError, match="runs must be run numbers >= 0"):
        noisy.grad(np.zeros((2, 2)), runs=[0, -1])


def test_softmax_problem_gradient_matches_finite_differences(rng):
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 3, size=30)
    prob = L.softmax_problem(X, y, batch_size=30)
    w = rng.normal(size=12) * 0.3
    _, g = prob(w)
    eps = 1e-6
    num = np.array([(prob(w + eps * e)[0] - prob(w - eps * e)[0]) / (2 * eps) for e in np.eye(12)])
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8)


def test_noisy_repeated_gives_every_copy_the_noise_of_the_runs_alone():
    import lrcourse as lrc

    noisy = L.Noisy(L.Quadratic.from_condition(10.0, L=2.0), sigma=2.0, seed=3)
    x0 = np.tile([3.0, 3.0], (4, 1))
    rates = np.array([0.05, 0.2, 1.3])                    # the last one diverges
    both = lrc.run(noisy.repeated(4), lrc.GD(lr=np.repeat(rates, 4)[:, None]), np.tile(x0, (3, 1)), 60)
    for i, lr in enumerate(rates):
        alone = lrc.run(noisy, lrc.GD(lr=float(lr)), x0, 60)
        assert np.array_equal(both.xs[:, 4 * i:4 * i + 4], alone.xs, equal_nan=True)
    assert both.diverged[8:].all() and not both.diverged[:8].any()
    with pytest.raises(ValueError, match="runs"):
        noisy.repeated(0)
