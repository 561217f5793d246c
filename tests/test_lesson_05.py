"""Lesson 05 (adaptive methods): the experiments' helpers do what the lesson says they do."""

import numpy as np
import pytest

import lrcourse as lrc
from lrcourse import exercises as E

pytest.importorskip("ipywidgets")
from lrcourse import widgets as W  # noqa: E402


@pytest.fixture(scope="module")
def races():
    return {name: W.tune_race(name) for name in W.RACE_LANDSCAPES}


def test_the_race_tunes_every_method_over_the_whole_rate_grid(races):
    for name, res in races.items():
        assert set(res["best_lr"]) == set(W.RACE_METHODS), name
        n = len(res["starts"])
        assert n >= 16
        for m, scores in res["scores"].items():
            assert scores.shape == (W.RACE_LRS.size, n)          # every rate, every start
            mean = scores.mean(axis=1)
            i = res["best_index"][m]
            assert mean[i] == np.min(mean)                      # its own best rate, not a shared one
            assert res["best_lr"][m] == W.RACE_LRS[i]
            assert 0 < i < W.RACE_LRS.size - 1, f"{name}: {m}'s best rate is at the edge of the grid"
            assert np.array_equal(res["at_best"][m], scores[i])


def test_the_race_uses_the_grid_it_is_given():
    coarse = np.logspace(-4, 2, 7)
    res = W.tune_race("rotated bowl", lrs=coarse, steps=50)
    assert all(s.shape[0] == 7 for s in res["scores"].values())
    assert set(res["best_lr"].values()) <= set(coarse)
    # a rate where some start diverges is out, whatever the other starts did
    gd = res["scores"]["GD"]
    assert np.isinf(gd[-1]).any() and res["best_lr"]["GD"] < coarse[-1]


def test_race_starts_come_from_the_course_seeds(monkeypatch):
    first = W.tune_race("axis-aligned bowl", steps=20)["starts"]
    monkeypatch.setenv("LRCOURSE_SEED", "1000")
    other = W.tune_race("axis-aligned bowl", steps=20)["starts"]
    assert first.shape == other.shape and not np.allclose(first, other)
    assert np.allclose(np.linalg.norm(other, axis=1), W.RACE_LANDSCAPES["axis-aligned bowl"][2])


def test_diagonal_scaling_helps_only_on_the_axis_aligned_bowl(races):
    gain = {name: (res["at_best"]["GD"] - res["at_best"]["RMSprop"]).mean()
            for name, res in races.items() if "bowl" in name}
    assert gain["axis-aligned bowl"] > 5          # decades
    assert abs(gain["rotated bowl"]) < 1
    rotated = races["rotated bowl"]["at_best"]
    assert rotated["Momentum"].mean() < rotated["Adam"].mean() - 3


def test_the_dashboard_runs_every_method_at_a_multiple_of_its_tuned_rate():
    dash = W.adaptive_race("rotated bowl")
    tuned = dash.state["tuned"]["best_lr"]
    assert dash.state["rates"] == pytest.approx(tuned)
    dash.controls["rate_factor"].value = 0.5
    assert dash.state["rates"] == pytest.approx({m: 0.5 * r for m, r in tuned.items()})
    dash.controls["landscape"].value = "axis-aligned bowl"
    assert "axis-aligned" in dash.fig.axes[1].get_title()
    assert set(dash.state["finals"]) == set(W.RACE_METHODS)


def test_adam_without_bias_correction_steps_too_large_by_the_formula():
    steps = W.adam_eps(bias_correction=False).state["steps"][:, -1]      # |g| = 100, ε negligible
    t = np.arange(1, steps.size + 1)
    b1, b2 = lrc.Adam().betas
    assert steps == pytest.approx((1 - b1 ** t) / np.sqrt(1 - b2 ** t), rel=1e-6)


def _adam_variant(correct=True, kingma_ba=False, return_hat=False):
    def adam_step(w, m, v, g, t, lr, beta1, beta2, eps):
        n = t + 1
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = (m / (1 - beta1 ** n), v / (1 - beta2 ** n)) if correct else (m, v)
        if kingma_ba:
            w = w - lr * np.sqrt(1 - beta2 ** n) / (1 - beta1 ** n) * m / (np.sqrt(v) + eps)
        else:
            w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        return (w, m_hat, v_hat) if return_hat else (w, m, v)
    return adam_step


def test_exercise_05_1_names_the_right_factor_and_the_common_slips():
    with pytest.raises(E.Wrong, match=r"no bias correction.*3\.16× at the first update.*6\.57× \(at update 12\)"):
        E.check("05.1", _adam_variant(correct=False))
    with pytest.raises(E.Wrong, match="Kingma & Ba"):
        E.check("05.1", _adam_variant(kingma_ba=True))
    with pytest.raises(E.Wrong, match="corrected m̂"):
        E.check("05.1", _adam_variant(return_hat=True))
    assert E.check("05.1", _adam_variant())


def test_exercise_05_1_text_says_where_eps_goes():
    text = E.TASKS["05.1"].statement
    assert "after the square root of the corrected v̂" in text and "uncorrected" in text


def test_without_noise_adam_l2_and_adamw_stay_next_to_different_minima():
    from lrcourse import landscapes

    bowl = landscapes.Quadratic([0.01, 100.0], center=[1.0, 1.0])
    curv, centre, wd = bowl.eigenvalues, bowl.center, 0.1
    l2_min = curv * centre / (curv + wd)
    apart = np.abs(l2_min - centre).max()
    l2 = lrc.run(bowl, lrc.Adam(lr=0.01, weight_decay=wd), x0=centre, steps=10_000).xs[-1000:]
    w = lrc.run(bowl, lrc.AdamW(lr=0.01, weight_decay=wd), x0=centre, steps=10_000).xs[-1000:]
    assert np.abs(l2 - l2_min).max() < 0.01 * apart
    assert np.abs(w - centre).max() < 0.01 * apart
    # neither comes to rest, which is why the lesson judges the last 1000 steps and says "stays next to"
    assert np.ptp(l2, axis=0).max() > 1e-4 and np.ptp(w, axis=0).max() > 1e-4


def test_lesson_05_calls_the_momentum_coefficient_beta():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "tools" / "notebooks" / "05_adaptive_methods.py").read_text()
    assert "momentum with μ" not in text and "Only η is tuned; μ" not in text
