"""Lesson 04 (schedules): the experiments' helpers do what the lesson says they do.

The helpers live in the lesson's source (tools/notebooks/04_schedules.py); the tests execute the
cells that define them and call them on small inputs. The whole notebook runs under nbval.
"""

import math
import re
from pathlib import Path

import numpy as np
import pytest

from lrcourse import exercises as E
from lrcourse import schedules as S

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

pytest.importorskip("ipywidgets")
from lrcourse import widgets as W  # noqa: E402
from lessons import load_source  # noqa: E402  (tests/lessons.py)

ROOT = Path(__file__).resolve().parents[1]
# A float written with 6 or more significant digits, as repr(0.1 * 0.1) = 0.010000000000000002 is.
REPR_FLOAT = re.compile(r"\d*\.\d+(?:e[-+]?\d+)?")


def _repr_like(text):
    for number in REPR_FLOAT.findall(text):
        digits = number.split("e")[0].replace(".", "").lstrip("0")
        if len(digits) >= 6:
            return number
    return None


def _code_cells():
    module = load_source(ROOT / "tools" / "notebooks" / "04_schedules.py")
    return [c[1] for c in module.CELLS if c[0] == "code"]


CELLS = _code_cells()


def _cell(marker):
    found = [c for c in CELLS if marker in c]
    assert len(found) == 1, marker
    return found[0]


@pytest.fixture(scope="module")
def lesson(monkeypatch_module):
    """The lesson's imports and the race's setup cell (constants and helpers)."""
    ns = {}
    exec(CELLS[0], ns)
    exec(_cell("def tail_loss"), ns)
    exec(_cell("def expected_loss"), ns)
    return ns


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    mp.setattr(plt, "show", lambda *a, **k: None)
    yield mp
    mp.undo()


def _legend_texts(fig):
    texts = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None:
            texts += [t.get_text() for t in legend.get_texts()]
        texts.append(ax.get_title())
    return texts


# --------------------------------------------------------------------------- time_based


@pytest.mark.parametrize("d", [0.05, 0.5, 1.0, 2.0])
def test_time_based_equals_its_gamma_closed_form(d):
    lr, n = 0.1, np.arange(0, 120)
    got = np.log(S.time_based(lr, d)(n))
    exact = [math.log(lr) + math.lgamma(1 + 1 / d) - (k - 1) * math.log(d) - math.lgamma(k + 1 / d) for k in n]
    np.testing.assert_allclose(got, exact, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("d", [0.25, 0.5, 1.0, 2.0])
def test_time_based_asymptotic_in_the_docstring_and_the_old_one_is_off_by_n_to_the_1_over_d(d):
    a = 1 / d
    for n in (10_000, 100_000):
        log_product = float(np.sum(np.log1p(d * np.arange(n))))      # log of η₀/η_n, no underflow
        asymptotic = -(math.lgamma(1 + a) - (n - 1) * math.log(d) - math.lgamma(n) - a * math.log(n))
        assert abs(log_product - asymptotic) <= abs(a * (a - 1)) / n + 1e-8
        old = (n * math.log(d)) + math.lgamma(n)                      # log of dⁿ·(n−1)!
        # the old formula divides by too little: by a factor n^(1/d)/Γ(1/d)
        assert log_product - old == pytest.approx(a * math.log(n) - math.lgamma(a), abs=abs(a * (a - 1)) / n + 1e-6)
    doc = S.time_based.__doc__
    assert "Γ(1 + 1/d) / (d^(n−1) · Γ(n + 1/d))" in doc and "n^(1/d)" in doc
    assert "η₀ / (dⁿ·(n−1)!)" not in doc


# --------------------------------------------------------------------------- labels


def test_describe_rounds_numbers_and_names_schedules_in_words():
    assert S.describe(S.time_based(0.1, 0.1 * 0.1)) == "time-based decay (η₀ = 0.1, d = 0.01)"
    assert S.describe(S.warmup(S.cosine(0.3, 300, 0.003), 30, 0.01), numbers=False) == "warm-up, then cosine"
    every = [S.constant(0.1 * 3), S.inverse_time(0.1 * 3, 0.1 * 0.1), S.inverse_scaling(0.7 * 0.1, 0.1 * 3),
             S.step_decay(0.1 * 3, 0.1 * 3, 7), S.step_lr(0.1 * 3), S.exponential(0.1 * 3, 1 / 3),
             S.cosine(0.1 * 3, 100, 0.1 * 0.01), S.cosine_restarts(0.1 * 3, 10, 2, 1 / 3000),
             S.cyclic(1 / 30, 0.1 * 3, 7), S.one_cycle(0.1 * 3, 100), S.ReduceOnPlateau(0.1 * 3, 1 / 3)]
    for s in every:
        assert not _repr_like(S.describe(s)), S.describe(s)
        assert "_" not in S.describe(s, numbers=False) or s.name == "step_lr"


def test_no_legend_or_title_in_the_lesson_04_figures_holds_a_repr_float(lesson):
    ns = dict(lesson)
    for marker in ["decays = [", "S.warmup(S.cosine(0.1, 250", "for mode in", "dw = landscapes.DoubleWell()"]:
        plt.close("all")
        exec(_cell(marker), ns)
        figs = [plt.figure(n) for n in plt.get_fignums()]
        assert figs, marker
        for fig in figs:
            texts = _legend_texts(fig)
            assert any(t for t in texts), marker
            bad = [t for t in texts if _repr_like(t)]
            assert not bad, f"{marker}: {bad}"
    plt.close("all")
    # the race's figure labels its curves with these words
    assert all(not _repr_like(w) and "_" not in w for w in ns["WORDS"].values())


def test_the_catch_helper_flags_a_repr_float():
    assert _repr_like("constant 0.010000000000000002")
    assert _repr_like("η = 0.1234567")
    assert not _repr_like("η from 4.00e-01 down to 4.00e-03, loss 1.23e-02 ± 2.1e-03")


def test_schedule_dashboards_show_words_and_rounded_numbers():
    for name in ["time_based", "warmup"]:
        dash = W.schedule_explorer(name, steps=60)
        dash.controls["lr"].value = 0.1 * 0.1 * 3          # a value whose repr has 17 digits
        texts = _legend_texts(dash.fig)
        assert not [t for t in texts if _repr_like(t)], name
        legend = [t.get_text() for t in dash.fig.axes[1].get_legend().get_texts()]
        assert all("_" not in t for t in legend), legend   # words, not the identifier
    # 16 noisy runs per setting, with a spread
    assert dash.state["runs"] >= 16 and dash.state["final_se"] > 0
    assert "±" in dash.fig.axes[1].get_title()


def test_schedule_tabs_open_on_a_comparison_that_shows_something():
    import inspect

    open_on = inspect.signature(W.schedule_tabs).parameters["open_on"].default
    assert open_on in W.SCHEDULE_SLIDERS and open_on != "constant"
    tabs = W._Tabs({n: W.schedule_explorer(n, steps=50) for n in ["constant", open_on]}, selected=open_on)
    assert tabs.selected == open_on and tabs.widget.selected_index == 1
    with pytest.raises(ValueError, match="selected"):
        W._Tabs(tabs.dashboards, selected="warm")


def test_escape_wells_reports_only_settled_runs_as_in_a_well():
    dash = W.escape_wells(peak=2.0)
    ends = dash.state["ends"]
    assert all("settled" in e for e in ends.values())
    assert not _repr_like(dash.fig.axes[0].get_title())


# --------------------------------------------------------------------------- the race (rule 1 and 2)


def test_the_race_tunes_every_schedule_over_the_same_grid_with_the_best_rate_inside(lesson):
    ns = lesson
    assert set(ns["SHAPES"]) == set(W.SCHEDULE_SLIDERS)
    for name, make in ns["SHAPES"].items():                # the race uses the tabs' starting shapes
        factory, extra = W.SCHEDULE_SLIDERS[name]
        defaults = {k: build().value for k, build in extra.items()}
        np.testing.assert_allclose(make(0.3)(np.arange(300)), factory(0.3, **defaults)(np.arange(300)))
    steps, tail, etas = ns["STEPS"], ns["TAIL"], ns["ETAS"]
    for name, make in ns["SHAPES"].items():                # in expectation, every best η₀ is inside the grid
        expected = [sum(part[-tail:].mean() for part in ns["expected_loss"](make(lr)(np.arange(steps))))
                    for lr in etas]
        assert 0 < int(np.nanargmin(expected)) < etas.size - 1, f"{name}: best η₀ at the edge of the grid"
    for name in ["cosine"]:                                # and the measured tuning picks its own best
        best, curve = ns["tune"](ns["SHAPES"][name], runs=16)
        assert curve.shape == (etas.size, 2)
        assert best == etas[int(np.argmin(curve[:, 0]))]
        assert etas[0] < best < etas[-1], f"{name}: best η₀ at the edge of the grid"
    assert "tune(make) for name, make in lrc.sweeps.progress(SHAPES.items()" in _cell("tuned = {")


def test_the_tuning_grid_is_fine_enough_to_rank_schedules_not_grid_points(lesson):
    # In expectation (exact on this bowl), the best grid point of every schedule is within 1.5 %
    # of its best η₀ on a much finer grid: less than the race's standard errors. A 13-point grid
    # cost some schedules 4 %, enough to split ranks by grid luck.
    ns = lesson
    steps, tail, etas = ns["STEPS"], ns["TAIL"], ns["ETAS"]
    fine = np.geomspace(etas[0], etas[-1], 120)

    def expected(make, lr):
        return sum(part[-tail:].mean() for part in ns["expected_loss"](make(lr)(np.arange(steps))))

    for name, make in ns["SHAPES"].items():
        on_grid = np.nanmin([expected(make, lr) for lr in etas])
        best = np.nanmin([expected(make, lr) for lr in fine])
        assert on_grid <= 1.015 * best, f"{name}: the grid costs {on_grid / best - 1:.1%}"


def test_noisy_measurements_are_broadcast_over_many_runs_and_seeded_from_sweeps(lesson, monkeypatch):
    ns = lesson
    assert ns["RUNS"] >= 16 and ns["TUNE_RUNS"] >= 16
    a = ns["tail_loss"](S.constant(0.05), 0, 32)
    assert a.shape == (32,) and np.all(a > 0) and np.ptp(a) > 0       # 32 different runs
    np.testing.assert_array_equal(a, ns["tail_loss"](S.constant(0.05), 0, 32))
    assert not np.allclose(a, ns["tail_loss"](S.constant(0.05), 1, 32))
    src = _cell("def tail_loss")
    assert "lrc.sweeps.seeds(" in src


def test_compare_calls_a_difference_real_only_beyond_the_spread(lesson):
    compare = lesson["compare"]
    rng = np.random.default_rng(0)
    base = rng.exponential(0.1, 4096)
    jitter = rng.normal(0, 0.01, 4096)
    assert compare(base + jitter, base) == "tied"                      # pure noise
    assert compare(base + jitter - 0.01, base) == "below"              # 0.01 ≫ 3 s.e. ≈ 0.0005
    assert compare(base + jitter + 0.01, base) == "above"
    assert compare(base + 0.0001 + jitter, base) == "tied"             # smaller than the spread
    diverged = base.copy()
    diverged[3] = np.inf
    assert compare(diverged, base) == "above" and compare(base, diverged) == "below"


# --------------------------------------------------------------------------- noise floor and Σ η_t


def test_the_noise_floor_formula_is_the_limit_of_the_exact_expectation(lesson):
    ns = lesson
    for eta in (0.05, 0.4):
        left, noise = ns["expected_loss"](np.full(3000, eta))
        assert noise[-1] == pytest.approx(ns["noise_floor"](eta), rel=1e-9)
        assert left[-1] < 1e-9
    assert ns["noise_floor"](0.05) == pytest.approx(0.05 * 4 / 2 * (1 / (2 - 0.05 * 0.2) + 1 / (2 - 0.05 * 2)))


def test_the_exact_expectation_matches_the_measured_mean(lesson):
    ns = lesson
    for schedule in (S.constant(0.05), S.exponential(0.05, 0.01), S.cosine(0.4, 300, 0.004)):
        left, noise = ns["expected_loss"](schedule(np.arange(ns["STEPS"])))
        theory = left[-ns["TAIL"]:].mean() + noise[-ns["TAIL"]:].mean()
        m, se = ns["mean_se"](ns["tail_loss"](schedule, 3, 2048))
        assert abs(m - theory) < 4 * se, S.describe(schedule)


def test_decays_lose_at_small_eta0_because_their_sum_of_rates_leaves_initial_error(lesson):
    ns = lesson
    steps, tail = ns["STEPS"], ns["TAIL"]
    const = ns["expected_loss"](np.full(steps, 0.05))
    const_total = const[0][-tail:].mean() + const[1][-tail:].mean()
    for name in ["time_based", "inverse_time", "inverse_scaling", "step_decay", "exponential"]:
        rates = ns["SHAPES"][name](0.05)(np.arange(steps))
        left, noise = ns["expected_loss"](rates)
        assert rates.sum() < 0.05 * steps / 2
        assert left[-tail:].mean() > const_total                          # the leftover alone loses
        assert noise[-tail:].mean() < const[1][-tail:].mean()               # while the noise part is lower
    # the cosine family keeps more of Σ η_t and ends below the constant rate, in expectation
    rates = ns["SHAPES"]["cosine"](0.05)(np.arange(steps))
    left, noise = ns["expected_loss"](rates)
    assert left[-tail:].mean() + noise[-tail:].mean() < const_total


def test_the_mechanism_table_takes_exactly_the_schedules_whose_rate_never_rises(lesson):
    ns = dict(lesson)
    line = next(l for l in _cell("DECAYS = [").splitlines() if l.startswith("DECAYS = ["))
    exec(line, ns)
    assert ns["DECAYS"][0] == "constant"                       # the control
    assert set(ns["DECAYS"]) == {"constant", "time_based", "inverse_time", "inverse_scaling", "step_decay",
                                 "exponential", "cosine"}


# --------------------------------------------------------------------------- wells and plateau


def test_escape_counts_only_settled_runs(lesson):
    ns = dict(lesson)
    src = _cell("def ends(schedule)")
    exec(src.split("runs = {")[0], ns)                         # the definitions, not the whole table
    assert ns["starts"].shape[0] >= 16
    settled, well = ns["ends"](S.constant(2.0))                # a large constant rate keeps bouncing
    assert not settled.any()
    settled, well = ns["ends"](S.constant(ns["LOW"]))
    assert settled.all() and np.all(well == ns["shallow"])
    assert "settled &" in _cell("def escapes")                 # shares count settled runs only


def test_reduce_on_plateau_cuts_the_rate_and_has_a_constant_control(lesson):
    ns = dict(lesson)
    plt.close("all")
    exec(_cell("dw = landscapes.DoubleWell()"), ns)
    plt.close("all")
    r, control = ns["r"], ns["control"]
    assert len(ns["cuts"]) >= 1 and np.all(control.lrs == 0.28)
    assert r.losses[-1] < control.losses[-1]


def test_the_plateau_cuts_are_explained_with_controls(lesson):
    ns = dict(lesson)
    plt.close("all")
    exec(_cell("dw = landscapes.DoubleWell()"), ns)
    exec(_cell("def plateau_run"), ns)
    plt.close("all")
    assert ns["falling"] and ns["fell"] < ns["needed"]              # still falling, by less than the threshold
    assert ns["zero_cuts"].size == 0                                # control: threshold 0 never cuts
    assert ns["zero_run"].losses[-1] - ns["f_well"] > 1e-9          # ... and the loss still crawls
    assert np.all(ns["cuts"][1:] > ns["at_min"])                    # later cuts: nothing left to improve
    assert ns["ran"]["abs, threshold 1e-4"][1][0] < ns["first"]     # the larger absolute threshold cuts sooner


# --------------------------------------------------------------------------- exercise 04.3


def test_the_04_3_threshold_is_computed_and_below_every_constant_rate():
    eta, best = E.best_constant_budget(300)
    assert E.BUDGET_TARGET < best
    assert 0.005 < eta < 0.95                                  # inside the grid it searched
    with pytest.raises(E.Wrong, match=re.escape(f"{best:.3g}")):
        E.check("04.3", lambda steps: S.constant(0.05))
