"""Plots for the course. Every function takes a matplotlib ``Axes``, draws on it and returns
what it drew, so notebooks and dashboards compose them freely and update artists in place.

matplotlib is imported here, not by ``import lrcourse``.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colors
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["figure", "Blit", "contours", "refill", "path", "loss_curve", "schedule_curve", "heatmap", "mark",
           "clip_to_window"]


def figure(ncols: int = 1, nrows: int = 1, width: float = 4.6, height: float = 3.6):
    """A Figure that pyplot does not track (dashboards own theirs), with its axes.

    Margins are fixed in inches (room for tick labels and a two-line title) rather than
    solved by a layout engine: solving them costs more than drawing the figure.
    """
    fig = Figure(figsize=(width * ncols, height * nrows))
    FigureCanvasAgg(fig)  # render without pyplot
    W, H = width * ncols, height * nrows
    fig.subplots_adjust(left=0.8 / W, right=1 - 0.2 / W, bottom=0.55 / H, top=1 - 0.55 / H,
                        wspace=1.0 / (width - 1.0), hspace=1.2 / (height - 1.1))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes.ravel()


def _floor(landscape, n: int):
    X, Y, Z = landscape.grid(n)
    return X, Y, Z - Z.min() + 1e-3 * (np.ptp(Z) + 1e-12)


def contours(ax: Axes, landscape, levels: int = 12, n: int = 160):
    """A 2-D landscape over its window: log-scaled colours (an image, cheap to redraw) with
    ``levels`` contour lines (0 for none), and its minimizers as stars. Returns the image."""
    X, Y, floor = _floor(landscape, n)
    (x_lo, x_hi), (y_lo, y_hi) = landscape.window
    image = ax.imshow(floor, origin="lower", extent=(x_lo, x_hi, y_lo, y_hi), aspect="auto",
                      norm=colors.LogNorm(), cmap="Blues_r", alpha=0.85, interpolation="bilinear")
    if levels:
        ax.contour(X, Y, floor, levels=np.geomspace(floor.min(), floor.max(), levels), colors="white",
                   linewidths=0.4, alpha=0.6)
    m = landscape.minimizers
    ax.plot(m[:, 0], m[:, 1], "*", color="gold", markersize=12, markeredgecolor="k", zorder=5)
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel="$w_1$", ylabel="$w_2$")
    return image


def refill(image, landscape, n: int = 160):
    """Show another landscape (same window) in an image that ``contours`` drew."""
    floor = _floor(landscape, n)[2]
    image.set_data(floor)
    image.set_norm(colors.LogNorm(floor.min(), floor.max()))
    return image


def clip_to_window(xs: np.ndarray, window) -> np.ndarray:
    """Positions with points far outside the window cut at its (widened) edge, so that a
    diverging path still shows where it went without stretching the axes."""
    xs = np.array(xs, dtype=float)
    for i, (lo, hi) in enumerate(window):
        pad = 10 * (hi - lo)
        xs[..., i] = np.clip(xs[..., i], lo - pad, hi + pad)
    return xs


def path(ax: Axes, xs, color="crimson", label=None, line=None):
    """A 2-D trajectory (``xs`` shape (T, 2)) with its start marked. Pass ``line`` (the
    Line2D this returned before) to update it in place."""
    xs = np.asarray(xs)
    if line is None:
        (line,) = ax.plot(xs[:, 0], xs[:, 1], ".-", color=color, lw=1.2, ms=3, label=label, zorder=4)
        ax.plot(*xs[0], "o", color=color, ms=6, zorder=4)
    else:
        line.set_data(xs[:, 0], xs[:, 1])
    return line


def loss_curve(ax: Axes, losses, f_min: float = 0.0, label=None, color=None, line=None):
    """Loss above its minimum against the step, on a log axis. NaN (after a divergence)
    is not drawn, so a curve simply stops where its run diverged."""
    gap = np.asarray(losses, dtype=float) - f_min
    gap = np.where(gap > 0, gap, np.nan) if np.any(gap > 0) else gap
    steps = np.arange(gap.size)
    if line is None:
        (line,) = ax.plot(steps, gap, label=label, color=color)
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
    ax.figure.colorbar(mesh, ax=ax, label=label)
    if diverged is not None and np.any(diverged):
        ax.plot([], [], "s", color="0.55", label="diverged")
        ax.legend(loc="upper left", fontsize=8)
    return mesh


def mark(ax: Axes, x: float, y: float, marker=None):
    """A "you are here" marker; pass the returned artist to move it."""
    if marker is None:
        (marker,) = ax.plot([x], [y], "o", ms=11, mfc="none", mec="red", mew=2.2, zorder=6)
    else:
        marker.set_data([x], [y])
    return marker


def _encode(rgba: np.ndarray) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgba[..., :3]).save(buf, format="png", compress_level=1)
    return buf.getvalue()


class Blit:
    """Render a figure whose static parts (axes, ticks, contours, heat maps, legends) are
    drawn once and kept as pixels; each render then paints only the ``dynamic`` artists
    (paths, curves, markers, titles) over that background. This is what keeps a
    dashboard's slider responsive: drawing tick labels and text is most of matplotlib's
    time. Axis limits must not depend on the dynamic data (fix them); after changing
    something static, call ``invalidate``.
    """

    def __init__(self, fig, dynamic=()):
        self.fig = fig
        self.dynamic = list(dynamic)
        self._background = None

    def invalidate(self) -> None:
        self._background = None

    def render(self) -> np.ndarray:
        """The figure's RGBA pixels."""
        canvas = self.fig.canvas
        if self._background is None:
            for a in self.dynamic:
                a.set_animated(False)
            if self.fig.get_layout_engine() is not None:   # lay out with everything shown, then freeze
                canvas.draw()
                self.fig.set_layout_engine("none")
            for a in self.dynamic:
                a.set_animated(True)
            canvas.draw()                                   # animated artists are left out
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        for a in self.dynamic:
            self.fig.draw_artist(a)
        return np.asarray(canvas.buffer_rgba())

    def png(self) -> bytes:
        return _encode(self.render())
