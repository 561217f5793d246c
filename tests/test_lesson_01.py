"""Lesson 01: the experiments behind its tables and verdicts, and exercise 01.2."""

import re
from pathlib import Path

import numpy as np
import pytest

import lrcourse as lrc
from lrcourse import exercises as E
from lrcourse import landscapes, theory
from lessons import load_source  # noqa: E402  (tests/lessons.py)

ROOT = Path(__file__).resolve().parents[1]


def lesson_source():
    path = ROOT / "tools" / "notebooks" / "01_what_is_a_learning_rate.py"
    module = load_source(path)
    return module.CELLS


def test_parabola_dashboard_names_the_regime_from_the_factor():
    W = pytest.importorskip("lrcourse.widgets")
    dash = W.gd_parabola(lr=0.3)
    expected = {0.3: "monotone", 1.0: "one step to the minimum", 1.5: "oscillates but converges",
                1.9: "oscillates but converges"}
    for lr, regime in expected.items():
        dash.controls["lr"].value = lr
        assert dash.state["regime"] == regime, lr
    for lr in (2.05, 2.1, 2.2):   # grows slowly: 25 steps stay below the divergence bound at 2.05-2.2
        dash.controls["lr"].value = lr
        assert dash.state["regime"] == "diverges", lr
        assert "diverges" in dash.fig.axes[0].get_title()
    assert not dash.state["result"].diverged        # η·L = 2.2: the label does not come from the bound
    dash.controls["lr"].value = 2.0
    assert "neither converges nor diverges" in dash.state["regime"]


def test_parabola_dashboard_scales_with_curvature():
    W = pytest.importorskip("lrcourse.widgets")
    dash = W.gd_parabola(lr=0.55, curvature=4.0)     # η·L = 2.2
    assert dash.state["regime"] == "diverges"
    dash.controls["lr"].value = 0.45                 # η·L = 1.8
    assert dash.state["regime"] == "oscillates but converges"


def test_mirror_rates_on_the_parabola_take_the_same_steps():
    parabola = landscapes.Parabola(curvature=1.0)
    for lr in (0.1, 0.5, 0.8):
        a = lrc.run(parabola, lrc.GD(lr=lr), x0=[2.0], steps=100).steps_to(1e-6)
        b = lrc.run(parabola, lrc.GD(lr=2 - lr), x0=[2.0], steps=100).steps_to(1e-6)
        assert a == b > 1


def test_about_right_band_on_the_bowl_surrounds_the_best_rate_and_is_lopsided():
    # the 2-D table's criterion: within twice the fewest mean steps of the sweep
    bowl = landscapes.Quadratic.from_condition(10.0, L=1.0, angle=np.pi / 6)
    u = np.random.default_rng(0).normal(size=(16, 2))
    starts = u / np.sqrt(bowl.value(u))[:, None]
    sweep = np.round(np.arange(0.05, 2.1, 0.05), 2)
    n = lrc.run(bowl, lrc.GD(lr=sweep[:, None, None]), x0=starts, steps=1000).steps_to(1e-6)
    ok = (n >= 0).all(axis=1)
    mean = np.where(ok, n.mean(axis=1), np.inf)
    best = int(np.argmin(mean))
    band = sweep[mean <= 2 * mean[best]]
    assert band.min() <= theory.best_gd_lr(bowl.L, bowl.mu) <= band.max()
    assert band.max() < 2 / bowl.L                                   # the cliff is outside the band
    assert sweep[best] - band.min() > 3 * (band.max() - sweep[best])   # lopsided
    assert 0.5 not in band                                           # η = 0.5/L is too low here, for a reason


def test_best_fixed_rate_contraction_formula():
    for kappa in (3.0, 10.0, 100.0):
        L, mu = 1.0, 1.0 / kappa
        rate = theory.best_gd_rate(kappa)
        assert rate == pytest.approx(1 - 2 * mu / (L + mu))
        assert theory.gd_rate(theory.best_gd_lr(L, mu), [mu, L]) == pytest.approx(rate)
        lrs = np.linspace(1e-3, 2 / L, 20001)
        assert theory.gd_rate(lrs, [mu, L]).min() >= rate - 1e-12   # no fixed rate does better


def test_prose_and_code_agree_on_the_step_counts():
    cells = lesson_source()
    text = "\n".join(src for kind, src, *_ in cells if kind == "md")
    code = "\n".join(src for kind, src, *_ in cells if kind == "code")
    table = next(src for kind, src, *_ in cells if kind == "code" and "loss after" in src)
    steps = set(re.findall(r"steps=(\d+)", table))
    assert steps == {"100"}
    assert "loss after 100" in table and "after 100 steps" in text
    assert "after 50 steps" not in text
    assert "3 * fastest" not in code                                  # the old "appropriate" rule
    assert "lrc.sweeps.seeds" in code


def test_exercise_01_2_asks_for_the_limit_not_a_largest_rate():
    task = E.TASKS["01.2"].statement
    assert "largest learning rate for which" not in task
    assert "no *largest* converging rate" in task
    limit = lambda A: 2 / np.linalg.eigvalsh(A)[-1]
    E.check("01.2", limit)
    with pytest.raises(E.Wrong, match="no largest rate that converges"):
        E.check("01.2", lambda A: 0.999 * limit(A))


def test_the_best_fixed_rate_bound_is_about_directions_not_every_start():
    # "no fixed rate does better" holds for the slower direction (and so for a general start in
    # the long run); a start on one eigenvector can do better, so the lesson must not claim more
    bowl = landscapes.Quadratic.from_condition(10.0, L=1.0)
    steep = np.linalg.eigh(bowl.A)[1][:, -1]
    r = lrc.run(bowl, lrc.GD(lr=1 / bowl.L), x0=steep, steps=1)
    assert float(r.loss) < 1e-20                     # one step at 1/L from the steep axis
    text = "\n".join(src for kind, src, *_ in lesson_source() if kind == "md")
    assert "at every fixed η the error shrinks per step by a factor no" not in text
    assert "one of the two directions shrinks per step" in text
