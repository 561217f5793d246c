"""Test landscapes: loss functions with known gradients, Hessians and minimizers.

Every landscape takes points of shape ``(..., d)`` and returns

* ``value(x)``   shape ``(...)``,
* ``grad(x)``    shape ``(..., d)``,
* ``hessian(x)`` shape ``(..., d, d)``,

so one call evaluates a single point, a path, or a whole grid of runs. Each also knows
``minimizers`` (shape ``(k, d)``, deepest first), ``min_value`` and a plotting ``window``
(``((x_lo, x_hi),)`` in 1-D, ``((x_lo, x_hi), (y_lo, y_hi))`` in 2-D).

>>> bowl = Quadratic.from_condition(kappa=10.0)
>>> float(bowl.value([0.0, 0.0])), bowl.L, bowl.mu
(0.0, 10.0, 1.0)
"""

from __future__ import annotations

import numpy as np

from . import _checks

__all__ = ["Landscape", "Parabola", "Quadratic", "Rosenbrock", "DoubleWell", "MultiWell", "Noisy", "softmax_problem"]


def _points(x, dim: int) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim == 0 or x.shape[-1] != dim:
        raise ValueError(f"x must have shape (..., {dim}) for this {dim}-D landscape, got shape {x.shape}")
    return x


class Landscape:
    """Base class. Subclasses set ``dim``, ``minimizers``, ``window`` and the three maps."""

    dim: int
    name: str = "landscape"
    minimizers: np.ndarray
    window: tuple

    @property
    def minimizer(self) -> np.ndarray:
        """The global minimizer (the deepest one)."""
        return self.minimizers[0]

    @property
    def min_value(self) -> float:
        return float(self.value(self.minimizer))

    def __call__(self, x):
        return self.value(x)

    def value_and_grad(self, x):
        return self.value(x), self.grad(x)

    def mesh(self, n: int = 200, window=None):
        """The loss on an n-point mesh over ``window`` (the landscape's own by default), for
        maps and contour plots: returns (X, Y, Z) in 2-D, (X, Z) in 1-D."""
        n = _checks.positive_int("n", n, minimum=2)
        axes = [np.linspace(lo, hi, n) for lo, hi in (self.window if window is None else window)]
        mesh = np.meshgrid(*axes)
        pts = np.stack(mesh, axis=-1)
        with np.errstate(over="ignore", invalid="ignore"):
            z = self.value(pts)
        return (*mesh, z)


class Parabola(Landscape):
    """f(x) = a/2·(x − c)²  in one dimension; the curvature a is also L and μ."""

    dim = 1
    name = "parabola"

    def __init__(self, curvature: float = 1.0, center: float = 0.0):
        self.curvature = _checks.positive("curvature", _checks.scalar("curvature", curvature))
        self.center = _checks.interval("center", _checks.scalar("center", center))
        self.minimizers = np.array([[self.center]])
        self.window = ((self.center - 3.0, self.center + 3.0),)
        self.L = self.mu = self.curvature

    def value(self, x):
        x = _points(x, 1)
        return 0.5 * self.curvature * (x[..., 0] - self.center) ** 2

    def grad(self, x):
        x = _points(x, 1)
        return self.curvature * (x - self.center)

    def hessian(self, x):
        x = _points(x, 1)
        return np.full(x.shape + (1,), self.curvature)


def _rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


class Quadratic(Landscape):
    """f(x) = ½·(x − c)ᵀ A (x − c),  A = R·diag(λ)·Rᵀ.

    The eigenvalues λ are the curvatures along the principal axes; L = max λ, μ = min λ
    and κ = L/μ is the condition number. In 2-D, ``angle`` (radians) rotates the axes.

    Args:
        eigenvalues: positive curvatures, one per dimension.
        angle: rotation of the principal axes (2-D only).
        rotation: an explicit orthogonal matrix R instead of ``angle`` (any dimension).
        center: the minimizer c (default the origin).
    """

    name = "quadratic"

    def __init__(self, eigenvalues, angle: float = 0.0, rotation=None, center=None):
        _checks.positive("eigenvalues", eigenvalues)     # numbers, not empty, all > 0
        lam = np.atleast_1d(np.asarray(eigenvalues, dtype=float))
        angle = _checks.interval("angle", _checks.scalar("angle", angle))
        if lam.ndim != 1:
            raise ValueError(f"eigenvalues must be a 1-D list of numbers, got shape {lam.shape}")
        _checks.positive("eigenvalues", lam)
        self.dim = lam.size
        if rotation is None:
            rotation = _rotation(angle) if self.dim == 2 else np.eye(self.dim)
            if angle and self.dim != 2:
                raise ValueError("angle only applies to 2-D bowls; pass rotation= for other dimensions")
        _checks.interval("rotation", rotation)
        rotation = np.asarray(rotation, dtype=float)
        if rotation.shape != (self.dim, self.dim) or not np.allclose(rotation @ rotation.T, np.eye(self.dim)):
            raise ValueError(f"rotation must be an orthogonal {self.dim}x{self.dim} matrix")
        self.eigenvalues, self.rotation, self.angle = lam, rotation, angle
        self.A = rotation @ np.diag(lam) @ rotation.T
        if center is not None:
            _checks.interval("center", center)
            if np.shape(center) != (self.dim,):
                raise ValueError(f"center must have shape ({self.dim},), one number per eigenvalue, "
                                 f"got shape {np.shape(center)}")
        self.center = np.zeros(self.dim) if center is None else np.asarray(center, dtype=float).copy()
        self.minimizers = self.center[None, :]
        self.L, self.mu = float(lam.max()), float(lam.min())
        self.kappa = self.L / self.mu
        # Show the start point (±2 on the flat axis) and the minimizer with room to spare.
        half = 2.5
        self.window = tuple((c - half, c + half) for c in self.center)

    @classmethod
    def from_condition(cls, kappa: float, L: float | None = None, mu: float | None = None,
                       angle: float = 0.0, center=None) -> "Quadratic":
        """A 2-D bowl with eigenvalues (μ, L) and L/μ = κ. Give L (default) or μ (default 1)."""
        _checks.interval("kappa", kappa, 1, None)
        if L is not None and mu is not None:
            raise ValueError("give L or mu, not both: the other follows from kappa")
        if L is None:
            mu = 1.0 if mu is None else mu
            _checks.positive("mu", mu)
            L = mu * kappa
        else:
            _checks.positive("L", L)
            mu = L / kappa
        return cls([mu, L], angle=angle, center=center)

    def value(self, x):
        e = _points(x, self.dim) - self.center
        return 0.5 * np.einsum("...i,ij,...j->...", e, self.A, e)

    def grad(self, x):
        e = _points(x, self.dim) - self.center
        return e @ self.A.T

    def hessian(self, x):
        x = _points(x, self.dim)
        return np.broadcast_to(self.A, x.shape[:-1] + self.A.shape).copy()


class Rosenbrock(Landscape):
    """f(x, y) = (a − x)² + b·(y − x²)²: a curved, narrow valley with its minimum at (a, a²).

    The valley floor is nearly flat while the walls are steep (curvature about 200·b·x²
    across, 2 along), so one learning rate cannot suit both directions.
    """

    dim = 2
    name = "rosenbrock"

    def __init__(self, a: float = 1.0, b: float = 100.0):
        self.a = _checks.interval("a", _checks.scalar("a", a), -1e150, 1e150)    # a² stays finite
        self.b = _checks.positive("b", _checks.scalar("b", b))
        self.minimizers = np.array([[self.a, self.a ** 2]])
        self.window = ((-2.0, 2.0), (-1.0, 3.0))

    def value(self, x):
        x = _points(x, 2)
        u, w = x[..., 0], x[..., 1]
        return (self.a - u) ** 2 + self.b * (w - u * u) ** 2

    def grad(self, x):
        x = _points(x, 2)
        u, w = x[..., 0], x[..., 1]
        r = w - u * u
        g = np.empty_like(x)
        g[..., 0] = -2.0 * (self.a - u) - 4.0 * self.b * u * r
        g[..., 1] = 2.0 * self.b * r
        return g

    def value_and_grad(self, x):
        # Shares the work of value() and grad(): this is the inner loop of big sweeps.
        x = _points(x, 2)
        u, w = x[..., 0], x[..., 1]
        r = w - u * u
        da = self.a - u
        br = self.b * r
        g = np.empty_like(x)
        g[..., 0] = -2.0 * da - 4.0 * u * br
        g[..., 1] = 2.0 * br
        return da * da + br * r, g

    def hessian(self, x):
        x = _points(x, 2)
        u, w = x[..., 0], x[..., 1]
        h = np.empty(x.shape + (2,))
        h[..., 0, 0] = 2.0 - 4.0 * self.b * (w - 3.0 * u * u)
        h[..., 0, 1] = h[..., 1, 0] = -4.0 * self.b * u
        h[..., 1, 1] = 2.0 * self.b
        return h


class DoubleWell(Landscape):
    """f(x, y) = (x² − 1)² + tilt·x + ½·k·y²: two valleys near x = ±1.

    A positive ``tilt`` makes the left well (x < 0) the deeper one; ``k`` is the curvature
    across the wells. Which well a run ends in depends on where it starts and on how far
    its steps carry it over the hump at x ≈ 0.
    """

    dim = 2
    name = "double well"

    def __init__(self, tilt: float = 0.3, k: float = 1.0):
        self.tilt = _checks.interval("tilt", _checks.scalar("tilt", tilt), -1.0, 1.0)
        self.k = _checks.positive("k", _checks.scalar("k", k))
        # Stationary points: 4x³ − 4x + tilt = 0; minima where 12x² − 4 > 0.
        roots = np.roots([4.0, 0.0, -4.0, self.tilt])
        roots = np.sort(roots[np.abs(roots.imag) < 1e-12].real)
        minima = [r for r in roots if 12 * r * r - 4 > 0]
        pts = np.array([[r, 0.0] for r in minima])
        self.minimizers = pts[np.argsort(self.value(pts))]
        self.window = ((-2.0, 2.0), (-1.5, 1.5))

    def value(self, x):
        x = _points(x, 2)
        u, w = x[..., 0], x[..., 1]
        return (u * u - 1.0) ** 2 + self.tilt * u + 0.5 * self.k * w * w

    def grad(self, x):
        x = _points(x, 2)
        u, w = x[..., 0], x[..., 1]
        g = np.empty_like(x)
        g[..., 0] = 4.0 * u * (u * u - 1.0) + self.tilt
        g[..., 1] = self.k * w
        return g

    def hessian(self, x):
        x = _points(x, 2)
        u = x[..., 0]
        h = np.zeros(x.shape + (2,))
        h[..., 0, 0] = 12.0 * u * u - 4.0
        h[..., 1, 1] = self.k
        return h


class MultiWell(Landscape):
    """f(x) = ½·s·|x|² − Σᵢ aᵢ·exp(−|x − cᵢ|²/(2σᵢ²)): a wide bowl with Gaussian dents.

    Each dent is a local minimum; they have different depths ``a`` and widths ``σ``, so a
    run can settle in a shallow one. The default has a shallow, narrow well on the way from
    the usual start point and the deepest, wide well further on.

    Args:
        centers: (k, 2) well centres.
        depths: k positive depths a.
        widths: k positive widths σ.
        bowl: curvature s > 0 of the surrounding bowl.
    """

    dim = 2
    name = "multi-well"

    def __init__(self, centers=((-1.5, 1.0), (0.3, 0.2), (1.5, -1.2)), depths=(1.0, 0.5, 2.0),
                 widths=(0.4, 0.3, 0.6), bowl: float = 0.2):
        _checks.interval("centers", centers, -1e3, 1e3)     # a landscape to look at, near the origin
        self.centers = np.asarray(centers, dtype=float)
        if self.centers.ndim != 2 or self.centers.shape[1] != 2:
            raise ValueError(f"centers must have shape (k, 2), got {self.centers.shape}")
        k = len(self.centers)
        _checks.interval("depths", depths, 0, 1e6, low_open=True)
        _checks.interval("widths", widths, 0, 1e3, low_open=True)
        self.depths = np.asarray(depths, dtype=float)
        self.widths = np.asarray(widths, dtype=float)
        if self.depths.shape != (k,) or self.widths.shape != (k,):
            raise ValueError(f"depths and widths need one entry per centre ({k})")
        _checks.positive("depths", self.depths)
        _checks.positive("widths", self.widths)
        self.bowl = _checks.interval("bowl", _checks.scalar("bowl", bowl), 0, 1e6, low_open=True)
        self.window = ((-3.0, 3.0), (-3.0, 3.0))
        self.minimizers = self._find_minima()

    def _bumps(self, x):
        diff = x[..., None, :] - self.centers                    # (..., k, 2)
        r2 = np.sum(diff * diff, axis=-1)                        # (..., k)
        bump = self.depths * np.exp(-r2 / (2 * self.widths ** 2))  # (..., k)
        return diff, bump

    def value(self, x):
        x = _points(x, 2)
        _, bump = self._bumps(x)
        return 0.5 * self.bowl * np.sum(x * x, axis=-1) - bump.sum(axis=-1)

    def grad(self, x):
        x = _points(x, 2)
        diff, bump = self._bumps(x)
        return self.bowl * x + np.sum((bump / self.widths ** 2)[..., None] * diff, axis=-2)

    def hessian(self, x):
        x = _points(x, 2)
        diff, bump = self._bumps(x)
        s2 = self.widths ** 2
        outer = diff[..., :, None] * diff[..., None, :] / s2[:, None, None]   # (..., k, 2, 2)
        each = (bump / s2)[..., None, None] * (np.eye(2) - outer)
        return self.bowl * np.eye(2) + each.sum(axis=-3)

    def _find_minima(self) -> np.ndarray:
        """Newton's method from every centre; keep distinct points with a positive Hessian."""
        x = self.centers.copy()
        for _ in range(100):
            step = np.linalg.solve(self.hessian(x), self.grad(x)[..., None])[..., 0]
            # Damp long steps so Newton stays in the basin it started in.
            norm = np.linalg.norm(step, axis=-1, keepdims=True)
            x = x - step * np.minimum(1.0, 0.2 / np.maximum(norm, 1e-300))
        ok = (np.linalg.norm(self.grad(x), axis=-1) < 1e-9) & np.all(np.linalg.eigvalsh(self.hessian(x)) > 0, axis=-1)
        found = []
        for p in x[ok]:
            if all(np.linalg.norm(p - q) > 1e-6 for q in found):
                found.append(p)
        found = np.array(found)
        return found[np.argsort(self.value(found))]


class Noisy:
    """A landscape whose gradients carry Gaussian noise of size ``sigma`` (like minibatch
    gradients): value is exact, grad is grad + sigma·N(0, 1).

    Every run has its own stream of noise. The noise of run k (its row in a batch; a single
    run is run 0) at its t-th gradient is a pure function of ``(seed, t, k)``: draw t starts
    at position t·2⁴⁸ of one PCG64 stream seeded with ``seed`` and takes row k of what it
    draws there (rows come out in order, so row k does not depend on how many rows follow
    it). So a run's noise is the same whatever else is in its batch, and stays the same when
    ``lrcourse.run`` drops runs that diverged (``run`` passes the rows' run numbers as
    ``runs``). ``reset`` (which ``run`` calls first) starts every stream again, so runs repeat.
    ``repeated(n)`` gives copies of n runs in one batch the same noise.

    >>> noisy = Noisy(Quadratic([1.0, 1.0]), sigma=1.0, seed=3)
    >>> batch = noisy.grad(np.zeros((3, 2)))
    >>> noisy.reset()
    >>> bool(np.array_equal(noisy.grad(np.zeros(2)), batch[0]))   # run 0 alone = run 0 of a batch
    True
    """

    def __init__(self, landscape, sigma: float = 1.0, seed: int = 0):
        if not all(hasattr(landscape, a) for a in ("value", "grad", "dim")):
            raise TypeError(f"landscape must be a landscape (with value, grad and dim), got {landscape!r}")
        self.sigma = _checks.non_negative("sigma", _checks.scalar("sigma", sigma))
        seed = _checks.positive_int("seed", seed, minimum=0)
        self.landscape, self.seed = landscape, seed
        self.dim, self.window, self.minimizers = landscape.dim, landscape.window, landscape.minimizers
        self.runs_per_copy = None               # set by ``repeated``
        self.reset()

    def reset(self):
        """Start every run's stream again."""
        self.draws = 0
        self._bits = np.random.PCG64(self.seed)
        self._origin = self._bits.state
        self._rng = np.random.Generator(self._bits)

    @property
    def min_value(self):
        return self.landscape.min_value

    def value(self, x):
        return self.landscape.value(x)

    def mesh(self, n: int = 200, window=None):
        return self.landscape.mesh(n, window)

    def grad(self, x, runs=None):
        """The noisy gradient at ``x`` (shape ``(d,)`` or ``(..., d)``); ``runs`` gives each row's
        run number (rows of ``x.reshape(-1, d)``), 0, 1, 2, … when it is None."""
        g = self.landscape.grad(x)
        shape = np.shape(g)
        rows = int(np.prod(shape[:-1], dtype=int))
        every = runs is None and self.runs_per_copy is None      # rows 0, 1, …, n − 1
        runs = np.arange(rows) if runs is None else np.asarray(runs, dtype=int).reshape(-1)
        if runs.size != rows:
            raise ValueError(f"runs must give one run number per row of x ({rows}), got {runs.size}")
        if runs.size and runs.min() < 0:
            raise ValueError(f"runs must be run numbers >= 0, got {runs.min()}")
        if self.runs_per_copy is not None:
            runs = runs % self.runs_per_copy
        self._bits.state = self._origin                  # jump to this draw's own stretch
        self._bits.advance(self.draws << 48)
        self.draws += 1
        if rows == 0:
            return g
        noise = self._rng.standard_normal((int(runs.max()) + 1, shape[-1]))
        if not every:
            noise = noise[runs]
        return g + self.sigma * noise.reshape(shape)

    def value_and_grad(self, x, runs=None):
        return self.value(x), self.grad(x, runs)

    def repeated(self, runs: int) -> "Noisy":
        """This problem for a batch made of copies of the same ``runs`` runs (one copy per
        setting, say): run i of the batch gets the noise of run i mod ``runs``, so each copy is
        what those runs give alone, and the settings are compared on common noise."""
        copy = Noisy(self.landscape, self.sigma, self.seed)
        copy.runs_per_copy = _checks.positive_int("runs", runs)
        return copy


def softmax_problem(X, y, batch_size: int = 64, seed: int = 0, classes: int | None = None):
    """Minibatch softmax regression in numpy, as a function ``w -> (loss, grad)`` for
    ``lrcourse.run`` (w flattened, shape (..., d·k) with one row per run). Each call draws
    a new minibatch from a seeded generator, the same one for every run of a batch (so a run
    in a batch sees the minibatches it would see alone); ``reset()`` restarts it, so runs
    repeat. Not a ``Landscape``: it has no window to draw and no known minimum."""
    X, y = _data(X, y)
    batch_size = _checks.positive_int("batch_size", batch_size)
    seed = _checks.positive_int("seed", seed, minimum=0)
    k = int(y.max()) + 1 if classes is None else _checks.positive_int("classes", classes, minimum=int(y.max()) + 1)
    if k > 100_000:
        raise ValueError(f"classes must be at most 100000 (a one-hot table per example), got {k}")
    d = X.shape[1]
    onehot = np.eye(k)[y]

    class Problem:
        dim = d * k

        def reset(self):
            self.rng = np.random.default_rng(seed)

        def __call__(self, w):
            w = np.asarray(w, dtype=float)
            W = w.reshape(*w.shape[:-1], d, k)
            idx = self.rng.choice(len(X), size=min(batch_size, len(X)), replace=False)
            xb, yb = X[idx], onehot[idx]
            z = xb @ W                                   # (..., b, k)
            z = z - z.max(axis=-1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=-1, keepdims=True)
            loss = -np.mean(np.sum(yb * np.log(np.maximum(p, 1e-300)), axis=-1), axis=-1)
            grad = np.swapaxes(xb, -1, -2) @ (p - yb) / len(idx)   # (..., d, k)
            return loss, grad.reshape(*w.shape[:-1], d * k)

    problem = Problem()
    problem.reset()
    return problem


def _data(X, y):
    """``X`` as an (n, d) array of finite numbers and ``y`` as n class labels 0, 1, 2, …"""
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"X must be an (n, d) array of numbers, got {X!r}") from None
    if X.ndim != 2 or 0 in X.shape or not np.all(np.isfinite(X)):
        raise ValueError(f"X must be an (n, d) array of finite numbers with n, d >= 1, got shape {X.shape}")
    labels = np.asarray(y) if not isinstance(y, (str, bytes)) else np.asarray([y])
    if labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"y must be integer class labels, one per row of X, got {y!r}")
    if labels.shape != (len(X),) or labels.min() < 0:
        raise ValueError(f"y must be {len(X)} class labels >= 0 (one per row of X), got shape {labels.shape}")
    return X, labels
