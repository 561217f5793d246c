"""The plotting helpers: each draws what it was given on the axes it was given and returns that
artist; log axes where promised; diverged runs stop without warnings; the blitting renderer
repaints what changed and nothing else; the PNG encoder is lossless."""

import io
import warnings
import zlib

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import LogNorm, to_hex  # noqa: E402

import lrcourse as lrc  # noqa: E402
from lrcourse import landscapes as L  # noqa: E402
from lrcourse import plotting  # noqa: E402


@pytest.fixture
def axes():
    fig, axes = plotting.figure(ncols=2)
    yield axes
    plt.close(fig)


def test_figure_is_left_out_of_pyplot_and_its_axes_cycle_through_the_series_colours():
    before = plt.get_fignums()
    fig, axes = plotting.figure(ncols=3, nrows=2, width=4.0, height=3.0)
    assert plt.get_fignums() == before
    assert isinstance(fig.canvas, FigureCanvasAgg)
    assert axes.shape == (6,) and list(axes) == fig.axes
    assert tuple(fig.get_size_inches()) == (12.0, 6.0)
    assert fig.subplotpars.left * 12.0 == pytest.approx(0.8)            # margins in inches
    for ax in axes:
        lines = [ax.plot([0, 1], [i, i])[0] for i in range(len(plotting.SERIES))]
        assert [to_hex(line.get_color()) for line in lines] == [to_hex(c) for c in plotting.SERIES]
    plt.close(fig)


def test_style_gives_neighbouring_series_another_colour_line_style_and_marker():
    n = len(plotting.SERIES)
    looks = [plotting.style(i, marker=True) for i in range(n)]
    assert len({s["color"] for s in looks}) == n and len({s["marker"] for s in looks}) == n
    assert all(a["linestyle"] != b["linestyle"] for a, b in zip(looks, looks[1:]))
    assert plotting.style(n) == plotting.style(0) and "marker" not in plotting.style(0)
    assert plotting.style(2, color="k", lw=3) == {"color": "k", "linestyle": looks[2]["linestyle"], "lw": 3}
    assert plotting.OKABE_ITO["yellow"] not in plotting.SERIES
    assert set(plotting.SERIES) <= set(plotting.OKABE_ITO.values())


def test_legend_is_in_the_course_size_unless_told(axes):
    ax, other = axes
    ax.plot([0, 1], label="a")
    legend = plotting.legend(ax)
    assert legend is ax.get_legend() and legend.get_frame().get_alpha() == 0.85
    assert [t.get_fontsize() for t in legend.get_texts()] == [plotting.LEGEND_PT]
    other.plot([0, 1], label="b")
    assert plotting.legend(other, fontsize=12).get_texts()[0].get_fontsize() == 12


# --------------------------------------------------------------------------- maps and paths


def test_contours_colour_by_rank_of_the_loss_and_star_the_minimizers(axes):
    ax, plain = axes
    land = L.MultiWell()
    image = plotting.contours(ax, land)
    assert image in ax.images and image.get_interpolation() == "bilinear"
    (x_lo, x_hi), (y_lo, y_hi) = land.window
    assert image.get_extent() == [x_lo, x_hi, y_lo, y_hi]
    assert ax.get_xlim() == (x_lo, x_hi) and ax.get_ylim() == (y_lo, y_hi)
    shown = np.asarray(image.get_array())
    assert shown.shape == (160, 160)
    X, Y = np.meshgrid(np.linspace(x_lo, x_hi, 160), np.linspace(y_lo, y_hi, 160))
    loss = land.value(np.stack([X, Y], axis=-1)).ravel()
    order = np.argsort(shown.ravel())
    assert np.all(np.diff(loss[order]) >= 0)                          # the loss's order is kept
    np.testing.assert_allclose(shown.ravel()[order], np.linspace(0, 1, loss.size), atol=1e-12)   # evenly spread
    (contour_set,) = ax.collections
    np.testing.assert_allclose(contour_set.levels, np.linspace(0, 1, 14)[1:-1])
    (stars,) = [line for line in ax.lines if line.get_marker() == "*"]
    np.testing.assert_array_equal(stars.get_xydata(), land.minimizers)
    rough = plotting.contours(plain, land, levels=0, smooth=False)
    assert np.shape(rough.get_array()) == (200, 200) and rough.get_interpolation() == "nearest"
    assert not plain.collections


def test_refill_shows_another_landscape_in_the_same_image(axes):
    ax, fresh_ax = axes
    image = plotting.contours(ax, L.Quadratic([1.0, 1.0]), levels=0, smooth=False)
    round_bowl, extent = np.array(image.get_array()), image.get_extent()
    steep = L.Quadratic([1.0, 20.0])
    assert plotting.refill(image, steep) is image and image.get_extent() == extent
    fresh = plotting.contours(fresh_ax, steep, levels=0, smooth=False)
    np.testing.assert_array_equal(image.get_array(), fresh.get_array())
    assert not np.array_equal(image.get_array(), round_bowl)


def test_path_draws_the_points_marks_the_start_and_updates_in_place(axes):
    ax, _ = axes
    xs = np.array([[0.0, 1.0], [0.5, 0.5], [1.0, 0.2]])
    line = plotting.path(ax, xs, label="GD", linestyle="--")
    assert line in ax.lines and line.get_label() == "GD" and line.get_linestyle() == "--"
    np.testing.assert_array_equal(line.get_xydata(), xs)
    (start,) = [other for other in ax.lines if other is not line]
    np.testing.assert_array_equal(start.get_xydata(), xs[:1])
    assert start.get_marker() == "o" and start.get_color() == line.get_color()
    assert plotting.path(ax, xs[:2], line=line) is line and len(ax.lines) == 2
    np.testing.assert_array_equal(line.get_xydata(), xs[:2])


def test_mark_draws_an_unlabelled_marker_and_moves_it(axes):
    ax, _ = axes
    marker = plotting.mark(ax, 0.3, 0.9)
    assert marker in ax.lines and marker.get_marker() == "o" and marker.get_label().startswith("_")
    assert plotting.mark(ax, 1.0, 0.5, marker=marker) is marker and len(ax.lines) == 1
    np.testing.assert_array_equal(marker.get_xydata(), [[1.0, 0.5]])


def test_clip_to_window_cuts_far_points_at_the_widened_edge_and_leaves_its_argument_alone():
    window = ((-1.0, 1.0), (0.0, 2.0))                    # widened by 10 widths: x in [-21, 21], y in [-20, 22]
    xs = np.array([[0.5, 1.0], [1e6, -1e6], [np.inf, 5.0], [-30.0, 30.0]])
    clipped = plotting.clip_to_window(xs, window)
    np.testing.assert_array_equal(clipped, [[0.5, 1.0], [21.0, -20.0], [21.0, 5.0], [-21.0, 22.0]])
    assert xs[1, 0] == 1e6


def test_outside_is_the_largest_coordinate_of_the_points_outside_the_window():
    window = ((-1.0, 1.0), (-1.0, 1.0))
    assert plotting.outside([[0.0, 0.0], [0.9, -0.9]], window) == 0.0
    assert plotting.outside([[0.0, 0.0], [0.5, 3.0], [-4.0, 0.2], [np.nan, np.nan]], window) == 4.0
    assert plotting.outside([[0.0, 0.0], [np.nan, 50.0], [np.inf, 0.0]], window) == 0.0   # unfinished points


# --------------------------------------------------------------------------- curves


def test_loss_curve_draws_the_gap_to_the_minimum_on_a_log_axis(axes):
    ax, other = axes
    losses = np.array([5.0, 3.0, 2.5, 2.0])
    line = plotting.loss_curve(ax, losses, f_min=2.0, label="GD", color="k")
    assert line in ax.lines and line.get_label() == "GD" and line.get_color() == "k"
    x, y = line.get_data()
    np.testing.assert_array_equal(x, np.arange(4))
    np.testing.assert_array_equal(y, [3.0, 1.0, 0.5, np.nan])   # the minimum has no place on a log axis
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step t" and ax.get_ylabel() == "loss − min"
    plotting.loss_curve(other, losses)
    assert other.get_yscale() == "log" and other.get_ylabel() == "loss"
    assert plotting.loss_curve(ax, [6.0, 4.0], f_min=2.0, line=line) is line and len(ax.lines) == 1
    np.testing.assert_array_equal(line.get_ydata(), [4.0, 2.0])


def _drawn(fig, ax, losses):
    """The curve of ``losses``, drawn with every warning an error; its y data."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        line = plotting.loss_curve(ax, losses)
        fig.canvas.draw()
    return np.asarray(line.get_ydata())


def test_a_diverged_run_is_drawn_without_warnings_and_stops_where_it_diverged():
    r = lrc.run(L.Quadratic([1.0, 10.0]), lrc.GD(lr=0.3), x0=[1.0, 1.0], steps=100)
    assert 0 < r.diverged_at < 100 and np.isnan(r.losses[-1])
    fig, (ax,) = plotting.figure()
    y = _drawn(fig, ax, r.losses)
    t = r.diverged_at
    np.testing.assert_array_equal(y[:t + 1], r.losses[:t + 1])      # up to the step that left the bound
    assert not np.isfinite(y[t + 1:]).any()
    bottom, top = ax.get_ylim()
    assert 0 < bottom and np.isfinite(top) and top >= y[t]
    plt.close(fig)


def test_an_overflowed_tail_is_left_out_without_warnings():
    fig, (ax,) = plotting.figure()
    y = _drawn(fig, ax, [4.0, 2.0, 1e200, np.inf, np.inf, np.nan, np.nan])
    np.testing.assert_array_equal(np.flatnonzero(np.isfinite(y)), [0, 1, 2])
    assert np.all(np.isfinite(ax.get_ylim())) and ax.get_ylim()[1] >= 1e200
    plt.close(fig)


def test_schedule_curve_draws_the_rate_of_every_step(axes):
    ax, _ = axes
    schedule = lrc.schedules.step_decay(0.1, 0.5, 5)
    line = plotting.schedule_curve(ax, schedule, 20, label="step decay", color="k")
    assert line in ax.lines and line.get_label() == "step decay" and line.get_color() == "k"
    x, y = line.get_data()
    np.testing.assert_array_equal(x, np.arange(20))
    np.testing.assert_array_equal(y, schedule(np.arange(20)))
    assert ax.get_xlabel() == "step t" and ax.get_ylabel() == "learning rate η"
    assert plotting.schedule_curve(ax, schedule, 8, line=line) is line and len(ax.lines) == 1
    assert len(line.get_xdata()) == 8


def test_heatmap_greys_out_diverged_and_unplottable_cells_on_a_log_colour_scale(axes):
    ax, linear = axes
    values = np.array([[1.0, 0.1, 1e-6], [1e-3, 0.0, 2.0]])
    diverged = np.array([[False, False, True], [False, False, False]])
    mesh = plotting.heatmap(ax, values, x=[0.01, 0.1, 1.0], y=[0.0, 0.9], diverged=diverged, xlabel="η",
                            ylabel="β")
    assert mesh in ax.collections
    shown = mesh.get_array()
    np.testing.assert_array_equal(np.ma.getmaskarray(shown), [[False, False, True], [False, True, False]])
    np.testing.assert_array_equal(shown.compressed(), [1.0, 0.1, 1e-3, 2.0])
    assert isinstance(mesh.norm, LogNorm) and (mesh.norm.vmin, mesh.norm.vmax) == (1e-3, 2.0)
    assert mesh.cmap.get_bad()[:3] == pytest.approx((0.55, 0.55, 0.55), abs=0.01)
    assert ax.get_xscale() == "log" and (ax.get_xlabel(), ax.get_ylabel()) == ("η", "β")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["diverged"]
    assert "final loss" in [other.get_ylabel() for other in ax.figure.axes]    # the colour bar
    calm = plotting.heatmap(linear, values, x=[1.0, 2.0, 3.0], y=[0.0, 1.0], log_x=False, vmin=1e-4, vmax=10.0)
    assert linear.get_xscale() == "linear" and linear.get_legend() is None
    assert (calm.norm.vmin, calm.norm.vmax) == (1e-4, 10.0)


def test_range_test_draws_its_losses_and_a_line_at_each_rules_suggestion(axes):
    from lrcourse import lr_finder as F

    ax, empty = axes
    bowl = L.Noisy(L.Quadratic.from_condition(10.0, L=1.0), sigma=0.3, seed=0)
    test = F.range_test(bowl, [3.0, -2.0], lrc.GD(), lr_min=1e-5, lr_max=100.0, steps=100)
    raw, smoothed, marks = plotting.range_test(ax, test)
    np.testing.assert_array_equal(raw.get_xydata(), np.column_stack([test.lrs, test.losses]))
    np.testing.assert_array_equal(smoothed.get_xydata(), np.column_stack([test.lrs, test.smoothed]))
    assert set(marks) == set(F.RULES)
    for rule, line in marks.items():
        assert list(line.get_xdata()) == [test.suggest(rule)] * 2 and rule in line.get_label()
    looks = {(line.get_color(), str(line._unscaled_dash_pattern)) for line in marks.values()}
    assert len({colour for colour, _ in looks}) == len({dashes for _, dashes in looks}) == len(marks)
    assert ax.get_xscale() == "log" and ax.get_ylim() == pytest.approx(test.ylim())
    raw, smoothed, marks = plotting.range_test(empty, rules=("valley",))     # empty, for a dashboard to fill
    assert len(raw.get_xdata()) == len(smoothed.get_xdata()) == 0 and list(marks) == ["valley"]
    with pytest.raises(ValueError, match="rules must be among"):
        plotting.range_test(ax, test, rules=("fastest",))


# --------------------------------------------------------------------------- rendering


def test_over_is_the_image_and_what_is_drawn_over_it(axes):
    ax, _ = axes
    image = plotting.contours(ax, L.Quadratic([1.0, 4.0]), levels=3)
    below = ax.plot([0, 1], [0, 1], zorder=-1)[0]
    hidden = ax.plot([0, 1], [1, 0])[0]
    hidden.set_visible(False)
    left_out = ax.plot([0, 1], [0.5, 0.5])[0]
    line = plotting.path(ax, [[0.0, 0.0], [1.0, 1.0]], label="GD")
    legend = plotting.legend(ax)
    ax.set_title("a title")
    layer = plotting.over(ax, image, exclude=[left_out])
    assert layer[0] is image
    for artist in [line, legend, *ax.collections, *ax.spines.values()]:
        assert artist in layer
    for artist in [below, hidden, left_out, ax.patch, ax.title, ax.xaxis, ax.yaxis]:
        assert artist not in layer


def _line_figure():
    fig, (ax,) = plotting.figure()
    ax.set(xlim=(0, 9), ylim=(0, 9))
    (line,) = ax.plot([0, 9], [1, 8], lw=3)
    return fig, ax, line


def test_blit_repaints_the_dynamic_artists_and_keeps_the_rest_until_invalidated():
    fig, ax, line = _line_figure()
    blit = plotting.Blit(fig, dynamic=[line])
    first = blit.render().copy()
    assert line.get_animated() and first.shape[-1] == 4
    line.set_data([0, 9], [8, 1])
    assert not np.array_equal(blit.render(), first)
    line.set_data([0, 9], [1, 8])
    assert np.array_equal(blit.render(), first)          # nothing of the other frame is left behind
    ax.set_title("a title")
    assert np.array_equal(blit.render(), first)          # the static parts are pixels now ...
    blit.invalidate()
    assert not np.array_equal(blit.render(), first)      # ... until invalidated
    plt.close(fig)


def test_blit_redraws_its_layer_only_after_touch():
    fig, (ax,) = plotting.figure()
    image = plotting.contours(ax, L.Quadratic([1.0, 1.0]), levels=0, smooth=False)
    blit = plotting.Blit(fig, layer=plotting.over(ax, image))
    first = blit.render().copy()
    plotting.refill(image, L.Quadratic([1.0, 20.0]))
    assert np.array_equal(blit.render(), first)
    blit.touch()
    assert not np.array_equal(blit.render(), first)
    plt.close(fig)


def test_the_png_holds_exactly_the_figure_pixels():
    """encode_png is lossless (whatever the number of bands it deflates in parallel)."""
    from PIL import Image

    fig, (ax,) = plotting.figure()
    plotting.contours(ax, L.MultiWell())
    line = plotting.path(ax, [[0.0, 0.0], [1.0, 1.0], [1.5, -1.0]])
    blit = plotting.Blit(fig, dynamic=[line])
    rgba = blit.render().copy()
    for bands in (1, 3, 4):
        decoded = np.asarray(Image.open(io.BytesIO(plotting.encode_png(rgba, bands))).convert("RGBA"))
        assert decoded.shape == rgba.shape and np.array_equal(decoded, rgba)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(blit.png())).convert("RGBA")), rgba)
    plt.close(fig)


def test_adler32_of_bands_combines_to_that_of_the_whole():
    rng = np.random.default_rng(1)
    for n in (0, 1, 65520, 65521, 200_000):
        a, b = rng.bytes(1000), rng.bytes(n)
        assert plotting._adler32_combine(zlib.adler32(a), zlib.adler32(b), n) == zlib.adler32(a + b)
