"""What a learner sees of the dashboards, checked on the pictures they emit and on the
controls the browser draws: sharp PNGs shown at their size, text that can be read, colours
that colour-blind readers can tell apart, series that stay visible where they coincide,
sliders that start where the code asked, readouts in plain numbers, and the regime label of
lesson 01 against the factor |1 − η·L|."""

import html
import math
import struct

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")
import ipywidgets  # noqa: E402
from matplotlib.colors import to_hex, to_rgb  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from lrcourse import plotting  # noqa: E402
from lrcourse import widgets as W  # noqa: E402

# ----------------------------------------------------------------------------- helpers


def png_size(data: bytes) -> tuple:
    """(width, height) from the IHDR chunk, which always comes first in a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def js_to_precision(v: float, p: int) -> str:
    """JavaScript's Number.prototype.toPrecision (what d3's "g" uses)."""
    if v == 0:
        return "0" if p == 1 else "0." + "0" * (p - 1)
    e = math.floor(math.log10(abs(v)))
    rounded = float(f"{v:.{p - 1}e}")           # round to p significant digits first
    e = math.floor(math.log10(abs(rounded)))
    if e < -6 or e >= p:
        mantissa, exp = f"{v:.{p - 1}e}".split("e")
        return f"{mantissa}e{'+' if int(exp) >= 0 else '-'}{abs(int(exp))}"
    return f"{rounded:.{max(p - 1 - e, 0)}f}"


def d3_format(spec: str, v: float) -> str:
    """d3-format for the specifiers the dashboards use: ".Nf", ".Ng", ".Nr", ".Ne"."""
    precision, kind = int(spec[1:-1]), spec[-1]
    if kind == "f":
        return f"{v:.{precision}f}"
    if kind == "e":
        return f"{v:.{precision}e}"
    if kind == "g":
        return js_to_precision(v, precision)
    if kind == "r":   # decimal notation, rounded to significant digits: never an exponent
        e = math.floor(math.log10(abs(float(f"{v:.{precision - 1}e}")))) if v else 0
        return f"{v:.{max(precision - 1 - e, 0)}f}"
    raise AssertionError(f"unexpected readout format {spec}")


def histories():
    """Three cheap training histories for curve_picker (no training)."""
    T = pytest.importorskip("lrcourse.training")

    def history(losses, val):
        h = T.History(losses=list(losses))
        h.epochs = [{"epoch": i, "train_loss": v * 1.1, "val_loss": v, "val_acc": 0.5, "seconds": 0.0}
                    for i, v in enumerate(val)]
        h.best_epoch = int(np.argmin(val))
        return h

    return {30.0: history(np.r_[2.3, 5e4, 300.0, np.full(60, 2.35)], [8.0, 3.0]),
            1e-3: history(np.linspace(2.33, 2.30, 63), [2.34, 2.33]),
            0.1: history(np.geomspace(2.3, 0.2, 63), [1.0, 0.3])}


def range_problem():
    from lrcourse.landscapes import softmax_problem

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 5)), rng.integers(0, 3, size=200)
    return softmax_problem(X, y, 32), np.zeros(15)


# what each dashboard is built with, as its notebook builds it (the arguments are what the
# start values are checked against)
BUILDS = {
    "gd_parabola": (lambda: W.gd_parabola(lr=0.3), {"lr": 0.3}),
    "zigzag": (lambda: W.zigzag(kappa=20.0, lr_fraction=0.9), {"kappa": 20.0, "lr_fraction": 0.9}),
    "curvature_race": (lambda: W.curvature_race(kappa=30.0, angle=0.0, lr0=100.0),
                       {"kappa": 30.0, "angle": 0.0, "lr0": 100.0}),
    "momentum_explorer": (lambda: W.momentum_explorer(kappa=50.0, lr=0.5, momentum=0.6, grid=30),
                          {"lr": 0.5, "momentum": 0.6}),
    "nesterov_paths": (lambda: W.nesterov_paths(kappa=50.0, lr=0.5, momentum=0.9, steps=60, grid=30),
                       {"lr": 0.5, "momentum": 0.9}),
    "schedule_explorer": (lambda: W.schedule_explorer("cosine_restarts", lr=0.4, steps=80),
                          {"lr": 0.4, "T_0": 50, "T_mult": 2}),
    "schedule_constant": (lambda: W.schedule_explorer("constant", lr=0.4, steps=80), {"lr": 0.4}),
    "escape_wells": (lambda: W.escape_wells(), {"peak": 3.2}),
    "adaptive_race": (lambda: W.adaptive_race("rotated bowl", rate_factor=1.0, steps=60),
                      {"landscape": "rotated bowl", "rate_factor": 1.0}),
    "adam_eps": (lambda: W.adam_eps(eps=1e-8, bias_correction=True), {"eps": 1e-8, "bias_correction": True}),
    "range_test_explorer": (lambda: W.range_test_explorer(*range_problem(), lr_min=1e-4, lr_max=100.0, beta=0.98),
                            {"lr_min": 1e-4, "lr_max": 100.0, "beta": 0.98}),
    "curve_picker": (lambda: W.curve_picker(histories(), chance=float(np.log(10))), {"lr": 0.1}),
}


@pytest.fixture(scope="module")
def dashboards():
    return {name: make() for name, (make, _) in BUILDS.items()}


def data_lines(ax):
    """The labelled series of an axes that hold data (legend proxies and helpers left out)."""
    return [line for line in ax.lines if isinstance(line, Line2D) and not line.get_label().startswith("_")
            and len(np.atleast_1d(line.get_xdata())) > 0]


def on_screen_px(points: float, dash) -> float:
    """A font size in points as CSS pixels on the page: points → PNG pixels at the figure's
    dpi, then PNG pixels → CSS pixels by the ratio of the PNG's width to the shown width."""
    png_width, _ = png_size(dash.image.value)
    return points * dash.fig.dpi / 72 * dash.width / png_width


# ----------------------------------------------------------------------------- resolution


@pytest.mark.parametrize("name", list(BUILDS))
def test_png_is_twice_the_shown_size_before_and_after_a_slider_event(dashboards, name):
    dash = dashboards[name]
    assert dash.image.layout.width == f"{dash.width}px"
    assert dash.image.layout.max_width == "100%" and dash.image.layout.height == "auto"   # never stretched
    assert png_size(dash.image.value) == (2 * dash.width, 2 * dash.height)
    assert plotting.PIXEL_RATIO == 2 and dash.fig.dpi == 2 * plotting.DISPLAY_DPI
    control = next(c for c in dash.controls.values() if isinstance(
        c, (ipywidgets.FloatLogSlider, ipywidgets.FloatSlider, ipywidgets.IntSlider, ipywidgets.SelectionSlider)))
    grid = W.positions(control) if not isinstance(control, ipywidgets.SelectionSlider) else None
    start = control.value
    control.value = control.options[0][1] if grid is None else grid[len(grid) // 3]
    assert png_size(dash.image.value) == (2 * dash.width, 2 * dash.height)
    control.value = start


def test_dashboards_are_no_wider_than_a_notebook_column(dashboards):
    for name, dash in dashboards.items():
        assert dash.width <= 1000, name


# ----------------------------------------------------------------------------- text


@pytest.mark.parametrize("name", list(BUILDS))
def test_legends_and_tick_labels_are_at_least_10_px_on_screen(dashboards, name):
    dash = dashboards[name]
    dash.blit.invalidate()
    dash.refresh()                       # draws everything, so tick labels exist
    legends = [ax.get_legend() for ax in dash.fig.axes if ax.get_legend() is not None]
    assert legends, f"{name} has no legend"
    for legend in legends:
        for text in legend.get_texts():
            assert on_screen_px(text.get_fontsize(), dash) >= 10, (name, text.get_text())
    renderer = dash.fig.canvas.get_renderer()
    for ax in dash.fig.axes:
        for label in ax.get_xticklabels() + ax.get_yticklabels():
            if label.get_text():
                assert on_screen_px(label.get_fontsize(), dash) >= 10, (name, label.get_text())
                # the glyphs as drawn: a line of text is taller than its size in pixels
                height = label.get_window_extent(renderer).height * dash.width / png_size(dash.image.value)[0]
                assert height >= 10, (name, label.get_text(), height)
    for text in dash.fig.findobj(Text):   # no text anywhere in the figure below 10 px
        if text.get_visible() and text.get_text().strip():
            assert on_screen_px(text.get_fontsize(), dash) >= 10, (name, text.get_text())


def test_every_dashboard_has_a_caption_that_says_what_the_plot_shows(dashboards):
    for name, dash in dashboards.items():
        caption = dash.state["caption"]
        assert len(caption) > 40 and caption in html.unescape(dash.caption.value), name
        assert dash.caption in dash.widget.children and dash.image in dash.widget.children
    assert "converges without oscillating" in dashboards["gd_parabola"].state["caption"]
    assert "η = 0.3, η·L = 0.3" in dashboards["gd_parabola"].state["caption"]


def test_slider_descriptions_are_never_cut(dashboards):
    for name, dash in dashboards.items():
        for key, control in dash.controls.items():
            assert control.style.description_width == "initial", (name, key)
            assert "_" not in control.description or "η_" in control.description, (name, control.description)


def test_schedule_tab_titles_are_whole_words_in_rows_that_fit():
    tabs = W.schedule_tabs()
    for row in tabs.rows.values():
        assert len(row.widget.titles) <= 6                  # 6 × 144 px fits a notebook column
        for title in row.widget.titles:
            assert title in W.SCHEDULE_TITLES.values() and "_" not in title
            assert len(title) <= 16                         # fits a tab's 124 px of text at 13 px


# ----------------------------------------------------------------------------- colour and style

SAFE = {to_hex(c) for c in plotting.OKABE_ITO.values()}


def colour_blind_safe(colour) -> bool:
    r, g, b = to_rgb(colour)
    return to_hex(colour) in SAFE or (abs(r - g) < 1e-9 and abs(g - b) < 1e-9)   # Okabe-Ito or a grey


@pytest.mark.parametrize("name", list(BUILDS))
def test_series_use_the_okabe_ito_colours(dashboards, name):
    dash = dashboards[name]
    for ax in dash.fig.axes:
        cycle = [to_hex(c["color"]) for c in ax._get_lines._cycler_items] if hasattr(ax._get_lines,
                                                                                  "_cycler_items") else None
        if cycle is not None and ax.get_label() != "<colorbar>":
            assert cycle == [to_hex(c) for c in plotting.SERIES], (name, cycle)
        for line in data_lines(ax):
            assert colour_blind_safe(line.get_color()), (name, line.get_label(), line.get_color())
    for colour in plotting.SERIES:
        assert to_hex(colour) in SAFE
    assert {to_hex(c) for c in W.RACE_COLORS.values()} <= SAFE


def _look(line):
    return (str(line.get_linestyle()), str(line.get_dashes() if hasattr(line, "get_dashes") else ""),
            line.get_marker() if line.get_marker() not in (None, "None", "none", "") else None)


def _dash_pattern(line):
    offset, seq = line._unscaled_dash_pattern
    return (line.get_linestyle(), None if seq is None else tuple(np.round(seq, 3)))


@pytest.mark.parametrize("name", list(BUILDS))
def test_series_in_one_axes_differ_in_line_style_or_marker(dashboards, name):
    """Where two series can lie on top of each other, colour alone must not tell them apart."""
    dash = dashboards[name]
    for ax in dash.fig.axes:
        lines = [line for line in data_lines(ax) if len(set(np.round(np.atleast_1d(line.get_ydata()), 12))) > 1
                 or len(np.atleast_1d(line.get_xdata())) == 1]        # a flat reference level is not a series
        looks = {}
        for line in lines:
            marker = line.get_marker() if line.get_marker() not in (None, "None", "none", "") else None
            key = (_dash_pattern(line), marker)
            assert key not in looks, (name, ax.get_title(), line.get_label(), looks.get(key))
            looks[key] = line.get_label()


def test_the_series_that_coincide_stay_visible():
    # Newton and the diagonal rate solve an unrotated bowl in one step: the same path
    race = W.curvature_race(kappa=30.0)
    path_lines = {line.get_label(): line for line in data_lines(race.fig.axes[0])}
    newton, diagonal = path_lines["Newton (knows H)"], path_lines["diagonal η = 1/H_ii (knows H)"]
    assert np.allclose(newton.get_xydata()[-1], diagonal.get_xydata()[1])
    assert newton.get_linewidth() >= 2 * diagonal.get_linewidth()        # a wide band under a thin line
    assert _look(newton) != _look(diagonal)
    # Adam's steps for |g| of 1e-6 … 100 coincide at ε = 1e-8: nested widths and markers
    eps = W.adam_eps(eps=1e-8)
    lines = data_lines(eps.fig.axes[0])
    widths = [line.get_linewidth() for line in lines]
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == 4
    assert len({line.get_marker() for line in lines}) == 4
    # the race: six racers, six colours, six markers
    race = W.adaptive_race("rotated bowl", steps=60)
    looks = [(line.get_color(), line.get_marker()) for line in data_lines(race.fig.axes[0])]
    assert len({c for c, _ in looks}) == len({m for _, m in looks}) == len(W.RACE_METHODS)


# ----------------------------------------------------------------------------- sliders


def _start_on_grid(control):
    """The position the browser's slider snaps the start value to, and that value."""
    if isinstance(control, ipywidgets.FloatLogSlider):
        k = (math.log10(control.value) - control.min) / control.step
        snapped = control.base ** (control.min + round(k) * control.step)
    else:
        k = (control.value - control.min) / control.step
        snapped = control.min + round(k) * control.step
    return snapped


@pytest.mark.parametrize("name", list(BUILDS))
def test_sliders_start_exactly_where_the_code_asked(dashboards, name):
    dash = dashboards[name]
    for key, asked in BUILDS[name][1].items():
        control = dash.controls[key]
        assert control.value == asked, (name, key)
        if isinstance(control, (ipywidgets.FloatLogSlider, ipywidgets.FloatSlider, ipywidgets.IntSlider)):
            snapped = _start_on_grid(control)
            assert snapped == pytest.approx(asked, rel=1e-9, abs=1e-12), (name, key, snapped)
            assert W.positions(control)[W._on_grid(W.positions(control), asked)] == asked


def test_log_slider_puts_its_start_on_the_grid_and_reaches_the_bottom():
    for value, low, high in [(0.3, 1e-2, 3.5), (30.0, 1.0, 1000.0), (1e-8, 1e-12, 1.0), (0.4, 1e-3, 0.9),
                             (3.2, 0.05, 5.0), (1.0, 0.1, 10.0), (0.01, 0.01, 1.0)]:
        s = W.log_slider("x", value, low, high)
        grid = W.positions(s)
        assert value in grid
        assert grid[0] == pytest.approx(low, rel=1e-9) and grid[-1] <= high * (1 + 1e-9)
        assert s.step <= 0.05 + 1e-12 and np.allclose(np.diff(np.log10(grid)), s.step)
    with pytest.raises(ValueError):
        W.log_slider("x", 5.0, 0.1, 1.0)


def _readouts(control):
    if isinstance(control, ipywidgets.SelectionSlider):
        return [(label, value) for label, value in control.options]
    if isinstance(control, (ipywidgets.FloatLogSlider, ipywidgets.FloatSlider)):
        return [(d3_format(control.readout_format, v), v) for v in W.positions(control)]
    return []


@pytest.mark.parametrize("name", list(BUILDS))
def test_readouts_are_plain_numbers_between_1e_minus_3_and_1e4(dashboards, name):
    for key, control in dashboards[name].controls.items():
        for text, value in _readouts(control):
            if 1e-3 <= abs(value) < 1e4:
                assert "e" not in text.lower(), (name, key, value, text)
                assert float(text) == pytest.approx(value, rel=5e-3, abs=5e-3), (name, key, value, text)


def test_kappa_and_rate_readouts_read_as_asked():
    race = W.curvature_race(kappa=30.0)
    kappa = race.controls["kappa"]
    assert d3_format(kappa.readout_format, kappa.value) == "30.0"
    assert d3_format(kappa.readout_format, 1000 * (1 - 1e-12)) == "1000"
    lr = W.gd_parabola(lr=0.3).controls["lr"]
    assert d3_format(lr.readout_format, lr.value) == "0.300"
    eps = W.adam_eps().controls["eps"]
    assert d3_format(eps.readout_format, 1e-8) == "1.00e-8" and d3_format(eps.readout_format, 0.01) == "0.0100"


def test_number_is_plain_in_the_middle_and_short_outside():
    assert [W.number(v) for v in (0.3, 35.48, 1000, 0.001, 2.5e-5, 1e-8, 12345.6, -0.25, 0)] == \
        ["0.3", "35.5", "1000", "0.001", "2.5e-5", "1e-8", "1.23e4", "-0.25", "0"]


# ----------------------------------------------------------------------------- lesson 01's regime label


def test_gd_parabola_label_follows_one_minus_eta_l_across_eta():
    dash = W.gd_parabola(lr=0.3)
    grid = W.positions(dash.controls["lr"])
    assert 1.0 in np.round(grid, 12) and 2.0 in np.round(grid, 12)   # both boundaries are slider positions
    rates = sorted(set(np.round(grid, 12)) | {1.0, 2.0, 2.0 + 1e-6, 2.05, 2.1, 2.2, 1.999})
    for lr in rates:
        dash.controls["lr"].value = float(lr)
        factor = 1 - lr                                               # L = 1
        w = dash.state["result"].xs[:, 0]
        regime = dash.state["regime"]
        assert dash.state["factor"] == pytest.approx(factor)
        if abs(factor) < 1e-9:
            assert regime == "one step to the minimum" and abs(w[1]) < 1e-12
        elif factor > 0:                                              # η·L < 1
            assert regime == "monotone", lr
            assert np.all(w > 0) and np.all(np.diff(np.abs(w)) < 0), lr
        elif abs(factor + 1) < 1e-9:                                  # η·L = 2
            assert regime.startswith("neither converges nor diverges"), lr
            assert np.allclose(np.abs(w), 2.0)
        elif factor > -1:                                             # 1 < η·L < 2
            assert regime == "oscillates but converges", lr
            assert np.all(np.sign(w[1:]) != np.sign(w[:-1])) and abs(w[-1]) < abs(w[0]), lr
        else:                                                         # η·L > 2
            assert regime == "diverges", lr
            assert "diverges" in dash.fig.axes[0].get_title() and "diverges" in dash.state["caption"]
            grown = np.abs(w[np.isfinite(w)])
            assert grown[-1] > grown[0], lr
    # just above 2 the 25 steps drawn stay below the divergence bound: the label does not wait for it
    dash.controls["lr"].value = 2.05
    assert dash.state["regime"] == "diverges" and not dash.state["result"].diverged


# ----------------------------------------------------------------------------- the points the defaults show


def test_escape_wells_default_shows_an_escape():
    dash = W.escape_wells()
    ends = dash.state["ends"]
    shallow = int(np.argmin(np.linalg.norm(__import__("lrcourse").landscapes.MultiWell().minimizers - [0.3, 0.2],
                                           axis=1)))
    assert ends["constant (η_min)"]["well"] == shallow and ends["constant (η_min)"]["settled"]
    assert ends["cosine restarts"]["settled"] and ends["cosine restarts"]["well"] == 0
    # the precomputed slider positions give what a run at that setting gives
    for peak in W.positions(dash.controls["peak"])[::7]:
        dash.controls["peak"].value = float(peak)
        cached = dict(dash.state["ends"])
        from lrcourse import landscapes as L
        from lrcourse.optimizers import GD
        from lrcourse.run import run

        r = run(L.MultiWell(), GD(lr=W._well_schedules(float(peak))["cyclic"]), W._WELL_START, 300)
        assert cached["cyclic"]["loss"] == pytest.approx(float(r.loss), rel=1e-9, abs=1e-12)


def test_paths_that_leave_the_window_are_named():
    race = W.adaptive_race("rotated bowl")
    assert "Off the window: " in race.state["caption"] and "RMSprop" in race.state["caption"]
    nest = W.nesterov_paths(kappa=50.0, lr=0.5, momentum=0.9, steps=100, grid=20)
    tuned = nest.fig.axes[1]
    (x_lo, x_hi), (y_lo, y_hi) = tuned.get_xlim(), tuned.get_ylim()
    for line in data_lines(tuned):
        xy = line.get_xydata()
        assert np.all((xy[:, 0] >= x_lo) & (xy[:, 0] <= x_hi) & (xy[:, 1] >= y_lo) & (xy[:, 1] <= y_hi))
    nest.controls["lr"].value = 3.5
    assert "Off the window" in nest.state["caption"]


def test_curve_picker_axes_fit_a_run_that_stopped_early():
    T = pytest.importorskip("lrcourse.training")
    short = T.History(losses=[2.3, 2.1, 1.9, float("nan")])
    short.epochs = [{"epoch": 0, "train_loss": 2.1, "val_loss": 2.0, "val_acc": 0.2, "seconds": 0.0}]
    short.best_epoch, short.diverged_at = 0, 3
    runs = histories()
    runs[100.0] = short
    dash = W.curve_picker(runs, chance=float(np.log(10)))
    dash.controls["lr"].value = 100.0
    assert dash.fig.axes[0].get_xlim()[1] <= 3 and "NaN or infinite at step 3" in dash.state["caption"]
