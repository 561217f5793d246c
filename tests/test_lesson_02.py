"""Lesson 02: the line search really searches, the race is tuned fairly, and exercise 02.2
says what is wrong with a wrong sufficient-decrease condition."""

import doctest
import re
from pathlib import Path

import numpy as np
import pytest

import lrcourse as lrc
from lrcourse import exercises as E
from lrcourse import landscapes, linesearch
from lessons import load_source  # noqa: E402  (tests/lessons.py)

ROOT = Path(__file__).resolve().parents[1]


def lesson_code():
    path = ROOT / "tools" / "notebooks" / "02_curvature_newton_line_search.py"
    module = load_source(path)
    return "\n".join(src for kind, src, *_ in module.CELLS if kind == "code")


def starts(bowl, n=16, seed=0):
    u = np.random.default_rng(seed).normal(size=(n, 2))
    return u / np.sqrt(bowl.value(u))[:, None]


def test_linesearch_docstring_examples():
    result = doctest.testmod(linesearch)
    assert result.failed == 0 and result.attempted > 0


def test_trial_step_one_over_L_never_backtracks_and_is_plain_gd():
    bowl = landscapes.Quadratic.from_condition(100.0, L=1.0, angle=0.3)
    x0 = [-2.0, 1.5]
    search = linesearch.backtracking(bowl, x0, 200, lr0=1.0)
    assert search.backtracks.sum() == 0
    np.testing.assert_allclose(search.xs, lrc.run(bowl, lrc.GD(lr=1.0), x0, 200).xs)


def test_the_search_in_lesson_02_backtracks():
    # the notebook's setting: κ = 100, rotated by 0.3 rad, 16 starts at loss 1, trial step 100
    bowl = landscapes.Quadratic.from_condition(100.0, L=1.0, angle=0.3)
    search = linesearch.backtracking(bowl, starts(bowl), 1500, lr0=100.0, tol=1e-8)
    taken = search.lrs > 0
    assert np.all(search.backtracks[taken] >= 1)                # every step backtracked at least once
    assert np.any(search.lrs > 2 / bowl.L)                      # and some accepted steps exceed 2/L
    assert np.all(search.steps_to(1e-8) >= 0)
    assert np.all(search.evaluations == 1 + taken.sum(axis=0) + search.backtracks.sum(axis=0))
    code = lesson_code()
    assert "lr0=lr0" in code and "for lr0 in [1.0, 100.0]" in code
    assert "lr0=trials[:, None]" in code and "lr0=fine[:, None]" in code


def test_dashboard_search_backtracks_and_trial_step_is_a_slider():
    W = pytest.importorskip("lrcourse.widgets")
    dash = W.curvature_race(kappa=30.0)
    assert dash.state["armijo_backtracks"] > 0
    n = dash.state["steps_to_1e-8"]["Armijo backtracking"]
    assert n > 0 and f"with {int(dash.state['armijo'].backtracks[:n].sum())} backtracks in those {n} steps" \
        in dash.state["caption"]
    dash.controls["lr0"].value = 1.0
    assert dash.state["armijo_backtracks"] == 0


def test_batched_search_matches_single_runs():
    bowl = landscapes.Quadratic.from_condition(30.0, L=1.0, angle=0.5)
    x0 = starts(bowl, 3)
    trials = np.array([1.0, 7.0, 300.0])
    batch = linesearch.backtracking(bowl, x0, 80, lr0=trials[:, None])
    for i, lr0 in enumerate(trials):
        for j in range(3):
            one = linesearch.backtracking(bowl, x0[j], 80, lr0=lr0)
            np.testing.assert_allclose(one.xs, batch.xs[:, i, j], rtol=1e-12, atol=1e-15)
            np.testing.assert_array_equal(one.backtracks, batch.backtracks[:, i, j])


def test_doubling_a_trial_step_beyond_two_over_mu_only_adds_an_evaluation_per_step():
    bowl = landscapes.Quadratic.from_condition(100.0, L=1.0, angle=0.3)
    x0 = starts(bowl, 2)
    a = linesearch.backtracking(bowl, x0, 1000, lr0=250.0, tol=1e-8)
    b = linesearch.backtracking(bowl, x0, 1000, lr0=500.0, tol=1e-8)
    np.testing.assert_array_equal(a.xs, b.xs)
    np.testing.assert_array_equal(b.evaluations - a.evaluations, a.steps_to(1e-8))


def test_race_tunes_every_method_on_the_same_budget():
    code = lesson_code()
    grid = re.search(r"grid = (.+?)\s+#", code).group(1)
    trials = re.search(r"trials = (.+?)\s+#", code).group(1)
    values = {"grid": eval(grid, {"np": np}), "trials": eval(trials, {"np": np})}
    assert len(values["grid"]) == len(values["trials"]) == 16
    assert values["trials"].max() > 100 * 2            # trial steps far beyond 2/L
    assert 1.0 in values["grid"]                         # the diagonal rate α = 1 is tried
    for name in ['"GD"', '"diagonal"', '"Armijo"', '"Armijo, all evaluations"']:
        assert name in code
    assert "np.argmin(mean)" in code


@pytest.mark.parametrize("rule, words", [
    ("plus", "wrong sign"),
    ("plain", "sufficient decrease"),
    ("norm", r"uses \|g\| where it needs \|g\|²"),
    ("no_lr", "lacks η"),
])
def test_exercise_02_2_names_the_wrong_condition(rule, words):
    def armijo(f, grad, w, lr0=1.0, shrink=0.5, c=1e-4):
        g = grad(w)
        f0, gg, lr = f(w), float(g @ g), lr0
        bound = {"plus": lambda lr: f0 + c * lr * gg, "plain": lambda lr: f0,
                 "norm": lambda lr: f0 - c * lr * np.sqrt(gg), "no_lr": lambda lr: f0 - c * gg}[rule]
        while f(w - lr * g) > bound(lr) and lr > 1e-14:
            lr *= shrink
        return lr

    with pytest.raises(E.Wrong, match=words):
        E.check("02.2", armijo)


def test_exercise_02_2_other_mistakes():
    def armijo(f, grad, w, lr0=1.0, shrink=0.5, c=1e-4, uphill=False, extra=1.0):
        g = grad(w)
        f0, gg, lr = f(w), float(g @ g), lr0
        while f(w + (1 if uphill else -1) * lr * g) > f0 - c * lr * gg and lr > 1e-14:
            lr *= shrink
        return lr * extra

    with pytest.raises(E.Wrong, match="downhill"):
        E.check("02.2", lambda *a, **k: armijo(*a, **k, uphill=True))
    with pytest.raises(E.Wrong, match="one shrink too many"):
        E.check("02.2", lambda *a, **k: armijo(*a, **k, extra=k.get("shrink", 0.5)))
    with pytest.raises(E.Wrong, match="one number"):
        E.check("02.2", lambda f, grad, w, **k: w - armijo(f, grad, w, **k) * grad(w))
    E.check("02.2", armijo)


def test_race_grid_brackets_gd_and_a_fine_control_backs_the_ranking():
    # GD's best rate sits just below its cliff 2/L; the race's grid must reach the cliff, and the
    # lesson tunes GD finely as a control so that the ranking does not hinge on the grid
    code = lesson_code()
    grid = eval(re.search(r"grid = (.+?)\s+#", code).group(1), {"np": np})
    assert grid.max() >= 2.0                                   # 2/L for L = 1
    assert '"GD, fine"' in code and "every ranking above stays the same" in code
    bowl = landscapes.Quadratic.from_condition(100.0, L=1.0, angle=0.3)
    x0 = starts(bowl)
    coarse = lrc.run(bowl, lrc.GD(lr=grid[:, None, None]), x0, 1000).steps_to(1e-8)
    fine_eta = np.round(np.arange(1.0, 2.0, 0.01), 2)
    fine = lrc.run(bowl, lrc.GD(lr=fine_eta[:, None, None]), x0, 1000).steps_to(1e-8)
    mean = lambda n: np.where((n >= 0).all(-1), n.mean(-1), np.inf)
    assert np.argmin(mean(coarse)) < len(grid) - 1             # the best is not the grid's edge
    i = int(np.argmin(mean(fine)))
    assert 0 < i < len(fine_eta) - 1                            # the control brackets its best too
    assert mean(fine)[i] < mean(coarse).min()                   # and finds a faster rate than the grid
    armijo = linesearch.backtracking(bowl, x0, 1000, lr0=np.geomspace(1.0, 1000.0, 16)[:, None], tol=1e-8)
    n = armijo.steps_to(1e-8)
    j = int(np.argmin(mean(n)))
    assert mean(n)[j] + n[j].std() < mean(fine)[i] - fine[i].std()   # Armijo still faster, beyond the spread
