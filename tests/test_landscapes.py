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
    X, Y, Z = bowl.grid(30)
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
