"""Dashboards driven from Python: set a slider, check that the figure's data moved."""

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
from lrcourse import widgets as W  # noqa: E402


def line_data(line):
    x, y = line.get_data()
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def test_gd_parabola_regimes_follow_the_slider():
    dash = W.gd_parabola(lr=0.3)
    png = dash.image.value
    assert dash.state["regime"] == "monotone"
    dash.controls["lr"].value = 1.5
    assert dash.state["regime"] == "oscillates but converges"
    assert dash.image.value != png
    dash.controls["lr"].value = 2.5
    assert dash.state["regime"].startswith("diverges")
    assert "diverges" in dash.fig.axes[0].get_title()
    x, _ = line_data(dash.fig.axes[0].lines[1])
    assert np.all(np.isfinite(x[: dash.state["result"].diverged_at + 1]))


def test_zigzag_path_changes_with_rate_and_kappa():
    dash = W.zigzag(kappa=20.0, lr_fraction=0.5)
    before = line_data(dash.fig.axes[0].lines[-2])[0][-1]
    dash.controls["lr_fraction"].value = 0.95
    after = line_data(dash.fig.axes[0].lines[-2])[0][-1]
    assert before != after
    dash.controls["kappa"].value = 200.0
    assert "κ = 200" in dash.state["caption"] and "κ = 200" in dash.caption.value
    dash.controls["lr_fraction"].value = 1.1
    r = dash.state["result"]
    assert r.diverged or r.losses[-1] > 100 * r.losses[0]


def test_curvature_race_newton_needs_one_step():
    dash = W.curvature_race(kappa=30.0)
    counts = dash.state["steps_to_1e-8"]
    assert counts["Newton"] == 1 and counts["diagonal η = 1/H_ii"] == 1   # axis-aligned bowl
    dash.controls["angle"].value = 0.5
    counts = dash.state["steps_to_1e-8"]
    assert counts["Newton"] == 1 and counts["diagonal η = 1/H_ii"] != 1


def test_momentum_explorer_marker_follows_sliders_and_grid_is_cached():
    dash = W.momentum_explorer(kappa=50.0, lr=0.5, momentum=0.6, grid=40)
    grid = dash.grid
    dash.controls["momentum"].value = 0.9
    dash.controls["lr"].value = 1.0
    for ax in dash.fig.axes[1:3]:   # measured map, theory map
        marker = [line for line in ax.lines if line.get_marker() == "o"][-1]
        assert line_data(marker)[0][0] == pytest.approx(1.0) and line_data(marker)[1][0] == pytest.approx(0.9)
    assert dash.grid is grid
    assert dash.state["rate"] == pytest.approx(
        __import__("lrcourse").theory.heavy_ball_rate(1.0, 0.9, [1 / 50, 1.0]))
    dash.controls["lr"].value = 3.9
    assert dash.state["heavy_ball"].diverged or dash.state["rate"] < 1


@pytest.fixture(scope="module")
def schedule_tabs():
    """Every schedule's dashboard, as schedule_explorer(name) builds it, built once for the tests
    below (building them takes seconds); a test that moves a slider puts it back."""
    return W.schedule_tabs()


@pytest.mark.parametrize("name", list(W.SCHEDULE_SLIDERS))
def test_every_schedule_dashboard_responds(schedule_tabs, name):
    dash = schedule_tabs.dashboards[name]
    start = dash.controls["lr"].value
    rates = dash.state["rates"].copy()
    dash.controls["lr"].value = 0.1
    assert dash.state["rates"].max() < rates.max()
    curve = dash.fig.axes[0].lines[0]
    np.testing.assert_allclose(line_data(curve)[1], dash.state["rates"])
    dash.controls["lr"].value = start
    np.testing.assert_array_equal(dash.state["rates"], rates)


def test_schedule_tabs_hold_every_schedule_and_each_tab_moves(schedule_tabs):
    tabs = schedule_tabs
    assert sorted(tabs.dashboards) == sorted(W.SCHEDULE_SLIDERS)
    rows = list(tabs.rows.values())
    assert sum(len(row.widget.children) for row in rows) == len(W.SCHEDULE_SLIDERS)
    # titles in words, each row short enough that no title is cut (at most six tabs of 144 px)
    titles = [t for row in rows for t in row.widget.titles]
    assert sorted(titles) == sorted(W.SCHEDULE_TITLES.values()) and not any("_" in t for t in titles)
    assert all(len(row.widget.children) <= 6 for row in rows)
    # each row opens on a schedule that differs from the constant rate, never on the control
    assert "constant" not in tabs.selected.values() and "cosine" in tabs.selected.values()
    assert all(row.widget.selected_index == 0 for row in rows)   # the first tab: safe from the browser's reset
    dash = tabs.dashboards["one_cycle"]
    before, start = dash.state["rates"].argmax(), dash.controls["pct_start"].value
    dash.controls["pct_start"].value = 0.6
    assert dash.state["rates"].argmax() > before
    dash.controls["pct_start"].value = start


def test_blit_redraws_only_the_dynamic_artists_but_shows_them():
    dash = W.gd_parabola(lr=0.3)
    first = dash.image.value
    dash.controls["lr"].value = 2.5
    dash.controls["lr"].value = 0.3
    assert dash.image.value == first   # nothing of the earlier frame is left behind
    assert dash.blit.dynamic and all(a.get_animated() for a in dash.blit.dynamic)


def test_schedule_explorer_rejects_unknown_names():
    with pytest.raises(ValueError, match="name must be one of"):
        W.schedule_explorer("warm")


def test_escape_wells_and_adaptive_race_and_adam_eps():
    dash = W.escape_wells(peak=0.1)
    assert dash.state["ends"]["cosine restarts"]["well"] != 0
    dash.controls["peak"].value = 2.0
    assert dash.state["ends"]["cosine restarts"]["well"] == 0
    race = W.adaptive_race("Rosenbrock")
    first = dict(race.state["finals"])
    race.controls["landscape"].value = "rotated bowl"
    assert race.state["finals"] != first and "bowl" in race.fig.axes[1].get_title()
    eps = W.adam_eps()
    assert eps.state["steps"][0] == pytest.approx(1.0, rel=0.02)
    eps.controls["bias_correction"].value = False
    assert eps.state["steps"][0][-1] == pytest.approx(0.1 / np.sqrt(0.001), rel=1e-3)


def test_range_test_explorer_moves_the_suggestions_with_the_smoothing():
    from lrcourse.landscapes import softmax_problem

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 5)), rng.integers(0, 3, size=200)
    dash = W.range_test_explorer(softmax_problem(X, y, 32), np.zeros(15), lr_min=1e-4, lr_max=100.0)
    first = dict(dash.state["suggestions"])
    line = dash.fig.axes[0].lines[2]     # the steepest rule's marker
    assert line.get_xdata()[0] == pytest.approx(first["steepest"])
    dash.controls["beta"].value = 0.0
    assert dash.state["suggestions"] != first
    dash.controls["lr_max"].value = 1.0
    assert dash.state["test"].lrs[-1] <= 1.0 + 1e-12


def test_curve_picker_shows_the_chosen_run():
    torch = pytest.importorskip("torch")
    from lrcourse import training as T

    (Xt, yt), val = T.digits()
    histories = {}
    for lr in (0.01, 0.1, 1.0):
        torch.manual_seed(0)
        net = torch.nn.Linear(64, 10)
        histories[lr] = T.fit(net, (Xt[:256], yt[:256]), val, torch.optim.SGD(net.parameters(), lr=lr), epochs=2,
                              progress=False, device="cpu")
    dash = W.curve_picker(histories)
    assert dash.state["history"] is histories[0.1]
    dash.controls["lr"].value = 1.0
    assert dash.state["history"] is histories[1.0]
    x, y = line_data(dash.fig.axes[0].lines[0])
    np.testing.assert_allclose(y, histories[1.0].losses)
    assert dash.state["caption"].startswith("η = 1:")


def test_runs_looked_up_from_a_batch_equal_runs_done_one_at_a_time():
    """Dashboards compute a slider's positions in one broadcast call and look them up; what
    they show must be what a single run at that setting gives."""
    from lrcourse import landscapes as L, linesearch, sweeps
    from lrcourse.optimizers import Adam, GD
    from lrcourse.run import run

    # schedules: the schedule and the constant rate, with their common noise
    dash = W.schedule_explorer("cosine", steps=80)
    grid = W.positions(dash.controls["lr"])
    noisy = L.Noisy(L.Quadratic.from_condition(10.0, L=2.0), sigma=2.0, seed=int(sweeps.seeds(1)[0]))
    x0 = np.tile([3.0, 3.0], (16, 1))
    for v in (grid[5], grid[30], grid[31]):
        dash.controls["lr"].value = float(v)
        alone = run(noisy, GD(lr=dash.state["schedule"]), x0, 80)
        assert dash.state["final"] == alone.losses[-50:].mean(axis=0).mean()
        assert dash.state["constant"] == run(noisy, GD(lr=float(v)), x0, 80).losses[-50:].mean(axis=0).mean()
    # the race: each racer at a multiple of its tuned rate
    race = W.adaptive_race("rotated bowl", steps=60)
    factor = W.positions(race.controls["rate_factor"])[12]
    race.controls["rate_factor"].value = float(factor)
    land, tuned = W.RACE_LANDSCAPES["rotated bowl"][0], race.state["tuned"]
    for name, make in W.RACE_METHODS.items():
        r = run(land, make(factor * tuned["best_lr"][name]), tuned["starts"][0], 60)
        gap = (r.losses - land.min_value) / (r.losses[0] - land.min_value)
        assert race.state["finals"][name] == pytest.approx(float(gap[-1]) if not r.diverged else np.inf, rel=1e-12)
    # Armijo from every trial step at once
    curv = W.curvature_race(kappa=30.0, angle=0.0, lr0=100.0, steps=60)
    for lr0 in W.positions(curv.controls["lr0"])[[3, 20]]:
        curv.controls["lr0"].value = float(lr0)
        alone = linesearch.backtracking(L.Quadratic.from_condition(30.0, L=1.0), np.array([-2.0, 1.5]), 60,
                                        lr0=float(lr0))
        assert curv.state["armijo_backtracks"] == int(alone.backtracks.sum())
        np.testing.assert_allclose(curv.state["armijo"].losses, alone.losses, rtol=1e-12, atol=1e-300)
    # Adam's steps for every ε at once
    eps = W.adam_eps(steps=30)
    value = float(W.positions(eps.controls["eps"])[100])
    eps.controls["eps"].value = value
    scales = np.array([1e-6, 1e-2, 1.0, 1e2])
    r = run(lambda x: (np.zeros(x.shape[:-1]), np.broadcast_to(scales, x.shape)), Adam(lr=1.0, eps=value),
            np.zeros(4), 30)
    np.testing.assert_allclose(eps.state["steps"], np.abs(np.diff(r.xs, axis=0)), rtol=1e-12)
