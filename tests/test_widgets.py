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
    assert "κ = 200" in dash.fig.axes[0].get_title()
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
        marker = [l for l in ax.lines if l.get_marker() == "o"][-1]
        assert line_data(marker)[0][0] == pytest.approx(1.0) and line_data(marker)[1][0] == pytest.approx(0.9)
    assert dash.grid is grid
    assert dash.state["rate"] == pytest.approx(
        __import__("lrcourse").theory.heavy_ball_rate(1.0, 0.9, [1 / 50, 1.0]))
    dash.controls["lr"].value = 3.9
    assert dash.state["heavy_ball"].diverged or dash.state["rate"] < 1


@pytest.mark.parametrize("name", list(W.SCHEDULE_SLIDERS))
def test_every_schedule_dashboard_responds(name):
    dash = W.schedule_explorer(name)
    rates = dash.state["rates"].copy()
    dash.controls["lr"].value = 0.1
    assert dash.state["rates"].max() < rates.max()
    curve = dash.fig.axes[0].lines[0]
    np.testing.assert_allclose(line_data(curve)[1], dash.state["rates"])


def test_schedule_tabs_hold_every_schedule_and_each_tab_moves():
    tabs = W.schedule_tabs()
    assert list(tabs.dashboards) == list(W.SCHEDULE_SLIDERS)
    assert len(tabs.widget.children) == len(W.SCHEDULE_SLIDERS)
    assert tabs.widget.titles == tuple(W.SCHEDULE_SLIDERS)
    dash = tabs.dashboards["one_cycle"]
    before = dash.state["rates"].argmax()
    dash.controls["pct_start"].value = 0.6
    assert dash.state["rates"].argmax() > before


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
    from lrcourse import lr_finder as F

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 5)), rng.integers(0, 3, size=200)
    dash = W.range_test_explorer(F.softmax_problem(X, y, 32), np.zeros(15), lr_min=1e-4, lr_max=100.0)
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
    assert "1.0e+00" in dash.fig.axes[0].get_title()
