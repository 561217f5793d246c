"""Plots for the course. Every function takes a matplotlib ``Axes``, draws on it and returns
what it drew, so notebooks and dashboards compose them freely and update artists in place.

Dashboards draw their figures at ``PIXEL_RATIO`` times the resolution they are shown at
(``DISPLAY_DPI`` CSS pixels per figure inch), so text stays sharp on high-density screens; font
sizes are chosen so that no text is smaller than 10 CSS pixels there. Series are drawn in the
Okabe-Ito colours (``SERIES``), which stay apart for the common kinds of colour blindness, and
series that can lie on top of each other also differ in line style and marker (``style``).

matplotlib is imported here, not by ``import lrcourse``.
"""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np
from matplotlib import colors
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .lr_finder import RULES

__all__ = ["figure", "Blit", "contours", "refill", "path", "loss_curve", "schedule_curve", "heatmap", "mark",
           "clip_to_window", "outside", "range_test", "RULE_LOOKS", "style", "legend", "encode_png", "over", "SERIES", "OKABE_ITO", "DISPLAY_DPI", "PIXEL_RATIO"]

#: CSS pixels per figure inch when a dashboard is shown (the CSS inch), and the factor by
#: which its PNG is finer than that: a figure 9.2 inches wide is shown 883 px wide, from a
#: PNG 1766 px wide.
DISPLAY_DPI = 96
PIXEL_RATIO = 2

#: Okabe & Ito's palette for colour-blind readers (https://jfly.uni-koeln.de/color/).
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7"}
#: The order series take their colours in; yellow is left out (too faint on white as a line).
SERIES = [OKABE_ITO[k] for k in ("blue", "vermillion", "bluish green", "reddish purple", "orange", "sky blue",
                                 "black")]
#: Line styles and markers that go with ``SERIES``, so overlapping series stay apart in
#: black and white too.
LINESTYLES = ["-", (0, (5, 2)), (0, (1, 1.5)), (0, (6, 2, 1.5, 2)), (0, (3, 1, 1, 1, 1, 1)), (0, (9, 3)), "-"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]

#: Font sizes in points. On screen a point is DISPLAY_DPI / 72 = 1.33 CSS pixels, so the
#: smallest text (legends) is 8 pt = 10.7 px.
FONT = {"xtick.labelsize": 9, "ytick.labelsize": 9, "axes.labelsize": 10, "axes.titlesize": 10.5,
        "legend.fontsize": 8, "font.size": 9}
LEGEND_PT = FONT["legend.fontsize"]


def style(i: int, marker: bool = False, **extra) -> dict:
    """Keyword arguments for series number ``i``: its colour and line style, and with
    ``marker=True`` its marker. Extra keywords override."""
    out = {"color": SERIES[i % len(SERIES)], "linestyle": LINESTYLES[i % len(LINESTYLES)]}
    if marker:
        out["marker"] = MARKERS[i % len(MARKERS)]
    out.update(extra)
    return out


def legend(ax: Axes, **kw):
    """A legend in the course's legend size (>= 10 px on screen); keywords go to ``ax.legend``."""
    kw.setdefault("fontsize", LEGEND_PT)
    kw.setdefault("framealpha", 0.85)
    return ax.legend(**kw)


def figure(ncols: int = 1, nrows: int = 1, width: float = 4.6, height: float = 3.6):
    """A Figure that pyplot does not track (dashboards own theirs), with its axes.

    Margins are fixed in inches (room for tick labels and a one-line title) rather than
    solved by a layout engine: solving them costs more than drawing the figure. Each axes
    cycles through ``SERIES``.
    """
    import matplotlib

    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(width * ncols, height * nrows))
        FigureCanvasAgg(fig)  # render without pyplot
        W, H = width * ncols, height * nrows
        fig.subplots_adjust(left=0.8 / W, right=1 - 0.2 / W, bottom=0.55 / H, top=1 - 0.4 / H,
                            wspace=1.0 / (width - 1.0), hspace=1.2 / (height - 1.1))
        axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.ravel():
        ax.set_prop_cycle(color=SERIES)
    return fig, axes.ravel()


#: The landscape maps' colours: light where the loss is low, a muted blue-grey where it is
#: high, so the wells stand out and coloured paths stay visible over every part. The map is
#: drawn in MAP_BANDS flat bands (like filled contour lines): flat areas also make the
#: sharp frames small and quick to compress.
MAP_BANDS = 14
TERRAIN = colors.LinearSegmentedColormap.from_list("lrc-terrain", ["#ffffff", "#dfe7ef", "#9fb3c8", "#5f7a96"],
                                                   N=MAP_BANDS)


def _mesh(landscape, n: int, window=None):
    window = landscape.window if window is None else window
    X, Y, Z = landscape.mesh(n, window)
    return X, Y, np.asarray(Z, dtype=float), window


def _equalize(Z: np.ndarray) -> np.ndarray:
    """Each value's rank among all, scaled to [0, 1]: an order-preserving transform (contours
    keep their shapes) that spreads the colours evenly over the area, so a shallow well in a
    steep landscape is as visible as the deep ones."""
    flat = Z.ravel()
    rank = np.empty(flat.size)
    rank[np.argsort(flat, kind="stable")] = np.arange(flat.size)
    return (rank / max(flat.size - 1, 1)).reshape(Z.shape)


def contours(ax: Axes, landscape, levels: int = 12, n: int | None = None, window=None, smooth: bool = True):
    """A 2-D landscape over its window (or ``window``): colours in flat bands by rank of the
    loss (an image, cheap to redraw), ``levels`` contour lines at evenly spaced ranks (0 for
    none), and its minimizers as stars. Returns the image.

    ``smooth=False`` is for a map that a slider redraws (``refill``): the grid is finer
    (``n`` 200 instead of 160) and its cells are drawn as they are, which costs a third of
    interpolating them."""
    n = n or (160 if smooth else 200)
    X, Y, Z, window = _mesh(landscape, n, window)
    (x_lo, x_hi), (y_lo, y_hi) = window
    shown = _equalize(Z)
    image = ax.imshow(shown, origin="lower", extent=(x_lo, x_hi, y_lo, y_hi), aspect="auto", cmap=TERRAIN,
                      norm=colors.Normalize(0.0, 1.0), interpolation="bilinear" if smooth else "nearest",
                      interpolation_stage="data")
    if levels:
        ax.contour(X, Y, shown, levels=np.linspace(0, 1, levels + 2)[1:-1], colors="#42566b", linewidths=0.5,
                   alpha=0.45)
    m = landscape.minimizers
    ax.plot(m[:, 0], m[:, 1], "*", color=OKABE_ITO["yellow"], markersize=13, markeredgecolor="k", zorder=5,
            label="_minimum")
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel="$w_1$", ylabel="$w_2$")
    return image


def refill(image, landscape, n: int | None = None):
    """Show another landscape (same window) in an image that ``contours`` drew."""
    n = n or image.get_array().shape[0]
    x_lo, x_hi, y_lo, y_hi = image.get_extent()
    image.set_data(_equalize(_mesh(landscape, n, ((x_lo, x_hi), (y_lo, y_hi)))[2]))
    return image


def clip_to_window(xs: np.ndarray, window) -> np.ndarray:
    """Positions with points far outside the window cut at its (widened) edge, so that a
    diverging path still shows where it went without stretching the axes."""
    xs = np.array(xs, dtype=float)
    for i, (lo, hi) in enumerate(window):
        pad = 10 * (hi - lo)
        xs[..., i] = np.clip(xs[..., i], lo - pad, hi + pad)
    return xs


def outside(xs, window) -> float:
    """How far a path goes beyond ``window``: the largest |coordinate| it reaches if any
    point lies outside, else 0."""
    xs = np.asarray(xs, dtype=float)
    xs = xs[np.all(np.isfinite(xs), axis=-1)]
    out = np.zeros(len(xs), dtype=bool)
    for i, (lo, hi) in enumerate(window):
        out |= (xs[:, i] < lo) | (xs[:, i] > hi)
    return float(np.abs(xs[out]).max()) if out.any() else 0.0


def path(ax: Axes, xs, color=SERIES[1], label=None, line=None, **kw):
    """A 2-D trajectory (``xs`` shape (T, 2)) with its start marked. Pass ``line`` (the Line2D this returned before) to update it in
    place; other keywords (``linestyle``, ``marker``) go to ``plot``."""
    xs = np.asarray(xs)
    if line is None:
        kw.setdefault("marker", ".")
        kw.setdefault("ms", 3.5)
        kw.setdefault("lw", 1.3)
        kw.setdefault("zorder", 4)
        (line,) = ax.plot(xs[:, 0], xs[:, 1], color=color, label=label, **kw)
        ax.plot(*xs[0], "o", color=color, ms=6, mec="white", zorder=4)
    else:
        line.set_data(xs[:, 0], xs[:, 1])
    return line


def loss_curve(ax: Axes, losses, f_min: float = 0.0, label=None, color=None, line=None, **kw):
    """Loss above its minimum against the step, on a log axis. NaN (after a divergence)
    is not drawn, so a curve simply stops where its run diverged."""
    gap = np.asarray(losses, dtype=float) - f_min
    gap = np.where(gap > 0, gap, np.nan) if np.any(gap > 0) else gap
    steps = np.arange(gap.size)
    if line is None:
        (line,) = ax.plot(steps, gap, label=label, color=color, **kw)
        ax.set_yscale("log")
        ax.set(xlabel="step t", ylabel="loss − min" if f_min else "loss")
    else:
        line.set_data(steps, gap)
    return line


def schedule_curve(ax: Axes, schedule, steps: int, label=None, line=None, **style):
    """η_t for t = 0 … steps − 1."""
    t = np.arange(steps)
    values = schedule(t)
    if line is None:
        (line,) = ax.plot(t, values, label=label, **style)
        ax.set(xlabel="step t", ylabel="learning rate η")
    else:
        line.set_data(t, values)
    return line


def heatmap(ax: Axes, values, x, y, diverged=None, xlabel="", ylabel="", log_x=True, cmap="viridis",
            vmin=None, vmax=None, label="final loss"):
    """A heat map of ``values`` (rows follow ``y``, columns follow ``x``), log colour scale;
    cells where a run diverged are drawn in grey and labelled."""
    values = np.asarray(values, dtype=float)
    shown = np.where(np.isfinite(values) & (values > 0), values, np.nan)
    if diverged is not None:
        shown = np.where(diverged, np.nan, shown)
    finite = shown[np.isfinite(shown)]
    vmin = vmin if vmin is not None else (finite.min() if finite.size else 1e-12)
    vmax = vmax if vmax is not None else (finite.max() if finite.size else 1.0)
    import matplotlib

    cm = matplotlib.colormaps[cmap].with_extremes(bad="0.55")
    mesh = ax.pcolormesh(x, y, shown, norm=colors.LogNorm(vmin=vmin, vmax=max(vmax, vmin * 1.0001)),
                         cmap=cm, shading="nearest")
    if log_x:
        ax.set_xscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel)
    bar = ax.figure.colorbar(mesh, ax=ax)
    bar.set_label(label, fontsize=FONT["axes.labelsize"])
    bar.ax.tick_params(labelsize=FONT["ytick.labelsize"])
    if diverged is not None and np.any(diverged):
        ax.plot([], [], "s", color="0.55", label="diverged")
        legend(ax, loc="upper left")
    return mesh


def mark(ax: Axes, x: float, y: float, marker=None):
    """A "you are here" marker; pass the returned artist to move it."""
    if marker is None:
        (marker,) = ax.plot([x], [y], "o", ms=12, mfc="none", mec=OKABE_ITO["vermillion"], mew=2.4, zorder=6,
                            label="_you are here")
        marker.set_path_effects([patheffects.Stroke(linewidth=4.4, foreground="white"), patheffects.Normal()])
    else:
        marker.set_data([x], [y])
    return marker


#: How each suggestion rule of the range test is marked: its own colour and dash pattern (and
#: width), so marks that fall on the same rate stay visible and no two differ by colour alone.
RULE_LOOKS = {rule: dict(color=SERIES[i], linestyle=LINESTYLES[i + 2], lw=2.4 - 0.3 * i)
              for i, rule in enumerate(RULES)}


def range_test(ax: Axes, test=None, rules=tuple(RULE_LOOKS), clip: bool = True):
    """A range test (``lr_finder.RangeTest``): the loss at each step and the smoothed loss
    against η on a log axis, and a vertical line at each rule's suggestion. ``clip`` limits the
    y axis to ``test.ylim()`` (a blow-up would squash the rest flat). Without ``test`` the
    lines are drawn empty, for a dashboard to fill. Returns ``(raw, smoothed, marks)`` with
    ``marks`` a dict rule -> line."""
    raw, = ax.plot([], [], color="0.65", lw=1, label="loss at each step")
    smoothed, = ax.plot([], [], color="0.1", lw=2, linestyle=(0, (7, 2)), label="smoothed loss")
    marks = {}
    for rule in rules:
        if rule not in RULE_LOOKS:
            raise ValueError(f"rules must be among {', '.join(RULE_LOOKS)}, got {rule!r}")
        lr = 1.0 if test is None else test.suggest(rule)
        label = f"rule: {rule}" if test is None else f"rule: {rule} ({lr:.2g})"
        marks[rule] = ax.axvline(lr, label=label, **RULE_LOOKS[rule])
    ax.set(xscale="log", xlabel="learning rate η", ylabel="loss")
    if test is not None:
        raw.set_data(test.lrs, test.losses)
        smoothed.set_data(test.lrs, test.smoothed)
        ax.relim()
        ax.autoscale_view()
        if clip:
            ax.set_ylim(*test.ylim())
    legend(ax)
    return raw, smoothed, marks


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


_ADLER_BASE = 65521


def _adler32_combine(first: int, second: int, second_length: int) -> int:
    """The Adler-32 checksum of a + b from those of a and b and the length of b (zlib's
    adler32_combine)."""
    rem = second_length % _ADLER_BASE
    sum1 = first & 0xFFFF
    sum2 = (rem * sum1) % _ADLER_BASE
    sum1 += (second & 0xFFFF) + _ADLER_BASE - 1
    sum2 += (first >> 16) + (second >> 16) + _ADLER_BASE - rem
    sum1 = sum1 - _ADLER_BASE if sum1 >= _ADLER_BASE else sum1
    sum1 = sum1 - _ADLER_BASE if sum1 >= _ADLER_BASE else sum1
    sum2 = sum2 - 2 * _ADLER_BASE if sum2 >= 2 * _ADLER_BASE else sum2
    sum2 = sum2 - _ADLER_BASE if sum2 >= _ADLER_BASE else sum2
    return sum1 | (sum2 << 16)


_pool = None


def _workers() -> int:
    """Threads for the PNG encoder: the course's thread setting (lrcourse.threads), at most 4."""
    from . import threads

    return max(1, min(4, threads.count(), os.cpu_count() or 1))


def _filtered_band(flat: np.ndarray, start: int, stop: int, last: bool):
    """Rows start … stop − 1 with PNG's "up" filter, raw-deflated (ending on a byte boundary
    unless ``last``), and their Adler-32 checksum. numpy and zlib release the interpreter
    lock here, so bands run in parallel threads."""
    rows = np.empty((stop - start, flat.shape[1] + 1), dtype=np.uint8)
    rows[:, 0] = 2                                   # filter type 2: up
    if start == 0:
        rows[0, 1:] = flat[0]
        np.subtract(flat[1:stop], flat[:stop - 1], out=rows[1:, 1:])
    else:
        np.subtract(flat[start:stop], flat[start - 1:stop - 1], out=rows[:, 1:])
    deflate = zlib.compressobj(1, zlib.DEFLATED, -15)   # raw deflate: the zlib wrapper is written once
    data = deflate.compress(rows) + deflate.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)
    return data, zlib.adler32(rows), rows.size


def encode_png(rgba: np.ndarray, bands: int | None = None) -> bytes:
    """An RGBA image (H, W, 4, uint8; a figure's buffer) as a PNG, fast.

    Every row is stored with PNG's "up" filter (its difference from the row above), which
    turns the large flat areas of a plot into zeros, and deflated at the fastest level.
    General encoders try every filter on every row, which costs several times more on the
    two-million-pixel frames of a sharp dashboard and saves little. The alpha channel is
    kept (it is constant, so it costs almost nothing to store): dropping it would cost a
    copy of the whole frame.

    The rows are cut into ``bands`` (default: one per core, at most 4) deflated in parallel
    threads, as pigz does: each band's stream ends on a byte boundary and refers to nothing
    before it, so the streams join into one valid zlib stream, whose checksum is combined
    from the bands'.
    """
    global _pool
    h, w = rgba.shape[:2]
    flat = np.ascontiguousarray(rgba, dtype=np.uint8).reshape(h, w * 4)
    bands = max(1, min(bands or _workers(), h // 64 or 1))
    edges = [round(i * h / bands) for i in range(bands + 1)]
    jobs = [(flat, edges[i], edges[i + 1], i == bands - 1) for i in range(bands)]
    parts = None
    if bands > 1:
        try:
            if _pool is None:
                from concurrent.futures import ThreadPoolExecutor

                _pool = ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="lrcourse-png")
            parts = list(_pool.map(lambda job: _filtered_band(*job), jobs))
        except RuntimeError:    # no threads to be had (a sandbox's process limit): one after the other
            parts = None
    if parts is None:
        parts = [_filtered_band(*job) for job in jobs]
    checksum = parts[0][1]
    for _, adler, size in parts[1:]:
        checksum = _adler32_combine(checksum, adler, size)
    stream = b"\x78\x01" + b"".join(p[0] for p in parts) + struct.pack(">I", checksum)
    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)   # 8-bit RGBA, no interlace
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", stream) + _chunk(b"IEND", b"")


def _encode(rgba: np.ndarray) -> bytes:
    return encode_png(rgba)


def over(ax: Axes, artist, exclude=()) -> list:
    """``artist`` (an image in ``ax``) and everything of ``ax`` drawn over it (lines, contour
    lines, legend, spines; not the axes' ticks and labels, which lie outside it), except the
    artists in ``exclude``: the layer a ``Blit`` redraws when that image changes."""
    from matplotlib.axis import Axis

    keep = [artist]
    for a in ax.get_children():
        if a is artist or a in exclude or isinstance(a, Axis) or a in (ax.title, ax._left_title, ax._right_title):
            continue
        if a is ax.patch or not a.get_visible():
            continue
        if a.get_zorder() >= artist.get_zorder():
            keep.append(a)
    return keep


class Blit:
    """Render a figure whose static parts (axes, ticks, contours, heat maps, legends) are
    drawn once and kept as pixels; each render then paints only the ``dynamic`` artists
    (paths, curves, markers) over that background. This is what keeps a dashboard's slider
    responsive: drawing tick labels and text is most of matplotlib's time. Axis limits must
    not depend on the dynamic data (fix them); after changing something static, call
    ``invalidate``.

    ``layer`` holds artists that change now and then (a landscape's map when its slider
    moves, with what lies over it: see ``over``): they are drawn over the background into a
    second cached picture, redrawn only after ``touch``, so the other sliders do not pay for
    them.
    """

    def __init__(self, fig, dynamic=(), layer=()):
        self.fig = fig
        self.dynamic = list(dynamic)
        self.layer = list(layer)
        self._background = None
        self._layered = None

    def invalidate(self) -> None:
        self._background = None
        self._layered = None

    def touch(self) -> None:
        """The ``layer`` artists changed: draw them again at the next render."""
        self._layered = None

    def render(self) -> np.ndarray:
        """The figure's RGBA pixels."""
        canvas = self.fig.canvas
        held = self.dynamic + self.layer
        if self._background is None:
            for a in held:
                a.set_animated(False)
            if self.fig.get_layout_engine() is not None:   # lay out with everything shown, then freeze
                canvas.draw()
                self.fig.set_layout_engine("none")
            for a in held:
                a.set_animated(True)
            canvas.draw()                                   # animated artists are left out
            self._background = canvas.copy_from_bbox(self.fig.bbox)
            self._layered = None
        if self.layer:
            if self._layered is None:
                canvas.restore_region(self._background)
                for a in sorted(self.layer, key=lambda a: a.get_zorder()):
                    self.fig.draw_artist(a)
                self._layered = canvas.copy_from_bbox(self.fig.bbox)
            else:
                canvas.restore_region(self._layered)
        else:
            canvas.restore_region(self._background)
        for a in self.dynamic:
            self.fig.draw_artist(a)
        return np.asarray(canvas.buffer_rgba())

    def png(self) -> bytes:
        return encode_png(self.render())
