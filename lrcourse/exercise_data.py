"""The data the exercises hand to learners: the noisy bowl of exercise 04.3 and its budget,
the range-test curve of 06.3 and the validation loss of 07.2. No answers live here, so the
grading sandbox gets this module while the checkers (lrcourse.exercises) stay outside it."""

from __future__ import annotations

import numpy as np

from . import landscapes, schedules
from .optimizers import GD
from .sweeps import tail_losses


BUDGET_BOWL = dict(kappa=10.0, L=2.0, sigma=2.0, seed=7, x0=(3.0, 3.0), runs=256)


def _budget_bowl():
    return landscapes.Noisy(landscapes.Quadratic.from_condition(BUDGET_BOWL["kappa"], L=BUDGET_BOWL["L"]),
                            sigma=BUDGET_BOWL["sigma"], seed=BUDGET_BOWL["seed"])


def budget_loss(schedule, steps: int) -> float:
    """Mean loss over the last tenth of ``steps`` updates of noisy GD on the exercise's bowl
    (κ = 10, L = 2, gradient noise σ = 2) with learning-rate ``schedule``, averaged over 256
    runs with fixed seeds (one run is too noisy to compare schedules, and with few runs the best
    of 40 constant rates would be picked partly for its luck)."""
    losses = tail_losses(_budget_bowl(), GD(lr=schedule), BUDGET_BOWL["x0"], steps, max(steps // 10, 1),
                         BUDGET_BOWL["runs"])
    return float(np.mean(losses))           # inf when any run diverged


BUDGET_TARGET = 0.07   # for 300 steps; below what the best constant rate reaches (best_constant_budget)
_BEST_CONSTANT: dict = {}


def best_constant_budget(steps: int = 300) -> tuple:
    """``(η, loss)``: the constant rate with the lowest ``budget_loss`` over a grid of 40 rates
    from 0.005 to 0.95 (geometric; 2/L = 1 is the stability limit), computed once per ``steps``."""
    if steps not in _BEST_CONSTANT:
        etas = np.geomspace(0.005, 0.95, 40)
        runs = BUDGET_BOWL["runs"]               # all 40 rates in one batch, each on budget_loss's noise
        tails = tail_losses(_budget_bowl().repeated(runs), GD(lr=np.repeat(etas, runs)[:, None]), BUDGET_BOWL["x0"],
                            steps, max(steps // 10, 1), 40 * runs).reshape(40, runs)
        losses = tails.mean(axis=1)             # inf where any run diverged
        i = int(np.argmin(losses))
        _BEST_CONSTANT[steps] = (float(etas[i]), float(losses[i]))
    return _BEST_CONSTANT[steps]


def range_test_curve():
    """A range-test curve with a known shape: flat, a steep fall, a minimum, then a blow-up."""
    lrs = np.geomspace(1e-5, 10.0, 61)
    x = np.log10(lrs)
    losses = 2.3 - 1.6 / (1 + np.exp(-3.0 * (x + 2.5))) + 0.8 * np.exp(3.0 * (x - 0.3))
    return lrs, losses


def search_objective(lr):
    """Validation loss against η for exercise 07.2: best near η = 3e-3, blows up above 0.3."""
    x = np.log10(lr)
    return float(0.5 + 0.2 * (x + 2.5) ** 2 + np.exp(4.0 * (x + 0.5)))
