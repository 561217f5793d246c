"""Dashboards: sliders wired to library calls and plots. No mathematics lives here.

Each dashboard owns a matplotlib ``Figure`` and shows it as a PNG in an ``ipywidgets.Image``
that the browser swaps in place. The PNG is drawn at twice the resolution it is shown at
(``plotting.PIXEL_RATIO``) and the image is given its width in CSS pixels, so the browser
neither stretches nor blurs it. Under the sliders a caption says in words what the figure
shows at this setting. Moving a control calls ``refresh``: the library computes, the plotting
functions update the artists they drew, and the figure is re-rendered. Heavy work that does
not depend on a control (a heat map over a grid) is computed once, and where a slider has a
small set of positions their runs are computed together in one broadcast call and looked up.

Tests drive a dashboard by setting ``dash.controls[name].value``; ``dash.state`` holds the
numbers the figure shows and ``dash.state["caption"]`` the caption.
"""

from __future__ import annotations

import html
import math
from typing import Callable

import ipywidgets as widgets
import numpy as np

from . import landscapes as L
from . import linesearch, plotting, schedules as S, sweeps, theory
from .optimizers import GD, Adadelta, Adagrad, Adam, AdamW, Momentum, Nesterov, RMSprop
from .plotting import SERIES, style
from .run import run

__all__ = ["Dashboard", "log_slider", "gd_parabola", "zigzag", "curvature_race", "momentum_explorer", "nesterov_paths",
           "schedule_explorer", "schedule_tabs", "escape_wells", "adaptive_race", "adam_eps", "range_test_explorer",
           "curve_picker"]

WIDE = {"description_width": "initial"}   # a control's description at its full width, never cut


# --------------------------------------------------------------------------- numbers and sliders


def number(value, digits: int = 3) -> str:
    """A number for people: ``digits`` significant digits, plain between 1e-3 and 1e4
    ("0.316", "35.5", "1000"), scientific outside ("1e-8", "3.16e-5"), no trailing zeros."""
    v = float(value)
    if not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("∞" if v > 0 else "−∞")
    if v == 0:
        return "0"
    a = abs(v)
    if 1e-3 <= a < 1e4:
        decimals = max(digits - 1 - math.floor(math.log10(a)), 0)
        text = f"{v:.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def readout_format(low: float, high: float, digits: int = 3) -> str:
    """The d3 format (what the browser uses for a slider's readout) that writes every value in
    [low, high] as a plain number where it lies between 1e-3 and 1e4: "r" (decimal, rounded
    to ``digits`` significant digits, never scientific: "0.300", "35.5", "1000") when the
    whole range lies there, else "g" (scientific only below 1e-6 and from 10^digits on), with
    enough digits to keep the top of the range plain. (ipywidgets refuses d3's "~", which
    would drop trailing zeros.)"""
    if low >= 1e-3 and high < 1e4:
        return f".{digits}r"
    return f".{max(digits, math.floor(math.log10(max(high, 1e-300))) + 1)}g"


def log_slider(description: str, value: float, low: float, high: float, step: float = 0.05, **kw):
    """A slider on a log scale (equal distances are equal factors) from ``low`` to ``high``.

    Its grid of positions passes through ``value`` and ``low`` (the step is adjusted to a
    whole number of steps between them, at most ``step`` decades), so the slider starts
    exactly at the value asked for and reaches the bottom of the range; the top is the last
    grid point not above ``high``."""
    if not 0 < low <= value <= high:
        raise ValueError(f"{description}: need 0 < low <= value <= high, got {low}, {value}, {high}")
    v, lo, hi = math.log10(value), math.log10(low), math.log10(high)
    if v - lo > 1e-12:
        step = (v - lo) / math.ceil((v - lo) / step - 1e-9)
    top = v + step * math.floor((hi - v) / step + 1e-9)
    bottom = v - step * round((v - lo) / step)
    kw.setdefault("readout_format", readout_format(10 ** bottom, 10 ** top))
    kw.setdefault("style", WIDE)
    # the ends are nudged outwards by a hair so rounding can never clip the start value
    return widgets.FloatLogSlider(value=value, base=10, min=bottom - 1e-12, max=top + 1e-12, step=step,
                                  description=description, **kw)


def lin_slider(description: str, value: float, low: float, high: float, step: float, **kw):
    """A slider on a linear scale whose grid passes through ``value`` (the lowest position is
    the last grid point not below ``low``)."""
    if not low <= value <= high:
        raise ValueError(f"{description}: need low <= value <= high, got {low}, {value}, {high}")
    bottom = value - step * math.floor((value - low) / step + 1e-9)
    top = value + step * math.floor((high - value) / step + 1e-9)
    kw.setdefault("readout_format", readout_format(max(abs(bottom), 1e-3), max(abs(top), 1e-3)))
    kw.setdefault("style", WIDE)
    return widgets.FloatSlider(value=value, min=bottom, max=top, step=step, description=description, **kw)


def positions(control) -> np.ndarray:
    """Every value a slider can take in the browser (its grid), with the slider's present
    value put in exactly where it lies on the grid (the grid's own arithmetic may miss it by
    a rounding error, and chaotic runs notice)."""
    n = int(round((control.max - control.min) / control.step))
    if isinstance(control, widgets.FloatLogSlider):
        grid = control.base ** (control.min + 1e-12 + control.step * np.arange(n + 1))
    else:
        grid = control.min + control.step * np.arange(n + 1)
    j = int(np.argmin(np.abs(grid - control.value)))
    if abs(grid[j] - control.value) <= 1e-9 * max(abs(control.value), 1e-300):
        grid[j] = control.value
    return grid


def _snap(grid: np.ndarray, value: float) -> float:
    """``value`` as the grid's own number when it is on the grid (to 1e-9 relative)."""
    i = _on_grid(grid, value)
    return float(grid[i]) if i >= 0 else float(value)


def _on_grid(grid: np.ndarray, value: float) -> int:
    """The index of ``value`` in ``grid`` (to 1e-9 relative), or -1."""
    i = int(np.argmin(np.abs(grid - value)))
    return i if abs(grid[i] - value) <= 1e-9 * max(abs(value), 1e-300) else -1


# --------------------------------------------------------------------------- the dashboard


class Dashboard:
    """Controls, a figure, a caption and an ``update(**values)`` that moves the figure's
    dynamic artists and returns the state (with the caption under ``"caption"``).

    ``fig`` is a Figure or a ``plotting.Blit``; with a Blit only the artists it lists are
    redrawn on a slider event, over a background rendered once. The figure is drawn at
    ``plotting.PIXEL_RATIO`` times ``display_dpi`` and shown ``display_dpi`` CSS pixels per
    inch wide (``self.width`` × ``self.height`` CSS pixels).
    """

    def __init__(self, controls: dict, fig, update: Callable, name: str | None = None,
                 display_dpi: float = plotting.DISPLAY_DPI):
        self.name = name or update.__qualname__.split(".")[0]
        self.blit = fig if isinstance(fig, plotting.Blit) else plotting.Blit(fig)
        self.controls, self.fig, self._update = controls, self.blit.fig, update
        # whole CSS pixels, and a PNG exactly PIXEL_RATIO times as large (a hair added against
        # rounding down)
        w_in, h_in = self.fig.get_size_inches()
        self.width, self.height = round(w_in * display_dpi), round(h_in * display_dpi)
        self.fig.set_size_inches((self.width + 1e-3) / display_dpi, (self.height + 1e-3) / display_dpi)
        self.fig.set_dpi(display_dpi * plotting.PIXEL_RATIO)
        self.blit.invalidate()
        self.state: dict = {}
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{self.width}px", max_width="100%",
                                                                       height="auto"))
        self.caption = widgets.HTML(layout=widgets.Layout(max_width=f"{self.width}px", margin="2px 0 0 6px"))
        for control in controls.values():
            if hasattr(control, "style") and hasattr(control.style, "description_width"):
                control.style.description_width = "initial"
            control.observe(lambda change: self.refresh(), names="value")
        self.widget = widgets.VBox([widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap")),
                                    self.caption, self.image])
        self.widget.add_class(f"lrc-dashboard-{self.name}")   # lets the browser test name it
        self.refresh()

    def values(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    def refresh(self) -> None:
        self.state = self._update(**self.values()) or {}
        text = self.state.get("caption", "")
        self.state["caption"] = text
        shown = html.escape(text).replace("\n", "<br>")
        if self.caption.value != shown:
            self.caption.value = shown
        self.image.value = self.blit.png()

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def _describe_run(result, name="run"):
    if result.diverged:
        return f"{name} diverged at step {result.diverged_at}"
    return f"{name} reaches loss {number(float(result.loss))} after {result.steps} steps"


def _off_window(paths: dict, window) -> str:
    """A sentence naming the paths that leave ``window`` and how far they go ('' if none)."""
    far = {name: plotting.outside(xs, window) for name, xs in paths.items()}
    far = {name: d for name, d in far.items() if d > 0}
    if not far:
        return ""
    return ("Off the window: " + ", ".join(f"{n} (reaches |w| = {number(d, 2)})" for n, d in far.items())
            + "; drawn up to where it leaves.")


# --------------------------------------------------------------------------- 01

_REGIME_WORDS = {
    "one step to the minimum": "lands on the minimum in one step",
    "monotone": "converges without oscillating: w creeps towards 0 from one side",
    "oscillates but converges": "oscillates but converges: w jumps across 0 every step and shrinks",
    "neither converges nor diverges (|1 − η·L| = 1)": "neither converges nor diverges: w jumps between w₀ and −w₀ "
                                                      "for ever",
    "diverges": "diverges: w jumps across 0 every step and grows",
}


def gd_parabola(lr: float = 0.3, curvature: float = 1.0, steps: int = 25) -> Dashboard:
    """GD on L(w) = a/2·w²: one slider shows creeping, oscillating and diverging runs. The
    regime in the title comes from the factor q = 1 − η·a, which multiplies w exactly at
    every step, not from the few steps drawn (at η·a = 2.2 the run grows slowly but surely):
    0 < q < 1 monotone, q = 0 one step, −1 < q < 0 oscillates, q = −1 (η·a = 2) bounces
    forever and neither converges nor diverges, q < −1 diverges.

    The slider is linear in η, in steps of 0.05/a, so that η·a = 1 and η·a = 2, the two
    boundaries, are positions of it."""

    def regime_of(factor):
        edge = 1e-9   # η·a within rounding of 1 or 2 counts as the edge itself
        if abs(factor) < edge:
            return "one step to the minimum"
        if factor > 0:
            return "monotone"
        if abs(factor + 1) < edge:
            return "neither converges nor diverges (|1 − η·L| = 1)"
        return "oscillates but converges" if factor > -1 else "diverges"

    land = L.Parabola(curvature)
    fig, (ax_path, ax_loss) = plotting.figure(2)
    w = np.linspace(-3, 3, 200)
    top = 1.1 * float(land.value(np.array([[3.0]]))[0])
    ax_path.plot(w, land.value(w[:, None]), color="0.45", lw=1.3, label="loss L(w) = ½·L·w²")
    (line,) = ax_path.plot([], [], **style(1, marker=True, ms=4.5, lw=1.3, linestyle="-"), label="GD's iterates w_t")
    (start,) = ax_path.plot([2.0], land.value(np.array([[2.0]])), "o", color=SERIES[1], ms=8, mfc="white",
                            label="start w₀ = 2", zorder=5)
    ax_path.set(xlim=(-3, 3), ylim=(-0.04 * top, top), xlabel="parameter w", ylabel="loss L(w)")
    plotting.legend(ax_path, loc="upper center")
    loss_line = plotting.loss_curve(ax_loss, np.ones(steps + 1), **style(1, marker=True, ms=3.5, linestyle="-"))
    ax_loss.set(xlim=(0, steps), ylim=(1e-12, 1e6), ylabel="loss L(w_t)", title="loss at each step")
    blit = plotting.Blit(fig, [line, loss_line, ax_path.title])
    scale = 0.05 / curvature
    controls = {"lr": lin_slider("learning rate η", lr, scale, 3.5 / curvature, scale)}

    def update(lr):
        r = run(land, GD(lr=lr), x0=[2.0], steps=steps)
        xs = plotting.clip_to_window(r.xs, ((-3.0, 3.0),))[:, 0]
        line.set_data(xs, land.value(xs[:, None]))
        plotting.loss_curve(ax_loss, r.losses, line=loss_line)
        factor = 1.0 - lr * curvature
        regime = regime_of(factor)
        ax_path.set_title(f"η·L = {lr * curvature:.2f}: {regime.split(' (')[0]}")
        size = ("" if regime.startswith(("one", "neither")) else
                f" |w| is multiplied by |1 − η·L| = {abs(factor):.2f} at every step.")
        left = np.abs(r.xs[:, 0]) > 3.0
        off = (f" From step {int(np.argmax(left))} on, w is outside the window (|w| > 3)." if left.any() else "")
        end = (f" After {steps} steps the loss is {number(float(r.losses[-1]))}" +
               (", still below the bound at which a run counts as diverged: the label comes from |1 − η·L|, "
                "not from the steps drawn." if regime == "diverges" and not r.diverged else "."))
        caption = (f"η = {number(lr)}, η·L = {number(lr * curvature)}, factor 1 − η·L = {factor:+.2f}: GD "
                   f"{_REGIME_WORDS[regime]}.{size}{off}{end}")
        return {"result": r, "regime": regime, "factor": factor, "caption": caption}

    return Dashboard(controls, blit, update)


def zigzag(kappa: float = 20.0, lr_fraction: float = 0.9, steps: int = 60) -> Dashboard:
    """GD on a rotated bowl: the rate is limited by the steep direction (2/L) while the flat
    one (μ) sets the pace. Sliders: condition number κ and η as a fraction of 2/L."""
    fig, (ax_path, ax_loss) = plotting.figure(2)
    controls = {"kappa": log_slider("condition number κ", kappa, 1, 1000, continuous_update=False),
                "lr_fraction": lin_slider("η as a fraction of 2/L", lr_fraction, 0.05, 1.1, 0.01,
                                          readout_format=".2f")}
    x0 = np.array([-2.0, 1.5])
    land0 = L.Quadratic.from_condition(kappa, L=1.0, angle=np.pi / 6)
    image = plotting.contours(ax_path, land0, levels=0, smooth=False)
    path_line = plotting.path(ax_path, x0[None], label="GD's path")
    plotting.legend(ax_path, loc="lower right")
    ax_path.set_title("GD's path on the bowl")
    loss_line = plotting.loss_curve(ax_loss, np.ones(steps + 1), label="GD", **style(1, linestyle="-"))
    ax_loss.set(xlim=(0, steps), ylim=(1e-14, 1e6), title="loss at each step")
    dynamic = [path_line, loss_line]
    blit = plotting.Blit(fig, dynamic, layer=plotting.over(ax_path, image, exclude=dynamic))
    cache = {"kappa": kappa, "land": land0}

    def update(kappa, lr_fraction):
        if cache["kappa"] != kappa:  # the landscape only changes with κ: only then is the map drawn
            cache.update(kappa=kappa, land=L.Quadratic.from_condition(kappa, L=1.0, angle=np.pi / 6))
            plotting.refill(image, cache["land"])
            blit.touch()
        land = cache["land"]
        lr = lr_fraction * theory.gd_stability_limit(land.L)
        r = run(land, GD(lr=lr), x0, steps=steps)
        plotting.path(ax_path, plotting.clip_to_window(r.xs, land.window), line=path_line)
        plotting.loss_curve(ax_loss, r.losses, line=loss_line)
        steep, flat = abs(1 - lr * land.L), abs(1 - lr * land.mu)
        if steep >= 1:
            verdict = (f"the steep direction's factor |1 − η·L| = {steep:.2f} is not below 1, so GD "
                       + ("diverges" if steep > 1 else "never settles"))
        else:
            verdict = (f"the steep direction shrinks by {steep:.2f} per step"
                       + (" and flips sign each step (the zigzag)" if lr * land.L > 1 else "")
                       + f", the flat one only by {flat:.3f}: the flat direction sets the pace")
        caption = (f"κ = {number(kappa)}, η = {number(lr_fraction, 2)} × 2/L = {number(lr)}: {verdict}. "
                   f"{_describe_run(r, 'GD')}.")
        return {"result": r, "lr": lr, "caption": caption}

    return Dashboard(controls, blit, update)


# --------------------------------------------------------------------------- 02


def curvature_race(kappa: float = 30.0, angle: float = 0.0, lr0: float = 100.0, steps: int = 150) -> Dashboard:
    """Fixed η, a per-coordinate (diagonal) η, Armijo backtracking and Newton on one bowl.

    The fixed rate 2/(L+μ) and the diagonal rate read the Hessian (oracle knowledge); the
    line search only evaluates the loss, starting every step from the trial step ``lr0``
    (a slider: still a knob) and halving it until Armijo's condition holds. The title counts
    its backtracks: a trial step up to 2(1 − c)/L (e.g. 1/L) never backtracks: that is plain GD.

    Newton and, on an unrotated bowl, the diagonal rate solve the bowl in one step, so their
    paths and curves coincide: Newton is drawn as a wide pale band under the others."""
    fig, (ax_path, ax_loss) = plotting.figure(2)
    controls = {"kappa": log_slider("condition number κ", kappa, 1, 1000, continuous_update=False),
                "angle": lin_slider("rotation of the bowl (rad)", angle, 0, np.pi / 2, np.pi / 36,
                                    continuous_update=False, readout_format=".2f"),
                "lr0": log_slider("Armijo's trial step η₀", lr0, 0.5, 1000, continuous_update=False)}
    x0 = np.array([-2.0, 1.5])
    names = ["GD, η = 2/(L+μ)", "diagonal η = 1/H_ii", "Armijo backtracking", "Newton"]
    short = ["GD", "diagonal", "Armijo", "Newton"]
    labels = ["GD, η = 2/(L+μ) (knows L, μ)", "diagonal η = 1/H_ii (knows H)", "Armijo, from trial step η₀",
              "Newton (knows H)"]
    looks = [style(0, marker=True, ms=3.5), style(1, marker=True, ms=4.5, lw=1.6),
             style(2, marker=True, ms=3.5), dict(color="0.2", linestyle="-", marker="D", ms=9, lw=6.0, alpha=0.3)]
    image = plotting.contours(ax_path, L.Quadratic.from_condition(kappa, L=1.0, angle=angle), levels=0, smooth=False)
    order = [3, 0, 2, 1]          # Newton first, at the bottom
    paths, losses = [None] * 4, [None] * 4
    for i in order:
        look = dict(looks[i])
        paths[i] = plotting.path(ax_path, x0[None], label=labels[i], **look)
        look.pop("ms", None)
        losses[i] = plotting.loss_curve(ax_loss, np.ones(steps + 1), label=labels[i], markevery=(2 * i, 12),
                                        ms=6 if i == 3 else 4, **look)
    ax_path.set_title("paths on the bowl")
    ax_loss.set_title("loss per step (counts in the caption)")
    # Runs that solve the bowl exactly (Newton, and the diagonal rate on an unrotated bowl) drop
    # to loss 0: draw them along the floor, so they stay visible above the others.
    floor = 1e-16
    ax_loss.set(xlim=(0, steps), ylim=(floor / 3, 1e2), ylabel="loss (an exact 0 is drawn at 1e-16)")
    handles = [losses[i] for i in range(4)]
    plotting.legend(ax_loss, handles=handles, loc="upper right")
    dynamic = [*paths, *losses]
    blit = plotting.Blit(fig, dynamic, layer=plotting.over(ax_path, image, exclude=dynamic))
    grids = {"kappa": positions(controls["kappa"]), "angle": positions(controls["angle"]),
             "lr0": positions(controls["lr0"])}
    runs_of, kept = {}, {}      # (κ, angle) -> [GD, diagonal, Newton]; (κ, angle, η₀) -> Armijo

    def fill(kappa, angle, lr0):
        """Run the bowls along the slider that just moved, all its positions in one batched
        call, so that moving it further costs no run (a position off the grid: that bowl only)."""
        last = kept.get("bowl")
        if last is not None and last[0] == kappa and _on_grid(grids["angle"], angle) >= 0:
            keys = [(kappa, float(a)) for a in grids["angle"]]
        elif last is not None and last[1] == angle and _on_grid(grids["kappa"], kappa) >= 0:
            keys = [(float(k), angle) for k in grids["kappa"]]
        else:
            keys = [(kappa, angle)]
        keys = [k for k in keys if k not in runs_of] or [(kappa, angle)]
        lands = [L.Quadratic.from_condition(k, L=1.0, angle=a) for k, a in keys]
        bowls = _Bowls(lands)
        # GD at 2/(L+μ) and the diagonal rate 1/H_ii on every bowl: one run, batch (2, bowls)
        rates = np.stack([[np.full(2, theory.best_gd_lr(b.L, b.mu)) for b in lands],
                          [1.0 / np.diag(b.A) for b in lands]])
        both = run(bowls, GD(lr=rates), np.broadcast_to(x0, rates.shape), steps)
        flat = _split(_flatten(both), range(2 * len(keys)))
        armijo = linesearch.backtracking(bowls, np.broadcast_to(x0, (len(keys), 2)), steps, lr0=lr0)
        for j, (key, land) in enumerate(zip(keys, lands)):
            runs_of[key] = [flat[j], flat[len(keys) + j], linesearch.newton(land, x0, steps), land]
            kept[(*key, lr0)] = _pick_search(armijo, j)

    def update(kappa, angle, lr0):
        # a value the browser sends is the grid's up to rounding: key the caches by the grid's
        kappa, angle, lr0 = (_snap(grids[k], v) for k, v in (("kappa", kappa), ("angle", angle), ("lr0", lr0)))
        bowl = (kappa, angle)
        if len(kept) > 4000:     # Armijo runs kept for many bowls and trial steps: keep this bowl's
            for k in [k for k in kept if k != "bowl" and k[:2] != bowl]:
                del kept[k]
        if bowl not in runs_of:
            fill(kappa, angle, lr0)
        if kept.get("bowl") != bowl:
            plotting.refill(image, runs_of[bowl][3])
            blit.touch()
        elif (*bowl, lr0) not in kept and _on_grid(grids["lr0"], lr0) >= 0:
            # η₀ is being explored on this bowl: Armijo from every slider position, in one call
            every = linesearch.backtracking(runs_of[bowl][3], x0, steps, lr0=grids["lr0"])
            for j, value in enumerate(grids["lr0"]):
                kept[(*bowl, float(value))] = _pick_search(every, j)
        kept["bowl"] = bowl
        gd, diagonal, newton, land = runs_of[bowl]
        armijo = kept.get((*bowl, lr0))
        if armijo is None:
            armijo = kept[(*bowl, lr0)] = linesearch.backtracking(land, x0, steps, lr0=lr0)
        runs = [gd, diagonal, armijo, newton]
        counts = {}
        for name, r, path_line, loss_line in zip(names, runs, paths, losses):
            plotting.path(ax_path, plotting.clip_to_window(r.xs, land.window), line=path_line)
            plotting.loss_curve(ax_loss, np.maximum(r.losses, floor), line=loss_line)
            counts[name] = r.steps_to(1e-8)
        backtracks = int(armijo.backtracks.sum())
        # the backtracks of the steps counted: up to loss 1e-8, or all of them if it never got there
        reached = counts[names[2]]
        taken = reached if reached >= 0 else steps
        on_the_way = int(armijo.backtracks[:taken].sum())
        shown = {s: str(c) if c >= 0 else f"more than {steps}" for s, c in zip(short, counts.values())}
        same = " The diagonal rate is exact on an unrotated bowl, like Newton: their paths coincide." \
            if counts[names[1]] == counts[names[3]] == 1 else ""
        caption = (f"κ = {number(kappa)}, rotation {angle:.2f} rad ({np.degrees(angle):.0f}°), Armijo's trial step "
                   f"η₀ = {number(lr0)}. Steps to loss 1e-8: GD {shown['GD']}, diagonal rate {shown['diagonal']}, "
                   f"Newton {shown['Newton']}, Armijo {shown['Armijo']} with {on_the_way} backtracks in those "
                   f"{taken} steps ({on_the_way / max(taken, 1):.1f} per step).{same}")
        return {"steps_to_1e-8": counts, "armijo_backtracks": backtracks, "armijo": armijo, "caption": caption}

    return Dashboard(controls, blit, update)


class _Bowls:
    """Two-dimensional bowls ½·xᵀA_n·x, one per point of a batch whose size is a multiple of
    their number n (points in C order, bowl index last, as ``run`` flattens a batch of shape
    (..., n)): one landscape-like object, so one run or line search covers every bowl."""

    def __init__(self, lands):
        self.A = np.stack([land.A for land in lands])

    def value(self, x):
        x = np.asarray(x, dtype=float)
        y = x.reshape(-1, len(self.A), 2)
        return (0.5 * np.einsum("kni,nij,knj->kn", y, self.A, y)).reshape(x.shape[:-1])

    def grad(self, x):
        x = np.asarray(x, dtype=float)
        return np.einsum("nij,knj->kni", self.A, x.reshape(-1, len(self.A), 2)).reshape(x.shape)

    def __call__(self, x):
        return self.value(x), self.grad(x)


def _flatten(result):
    """A batched run with batch shape (a, b) as one with batch shape (a·b,)."""
    from dataclasses import replace

    n = int(np.prod(result.xs.shape[1:-1]))
    return replace(result, xs=result.xs.reshape(result.xs.shape[0], n, -1),
                   losses=result.losses.reshape(result.losses.shape[0], n), x=result.x.reshape(n, -1),
                   loss=np.asarray(result.loss).reshape(n), diverged_at=np.asarray(result.diverged_at).reshape(n),
                   max_loss=np.asarray(result.max_loss).reshape(n))


def _pick_search(batch, j: int):
    """Run ``j`` of a batch of line searches (``linesearch.backtracking`` with an array of
    trial steps) as that function returns a single run."""
    from dataclasses import replace

    return replace(batch, xs=batch.xs[:, j], losses=batch.losses[:, j], lrs=batch.lrs[:, j],
                   backtracks=batch.backtracks[:, j], x=batch.x[j], loss=float(np.asarray(batch.loss)[j]),
                   diverged_at=-1, evaluations=int(np.asarray(batch.evaluations)[j]),
                   stopped_at=int(np.asarray(batch.stopped_at)[j]))


# --------------------------------------------------------------------------- 03


def momentum_explorer(kappa: float = 50.0, lr: float = 0.5, momentum: float = 0.6, steps: int = 100,
                      grid: int = 120) -> Dashboard:
    """Heavy ball on a bowl: the path, the measured (η, β) map, and the theory's rate map,
    with the sliders' point marked on both maps, the stability boundary η = (2 + 2β)/L drawn
    on both, and the theory's optimum (η*, β*) starred. β is the momentum; μ is the bowl's
    smallest curvature. The maps are computed once."""
    land = L.Quadratic.from_condition(kappa, L=1.0, angle=np.pi / 6)
    x0 = np.array([-2.0, 1.5])
    lrs, betas = np.logspace(-2, np.log10(4.0), grid), np.linspace(0, 0.99, grid)
    measured = sweeps.grid(land, Momentum, x0=x0, steps=steps, lr=lrs, momentum=betas)
    rates = theory.rate_map(lrs, betas, [land.mu, land.L])
    opt_lr, opt_beta, opt_rate = theory.heavy_ball_optimum(land.L, land.mu)
    fig, (ax_path, ax_map, ax_theory) = plotting.figure(3, width=3.45, height=3.5)
    fig.subplots_adjust(left=0.55 / fig.get_figwidth(), right=1 - 0.72 / fig.get_figwidth(), wspace=0.62)
    plotting.contours(ax_path, land)
    gd_line = plotting.path(ax_path, x0[None], label="GD, same η", **style(6, marker=True, ms=3.5, linestyle=":",
                                                                           color="0.4", lw=1.6, zorder=5))
    hb_line = plotting.path(ax_path, x0[None], label="heavy ball", **style(1, marker=True, ms=3, linestyle="-"))
    plotting.legend(ax_path, loc="lower right")
    ax_path.set_title("paths at the sliders' η, β")
    plotting.heatmap(ax_map, measured.loss.T, lrs, betas, diverged=measured.diverged.T, xlabel="learning rate η",
                     ylabel="momentum β", vmin=1e-20, label=f"loss after {steps} steps")
    ax_map.set_title("measured loss")
    plotting.heatmap(ax_theory, np.where(rates < 1, rates, np.nan).T, lrs, betas, xlabel="learning rate η",
                     ylabel="momentum β", vmin=np.floor(20 * opt_rate) / 20, vmax=1.0, label="rate per step",
                     cmap="magma")
    edge = theory.momentum_stability_limit(land.L, betas)
    for ax in (ax_map, ax_theory):
        inside = edge <= lrs[-1]
        ax.plot(edge[inside], betas[inside], color=plotting.OKABE_ITO["sky blue"], lw=2.0, linestyle=(0, (4, 2)),
                label="η = (2 + 2β)/L")
        ax.plot([opt_lr], [opt_beta], "*", color=plotting.OKABE_ITO["yellow"], ms=15, mec="k",
                label="theory's optimum")
        ax.set(xlim=(lrs[0], lrs[-1]), ylim=(betas[0], betas[-1]))
        plotting.legend(ax, loc="upper left")
    ax_theory.set_title(f"theory's rate; optimum η* = {opt_lr:.2f}, β* = {opt_beta:.2f}", fontsize=9.5)
    markers = [plotting.mark(ax, lr, momentum) for ax in (ax_map, ax_theory)]
    controls = {"lr": log_slider("learning rate η", lr, lrs[0], lrs[-1]),
                "momentum": lin_slider("momentum β", momentum, 0, 0.99, 0.01, readout_format=".2f")}
    blit = plotting.Blit(fig, [gd_line, hb_line, *markers])

    def update(lr, momentum):
        both = run(land, Momentum(lr=lr, momentum=np.array([[0.0], [momentum]])), x0, steps)   # GD is β = 0
        gd, hb = _split(both, [0, 1])
        plotting.path(ax_path, plotting.clip_to_window(gd.xs, land.window), line=gd_line)
        plotting.path(ax_path, plotting.clip_to_window(hb.xs, land.window), line=hb_line)
        for m, ax in zip(markers, (ax_map, ax_theory)):
            plotting.mark(ax, lr, momentum, marker=m)
        rate = theory.heavy_ball_rate(lr, momentum, [land.mu, land.L])
        gd_rate = theory.gd_rate(lr, [land.mu, land.L])
        off = _off_window({"GD": gd.xs, "heavy ball": hb.xs}, land.window)
        caption = (f"η = {number(lr)}, β = {momentum:.2f} (the ring on both maps): {_describe_run(hb, 'the heavy ball')}; "
                   f"theory's rate {rate:.3f} per step" + (" (below 1: converges)" if rate < 1 else " (not below 1)")
                   + f". {_describe_run(gd, 'GD at the same η')}, rate {gd_rate:.3f}. {off}").strip()
        return {"heavy_ball": hb, "gd": gd, "rate": rate, "caption": caption}

    dash = Dashboard(controls, blit, update)
    dash.grid = measured
    return dash


def _split(result, columns) -> list:
    """The runs of a flat batch (``x`` of shape (n, d)) at ``columns`` as separate results,
    each as ``run`` returns a single run (``lrs`` left out)."""
    from dataclasses import replace

    loss, max_loss = np.asarray(result.loss).reshape(-1), np.asarray(result.max_loss).reshape(-1)
    diverged_at = np.asarray(result.diverged_at).reshape(-1)
    return [replace(result, xs=result.xs[:, c], losses=result.losses[:, c], lrs=None, x=result.x[c],
                    loss=float(loss[c]), diverged_at=int(diverged_at[c]), max_loss=float(max_loss[c]))
            for c in columns]


def nesterov_paths(kappa: float = 50.0, lr: float = 0.5, momentum: float = 0.9, steps: int = 100,
                   grid: int = 80) -> Dashboard:
    """Heavy ball against Nesterov on one bowl (top curvature L = 1, smallest μ = 1/κ).

    Top left: both paths at the sliders' (η, β). Top right: each at its own optimum for
    curvatures in [μ, L] (``theory.heavy_ball_optimum``, ``theory.nesterov_optimum``), on a
    window wide enough for both paths. Bottom left: distance to the minimum against the step
    for all four runs. Bottom right: where each method converges over a grid of (η, β),
    measured in one broadcast run per method, with the theory's boundaries
    η = (2 + 2β)/L and η = (2 + 2β)/((1 + 2β)·L). The grid and the tuned runs are computed
    once; ``dash.region`` holds the grid."""
    from matplotlib import colors as mcolors

    land = L.Quadratic.from_condition(kappa, L=1.0, angle=np.pi / 6)
    x0 = np.array([-2.0, 1.5])
    methods = {"heavy ball": (Momentum, 1), "Nesterov": (Nesterov, 0)}     # class, series number
    optimum = {"heavy ball": theory.heavy_ball_optimum(land.L, land.mu),
               "Nesterov": theory.nesterov_optimum(land.L, land.mu)}
    lrs, betas = np.linspace(0.02, 4.0, grid), np.linspace(0.0, 0.99, grid)
    start = np.linalg.norm(x0 - land.minimizer)
    region = {}
    for name, (cls, _) in methods.items():   # one broadcast run per method over the whole grid
        g = sweeps.grid(land, cls, x0=x0, steps=2 * steps, lr=lrs, momentum=betas)
        dist = np.linalg.norm(g.x - land.minimizer, axis=-1)
        region[name] = ~g.diverged & (dist < start)          # the error shrank over 2·steps updates
    tuned = {name: run(land, cls(lr=optimum[name][0], momentum=optimum[name][1]), x0, steps)
             for name, (cls, _) in methods.items()}
    # the tuned panel's window: the bowl's, widened to hold both tuned paths
    reach = np.concatenate([r.xs for r in tuned.values()])
    wide = tuple((min(lo, float(reach[:, i].min())) - 0.3, max(hi, float(reach[:, i].max())) + 0.3)
                 for i, (lo, hi) in enumerate(land.window))
    fig, axes = plotting.figure(2, 2, width=4.3, height=3.55)
    ax_same, ax_tuned, ax_dist, ax_region = axes
    fig.subplots_adjust(left=0.75 / fig.get_figwidth(), right=1 - 2.05 / fig.get_figwidth(), wspace=0.32,
                        hspace=0.42)   # room for the region's legend
    lines, dist_lines = {}, {}
    plotting.contours(ax_same, land, levels=8)
    plotting.contours(ax_tuned, land, levels=8, window=wide)
    for name, (cls, i) in methods.items():
        look = style(i, marker=True, ms=3.5)
        lines[name] = plotting.path(ax_same, x0[None], label=name, **look)
        lr_opt, beta_opt, _ = optimum[name]
        plotting.path(ax_tuned, tuned[name].xs, label=f"{name}: η = {lr_opt:.2f}, β = {beta_opt:.2f}", **look)
        d = np.linalg.norm(tuned[name].xs - land.minimizer, axis=-1)
        ax_dist.plot(np.arange(steps + 1), d, color=SERIES[i], lw=1.2,
                     linestyle=(0, (1, 1.5)) if i else (0, (4, 1.5, 1, 1.5)), label=f"{name} at its optimum")
        (dist_lines[name],) = ax_dist.plot([], [], label=f"{name} at the sliders",
                                           **style(i, marker=True, ms=4, lw=1.6, markevery=(3 * i, 10)))
    plotting.legend(ax_same, loc="lower right")
    plotting.legend(ax_tuned, loc="lower right")
    ax_same.set_title("both at the sliders' η, β")
    ax_tuned.set_title("each at its own optimum (wider window)")
    ax_dist.set(yscale="log", xlim=(0, steps), ylim=(1e-12, 1e4), xlabel="step t", ylabel="distance to the minimum",
                title="distance to the minimum")
    plotting.legend(ax_dist, loc="lower left")
    # 0: neither converges, 1: heavy ball only, 2: Nesterov only, 3: both
    code = region["heavy ball"].astype(int) + 2 * region["Nesterov"].astype(int)
    palette = ["0.42", "#f2b58f", "#95c6e8", "#f5efb5"]   # grey, tints of vermillion, blue and yellow
    ax_region.pcolormesh(lrs, betas, code.T, cmap=mcolors.ListedColormap(palette), vmin=-0.5, vmax=3.5,
                         shading="nearest")
    ax_region.plot(theory.momentum_stability_limit(land.L, betas), betas, color=SERIES[1], lw=1.6,
                   linestyle=(0, (5, 2)), label="η = (2+2β)/L")
    ax_region.plot(theory.nesterov_stability_limit(land.L, betas), betas, color=SERIES[0], lw=1.6,
                   linestyle=(0, (1, 1.5)), label="η = (2+2β)/((1+2β)L)")
    for name, (_, i) in methods.items():
        ax_region.plot(*optimum[name][:2], plotting.MARKERS[i + 3], color=SERIES[i], ms=10, mec="k",
                       label=f"{name}'s optimum")
    for c, text in zip(palette, ["neither converges", "heavy ball only", "Nesterov only", "both converge"]):
        ax_region.plot([], [], "s", color=c, ms=10, mec="0.3", label=text)
    ax_region.set(xlim=(0, lrs[-1]), ylim=(0, 1), xlabel="learning rate η (L = 1)", ylabel="momentum β",
                  title=f"where each converges ({2 * steps} steps)")
    plotting.legend(ax_region, loc="upper left", bbox_to_anchor=(1.03, 1.0), borderaxespad=0)
    marker = plotting.mark(ax_region, lr, momentum)
    controls = {"lr": log_slider("learning rate η", lr, 0.02, 4.0),
                "momentum": lin_slider("momentum β", momentum, 0, 0.99, 0.01, readout_format=".2f")}
    blit = plotting.Blit(fig, [*lines.values(), *dist_lines.values(), marker])

    def update(lr, momentum):
        runs = {}
        for name, (cls, _) in methods.items():
            r = run(land, cls(lr=lr, momentum=momentum), x0, steps)
            plotting.path(ax_same, plotting.clip_to_window(r.xs, land.window), line=lines[name])
            dist_lines[name].set_data(np.arange(steps + 1), np.linalg.norm(r.xs - land.minimizer, axis=-1))
            runs[name] = r
        rates = {"heavy ball": theory.heavy_ball_rate(lr, momentum, [land.mu, land.L]),
                 "Nesterov": theory.nesterov_rate(lr, momentum, [land.mu, land.L])}
        plotting.mark(ax_region, lr, momentum, marker=marker)
        off = _off_window({n: r.xs for n, r in runs.items()}, land.window)
        caption = (f"η = {number(lr)}, β = {momentum:.2f} (the ring on the map): "
                   + "; ".join(f"{_describe_run(r, n)}, theory's rate {rates[n]:.3f} per step"
                               for n, r in runs.items()) + f". {off}").strip()
        return {"heavy_ball": runs["heavy ball"], "nesterov": runs["Nesterov"], "rates": rates, "caption": caption}

    dash = Dashboard(controls, blit, update)
    dash.region = {"lr": lrs, "momentum": betas, **region}
    dash.optimum = optimum
    return dash


# --------------------------------------------------------------------------- 04

SCHEDULE_SLIDERS = {
    # name: (factory, {argument: control builder})
    "constant": (lambda lr: S.constant(lr), {}),
    "time_based": (lambda lr, decay: S.time_based(lr, decay),
                   {"decay": lambda: log_slider("decay d", 0.01, 1e-4, 1.0)}),
    "inverse_time": (lambda lr, decay: S.inverse_time(lr, decay),
                     {"decay": lambda: log_slider("decay d", 0.05, 1e-4, 1.0)}),
    "inverse_scaling": (lambda lr, power: S.inverse_scaling(lr, power),
                        {"power": lambda: lin_slider("power p", 0.5, 0, 1.5, 0.05, readout_format=".2f")}),
    "step_decay": (lambda lr, drop, every: S.step_decay(lr, drop, every),
                   {"drop": lambda: lin_slider("drop factor d", 0.5, 0.05, 1, 0.05, readout_format=".2f"),
                    "every": lambda: widgets.IntSlider(value=50, min=1, max=150, description="every r steps",
                                                       style=WIDE)}),
    "exponential": (lambda lr, decay: S.exponential(lr, decay),
                    {"decay": lambda: log_slider("decay d", 0.01, 1e-4, 0.2)}),
    "cosine": (lambda lr, T_max: S.cosine(lr, T_max, lr / 100),
               {"T_max": lambda: widgets.IntSlider(value=300, min=10, max=300, description="length of the cosine (steps)",
                                                   style=WIDE)}),
    "cosine_restarts": (lambda lr, T_0, T_mult: S.cosine_restarts(lr, T_0, T_mult, lr / 100),
                        {"T_0": lambda: widgets.IntSlider(value=50, min=5, max=150, description="first cycle (steps)",
                                                          style=WIDE),
                         "T_mult": lambda: widgets.IntSlider(value=2, min=1, max=3, description="growth of each next cycle",
                                                             style=WIDE)}),
    "cyclic": (lambda lr, step_size_up, mode: S.cyclic(lr / 10, lr, step_size_up, mode=mode),
               {"step_size_up": lambda: widgets.IntSlider(value=30, min=2, max=150, description="half cycle (steps)",
                                                          style=WIDE),
                "mode": lambda: widgets.Dropdown(options=["triangular", "triangular2", "exp_range"],
                                                 value="triangular", description="mode", style=WIDE)}),
    "warmup": (lambda lr, steps: S.warmup(S.cosine(lr, 300 - steps, lr / 100), steps, 0.01),
               {"steps": lambda: widgets.IntSlider(value=30, min=1, max=150, description="warm-up steps",
                                                   style=WIDE)}),
    "one_cycle": (lambda lr, pct_start: S.one_cycle(lr, 300, pct_start),
                  {"pct_start": lambda: lin_slider("share of the steps rising", 0.3, 0.05, 0.9, 0.05,
                                                   readout_format=".2f")}),
}
#: Tab titles: the schedules' names in words.
SCHEDULE_TITLES = {"constant": "constant", "time_based": "time-based", "inverse_time": "inverse time",
                   "inverse_scaling": "inverse scaling", "step_decay": "step decay", "exponential": "exponential",
                   "cosine": "cosine", "cosine_restarts": "cosine restarts", "cyclic": "cyclic", "warmup": "warm-up",
                   "one_cycle": "one-cycle"}
#: schedule_tabs shows two rows of tabs (a single row of eleven is too narrow for the
#: titles): rates that only decay, and rates that rise again (each opens on its first tab;
#: the constant rate, the control, comes last).
SCHEDULE_GROUPS = {"rates that decay": ["step_decay", "exponential", "time_based", "inverse_time", "inverse_scaling",
                                        "constant"],
                   "rates that rise again": ["cosine", "cosine_restarts", "cyclic", "warmup", "one_cycle"]}


def schedule_explorer(name: str, lr: float = 0.4, steps: int = 300, sigma: float = 2.0, runs: int = 16) -> Dashboard:
    """One schedule with its own sliders: its curve, and what it does to GD with noisy
    gradients on a bowl (κ = 10), against the constant rate η₀.

    Each setting runs ``runs`` noisy runs in one broadcast call (noise from the course's base
    seed, ``sweeps.seeds``); the plot shows their mean loss and the title the mean ± standard
    error, over runs, of each run's mean loss in its last 50 steps. The schedule and the
    constant rate share their noise (as before, when they ran apart) and run in one call;
    once η₀ is dragged, both are computed for every position of its slider at once (for the
    other sliders' present settings) and looked up while it moves.
    """
    if name not in SCHEDULE_SLIDERS:
        raise ValueError(f"name must be one of {', '.join(SCHEDULE_SLIDERS)}, got {name!r}")
    factory, extra = SCHEDULE_SLIDERS[name]
    controls = {"lr": log_slider("peak rate η₀", lr, 1e-3, 0.9)}
    controls.update({k: make() for k, make in extra.items()})
    words = S.describe(factory(lr, **{k: c.value for k, c in controls.items() if k != "lr"}), numbers=False)
    bowl = L.Quadratic.from_condition(10.0, L=2.0)
    noisy = L.Noisy(bowl, sigma=sigma, seed=int(sweeps.seeds(1)[0]))
    fig, (ax_s, ax_l) = plotting.figure(2)
    x0 = np.tile([3.0, 3.0], (runs, 1))
    tail = min(50, steps)
    ones = np.ones(steps)
    curve = plotting.schedule_curve(ax_s, lambda t: ones, steps, color=SERIES[1], lw=1.8)
    ax_s.set(yscale="log", xlim=(0, steps), ylim=(1e-6, 2.0), title=f"the rate: {words}")
    # the constant rate: a wide pale band under the schedule's curve, so the two stay visible
    # where they coincide (always, on the constant tab)
    const_line = plotting.loss_curve(ax_l, np.ones(steps + 1), label="constant rate η₀", color="0.35", lw=4.0,
                                     alpha=0.45)
    sched_line = plotting.loss_curve(ax_l, np.ones(steps + 1), label=words, color=SERIES[1], lw=1.3,
                                     linestyle=(0, (5, 1.5)))
    ax_l.set(xlim=(0, steps), ylim=(1e-4, 1e3), ylabel=f"loss, mean of {runs} runs")
    plotting.legend(ax_l, loc="upper right")
    blit = plotting.Blit(fig, [curve, const_line, sched_line, ax_l.title])
    kept = {}
    lr_grid = positions(controls["lr"])

    def summary(result):
        per_run = result.losses[-tail:].mean(axis=0)
        if np.any(result.diverged):
            return np.inf, np.nan, "diverged"
        mean, se = float(per_run.mean()), float(per_run.std(ddof=1) / np.sqrt(per_run.size))
        return mean, se, f"{number(mean)} ± {number(se, 2)}"

    def update(lr, **kw):
        schedule = factory(lr, **kw)
        t = np.arange(steps)       # the rates of the updates 1 … steps
        j = _on_grid(lr_grid, lr)
        moved_lr, other = kept.get("lr") != lr, tuple(sorted(kw.items()))
        if j >= 0 and moved_lr and kept.get("other") == other and kept.get("grid_other") != other:
            # η₀ is being dragged: the schedule (at these other settings) and the constant rate
            # at every position of the η₀ slider, in one call; the next positions are looked up
            tables = [factory(p, **kw)(t) for p in lr_grid]
            if "constant_all" not in kept:
                tables += [np.full(steps, p) for p in lr_grid]
            try:
                done = _shared_runs(noisy, tables, x0, steps)
                kept["schedule_all"], kept["grid_other"] = done[:len(lr_grid)], other
                if "constant_all" not in kept:
                    kept["constant_all"] = done[len(lr_grid):]
            except _BatchShrank:
                kept["grid_other"] = None
        kept.update(lr=lr, other=other)
        if j >= 0 and kept.get("grid_other") == other:
            scheduled = kept["schedule_all"][j]
        else:
            scheduled = None
        if j >= 0 and "constant_all" in kept:
            constant = kept["constant_all"][j]
        elif kept.get("constant_lr") == lr:
            constant = kept["constant"]
        else:
            constant = None
        if scheduled is None or constant is None:
            try:        # what is missing, in one call
                need = ([schedule(t)] if scheduled is None else []) + ([np.full(steps, lr)] if constant is None
                                                                        else [])
                done = _shared_runs(noisy, need, x0, steps)
            except _BatchShrank:
                done = ([run(noisy, GD(lr=schedule), x0, steps)] if scheduled is None else []) + \
                    ([run(noisy, GD(lr=lr), x0, steps)] if constant is None else [])
            if scheduled is None:
                scheduled = done.pop(0)
            if constant is None:
                constant = done.pop(0)
        kept.update(constant_lr=lr, constant=constant)
        rates = schedule(np.arange(steps))
        plotting.schedule_curve(ax_s, schedule, steps, line=curve)
        plotting.loss_curve(ax_l, constant.losses.mean(axis=1), line=const_line)
        plotting.loss_curve(ax_l, scheduled.losses.mean(axis=1), line=sched_line)
        (final, final_se, final_text), (const, const_se, const_text) = summary(scheduled), summary(constant)
        ax_l.set_title(f"last {tail} steps: {final_text} vs constant {const_text}", fontsize=9.5)
        if name == "constant":
            verdict = "this tab is the control: the schedule is the constant rate itself, so the curves coincide"
        elif np.isfinite(final) and np.isfinite(const) and final + 2 * final_se < const - 2 * const_se:
            verdict = f"{words} ends clearly below the constant rate's noise floor"
        elif np.isfinite(final) and np.isfinite(const) and final - 2 * final_se > const + 2 * const_se:
            verdict = f"{words} ends clearly above the constant rate"
        else:
            verdict = "the two end within about two standard errors of each other"
        start, peak, end = rates[0], rates.max(), rates[-1]
        if peak == rates.min():
            moves = f"the rate stays at {number(lr)}"
        elif peak > start:
            moves = f"{words} takes η from {number(start)} up to {number(peak)} and ends at {number(end)}"
        else:
            moves = f"{words} takes η from {number(start)} down to {number(end)}"
        caption = (f"η₀ = {number(lr)}: {moves}. "
                   f"Mean loss over the last {tail} steps of {runs} noisy runs (± standard error): {final_text}, "
                   f"constant rate {const_text}; {verdict}.")
        return {"schedule": schedule, "rates": rates, "final": final, "final_se": final_se,
                "constant": const, "constant_se": const_se, "runs": runs, "caption": caption}

    return Dashboard(controls, blit, update, name=f"schedule_explorer-{name}")


class _BatchShrank(Exception):
    """A run diverged and left a batch whose rates are tabulated for every row: the caller
    runs the tables one at a time instead."""


class _SharedNoise:
    """``noisy`` for a batch made of copies of the same ``runs`` starts: run i of the batch is
    run i mod ``runs`` of ``noisy`` and gets its noise, so every copy is what ``run(noisy, ...)``
    gives for those starts alone."""

    def __init__(self, noisy, runs: int):
        self.noisy = noisy.repeated(runs)

    def reset(self):
        self.noisy.reset()

    def value_and_grad(self, x, runs=None):
        if runs is not None:            # ``run`` dropped a diverged run: the rate tables no longer fit
            raise _BatchShrank
        return self.noisy.value_and_grad(x)


def _shared_runs(noisy, rate_tables, x0, steps: int) -> list:
    """GD from the starts ``x0`` with each of ``rate_tables`` (the rate at steps 0 … steps,
    from a schedule or constant) and the same noise, in one call; one result per table, each
    as ``run(noisy, GD(lr=...), x0, steps)`` gives it. Raises ``_BatchShrank`` if a run
    diverged (the caller then runs them one at a time)."""
    from dataclasses import replace

    n, k = len(x0), len(rate_tables)
    rates = np.repeat(np.stack(rate_tables, axis=1), n, axis=1)[..., None]     # (steps, k·n, 1)
    batch = run(_SharedNoise(noisy, n), GD(lr=lambda t: rates[t]), np.tile(x0, (k, 1)), steps)
    out = []
    for i in range(k):
        part = slice(i * n, (i + 1) * n)
        out.append(replace(batch, xs=batch.xs[:, part], losses=batch.losses[:, part], lrs=None, x=batch.x[part],
                           loss=np.asarray(batch.loss)[part], diverged_at=np.asarray(batch.diverged_at)[part],
                           max_loss=np.asarray(batch.max_loss)[part]))
    return out


class _Tabs:
    """Several dashboards in the tabs of one widget; ``dashboards[name]`` for tests.
    ``selected`` names the tab that is open first; ``titles`` (name -> text) the tabs'
    titles (default: the names)."""

    def __init__(self, dashboards: dict, selected: str | None = None, titles: dict | None = None):
        self.dashboards = dashboards
        titles = titles or {}
        self.widget = widgets.Tab(children=[d.widget for d in dashboards.values()],
                                  titles=[titles.get(n, n) for n in dashboards])
        if selected is not None:
            if selected not in dashboards:
                raise ValueError(f"selected must be one of {', '.join(dashboards)}, got {selected!r}")
            self.widget.selected_index = list(dashboards).index(selected)

    @property
    def selected(self) -> str:
        return list(self.dashboards)[self.widget.selected_index or 0]

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


class _TabRows:
    """Rows of ``_Tabs``, one per group, stacked in one widget: ``dashboards`` holds every
    dashboard by name, ``rows`` the groups' ``_Tabs``, ``selected`` the tab open in each."""

    def __init__(self, rows: dict, heading: bool = True):
        self.rows = rows
        self.dashboards = {n: d for tabs in rows.values() for n, d in tabs.dashboards.items()}
        children = []
        for title, tabs in rows.items():
            if heading:
                children.append(widgets.HTML(f"<b>{html.escape(title)}</b>"))
            children.append(tabs.widget)
        self.widget = widgets.VBox(children)

    @property
    def selected(self) -> dict:
        return {title: tabs.selected for title, tabs in self.rows.items()}

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def schedule_tabs(lr: float = 0.4, open_on: str = "cosine") -> _TabRows:
    """Every schedule's dashboard, one tab each, in two rows (``SCHEDULE_GROUPS``: rates that
    only decay, rates that rise again) with the titles in words (``SCHEDULE_TITLES``). Each
    row opens on its first tab: step decay and cosine, where at the default η₀ = 0.4 the
    constant rate sits at a high noise floor and the schedule ends far below it; the constant
    rate, which compares the constant rate with itself, comes last. ``open_on`` opens its row
    on that schedule instead."""
    if open_on not in SCHEDULE_SLIDERS:
        raise ValueError(f"open_on must be one of {', '.join(SCHEDULE_SLIDERS)}, got {open_on!r}")
    rows = {}
    count = sum(len(names) for names in SCHEDULE_GROUPS.values())
    with sweeps.progress(total=count, desc=f"building {count} dashboards") as bar:   # several seconds
        for title, names in SCHEDULE_GROUPS.items():
            built = {}
            for n in names:
                built[n] = schedule_explorer(n, lr=lr)
                bar.update()
            rows[title] = _Tabs(built, selected=open_on if open_on in names else names[0], titles=SCHEDULE_TITLES)
    return _TabRows(rows)


#: escape_wells' start (in the shallow well near (0.3, 0.2)) and its small rate.
_WELL_START, _WELL_LOW = np.array([0.45, 0.35]), 0.02


def _well_schedules(peak: float) -> dict:
    return {"constant (η_min)": S.constant(_WELL_LOW),
            "cosine restarts": S.cosine_restarts(peak, T_0=60, eta_min=_WELL_LOW),
            "cyclic": S.cyclic(_WELL_LOW, peak, step_size_up=30)}


def escape_wells(peak: float = 3.2, steps: int = 300) -> Dashboard:
    """Constant, cosine-with-restarts and cyclic rates on the multi-well landscape, all from
    the same start in a shallow well. Slider: the peak rate. The caption names the well each
    run settled in (gradient norm below 1e-3 at the end), or says that it did not settle.

    The default peak, 3.2, shows the point: the small constant rate stays in the shallow
    well, the restarts climb out and settle in the deepest well, the cyclic rate is still
    moving at the end. (Up to a peak of about 1 every run stays where it started; above
    about 1.8, which well a run ends in changes from one peak to the next.) The runs for
    all of the slider's positions are computed at once, in one broadcast call, when the
    dashboard is built."""
    land = L.MultiWell()
    x0, low = _WELL_START, _WELL_LOW
    fig, (ax_path, ax_lr) = plotting.figure(2)
    plotting.contours(ax_path, land, levels=10)
    shallow = int(np.argmin(np.linalg.norm(land.minimizers - [0.3, 0.2], axis=1)))
    names = ["deepest well", "middle well", "shallow well"] if len(land.minimizers) == 3 else None
    for k, m in enumerate(land.minimizers):
        text = names[k] if names else f"well {k}"
        ax_path.annotate(f"{k}: {text}" + (" (start)" if k == shallow else ""), m, xytext=(0, -13),
                         textcoords="offset points", ha="center", va="top", fontsize=plotting.LEGEND_PT,
                         bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.75))
    # faint thin paths (the large rates jump all over the map), and each end point as a large
    # marker drawn on top of every path
    looks = {"constant (η_min)": dict(color="0.1", linestyle=(0, (1, 1.2)), marker="s", lw=1.8),
             "cosine restarts": style(1, marker=True, lw=0.9),
             "cyclic": style(0, marker=True, lw=0.9)}
    labels = {"constant (η_min)": f"small constant rate {number(low)}", "cosine restarts": "cosine with restarts",
              "cyclic": "cyclic (triangular)"}
    lines = {k: plotting.path(ax_path, x0[None], marker="none", alpha=0.45 if k != "constant (η_min)" else 0.9,
                              label=labels[k],
                              **{a: v for a, v in look.items() if a != "marker"}) for k, look in looks.items()}
    ends_drawn = {k: ax_path.plot([], [], look["marker"], color=look["color"], ms=ms, mec="white", mew=1.5,
                                  zorder=7)[0] for (k, look), ms in zip(looks.items(), (15, 11.5, 8))}
    ax_path.set_title("paths from one start (end points marked)")
    curves = {k: plotting.schedule_curve(ax_lr, S.constant(low), steps, label=labels[k], ms=8, mec="white",
                                         markevery=[-1], **{**look, "lw": 1.6})
              for k, look in looks.items()}
    ax_lr.set(yscale="log", xlim=(0, steps), ylim=(low / 2, 300.0), title="the rates (end-point marker as on the map)")
    plotting.legend(ax_lr, loc="upper right", ncols=1)
    blit = plotting.Blit(fig, [*lines.values(), *ends_drawn.values(), *curves.values()])
    controls = {"peak": log_slider("peak rate η", peak, 0.05, 5.0)}

    # every slider position at once: the constant rate's one run, and the other two
    # schedules at each peak as a batch whose rate at step t is looked up in a table
    grid = positions(controls["peak"])
    fixed = run(land, GD(lr=S.constant(low)), x0, steps)
    table = np.stack([_well_schedules(p)[k](np.arange(steps + 1)) for p in grid
                      for k in ("cosine restarts", "cyclic")], axis=-1)          # (steps + 1, 2·positions)
    try:
        batch = run(land, GD(lr=lambda t: table[t][:, None]), np.broadcast_to(x0, (table.shape[1], 2)), steps)
        ok = not np.any(batch.diverged)
    except ValueError:   # a run diverged and left the batch: fall back to one setting at a time
        ok = False
    cache = {}
    if ok:
        for j, p in enumerate(grid):
            cache[float(p)] = dict(zip(("cosine restarts", "cyclic"), _split(batch, [2 * j, 2 * j + 1])))

    def results(peak):
        j = _on_grid(grid, peak)
        if j >= 0 and float(grid[j]) in cache:
            return cache[float(grid[j])]
        scheds = _well_schedules(peak)
        return {k: run(land, GD(lr=scheds[k]), x0, steps) for k in ("cosine restarts", "cyclic")}

    def update(peak):
        scheds = _well_schedules(peak)
        rs = {"constant (η_min)": fixed, **results(peak)}
        ends = {}
        for k, r in rs.items():
            plotting.path(ax_path, plotting.clip_to_window(r.xs, land.window), line=lines[k])
            ends_drawn[k].set_data([r.x[0]], [r.x[1]])
            plotting.schedule_curve(ax_lr, scheds[k], steps, line=curves[k])
            well = int(np.argmin(np.linalg.norm(land.minimizers - r.x, axis=1)))
            # settled = stationary (small gradient), not merely "the last point is near a minimum"
            settled = bool(not r.diverged and np.linalg.norm(land.grad(r.x)) < 1e-3)
            ends[k] = {"well": well, "settled": settled, "loss": float(r.loss), "diverged": bool(r.diverged)}

        def fate(k, e):
            if not e["settled"]:
                return f"{k} has not settled (still moving at step {steps})"
            if e["well"] == shallow:
                return f"{k} stays in the shallow well it started in"
            return f"{k} settles in well {e['well']}" + (" (the deepest)" if e["well"] == 0 else "")

        caption = f"peak η = {number(peak)}: " + "; ".join(fate(k, e) for k, e in ends.items()) + "."
        if all(e["settled"] and e["well"] == shallow for e in ends.values()):
            caption += " The peak is too small for any run to climb out of the shallow well."
        elif peak > 1.5:
            caption += (" Where a run lands changes from one peak to the next (a lottery): the measurement below "
                        "counts many starts.")
        return {"ends": ends, "caption": caption}

    return Dashboard(controls, blit, update)



# --------------------------------------------------------------------------- 05

#: The race's landscapes: (landscape, centre of the ring of starts, its radius, number of
#: starts). The two bowls are one bowl (curvatures 1/1000 and 1): once with its axes along
#: the coordinates, where a rate per coordinate can undo the bad conditioning, and once
#: turned by 45°, where it cannot. Runs on Rosenbrock vary more from start to start, so
#: it gets more starts.
RACE_LANDSCAPES = {
    "axis-aligned bowl": (L.Quadratic([1e-3, 1.0]), np.zeros(2), 2.0, 16),
    "rotated bowl": (L.Quadratic([1e-3, 1.0], angle=np.pi / 4), np.zeros(2), 2.0, 16),
    "Rosenbrock": (L.Rosenbrock(), np.array([-1.0, 1.0]), 0.5, 64),
}
#: The racers, each as a function of its rate η. AdamW is left out: its decay moves the
#: point it converges to, so its final loss would not be comparable.
RACE_METHODS = {
    "GD": lambda lr: GD(lr=lr),
    "Momentum": lambda lr: Momentum(lr=lr, momentum=0.9),
    "Adagrad": lambda lr: Adagrad(lr=lr),
    "Adadelta": lambda lr: Adadelta(lr=lr),
    "RMSprop": lambda lr: RMSprop(lr=lr),
    "Adam": lambda lr: Adam(lr=lr),
}
#: Each racer's look: an Okabe-Ito colour, a line style and a marker, so that racers whose
#: curves lie on top of each other stay apart (``plot(..., **RACE_STYLES[name])``).
RACE_STYLES = {name: style(i, marker=True) for i, name in enumerate(RACE_METHODS)}
RACE_COLORS = {name: s["color"] for name, s in RACE_STYLES.items()}
#: The shared grid of rates (5 per decade) and the floor under the score: a run whose loss
#: gap falls below RACE_FLOOR times its starting gap counts as solved.
RACE_LRS = np.logspace(-4, 2, 31)
RACE_FLOOR = 1e-20
_race_cache: dict = {}


def tune_race(landscape: str, lrs=RACE_LRS, steps: int = 300) -> dict:
    """Tune every racer on ``landscape`` over the same grid of rates and the same budget.

    Each method runs ``steps`` updates at every rate in ``lrs`` from every start, in one
    broadcast call. The starts lie on a ring around the landscape's centre of starts, one
    angle per seed from ``sweeps.seeds``. A run's score is log10 of its final loss gap over
    its starting gap, floored at log10(RACE_FLOOR); a rate at which any start diverges scores
    +inf. Each method's best rate is the one with the lowest mean score over the starts.

    Returns a dict with ``lrs``, ``steps``, ``starts`` (n, 2), ``scores`` (method ->
    array (len(lrs), n)), ``best_index`` and ``best_lr`` (method -> index, rate) and
    ``at_best`` (method -> the n scores at its best rate).
    """
    if landscape not in RACE_LANDSCAPES:
        raise ValueError(f"landscape must be one of {', '.join(RACE_LANDSCAPES)}, got {landscape!r}")
    land, centre, radius, n = RACE_LANDSCAPES[landscape]
    lrs = np.asarray(lrs, dtype=float).ravel()
    seeds = sweeps.seeds(n)
    key = (landscape, lrs.tobytes(), steps, seeds.tobytes())
    if key in _race_cache:
        return _race_cache[key]
    angles = np.array([np.random.default_rng(int(s)).uniform(0.0, 2 * np.pi) for s in seeds])
    starts = centre + radius * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    gap0 = land.value(starts) - land.min_value
    scores, best_index, best_lr, at_best = {}, {}, {}, {}
    for name, make in RACE_METHODS.items():
        r = run(land, make(lrs[:, None, None]), starts[None], steps, record=False)
        gap = np.maximum(r.loss - land.min_value, 0.0) / gap0
        with np.errstate(divide="ignore"):
            score = np.where(r.diverged, np.inf, np.log10(np.maximum(gap, RACE_FLOOR)))
        i = int(np.argmin(score.mean(axis=1)))
        scores[name], best_index[name], best_lr[name], at_best[name] = score, i, float(lrs[i]), score[i]
    out = {"lrs": lrs, "steps": steps, "starts": starts, "scores": scores, "best_index": best_index,
           "best_lr": best_lr, "at_best": at_best}
    if len(_race_cache) > 16:
        _race_cache.clear()
    _race_cache[key] = out
    return out


def adaptive_race(landscape: str = "rotated bowl", rate_factor: float = 1.0, steps: int = 300) -> Dashboard:
    """GD, momentum, Adagrad, Adadelta, RMSprop and Adam from the same start, each at
    ``rate_factor`` times its own best rate from ``tune_race`` (so a fair race at 1).

    For a landscape, every method's runs at all of the slider's positions are computed in
    one broadcast call per method (when the landscape is first shown) and looked up after.
    Paths that leave the map's window are named in the caption."""
    fig, (ax_path, ax_loss) = plotting.figure(2)
    controls = {"landscape": widgets.Dropdown(options=list(RACE_LANDSCAPES), value=landscape, description="landscape",
                                              style=WIDE),
                "rate_factor": log_slider("η as a multiple of each method's tuned η", rate_factor, 0.1, 10.0)}
    names = list(RACE_METHODS)
    losses = [plotting.loss_curve(ax_loss, np.ones(steps + 1), label=n, markevery=(5 * i, 40), ms=4.5,
                                  **{**RACE_STYLES[n], "lw": 1.4})
              for i, n in enumerate(names)]
    ax_loss.axhline(RACE_FLOOR, color="0.5", ls=":", lw=1, label="counts as solved")
    ax_loss.set(xlim=(0, steps), ylim=(RACE_FLOOR / 100, 1e3), ylabel="(loss − min) / (loss at start − min)")
    plotting.legend(ax_loss, loc="lower left", ncols=2)
    blit = plotting.Blit(fig)
    grid = positions(controls["rate_factor"])
    cache = {"batches": {}}

    def batches(landscape):
        """method -> the run over every slider position from the first start (one call each)."""
        if landscape not in cache["batches"]:
            land = RACE_LANDSCAPES[landscape][0]
            tuned = tune_race(landscape, steps=steps)
            x0 = tuned["starts"][0]
            cache["batches"][landscape] = {n: run(land, RACE_METHODS[n](tuned["best_lr"][n] * grid[:, None]), x0, steps)
                                           for n in names}
        return cache["batches"][landscape]

    def update(landscape, rate_factor):
        land = RACE_LANDSCAPES[landscape][0]
        tuned = tune_race(landscape, steps=steps)
        x0 = tuned["starts"][0]
        if cache.get("landscape") != landscape:   # a new landscape: redraw the static background
            ax_path.clear()
            ax_path.set_prop_cycle(color=SERIES)
            plotting.contours(ax_path, land)
            cache.update(landscape=landscape,
                         lines=[plotting.path(ax_path, x0[None], label=n, markevery=(3 * i, 25),
                                              **{**RACE_STYLES[n], "ms": 5, "lw": 1.2})
                                for i, n in enumerate(names)])
            ax_path.set_title(f"paths on the {landscape}" if "bowl" in landscape else f"paths on {landscape}")
            ax_loss.set_title(f"loss on the {landscape}" if "bowl" in landscape else f"loss on {landscape}")
            blit.dynamic = [*cache["lines"], *losses]
            blit.invalidate()
        j = _on_grid(grid, rate_factor)
        finals, rates, shown = {}, {}, {}
        for i, (name, path_line, loss_line) in enumerate(zip(names, cache["lines"], losses)):
            rates[name] = rate_factor * tuned["best_lr"][name]
            if j >= 0:
                r = _split(batches(landscape)[name], [j])[0]
            else:
                r = run(land, RACE_METHODS[name](rates[name]), x0, steps)
            gap = (r.losses - land.min_value) / (r.losses[0] - land.min_value)
            plotting.path(ax_path, plotting.clip_to_window(r.xs, land.window), line=path_line)
            plotting.loss_curve(ax_loss, np.maximum(gap, 1e-300), line=loss_line)
            finals[name] = float(gap[-1]) if not r.diverged else np.inf
            shown[name] = r.xs
        # the paths that travel least are drawn last, on top of the long ones that cross them
        travel = {line: float(np.nansum(np.linalg.norm(np.diff(plotting.clip_to_window(shown[n], land.window), axis=0),
                                                       axis=-1)))
                  for n, line in zip(names, cache["lines"])}
        blit.dynamic = [*sorted(cache["lines"], key=travel.get, reverse=True), *losses]
        best = min(finals, key=finals.get)
        ranking = ", ".join(f"{n} {number(v, 2) if np.isfinite(v) else 'diverged'}"
                            for n, v in sorted(finals.items(), key=lambda kv: kv[1]))
        off = _off_window(shown, land.window)
        caption = (f"{landscape}, every method at {number(rate_factor)} × its tuned η. Final loss gap relative to "
                   f"the start, lowest first: {ranking}. Lowest from this start: {best}. {off}").strip()
        return {"finals": finals, "rates": rates, "tuned": tuned, "caption": caption}

    return Dashboard(controls, blit, update)


def adam_eps(eps: float = 1e-8, bias_correction: bool = True, steps: int = 60) -> Dashboard:
    """Adam's per-coordinate step size |Δw| over the first steps, for gradients of very
    different scale (1e-6, 1e-2, 1 and 100): what ε and bias correction do.

    Where ε is small, Adam's step does not depend on the gradient's scale and the four
    curves lie on top of each other; each is drawn narrower than the one before it and with
    its own marker, so all four stay visible. Every slider position is computed at once."""
    scales = np.array([1e-6, 1e-2, 1.0, 1e2])
    fig, (ax,) = plotting.figure(1, width=6.2)
    widths = [5.5, 3.6, 2.0, 1.0]
    lines = [ax.plot([], [], label=f"|g| = {number(s)}", lw=w, markevery=(2 * i, 8), ms=4 + 3 - i,
                     **{**style(i, marker=True), "linestyle": "-" if i % 2 == 0 else (0, (4, 2)),
                        "alpha": 0.55 if i == 0 else 1.0})[0]
             for i, (s, w) in enumerate(zip(scales, widths))]
    ax.set(yscale="log", xlim=(1, steps), ylim=(1e-9, 30.0), xlabel="step t", ylabel="|step| / η",
           title="Adam's step size per coordinate")
    plotting.legend(ax, loc="lower right")
    blit = plotting.Blit(fig, lines)
    controls = {"eps": log_slider("ε", eps, 1e-12, 1.0), "bias_correction": widgets.Checkbox(
        value=bias_correction, description="bias correction", style=WIDE)}
    grid = positions(controls["eps"])

    def problem(x):   # a constant gradient of each scale, so only Adam's normalisation shows
        return np.zeros(x.shape[:-1]), np.broadcast_to(scales, x.shape)

    table = {flag: np.abs(np.diff(run(problem, Adam(lr=1.0, eps=grid[:, None], bias_correction=flag),
                                      np.zeros(4), steps).xs, axis=0))
             for flag in (True, False)}                                      # (steps, positions, 4)

    def update(eps, bias_correction):
        j = _on_grid(grid, eps)
        if j >= 0:
            step = table[bool(bias_correction)][:, j]
        else:
            opt = Adam(lr=1.0, eps=eps, bias_correction=bias_correction)
            step = np.abs(np.diff(run(problem, opt, np.zeros(4), steps).xs, axis=0))
        for line, s in zip(lines, step.T):
            line.set_data(np.arange(1, steps + 1), s)
        first = ", ".join(number(v) for v in step[0])
        same = np.allclose(step[-1], step[-1][-1], rtol=0.05)
        caption = (f"ε = {number(eps)}, bias correction {'on' if bias_correction else 'off'}: first step |Δw|/η = "
                   f"{first} for |g| = 1e-6, 0.01, 1, 100. "
                   + ("All four take the same step: Adam's step does not depend on the gradient's scale."
                      if same else "The small gradients take smaller steps: ε is not negligible next to √v for "
                                   "them."))
        return {"steps": step, "caption": caption}

    return Dashboard(controls, blit, update)


# --------------------------------------------------------------------------- 06


def range_test_explorer(problem, x0, optimizer=None, lr_min: float = 1e-5, lr_max: float = 10.0,
                        beta: float = 0.98, steps: int = 100, ylim=(0.0, 4.0)) -> Dashboard:
    """The range test on a numpy problem with sliders for the range and the smoothing; the
    three suggestion rules are marked on the curve (in their own colour and dash, so marks
    that fall on the same rate stay visible)."""
    from . import lr_finder as F

    fig, (ax,) = plotting.figure(1, width=7.0)
    raw, smoothed, marks = plotting.range_test(ax)       # empty until the first update
    ax.set(xlim=(1e-7, 1e3), ylim=ylim, ylabel="training loss", title="loss against the rising rate")
    plotting.legend(ax, loc="upper left")
    blit = plotting.Blit(fig, [raw, smoothed, *marks.values()])
    controls = {"lr_min": log_slider("lowest rate η_min", lr_min, 1e-7, 1e-2, continuous_update=False),
                "lr_max": log_slider("highest rate η_max", lr_max, 1e-2, 1e3, continuous_update=False),
                "beta": lin_slider("smoothing β", beta, 0.0, 0.995, 0.005, readout_format=".3f")}

    def update(lr_min, lr_max, beta):
        rt = F.range_test(problem, x0, optimizer, lr_min, lr_max, steps, beta)
        raw.set_data(rt.lrs, rt.losses)
        smoothed.set_data(rt.lrs, rt.smoothed)
        found = rt.suggestions()
        for rule, line in marks.items():
            line.set_xdata([found[rule], found[rule]])
        where = f"the loss ran away at η = {number(rt.lrs[-1])}" if rt.stopped_at >= 0 else "the loss never ran away"
        caption = (f"Rates from {number(lr_min)} to {number(lr_max)}, smoothing β = {beta:.3f}: {where}. "
                   "Suggested rates: " + ", ".join(f"{k} {number(v)}" for k, v in found.items()) + ".")
        return {"test": rt, "suggestions": found, "caption": caption}

    return Dashboard(controls, blit, update)


# --------------------------------------------------------------------------- 07


def curve_picker(histories: dict, smooth_steps: int = 10, chance: float | None = None) -> Dashboard:
    """Training curves computed beforehand for several rates (``{lr: training.History}``);
    a slider over those rates shows one run's per-step training loss and its per-epoch
    training and validation loss (epochs counted from 1), so a learner can learn to read
    them. Both axes fit the chosen run: x to the steps and epochs it ran (a run that stopped
    early fills the panel too), y to its losses (a spike of one run does not flatten the
    others); ``chance`` draws a reference level on both panels (ln of the number of
    classes), which widens the y axis only when it lies near the data (the caption says
    where it is otherwise). There are few rates, so every picture is drawn once, when the
    dashboard is built, and a slider event only swaps it in."""
    rates = sorted(histories)
    fig, (ax_step, ax_epoch) = plotting.figure(2)
    step_line, = ax_step.plot([], [], color="0.6", lw=0.8, label="loss at each step")
    mean_line, = ax_step.plot([], [], color=SERIES[1], lw=2.0, linestyle=(0, (6, 1.5)),
                              label=f"mean of {smooth_steps} steps")
    train_line, = ax_epoch.plot([], [], label="training", **style(0, marker=True, ms=5))
    val_line, = ax_epoch.plot([], [], label="validation", **style(1, marker=True, ms=5))
    if chance is not None:
        for ax in (ax_step, ax_epoch):
            ax.axhline(chance, color="k", ls=":", lw=1.2, label="chance level")
    ax_step.set(yscale="log", xlabel="step", ylabel="training loss", title="training loss per step")
    ax_epoch.set(yscale="log", xlabel="epoch", ylabel="loss", title="loss per epoch")
    plotting.legend(ax_step, loc="upper right")
    plotting.legend(ax_epoch, loc="upper right")
    blit = plotting.Blit(fig, [step_line, mean_line, train_line, val_line])
    controls = {"lr": widgets.SelectionSlider(options=[(number(r), r) for r in rates],
                                              value=rates[len(rates) // 2], description="learning rate η",
                                              style=WIDE)}

    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

    plain = FuncFormatter(lambda v, _: number(v))

    def fit_limits(ax, values):
        values = np.asarray(values, dtype=float)
        values = values[np.isfinite(values) & (values > 0)]
        if not values.size:
            return False
        low, high = max(values.min(), 1e-8), max(values.max(), values.min() * 1.01)
        # the chance level joins the axis only when it lies within a third of the data's span
        # (in decades) from it: then the data still fill most of the panel
        near = chance is not None and (np.log(max(high, chance) / min(low, chance)) <= 1.35 * np.log(high / low)
                                       if high / low >= 3 else low - 0.35 * (high - low) <= chance
                                       <= high + 0.35 * (high - low))
        if near:
            low, high = min(low, chance), max(high, chance)
        if high / low < 3:          # a nearly flat run: a linear axis shows its wiggles
            ax.set_yscale("linear")
            pad = 0.08 * (high - low) + 0.01 * high
            ax.set_ylim(low - pad, high + pad)
            ax.yaxis.set_major_formatter(plain)
        else:                       # a log axis, padded by a share of its decades
            ax.set_yscale("log")
            pad = 0.06 * np.log10(high / low)
            low, high = low / 10 ** pad, high * 10 ** pad
            ax.set_ylim(low, high)
            # plain numbers ("0.4", "2", "300"): narrow labels that fit the fixed margins;
            # intermediate ticks are labelled only when the axis spans about a decade or less
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(plain if high / low < 20 else NullFormatter())
        return near

    def update(lr):
        h = histories[lr]
        losses = np.asarray(h.losses, dtype=float)
        step_line.set_data(np.arange(losses.size), losses)
        kernel = np.ones(smooth_steps) / smooth_steps
        mean = np.convolve(losses, kernel, mode="valid") if losses.size >= smooth_steps else losses
        mean_line.set_data(np.arange(mean.size) + smooth_steps - 1, mean)
        epochs = h.column("epoch") + 1
        train_line.set_data(epochs, h.column("train_loss"))
        val_line.set_data(epochs, h.column("val_loss"))
        ax_step.set_xlim(0, max(losses.size - 1, 1))
        ax_epoch.set_xlim(0.5, max(len(epochs), 1) + 0.5)
        ax_epoch.xaxis.set_major_locator(MaxNLocator(integer=True))
        near_step = fit_limits(ax_step, losses)
        near_epoch = fit_limits(ax_epoch, np.concatenate([h.column("train_loss"), h.column("val_loss")]))
        blit.invalidate()                      # the axes changed: redraw their ticks
        best = h.final
        text = f"η = {number(lr)}: "
        text += (f"the loss became NaN or infinite at step {h.diverged_at}; the panels end there. "
                 if h.diverged_at >= 0 else f"{losses.size} steps, {len(epochs)} epochs. ")
        text += (f"Lowest validation loss {number(best.get('val_loss', np.nan))} (epoch {h.best_epoch + 1})."
                 if best else "")
        if chance is not None and not (near_step and near_epoch):
            finite = losses[np.isfinite(losses)]
            side = "above" if finite.size and chance > np.median(finite) else "below"
            text += f" The chance level ({number(chance)}) lies {side} the data and is off the axes in a panel."
        return {"history": h, "caption": text}

    dash = Dashboard(controls, blit, update)
    # every rate's picture, drawn now: a slider event moves the artists (cheap) and swaps in
    # the stored PNG instead of drawing the figure again
    pictures = {}
    for r in rates:
        update(r)
        pictures[r] = blit.png()

    def refresh():
        state = update(controls["lr"].value)
        dash.state = state
        shown = html.escape(state["caption"])
        if dash.caption.value != shown:
            dash.caption.value = shown
        png = pictures.get(controls["lr"].value)
        dash.image.value = png if png is not None else blit.png()

    dash.refresh = refresh
    refresh()
    return dash
