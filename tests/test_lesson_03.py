"""Lesson 03 (momentum): the experiments' helpers and settings, and the Nesterov theory they rely on.

Helpers defined in the lesson (the look-ahead form, ``ended_in``, ``steps_to_shrink``) are taken
from its source, tools/notebooks/03_momentum.py, so the tests check the code the learner runs.
"""

import re
from pathlib import Path

import numpy as np
import pytest

import lrcourse as lrc
from lrcourse import landscapes, theory
from lessons import load_source  # noqa: E402  (tests/lessons.py)

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tools" / "notebooks" / "03_momentum.py"


def _cells():
    module = load_source(SOURCE)
    return module.CELLS


def _helper(name):
    """Define the function ``name`` as the lesson's source does (only its ``def`` block)."""
    for kind, text, *_ in _cells():
        if kind == "code" and f"def {name}(" in text:
            block = re.search(rf"^def {name}\(.*?(?=^\S|\Z)", text, flags=re.M | re.S).group(0)
            namespace = {"np": np, "lrc": lrc}
            exec(block, namespace)
            return namespace[name]
    raise LookupError(name)


def _code():
    return "\n".join(text for kind, text, *_ in _cells() if kind == "code")


# --------------------------------------------------------------------------- notation


def test_momentum_is_called_beta_never_mu():
    text = "\n".join(text for _, text, *_ in _cells())
    assert "μ*" not in text and "(η, μ)" not in text and "momentum μ" not in text
    assert "β*" in text and "(η, β)" in text


def test_momentum_explorer_labels_beta_and_draws_the_boundary():
    pytest.importorskip("ipywidgets")
    from lrcourse import widgets

    dash = widgets.momentum_explorer(kappa=50.0, steps=50, grid=20)
    assert "β" in dash.controls["momentum"].description
    for ax in dash.fig.axes[1:3]:
        assert "β" in ax.get_ylabel()
        labels = [line.get_label() for line in ax.lines]
        assert "η = (2 + 2β)/L" in labels and "theory's optimum" in labels


# --------------------------------------------------------------------------- the optimum at the edge


@pytest.mark.parametrize("kappa", [10.0, 50.0, 1000.0])
def test_heavy_ball_optimum_is_a_fraction_kappa_over_kappa_plus_one_of_the_limit(kappa):
    lr, beta, _ = theory.heavy_ball_optimum(1.0, 1.0 / kappa)
    assert lr / theory.momentum_stability_limit(1.0, beta) == pytest.approx(kappa / (kappa + 1))
    # from κ = 50 on, 5 % more η already leaves the stable region: the rate jumps above 1
    if kappa >= 50:
        assert theory.heavy_ball_rate(1.05 * lr, beta, [1.0 / kappa, 1.0]) > 1


# --------------------------------------------------------------------------- Nesterov


def test_look_ahead_form_equals_both_library_forms_after_the_change_of_variables():
    look_ahead = _helper("look_ahead")
    land, lr, beta, x0 = landscapes.Rosenbrock(), 1e-3, 0.9, [-1.5, 2.0]
    xs, vs = look_ahead(land.grad, lr, beta, x0, 150)
    ours = lrc.run(land, lrc.Nesterov(lr=lr, momentum=beta), x0, 150).xs
    torch_form = lrc.run(land, lrc.Nesterov(lr=lr, momentum=beta, convention="pytorch"), x0, 150).xs
    np.testing.assert_allclose(ours, xs + beta * vs, atol=1e-12)
    np.testing.assert_allclose(torch_form, ours, atol=1e-12)
    assert np.abs(ours - xs).max() > 1e-2          # the variables differ: the change is needed
    heavy = lrc.run(land, lrc.Momentum(lr=lr, momentum=beta), x0, 150).xs
    assert np.abs(heavy - ours).max() > 1e-3       # and Nesterov is not the heavy ball


def test_nesterov_rate_matches_simulated_contraction():
    lrs, betas = np.linspace(0.05, 1.3, 7), np.linspace(0.0, 0.9, 5)
    rates = theory.nesterov_rate(lrs[:, None], betas[None, :], [0.05, 1.0])
    bowl = landscapes.Quadratic([0.05, 1.0])
    r = lrc.run(bowl, lrc.Nesterov(lr=lrs[:, None, None], momentum=betas[None, :, None]), [1.0, 1.0], steps=400)
    err = np.linalg.norm(r.xs, axis=-1)
    fine = (rates < 0.97) & ~r.diverged & (err[-1] > 1e-250)
    measured = (err[350:].max(axis=0) / err[250:300].max(axis=0)) ** (1 / 100)
    assert fine.sum() >= 10
    np.testing.assert_allclose(measured[fine], rates[fine], rtol=0.03)
    assert theory.nesterov_rate(0.1, 0.0, [1.0, 5.0]) == pytest.approx(theory.gd_rate(0.1, [1.0, 5.0]))


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_nesterov_stability_limit_is_where_runs_start_to_diverge(beta):
    bowl = landscapes.Quadratic([0.1, 1.0])
    limit = theory.nesterov_stability_limit(bowl.L, beta)
    below = lrc.run(bowl, lrc.Nesterov(lr=0.98 * limit, momentum=beta), [1.0, 1.0], steps=3000)
    above = lrc.run(bowl, lrc.Nesterov(lr=1.02 * limit, momentum=beta), [1.0, 1.0], steps=3000)
    assert not below.diverged and below.loss < 1e-6
    assert above.diverged
    assert limit <= theory.momentum_stability_limit(bowl.L, beta)   # never wider than the heavy ball's


@pytest.mark.parametrize("kappa", [10.0, 100.0])
def test_nesterov_optimum_beats_every_pair_of_a_grid(kappa):
    lr, beta, rate = theory.nesterov_optimum(1.0, 1.0 / kappa)
    spectrum = np.linspace(1.0 / kappa, 1.0, 60)
    assert theory.nesterov_rate(lr, beta, spectrum) == pytest.approx(rate, abs=1e-6)   # a double root: √ of ~0
    grid = theory.nesterov_rate(np.linspace(0.5, 1.6, 111)[:, None], np.linspace(0, 0.99, 100)[None, :], spectrum)
    assert grid.min() >= rate - 1e-3
    assert rate > theory.heavy_ball_optimum(1.0, 1.0 / kappa)[2]    # slower than the tuned heavy ball


def test_nesterov_paths_dashboard_responds_and_its_regions_follow_the_theory():
    pytest.importorskip("ipywidgets")
    from lrcourse import widgets

    dash = widgets.nesterov_paths(kappa=50.0, lr=0.5, momentum=0.9, steps=60, grid=40)
    assert "nesterov_paths" in widgets.__all__
    before = dash.image.value
    dash.controls["lr"].value = 1.2
    assert dash.image.value != before
    assert dash.state["rates"]["Nesterov"] == pytest.approx(theory.nesterov_rate(1.2, 0.9, [1 / 50, 1.0]))
    assert dash.state["nesterov"].xs[1] == pytest.approx(
        lrc.run(landscapes.Quadratic.from_condition(50.0, L=1.0, angle=np.pi / 6), lrc.Nesterov(lr=1.2, momentum=0.9),
                [-2.0, 1.5], 1).xs[1])
    reg = dash.region
    assert not np.any(reg["Nesterov"] & ~reg["heavy ball"])
    spacing = reg["lr"][1] - reg["lr"][0]
    for j, b in enumerate(reg["momentum"]):
        for name, limit in [("heavy ball", theory.momentum_stability_limit(1.0, b)),
                            ("Nesterov", theory.nesterov_stability_limit(1.0, b))]:
            converging = reg["lr"][reg[name][:, j]]
            if limit < reg["lr"][-1] - spacing:
                assert abs(converging.max() - limit) <= 1.5 * spacing, (name, b)
    dash.controls["lr"].value = 2.5          # beyond Nesterov's limit at β = 0.9, inside the heavy ball's
    assert dash.state["nesterov"].diverged or dash.state["rates"]["Nesterov"] > 1
    assert dash.state["rates"]["heavy ball"] < 1


def test_steps_to_shrink_counts_from_the_start_and_reports_never_as_inf():
    steps_to_shrink = _helper("steps_to_shrink")
    xs = np.array([[[1.0, 0.0]], [[0.1, 0.0]], [[1e-3, 0.0]], [[1e-4, 0.0]]])     # (T, runs, d)
    assert steps_to_shrink(xs).tolist() == [2]
    assert steps_to_shrink(xs, factor=1e-5).tolist() == [np.inf]


def test_the_race_tunes_every_method_over_the_same_grids_and_times_fresh_starts():
    code = _code()
    assert "grid_lr[:, None, None, None], momentum=betas[None, :, None, None]" in code
    assert '"heavy ball": (lrc.Momentum, grid_beta)' in code and '"Nesterov": (lrc.Nesterov, grid_beta)' in code
    assert "tune, test = rng.standard_normal((4, D)), rng.standard_normal((32, D))" in code
    assert "rng = np.random.default_rng(lrc.sweeps.seeds(1)[0])" in code


# --------------------------------------------------------------------------- "momentum rolls over small bumps"


def test_ended_in_counts_only_settled_runs():
    ended_in = _helper("ended_in")
    wells = landscapes.MultiWell()
    x0 = wells.minimizers[0] + np.array([0.3, -0.2])
    settled = lrc.run(wells, lrc.Momentum(lr=0.1, momentum=0.5), x0[None], 300)
    assert ended_in(settled, wells).tolist() == [0]
    moving = lrc.run(wells, lrc.Momentum(lr=0.1, momentum=0.9), x0[None], 25)     # still ringing, near the well
    assert np.linalg.norm(moving.xs[-1, 0] - wells.minimizers[0]) < 0.5
    assert ended_in(moving, wells).tolist() == [-1]
    bouncing = lrc.run(wells, lrc.GD(lr=0.45), x0[None], 300)                      # too big a rate to settle
    assert ended_in(bouncing, wells).tolist() == [-1]
    # a run that stopped but far from every minimum (never happens on this landscape) is no well either
    fake = type(settled)(**{**settled.__dict__, "xs": np.full_like(settled.xs, 2.9)})
    assert ended_in(fake, wells).tolist() == [-1]


def test_the_bump_experiment_sweeps_rates_for_every_method_in_one_call_with_enough_runs():
    code = _code()
    cell = next(text for kind, text, *_ in _cells() if kind == "code" and "wells = landscapes.MultiWell()" in text)
    assert cell.count("lrc.run(") == 1                     # one broadcast call
    assert "SEEDS = lrc.sweeps.seeds(4)" in cell and "uniform(-3, 3, (48, 2))" in cell   # 4 × 48 >= 16 runs
    assert "np.geomspace(0.03, 0.6, 8)" in cell and "np.array([0.0, 0.5, 0.9])" in cell  # same rates for all
    assert "best = deep.mean(-1).argmax(0)" in code        # each method at its own best rate


def test_momentum_can_beat_gd_into_the_deepest_well_on_a_small_version_of_the_experiment():
    ended_in = _helper("ended_in")
    wells = landscapes.MultiWell()
    starts = np.random.default_rng(7).uniform(-3, 3, (96, 2))
    lrs, betas = np.array([0.05, 0.17, 0.26]), np.array([0.0, 0.9])
    r = lrc.run(wells, lrc.Momentum(lr=lrs[:, None, None, None], momentum=betas[None, :, None, None]), starts, 300)
    deep = (ended_in(r, wells) == 0).mean(-1)              # (η, β)
    assert deep[:, 1].max() > deep[:, 0].max() + 0.1
    assert np.ptp(deep[:, 0]) < 0.05                       # GD: the same share at every rate that settles


# --------------------------------------------------------------------------- what the look-ahead brakes


def test_nesterov_damps_the_steep_direction_only_as_the_lesson_says():
    # the dashboard's bowl and start: at β = 0.9 Nesterov's swing across the valley dies out far sooner
    # than the heavy ball's, while along the valley both change sign equally often (both still swing)
    bowl = landscapes.Quadratic.from_condition(50.0, L=1.0, angle=np.pi / 6)
    flat_axis, steep_axis = np.linalg.eigh(bowl.hessian(np.zeros(2)))[1].T
    for lr in [0.3, 0.6, 1.2]:
        across, turns = {}, {}
        for name, cls in [("heavy ball", lrc.Momentum), ("Nesterov", lrc.Nesterov)]:
            xs = lrc.run(bowl, cls(lr=lr, momentum=0.9), [-2.0, 1.5], 100).xs
            across[name] = np.abs(xs[21:31] @ steep_axis).max() / abs(xs[0] @ steep_axis)
            turns[name] = int(np.sum(np.diff(np.sign(xs @ flat_axis)) != 0))
        assert across["Nesterov"] < 0.1 * across["heavy ball"], lr
        assert across["heavy ball"] > 0.1, lr                          # the heavy ball is still swinging
        assert turns["Nesterov"] == turns["heavy ball"] >= 2, lr
    text = "\n".join(text for kind, text, *_ in _cells() if kind == "md")
    assert "watch the heavy ball ring while Nesterov does not" not in text


def test_gd_cannot_settle_in_a_multiwell_minimum_above_two_over_its_top_curvature():
    ended_in = _helper("ended_in")
    wells = landscapes.MultiWell()
    limits = 2 / np.linalg.eigvalsh(wells.hessian(wells.minimizers)).max(-1)
    starts = wells.minimizers + np.array([0.05, -0.05])         # one start next to each minimum
    for lr, settles in [(0.9 * limits.min(), True), (1.1 * limits.max(), False)]:
        r = lrc.run(wells, lrc.GD(lr=lr), starts, 600)
        assert (ended_in(r, wells) >= 0).all() == settles, lr
