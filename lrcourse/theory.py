"""Closed forms for gradient descent and heavy-ball momentum on a quadratic.

On f(x) = ½ xᵀAx the error along an eigenvector with eigenvalue λ evolves on its own, so
every statement reduces to one number per eigenvalue:

* GD multiplies it by (1 − η·λ) each step: it shrinks iff 0 < η·λ < 2.
* Heavy ball (Δ ← β·Δ − η·g; x ← x + Δ) turns it into the 2-term recursion
  e_{t+1} = (1 + β − η·λ)·e_t − β·e_{t−1}, whose rate is the larger |root| of
  z² − (1 + β − η·λ)·z + β = 0. It converges iff 0 < η·λ < 2 + 2β (0 ≤ β < 1).

All functions broadcast over their arguments, so a whole (η, β) grid is one call.

>>> round(best_gd_rate(100.0), 4), round(heavy_ball_optimum(100.0, 1.0)[2], 4)
(0.9802, 0.8182)
>>> iterations_to_reduce(best_gd_rate(100.0), 1e3), iterations_to_reduce(heavy_ball_optimum(100.0, 1.0)[2], 1e3)
(346, 35)

The rate is an *asymptotic* statement. At the heavy-ball optimum both ends of the spectrum
are critically damped (a double root z), so the error there is (1 + c·t)·zᵗ rather than zᵗ
and the run needs about 46-58 steps, not 35, to gain a factor 1000 (``heavy_ball_error``
gives the exact curve). Still about six times fewer than gradient descent.

References: Polyak (1964) for the heavy ball; Goh, "Why Momentum Really Works" (2017),
for the per-eigenvalue analysis.
"""

from __future__ import annotations

import numpy as np

from . import _checks

__all__ = [
    "gd_stability_limit",
    "best_gd_lr",
    "best_gd_rate",
    "gd_rate",
    "heavy_ball_optimum",
    "heavy_ball_rate",
    "momentum_stability_limit",
    "critical_momentum",
    "rate_map",
    "iterations_to_reduce",
    "gd_error",
    "heavy_ball_error",
]


def gd_stability_limit(L):
    """2/L: GD on a quadratic with top curvature L converges iff 0 < η < 2/L."""
    _checks.positive("L", L)
    return _checks.plain(2.0 / np.asarray(L, dtype=float))


def best_gd_lr(L, mu):
    """2/(L + μ): the fixed rate that makes the slowest eigen-direction as fast as possible."""
    _checks.positive("L", L)
    _checks.positive("mu", mu)
    return _checks.plain(2.0 / (np.asarray(L, dtype=float) + mu))


def best_gd_rate(kappa):
    """(κ − 1)/(κ + 1): the error contraction per step of GD at η = 2/(L + μ)."""
    _checks.interval("kappa", kappa, 1, None)
    kappa = np.asarray(kappa, dtype=float)
    return _checks.plain(((kappa - 1) / (kappa + 1)))


def gd_rate(lr, eigenvalues):
    """max over λ of |1 − η·λ|: the error contraction per step of GD (>= 1 means no convergence).

    ``lr`` broadcasts; the eigenvalues are taken along a new last axis.
    """
    lam = np.atleast_1d(np.asarray(eigenvalues, dtype=float))
    lr = np.asarray(lr, dtype=float)[..., None]
    return _checks.plain(np.max(np.abs(1 - lr * lam), axis=-1))


def heavy_ball_optimum(L, mu):
    """(η*, β*, rate) = ((2/(√L + √μ))², ((√κ − 1)/(√κ + 1))², (√κ − 1)/(√κ + 1))."""
    _checks.positive("L", L)
    _checks.positive("mu", mu)
    if np.any(np.asarray(mu) > np.asarray(L)):
        raise ValueError(f"mu must be <= L, got mu={mu!r} and L={L!r}")
    sL, smu = np.sqrt(L), np.sqrt(mu)
    lr = (2.0 / (sL + smu)) ** 2
    rate = (sL - smu) / (sL + smu)
    return float(lr), float(rate ** 2), float(rate)


def _root_modulus(lr, momentum, lam):
    """Larger |root| of z² − (1 + β − η·λ)·z + β = 0, elementwise."""
    b = 1 + momentum - lr * lam
    disc = b * b - 4 * momentum
    real = 0.5 * (np.abs(b) + np.sqrt(np.maximum(disc, 0.0)))
    # Complex pair: both roots have modulus √β.
    return np.where(disc >= 0, real, np.sqrt(momentum))


def heavy_ball_rate(lr, momentum, eigenvalues):
    """The error contraction per step of heavy-ball momentum: max over λ of the larger |root|.

    ``momentum = 0`` gives back GD's |1 − η·λ|. Values >= 1 mean the run does not converge.
    """
    lam = np.atleast_1d(np.asarray(eigenvalues, dtype=float))
    lr = np.asarray(lr, dtype=float)[..., None]
    momentum = np.asarray(momentum, dtype=float)[..., None]
    return _checks.plain(np.max(_root_modulus(lr, momentum, lam), axis=-1))


def momentum_stability_limit(L, momentum):
    """(2 + 2β)/L: heavy ball converges iff 0 < η < (2 + 2β)/L."""
    _checks.positive("L", L)
    _checks.unit("momentum", momentum)
    return _checks.plain(((2.0 + 2.0 * np.asarray(momentum, dtype=float)) / L))


def critical_momentum(lr, lam):
    """β = (1 − √(η·λ))²: the smallest momentum at which direction λ stops being overdamped
    (for η·λ <= 1)."""
    _checks.positive("lr", lr)
    _checks.positive("lam", lam)
    return _checks.plain(((1 - np.sqrt(np.asarray(lr, dtype=float) * lam)) ** 2))


def rate_map(lrs, momenta, eigenvalues):
    """Heavy-ball rate over a grid: rows follow ``lrs``, columns follow ``momenta``.

    Because |root| is quasi-convex in λ, the worst case over an interval [μ, L] sits at its
    ends, so ``eigenvalues=(mu, L)`` is enough for a bowl whose spectrum fills [μ, L].
    """
    lrs = np.asarray(lrs, dtype=float)
    momenta = np.asarray(momenta, dtype=float)
    return heavy_ball_rate(lrs[:, None], momenta[None, :], eigenvalues)


def iterations_to_reduce(rate, factor: float = 1e3):
    """Steps to shrink the error by ``factor`` at a contraction ``rate`` per step:
    ⌈ln(factor)/(−ln rate)⌉; ``inf`` where rate >= 1."""
    _checks.interval("factor", factor, 1, None, low_open=True)
    _checks.non_negative("rate", rate)           # a contraction factor |1 − η·λ| is >= 0
    rate = np.asarray(rate, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.ceil(np.log(factor) / -np.log(np.clip(rate, 1e-300, None)))
    return np.where(rate < 1, n, np.inf) if np.ndim(n) else (int(n) if rate < 1 else np.inf)


def gd_error(t, lr, lam):
    """e_t / e_0 = (1 − η·λ)ᵗ: the error along the eigenvalue λ after t GD steps."""
    return _checks.plain(np.power(1 - np.asarray(lr, dtype=float) * lam, np.asarray(t, dtype=float)))


def heavy_ball_error(t, lr, momentum, lam):
    """e_t / e_0 along the eigenvalue λ after t heavy-ball steps, starting at rest (Δ = 0).

    With roots z₁ ≠ z₂ of z² − (1 + β − η·λ)·z + β = 0 the error is A·z₁ᵗ + B·z₂ᵗ, where
    A + B = 1 and A·z₁ + B·z₂ = 1 − η·λ (the first step is a plain GD step). At a double
    root z it is (1 + c·t)·zᵗ with c = (1 − η·λ)/z − 1: the extra factor t is why runs at
    exactly critical damping lag behind the rate |z|ᵗ for a while.
    """
    t = np.asarray(t, dtype=float)
    lr = np.asarray(lr, dtype=float)
    beta = np.asarray(momentum, dtype=float)
    b = 1 + beta - lr * lam
    root = np.sqrt(b * b - 4 * beta + 0j)
    z1, z2 = (b + root) / 2, (b - root) / 2
    first = 1 - lr * lam
    double = np.abs(root) <= 1e-6 * np.maximum(np.abs(b), 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(double, 0, (first - z2) / np.where(double, 1, z1 - z2))
        distinct = a * z1 ** t + (1 - a) * z2 ** t
        z = b / 2
        repeated = (1 + (first / np.where(z == 0, 1, z) - 1) * t) * z ** t
    return _checks.plain(np.real(np.where(double, repeated, distinct)))


# --------------------------------------------------------------------------- Nesterov (lesson 03)
#
# Nesterov's method (Δ ← β·Δ − η·g(x); x ← x + β·Δ − η·g(x), see ``optimizers.Nesterov``) turns
# the error along an eigenvalue λ into e_{t+1} = (1 + β)(1 − η·λ)·e_t − β·(1 − η·λ)·e_{t−1}:
# the heavy-ball recursion with the momentum term also multiplied by (1 − η·λ).

__all__ += ["nesterov_rate", "nesterov_stability_limit", "nesterov_optimum"]


def _nesterov_root_modulus(lr, momentum, lam):
    """Larger |root| of z² − (1 + β)(1 − η·λ)·z + β·(1 − η·λ) = 0, elementwise."""
    q = 1 - lr * lam
    b, c = (1 + momentum) * q, momentum * q
    root = np.sqrt(b * b - 4 * c + 0j)
    return np.maximum(np.abs((b + root) / 2), np.abs((b - root) / 2))


def nesterov_rate(lr, momentum, eigenvalues):
    """The error contraction per step of Nesterov's method: max over λ of the larger |root| of
    z² − (1 + β)(1 − η·λ)·z + β·(1 − η·λ) = 0. Values >= 1 mean the run does not converge.

    ``lr`` and ``momentum`` broadcast; the eigenvalues are taken along a new last axis.
    ``momentum = 0`` gives back GD's |1 − η·λ|.

    >>> round(nesterov_rate(0.05, 0.0, [1.0, 10.0]), 4) == round(gd_rate(0.05, [1.0, 10.0]), 4)
    True
    """
    lam = np.atleast_1d(np.asarray(eigenvalues, dtype=float))
    lr = np.asarray(lr, dtype=float)[..., None]
    momentum = np.asarray(momentum, dtype=float)[..., None]
    return _checks.plain(np.max(_nesterov_root_modulus(lr, momentum, lam), axis=-1))


def nesterov_stability_limit(L, momentum):
    """(2 + 2β)/((1 + 2β)·L): Nesterov's method converges on a quadratic with top curvature L iff
    0 < η < this limit. It *shrinks* as β grows (from 2/L at β = 0 towards 4/(3L)), while the
    heavy ball's limit (2 + 2β)/L grows.

    >>> nesterov_stability_limit(1.0, 0.0), round(nesterov_stability_limit(1.0, 0.5), 4)
    (2.0, 1.5)
    """
    _checks.positive("L", L)
    _checks.unit("momentum", momentum)
    beta = np.asarray(momentum, dtype=float)
    return _checks.plain((2.0 + 2.0 * beta) / ((1.0 + 2.0 * beta) * L))


def nesterov_optimum(L, mu):
    """(η, β, rate) that minimise Nesterov's worst rate over curvatures in [μ, L]:
    η = 4/(3L + μ), β = (√(3κ + 1) − 2)/(√(3κ + 1) + 2), rate 1 − 2/√(3κ + 1)
    (Lessard, Recht & Packard 2016). Slower than the heavy-ball optimum (√κ − 1)/(√κ + 1) on
    quadratics. Off quadratics, Nesterov's method with the textbook pair η = 1/L,
    β = (√κ − 1)/(√κ + 1) has a proven rate on every smooth strongly convex function, while the
    heavy ball at its quadratic optimum can fail to converge (lesson 03 runs Lessard et al.'s
    example).

    >>> [round(v, 4) for v in nesterov_optimum(100.0, 1.0)]
    [0.0133, 0.7933, 0.8847]
    """
    _checks.positive("L", L)
    _checks.positive("mu", mu)
    if np.any(np.asarray(mu) > np.asarray(L)):
        raise ValueError(f"mu must be <= L, got mu={mu!r} and L={L!r}")
    q = np.sqrt(3.0 * L / mu + 1.0)
    return float(4.0 / (3.0 * L + mu)), float((q - 2.0) / (q + 2.0)), float(1.0 - 2.0 / q)
