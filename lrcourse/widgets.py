"""Dashboards: sliders wired to library calls and plots. No mathematics lives here.

Each dashboard owns a matplotlib ``Figure`` and shows it as PNG in an ``ipywidgets.Image``,
which the browser swaps in place. Moving a control calls ``refresh``: the library computes,
the plotting functions update the artists they drew, and the figure is re-rendered. Heavy
work that does not depend on a control (a heat map over a grid) is computed once.

Tests drive a dashboard by setting ``dash.controls[name].value``; ``dash.state`` holds the
numbers the figure shows.
"""

from __future__ import annotations

from typing import Callable

import ipywidgets as widgets
import numpy as np

from . import landscapes as L
from . import linesearch, plotting, schedules as S, sweeps, theory
from .optimizers import GD, Adadelta, Adagrad, Adam, AdamW, Momentum, Nesterov, RMSprop
from .run import run

__all__ = ["Dashboard", "log_slider", "gd_parabola", "zigzag", "curvature_race", "momentum_explorer", "nesterov_paths",
           "schedule_explorer", "schedule_tabs", "escape_wells", "adaptive_race", "adam_eps", "range_test_explorer", "curve_picker"]


def log_slider(description: str, value: float, low: float, high: float, step: float = 0.05, **kw):
    """A learning-rate slider: equal distances are equal factors (10**low … 10**high)."""
    return widgets.FloatLogSlider(value=value, base=10, min=np.log10(low), max=np.log10(high), step=step,
                                  description=description, readout_format=".2e",
                                  style={"description_width": "initial"}, **kw)


class Dashboard:
    """Controls, a figure, and an ``update(**values)`` that moves its dynamic artists.

    ``fig`` is a Figure or a ``plotting.Blit``; with a Blit only the artists it lists are
    redrawn on a slider event, over a background rendered once.
    """

    def __init__(self, controls: dict, fig, update: Callable, dpi: int = 72, name: str | None = None):
        self.name = name or update.__qualname__.split(".")[0]
        self.blit = fig if isinstance(fig, plotting.Blit) else plotting.Blit(fig)
        self.controls, self.fig, self._update = controls, self.blit.fig, update
        self.fig.set_dpi(dpi)
        self.state: dict = {}
        self.image = widgets.Image(format="png")
        for control in controls.values():
            control.observe(lambda change: self.refresh(), names="value")
        self.widget = widgets.VBox([widgets.HBox(list(controls.values()),
                                                 layout=widgets.Layout(flex_flow="row wrap")), self.image])
        self.widget.add_class(f"lrc-dashboard-{self.name}")   # lets the browser test name it
        self.refresh()

    def values(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    def refresh(self) -> None:
        self.state = self._update(**self.values()) or {}
        self.image.value = self.blit.png()

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def _describe_run(result, name="run"):
    if result.diverged:
        return f"{name}: diverged at step {result.diverged_at}"
    return f"{name}: loss {float(result.loss):.2e} after {result.steps} steps"


# --------------------------------------------------------------------------- 01


def gd_parabola(lr: float = 0.3, curvature: float = 1.0, steps: int = 25) -> Dashboard:
    """GD on L(w) = a/2·w²: one slider shows creeping, oscillating and diverging runs. The
    regime in the title comes from the factor q = 1 − η·a, which multiplies w exactly at
    every step, not from the few steps drawn (at η·a = 2.2 the run grows slowly but surely):
    0 < q < 1 monotone, q = 0 one step, −1 < q < 0 oscillates, q = −1 (η·a = 2) bounces
    forever and neither converges nor diverges, q < −1 diverges."""

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
    ax_path.plot(w, land.value(w[:, None]), color="0.4")
    (line,) = ax_path.plot([], [], "o-", color="crimson", ms=4)
    ax_path.set(xlim=(-3, 3), ylim=(-0.2, 5), xlabel="w", ylabel="L(w)")
    loss_line = plotting.loss_curve(ax_loss, np.ones(steps + 1))
    ax_loss.set(xlim=(0, steps), ylim=(1e-12, 1e6))
    blit = plotting.Blit(fig, [line, loss_line, ax_path.title, ax_loss.title])
    controls = {"lr": log_slider("learning rate η", lr, 1e-2, 3.5)}

    def update(lr):
        r = run(land, GD(lr=lr), x0=[2.0], steps=steps)
        xs = plotting.clip_to_window(r.xs, ((-3.0, 3.0),))[:, 0]
        line.set_data(xs, land.value(xs[:, None]))
        plotting.loss_curve(ax_loss, r.losses, line=loss_line)
        factor = 1.0 - lr * curvature
        regime = regime_of(factor)
        size = "" if regime.startswith(("one", "neither")) else f": |w| × {abs(factor):.2f} per step"
        ax_path.set_title(f"η·L = {lr * curvature:.2f}, factor 1 − η·L = {factor:+.2f}\n{regime}{size}")
        ax_loss.set_title(_describe_run(r, "GD"))
        return {"result": r, "regime": regime, "factor": factor}

    return Dashboard(controls, blit, update)


def zigzag(kappa: float = 20.0, lr_fraction: float = 0.9, steps: int = 60) -> Dashboard:
    """GD on a rotated bowl: the rate is limited by the steep direction (2/L) while the flat
    one (μ) sets the pace. Sliders: condition number κ and η as a fraction of 2/L."""
    fig, (ax_path, ax_loss) = plotting.figure(2)
    controls = {"kappa": log_slider("condition number κ", kappa, 1, 1000, continuous_update=False),
                "lr_fraction": widgets.FloatSlider(value=lr_fraction, min=0.05, max=1.1, step=0.01,
                                                   description="η / (2/L)", style={"description_width": "initial"})}
    x0 = np.array([-2.0, 1.5])
    land0 = L.Quadratic.from_condition(kappa, L=1.0, angle=np.pi / 6)
    image = plotting.contours(ax_path, land0, levels=0)
    path_line = plotting.path(ax_path, x0[None])
    loss_line = plotting.loss_curve(ax_loss, np.ones(steps + 1), label="GD")
    ax_loss.set(xlim=(0, steps), ylim=(1e-14, 1e6))
    blit = plotting.Blit(fig, [image, *ax_path.lines, loss_line, ax_path.title, ax_loss.title])
    cache = {"kappa": kappa, "land": land0}

    def update(kappa, lr_fraction):
        if cache["kappa"] != kappa:  # the landscape only changes with κ
            cache.update(kappa=kappa, land=L.Quadratic.from_condition(kappa, L=1.0, angle=np.pi / 6))
            plotting.refill(image, cache["land"])
        land = cache["land"]
        lr = lr_fraction * theory.gd_stability_limit(land.L)
        r = run(land, GD(lr=lr), x0, steps=steps)
        plotting.path(ax_path, plotting.clip_to_window(r.xs, land.window), line=path_line)
        plotting.loss_curve(ax_loss, r.losses, line=loss_line)
        ax_path.set_title(f"κ = {kappa:.0f}, η = {lr:.3g}")
        ax_loss.set_title(_describe_run(r, "GD"))
        return {"result": r, "lr": lr}

    return Dashboard(controls, blit, update)


# --------------------------------------------------------------------------- 02


def curvature_race(kappa: float = 30.0, angle: float = 0.0, lr0: float = 100.0, steps: int = 150) -> Dashboard:
    """Fixed η, a per-coordinate (diagonal) η, Armijo backtracking and Newton on one bowl.

    The fixed rate 2/(L+μ) and the diagonal rate read the Hessian (oracle knowledge); the
    line search only evaluates the loss, starting every step from the trial step ``lr0``
    (a slider: still a knob) and halving it until Armijo's condition holds. The title counts
    its backtracks: a trial step up to 2(1 − c)/L (e.g. 1/L) never backtracks: that is plain GD."""
    fig, (ax_path, ax_loss) = plotting.figure(2)
    controls = {"kappa": log_slider("condition number κ", kappa, 1, 1000, continuous_update=False),
                "angle": widgets.FloatSlider(value=angle, min=0, max=np.pi / 2, step=np.pi / 36,
                                             description="rotation (rad)", continuous_update=False,
                                             style={"description_width": "initial"}),
                "lr0": log_slider("Armijo trial step η₀", lr0, 0.5, 1000, continuous_update=False)}
    x0 = np.array([-2.0, 1.5])
    names = ["GD, η = 2/(L+μ)", "diagonal η = 1/H_ii", "Armijo backtracking", "Newton"]
    short = ["GD", "diagonal", "Armijo", "Newton"]
    labels = ["GD, η = 2/(L+μ) (knows L, μ)", "diagonal η = 1/H_ii (knows H)", "Armijo, from trial step η₀",
              "Newton (knows H)"]
    colors = ["crimson", "darkorange", "purple", "black"]
    image = plotting.contours(ax_path, L.Quadratic.from_condition(kappa, L=1.0, angle=angle), levels=0)
    paths = [plotting.path(ax_path, x0[None], color=c, label=n) for n, c in zip(labels, colors)]
    losses = [plotting.loss_curve(ax_loss, np.ones(steps + 1), label=n, color=c) for n, c in zip(labels, colors)]
    # Runs that solve the bowl exactly (Newton, and the diagonal rate on an unrotated bowl) drop
    # to loss 0: draw them along the floor and dashed, so they stay visible above the others.
    floor = 1e-16
    for line in (paths[-1], losses[-1]):
        line.set_linestyle("--")
    ax_loss.set(xlim=(0, steps), ylim=(floor / 3, 1e2), ylabel="loss (exact 0 drawn at 1e-16)")
    ax_loss.legend(fontsize=8)
    blit = plotting.Blit(fig, [image, *ax_path.lines, *losses, ax_path.title, ax_loss.title])

    def update(kappa, angle, lr0):
        land = L.Quadratic.from_condition(kappa, L=1.0, angle=angle)
        diag = 1.0 / np.diag(land.A)  # one rate per coordinate from the Hessian's diagonal
        armijo = linesearch.backtracking(land, x0, steps, lr0=lr0)
        runs = [run(land, GD(lr=theory.best_gd_lr(land.L, land.mu)), x0, steps),
                run(land, GD(lr=diag), x0, steps),
                armijo,
                linesearch.newton(land, x0, steps)]
        plotting.refill(image, land)
        counts = {}
        for name, r, path_line, loss_line in zip(names, runs, paths, losses):
            plotting.path(ax_path, plotting.clip_to_window(r.xs, land.window), line=path_line)
            plotting.loss_curve(ax_loss, np.maximum(r.losses, floor), line=loss_line)
            counts[name] = r.steps_to(1e-8)
        taken = steps if armijo.stopped_at < 0 else int(armijo.stopped_at)
        backtracks = int(armijo.backtracks.sum())
        ax_path.set_title(f"κ = {kappa:.0f}, rotation {angle:.2f} rad, η₀ = {lr0:.3g}")
        shown = {s: str(c) if c >= 0 else f">{steps}" for s, c in zip(short, counts.values())}
        ax_loss.set_title(f"steps to loss 1e-8: GD {shown['GD']}, diagonal {shown['diagonal']}, "
                          f"Newton {shown['Newton']}\nArmijo {shown['Armijo']}, after {backtracks} backtracks "
                          f"({backtracks / max(taken, 1):.1f} per step)", fontsize=9)
        return {"steps_to_1e-8": counts, "armijo_backtracks": backtracks, "armijo": armijo}

    return Dashboard(controls, blit, update)


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
    fig, (ax_path, ax_map, ax_theory) = plotting.figure(3, width=4.2)
    fig.subplots_adjust(right=1 - 0.75 / fig.get_figwidth(), wspace=0.45)  # room for colour bars
    plotting.contours(ax_path, land)
    gd_line = plotting.path(ax_path, x0[None], color="0.3", label="GD, same η")
    hb_line = plotting.path(ax_path, x0[None], color="crimson", label="heavy ball")
    ax_path.legend(fontsize=8, loc="lower right")
    plotting.heatmap(ax_map, measured.loss.T, lrs, betas, diverged=measured.diverged.T, xlabel="η",
                     ylabel="momentum β", vmin=1e-20, label=f"loss after {steps} steps")
    ax_map.set_title("measured (one broadcast run)")
    plotting.heatmap(ax_theory, np.where(rates < 1, rates, np.nan).T, lrs, betas, xlabel="η", ylabel="momentum β",
                     vmin=np.floor(20 * opt_rate) / 20, vmax=1.0, label="rate per step", cmap="magma")
    edge = theory.momentum_stability_limit(land.L, betas)
    for ax in (ax_map, ax_theory):
        inside = edge <= lrs[-1]
        ax.plot(edge[inside], betas[inside], "--", color="deepskyblue", lw=1.4, label="η = (2 + 2β)/L")
        ax.plot([opt_lr], [opt_beta], "*", color="gold", ms=14, mec="k", label="theory's optimum")
        ax.set(xlim=(lrs[0], lrs[-1]), ylim=(betas[0], betas[-1]))
        ax.legend(loc="upper left", fontsize=7)
    ax_theory.set_title(f"theory: optimum η*={opt_lr:.2f}, β*={opt_beta:.2f}")
    markers = [plotting.mark(ax, lr, momentum) for ax in (ax_map, ax_theory)]
    controls = {"lr": log_slider("learning rate η", lr, lrs[0], lrs[-1]),
                "momentum": widgets.FloatSlider(value=momentum, min=0, max=0.99, step=0.01, description="momentum β")}
    blit = plotting.Blit(fig, [gd_line, hb_line, *markers, ax_path.title])

    def update(lr, momentum):
        gd = run(land, GD(lr=lr), x0, steps)
        hb = run(land, Momentum(lr=lr, momentum=momentum), x0, steps)
        plotting.path(ax_path, plotting.clip_to_window(gd.xs, land.window), line=gd_line)
        plotting.path(ax_path, plotting.clip_to_window(hb.xs, land.window), line=hb_line)
        for m, ax in zip(markers, (ax_map, ax_theory)):
            plotting.mark(ax, lr, momentum, marker=m)
        rate = theory.heavy_ball_rate(lr, momentum, [land.mu, land.L])
        ax_path.set_title(f"{_describe_run(hb, 'heavy ball')}\ntheory rate {rate:.3f}/step")
        return {"heavy_ball": hb, "gd": gd, "rate": rate}

    dash = Dashboard(controls, blit, update)
    dash.grid = measured
    return dash


def nesterov_paths(kappa: float = 50.0, lr: float = 0.5, momentum: float = 0.9, steps: int = 100,
                   grid: int = 80) -> Dashboard:
    """Heavy ball against Nesterov on one bowl (top curvature L = 1, smallest μ = 1/κ).

    Top left: both paths at the sliders' (η, β). Top right: each at its own optimum for
    curvatures in [μ, L] (``theory.heavy_ball_optimum``, ``theory.nesterov_optimum``).
    Bottom left: distance to the minimum against the step for all four runs. Bottom right:
    where each method converges over a grid of (η, β), measured in one broadcast run per
    method, with the theory's boundaries η = (2 + 2β)/L and η = (2 + 2β)/((1 + 2β)·L).
    The grid and the tuned runs are computed once; ``dash.region`` holds the grid."""
    from matplotlib import colors as mcolors

    land = L.Quadratic.from_condition(kappa, L=1.0, angle=np.pi / 6)
    x0 = np.array([-2.0, 1.5])
    methods = {"heavy ball": (Momentum, "crimson"), "Nesterov": (Nesterov, "royalblue")}
    optimum = {"heavy ball": theory.heavy_ball_optimum(land.L, land.mu),
               "Nesterov": theory.nesterov_optimum(land.L, land.mu)}
    lrs, betas = np.linspace(0.02, 4.0, grid), np.linspace(0.0, 0.99, grid)
    start = np.linalg.norm(x0 - land.minimizer)
    region = {}
    for name, (cls, _) in methods.items():   # one broadcast run per method over the whole grid
        g = sweeps.grid(land, cls, x0=x0, steps=2 * steps, lr=lrs, momentum=betas)
        dist = np.linalg.norm(g.x - land.minimizer, axis=-1)
        region[name] = ~g.diverged & (dist < start)          # the error shrank over 2·steps updates
    fig, axes = plotting.figure(2, 2, width=4.8, height=3.9)
    ax_same, ax_tuned, ax_dist, ax_region = axes
    fig.subplots_adjust(right=1 - 1.9 / fig.get_figwidth(), wspace=0.3)   # room for the region's legend
    lines, dist_lines = {}, {}
    for ax in (ax_same, ax_tuned):
        plotting.contours(ax, land, levels=8)
    for name, (cls, color) in methods.items():
        lines[name] = plotting.path(ax_same, x0[None], color=color, label=name)
        lr_opt, beta_opt, _ = optimum[name]
        tuned = run(land, cls(lr=lr_opt, momentum=beta_opt), x0, steps)
        plotting.path(ax_tuned, plotting.clip_to_window(tuned.xs, land.window), color=color,
                      label=f"{name} at η = {lr_opt:.2f}, β = {beta_opt:.2f}")
        d = np.linalg.norm(tuned.xs - land.minimizer, axis=-1)
        ax_dist.plot(np.arange(steps + 1), d, "--", color=color, lw=1, label=f"{name}, its optimum")
        (dist_lines[name],) = ax_dist.plot([], [], color=color, lw=1.5, label=f"{name}, sliders")
    ax_same.legend(fontsize=8, loc="lower right")
    ax_tuned.legend(fontsize=7, loc="lower right")
    ax_tuned.set_title("each at its own optimum for curvatures in [μ, L]", fontsize=9)
    ax_dist.set(yscale="log", xlim=(0, steps), ylim=(1e-12, 1e4), xlabel="step t", ylabel="distance to the minimum")
    ax_dist.legend(fontsize=7, loc="lower left")
    # 0: neither converges, 1: heavy ball only, 2: Nesterov only, 3: both
    code = region["heavy ball"].astype(int) + 2 * region["Nesterov"].astype(int)
    palette = ["0.55", "#f4a6a6", "#a6b8f4", "#c9e7c0"]
    ax_region.pcolormesh(lrs, betas, code.T, cmap=mcolors.ListedColormap(palette), vmin=-0.5, vmax=3.5,
                         shading="nearest")
    ax_region.plot(theory.momentum_stability_limit(land.L, betas), betas, "--", color="crimson", lw=1.2,
                   label="η = (2+2β)/L")
    ax_region.plot(theory.nesterov_stability_limit(land.L, betas), betas, "--", color="royalblue", lw=1.2,
                   label="η = (2+2β)/((1+2β)L)")
    for name, (_, color) in methods.items():
        ax_region.plot(*optimum[name][:2], "*", color=color, ms=13, mec="k", label=f"{name} optimum")
    for c, text in zip(palette, ["neither converges", "heavy ball only", "Nesterov only", "both converge"]):
        ax_region.plot([], [], "s", color=c, ms=9, label=text)
    ax_region.set(xlim=(0, lrs[-1]), ylim=(0, 1), xlabel="learning rate η (L = 1)", ylabel="momentum β")
    ax_region.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    ax_region.set_title(f"where each converges (measured, {2 * steps} steps)", fontsize=9)
    marker = plotting.mark(ax_region, lr, momentum)
    controls = {"lr": log_slider("learning rate η", lr, 0.02, 4.0),
                "momentum": widgets.FloatSlider(value=momentum, min=0, max=0.99, step=0.01, description="momentum β")}
    blit = plotting.Blit(fig, [*lines.values(), *dist_lines.values(), marker, ax_same.title])

    def update(lr, momentum):
        runs, rates = {}, {}
        for name, (cls, _) in methods.items():
            r = run(land, cls(lr=lr, momentum=momentum), x0, steps)
            plotting.path(ax_same, plotting.clip_to_window(r.xs, land.window), line=lines[name])
            dist_lines[name].set_data(np.arange(steps + 1), np.linalg.norm(r.xs - land.minimizer, axis=-1))
            runs[name] = r
        rates = {"heavy ball": theory.heavy_ball_rate(lr, momentum, [land.mu, land.L]),
                 "Nesterov": theory.nesterov_rate(lr, momentum, [land.mu, land.L])}
        plotting.mark(ax_region, lr, momentum, marker=marker)
        ax_same.set_title(f"same η = {lr:.3g}, β = {momentum:.2f}; theory rate per step:\n"
                          + ", ".join(f"{n} {v:.3f}" for n, v in rates.items()), fontsize=9)
        return {"heavy_ball": runs["heavy ball"], "nesterov": runs["Nesterov"], "rates": rates}

    dash = Dashboard(controls, blit, update)
    dash.region = {"lr": lrs, "momentum": betas, **region}
    dash.optimum = optimum
    return dash


# --------------------------------------------------------------------------- 04

SCHEDULE_SLIDERS = {
    # name: (factory, {argument: control builder})
    "constant": (lambda lr: S.constant(lr), {}),
    "time_based": (lambda lr, decay: S.time_based(lr, decay),
                   {"decay": lambda: log_slider("d", 0.01, 1e-4, 1.0)}),
    "inverse_time": (lambda lr, decay: S.inverse_time(lr, decay),
                     {"decay": lambda: log_slider("d", 0.05, 1e-4, 1.0)}),
    "inverse_scaling": (lambda lr, power: S.inverse_scaling(lr, power),
                        {"power": lambda: widgets.FloatSlider(value=0.5, min=0, max=1.5, step=0.05, description="p")}),
    "step_decay": (lambda lr, drop, every: S.step_decay(lr, drop, every),
                   {"drop": lambda: widgets.FloatSlider(value=0.5, min=0.05, max=1, step=0.05, description="drop d"),
                    "every": lambda: widgets.IntSlider(value=50, min=1, max=150, description="every r")}),
    "exponential": (lambda lr, decay: S.exponential(lr, decay),
                    {"decay": lambda: log_slider("d", 0.01, 1e-4, 0.2)}),
    "cosine": (lambda lr, T_max: S.cosine(lr, T_max, lr / 100),
               {"T_max": lambda: widgets.IntSlider(value=300, min=10, max=300, description="T_max")}),
    "cosine_restarts": (lambda lr, T_0, T_mult: S.cosine_restarts(lr, T_0, T_mult, lr / 100),
                        {"T_0": lambda: widgets.IntSlider(value=50, min=5, max=150, description="T_0"),
                         "T_mult": lambda: widgets.IntSlider(value=2, min=1, max=3, description="T_mult")}),
    "cyclic": (lambda lr, step_size_up, mode: S.cyclic(lr / 10, lr, step_size_up, mode=mode),
               {"step_size_up": lambda: widgets.IntSlider(value=30, min=2, max=150, description="half cycle"),
                "mode": lambda: widgets.Dropdown(options=["triangular", "triangular2", "exp_range"],
                                                 value="triangular", description="mode")}),
    "warmup": (lambda lr, steps: S.warmup(S.cosine(lr, 300, lr / 100), steps, 0.01),
               {"steps": lambda: widgets.IntSlider(value=30, min=1, max=150, description="warm-up")}),
    "one_cycle": (lambda lr, pct_start: S.one_cycle(lr, 301, pct_start),
                  {"pct_start": lambda: widgets.FloatSlider(value=0.3, min=0.05, max=0.9, step=0.05,
                                                            description="pct_start")}),
}


def schedule_explorer(name: str, lr: float = 0.4, steps: int = 300, sigma: float = 2.0, runs: int = 16) -> Dashboard:
    """One schedule with its own sliders: its curve, and what it does to GD with noisy
    gradients on a bowl (κ = 10), against the constant rate η₀.

    Each setting runs ``runs`` noisy runs in one broadcast call (noise from the course's base
    seed, ``sweeps.seeds``); the plot shows their mean loss and the title the mean ± standard
    error, over runs, of each run's mean loss in its last 50 steps.
    """
    if name not in SCHEDULE_SLIDERS:
        raise ValueError(f"name must be one of {', '.join(SCHEDULE_SLIDERS)}, got {name!r}")
    factory, extra = SCHEDULE_SLIDERS[name]
    controls = {"lr": log_slider("η₀ (peak)", lr, 1e-3, 0.9)}
    controls.update({k: make() for k, make in extra.items()})
    words = S.describe(factory(lr, **{k: c.value for k, c in controls.items() if k != "lr"}), numbers=False)
    bowl = L.Quadratic.from_condition(10.0, L=2.0)
    noisy = L.Noisy(bowl, sigma=sigma, seed=int(sweeps.seeds(1)[0]))
    fig, (ax_s, ax_l) = plotting.figure(2)
    x0 = np.tile([3.0, 3.0], (runs, 1))
    tail = min(50, steps)
    ones = np.ones(steps)
    curve = plotting.schedule_curve(ax_s, lambda t: ones, steps, color="crimson")
    ax_s.set(yscale="log", xlim=(0, steps), ylim=(1e-6, 2.0))
    const_line = plotting.loss_curve(ax_l, np.ones(steps + 1), label="constant rate η₀", color="0.6")
    sched_line = plotting.loss_curve(ax_l, np.ones(steps + 1), label=words, color="crimson")
    ax_l.set(xlim=(0, steps), ylim=(1e-4, 1e3), ylabel=f"loss, mean of {runs} runs")
    ax_l.legend(fontsize=8, loc="upper right")
    blit = plotting.Blit(fig, [curve, const_line, sched_line, ax_s.title, ax_l.title])

    def summary(result):
        per_run = result.losses[-tail:].mean(axis=0)
        if np.any(result.diverged):
            return np.inf, np.nan, "diverged"
        mean, se = float(per_run.mean()), float(per_run.std(ddof=1) / np.sqrt(per_run.size))
        return mean, se, f"{mean:.2e} ± {se:.1e}"

    def update(lr, **kw):
        schedule = factory(lr, **kw)
        scheduled = run(noisy, GD(lr=schedule), x0, steps)
        constant = run(noisy, GD(lr=lr), x0, steps)
        rates = schedule(np.arange(steps))
        plotting.schedule_curve(ax_s, schedule, steps, line=curve)
        plotting.loss_curve(ax_l, constant.losses.mean(axis=1), line=const_line)
        plotting.loss_curve(ax_l, scheduled.losses.mean(axis=1), line=sched_line)
        (final, final_se, final_text), (const, const_se, const_text) = summary(scheduled), summary(constant)
        ax_s.set_title(f"{words}: η from {rates.max():.2e} down to {rates.min():.2e}")
        ax_l.set_title(f"mean loss of the last {tail} steps, {runs} noisy runs\n{words} {final_text} "
                       f"vs constant {const_text}")
        return {"schedule": schedule, "rates": rates, "final": final, "final_se": final_se,
                "constant": const, "constant_se": const_se, "runs": runs}

    return Dashboard(controls, blit, update, name=f"schedule_explorer-{name}")


class _Tabs:
    """Several dashboards in the tabs of one widget; ``dashboards[name]`` for tests.
    ``selected`` names the tab that is open first."""

    def __init__(self, dashboards: dict, selected: str | None = None):
        self.dashboards = dashboards
        self.widget = widgets.Tab(children=[d.widget for d in dashboards.values()], titles=list(dashboards))
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


def schedule_tabs(lr: float = 0.4, open_on: str = "cosine") -> _Tabs:
    """Every schedule's dashboard, one tab each. It opens on ``open_on`` (cosine: at the
    default η₀ = 0.4 the constant rate sits at a high noise floor and cosine ends far below it),
    not on the constant rate, whose tab compares the constant rate with itself."""
    return _Tabs({name: schedule_explorer(name, lr=lr) for name in SCHEDULE_SLIDERS}, selected=open_on)


def escape_wells(peak: float = 1.0, steps: int = 300) -> Dashboard:
    """Constant, cosine-with-restarts and cyclic rates on the multi-well landscape, all from
    the same start in a shallow well. Slider: the peak rate. The title names the well each
    run settled in (gradient norm below 1e-3 at the end), or says that it did not settle."""
    land = L.MultiWell()
    x0 = np.array([0.45, 0.35])   # inside the shallow well near (0.3, 0.2)
    low = 0.02
    fig, (ax_path, ax_lr) = plotting.figure(2)
    plotting.contours(ax_path, land)
    colors = {"constant (η_min)": "0.3", "cosine restarts": "crimson", "cyclic": "purple"}
    lines = {k: plotting.path(ax_path, x0[None], color=c, label=k) for k, c in colors.items()}
    ax_path.legend(fontsize=8, loc="lower left")
    curves = {k: plotting.schedule_curve(ax_lr, S.constant(low), steps, label=k, color=c) for k, c in colors.items()}
    ax_lr.set(yscale="log", xlim=(0, steps), ylim=(low / 2, 10.0))
    ax_lr.legend(fontsize=8, loc="upper right")
    blit = plotting.Blit(fig, [*lines.values(), *curves.values(), ax_path.title])
    controls = {"peak": log_slider("peak η", peak, 0.05, 5.0)}

    def update(peak):
        scheds = {"constant (η_min)": S.constant(low),
                  "cosine restarts": S.cosine_restarts(peak, T_0=60, eta_min=low),
                  "cyclic": S.cyclic(low, peak, step_size_up=30)}
        ends = {}
        for k, s in scheds.items():
            r = run(land, GD(lr=s), x0, steps)
            plotting.path(ax_path, plotting.clip_to_window(r.xs, land.window), line=lines[k])
            plotting.schedule_curve(ax_lr, s, steps, line=curves[k])
            well = int(np.argmin(np.linalg.norm(land.minimizers - r.x, axis=1)))
            # settled = stationary (small gradient), not merely "the last point is near a minimum"
            settled = bool(not r.diverged and np.linalg.norm(land.grad(r.x)) < 1e-3)
            ends[k] = {"well": well, "settled": settled, "loss": float(r.loss), "diverged": bool(r.diverged)}
        ax_path.set_title("this start ends in well (0 = deepest): "
                          + ", ".join(str(e["well"]) if e["settled"] else "not settled" for e in ends.values()))
        return {"ends": ends}

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
RACE_COLORS = {"GD": "0.55", "Momentum": "0.15", "Adagrad": "tab:blue", "Adadelta": "tab:green",
               "RMSprop": "tab:orange", "Adam": "crimson"}
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
    ``rate_factor`` times its own best rate from ``tune_race`` (so a fair race at 1)."""
    fig, (ax_path, ax_loss) = plotting.figure(2)
    controls = {"landscape": widgets.Dropdown(options=list(RACE_LANDSCAPES), value=landscape, description="landscape"),
                "rate_factor": log_slider("η ÷ tuned η", rate_factor, 0.1, 10.0)}
    names = list(RACE_METHODS)
    losses = [plotting.loss_curve(ax_loss, np.ones(steps + 1), label=n, color=RACE_COLORS[n]) for n in names]
    ax_loss.axhline(RACE_FLOOR, color="0.5", ls=":", lw=1)
    ax_loss.set(xlim=(0, steps), ylim=(RACE_FLOOR / 100, 1e3), ylabel="(loss − min) / (loss at start − min)")
    ax_loss.legend(fontsize=7, loc="lower left")
    blit = plotting.Blit(fig)
    cache = {}

    def update(landscape, rate_factor):
        land = RACE_LANDSCAPES[landscape][0]
        tuned = tune_race(landscape, steps=steps)
        x0 = tuned["starts"][0]
        if cache.get("landscape") != landscape:   # a new landscape: redraw the static background
            ax_path.clear()
            plotting.contours(ax_path, land)
            cache.update(landscape=landscape,
                         lines=[plotting.path(ax_path, x0[None], color=RACE_COLORS[n], label=n) for n in names])
            ax_path.legend(fontsize=7, loc="lower right")
            blit.dynamic = [*cache["lines"], *losses, ax_loss.title]
            blit.invalidate()
        runs = cache.setdefault("runs", {})   # rerun only what a slider changed
        if len(runs) > 512:
            runs.clear()
        finals, rates = {}, {}
        for name, path_line, loss_line in zip(names, cache["lines"], losses):
            rates[name] = rate_factor * tuned["best_lr"][name]
            key = (landscape, name, rates[name], x0.tobytes())
            if key not in runs:
                runs[key] = run(land, RACE_METHODS[name](rates[name]), x0, steps)
            r = runs[key]
            gap = (r.losses - land.min_value) / (r.losses[0] - land.min_value)
            plotting.path(ax_path, plotting.clip_to_window(r.xs, land.window), line=path_line)
            plotting.loss_curve(ax_loss, np.maximum(gap, 1e-300), line=loss_line)
            finals[name] = float(gap[-1]) if not r.diverged else np.inf
        best = min(finals, key=finals.get)
        ax_loss.set_title(f"{landscape}, each η = {rate_factor:.2g} × tuned η\n"
                          f"lowest final loss from this start: {best}", fontsize=10)
        return {"finals": finals, "rates": rates, "tuned": tuned}

    return Dashboard(controls, blit, update)


def adam_eps(eps: float = 1e-8, bias_correction: bool = True, steps: int = 60) -> Dashboard:
    """Adam's per-coordinate step size |Δw| over the first steps, for gradients of very
    different scale (1e-6, 1e-2, 1 and 100): what ε and bias correction do."""
    scales = np.array([1e-6, 1e-2, 1.0, 1e2])
    fig, (ax,) = plotting.figure(1, width=6)
    lines = [ax.plot([], [], label=f"|g| = {s:g}")[0] for s in scales]
    ax.set(yscale="log", xlim=(1, steps), ylim=(1e-9, 30.0), xlabel="step t", ylabel="|step| / η")
    ax.legend(fontsize=8, loc="lower right")
    blit = plotting.Blit(fig, [*lines, ax.title])
    controls = {"eps": log_slider("ε", eps, 1e-12, 1.0), "bias_correction": widgets.Checkbox(
        value=bias_correction, description="bias correction")}

    def update(eps, bias_correction):
        opt = Adam(lr=1.0, eps=eps, bias_correction=bias_correction)
        # a constant gradient of each scale, so only Adam's normalisation shows
        r = run(lambda x: (np.zeros(x.shape[:-1]), np.broadcast_to(scales, x.shape)), opt, np.zeros(4), steps)
        step = np.abs(np.diff(r.xs, axis=0))
        for line, s in zip(lines, step.T):
            line.set_data(np.arange(1, steps + 1), s)
        ax.set_title(f"ε = {eps:.0e}, bias correction {'on' if bias_correction else 'off'}: "
                     f"first step {step[0].round(4).tolist()}")
        return {"steps": step}

    return Dashboard(controls, blit, update)


# --------------------------------------------------------------------------- 06


def range_test_explorer(problem, x0, optimizer=None, lr_min: float = 1e-5, lr_max: float = 10.0,
                        beta: float = 0.98, steps: int = 100, ylim=(0.0, 4.0)) -> Dashboard:
    """The range test on a numpy problem with sliders for the range and the smoothing; the
    three suggestion rules are marked on the curve."""
    from . import lr_finder as F

    fig, (ax,) = plotting.figure(1, width=7.0)
    raw, = ax.plot([], [], color="0.7", lw=1, label="loss")
    smoothed, = ax.plot([], [], color="crimson", lw=2, label="smoothed")
    colors = {"steepest": "tab:blue", "minimum/10": "tab:green", "valley": "tab:purple"}
    marks = {rule: ax.axvline(1.0, color=c, ls="--", lw=1.4, label=rule) for rule, c in colors.items()}
    ax.set(xscale="log", xlim=(1e-7, 1e3), ylim=ylim, xlabel="learning rate η", ylabel="training loss")
    ax.legend(fontsize=8, loc="upper left")
    blit = plotting.Blit(fig, [raw, smoothed, *marks.values(), ax.title])
    controls = {"lr_min": log_slider("η min", lr_min, 1e-7, 1e-2, continuous_update=False),
                "lr_max": log_slider("η max", lr_max, 1e-2, 1e3, continuous_update=False),
                "beta": widgets.FloatSlider(value=beta, min=0.0, max=0.995, step=0.005, description="smoothing β",
                                            readout_format=".3f", style={"description_width": "initial"})}

    def update(lr_min, lr_max, beta):
        rt = F.range_test(problem, x0, optimizer, lr_min, lr_max, steps, beta)
        raw.set_data(rt.lrs, rt.losses)
        smoothed.set_data(rt.lrs, rt.smoothed)
        found = rt.suggestions()
        for rule, line in marks.items():
            line.set_xdata([found[rule], found[rule]])
        where = f"stopped at η = {rt.lrs[-1]:.2g}" if rt.stopped_at >= 0 else "never ran away"
        ax.set_title(f"{where}; " + ", ".join(f"{k} {v:.2g}" for k, v in found.items()))
        return {"test": rt, "suggestions": found}

    return Dashboard(controls, blit, update)


# --------------------------------------------------------------------------- 07


def curve_picker(histories: dict, smooth_steps: int = 10, chance: float | None = None) -> Dashboard:
    """Training curves computed beforehand for several rates (``{lr: training.History}``);
    a slider over those rates shows one run's per-step training loss and its per-epoch
    training and validation loss (epochs counted from 1), so a learner can learn to read
    them. The y axes fit the chosen run (a spike of one run does not flatten the others);
    ``chance`` draws a reference level on both panels (ln of the number of classes)."""
    rates = sorted(histories)
    fig, (ax_step, ax_epoch) = plotting.figure(2)
    step_line, = ax_step.plot([], [], color="0.6", lw=0.8, label="per step")
    mean_line, = ax_step.plot([], [], color="crimson", lw=1.8, label=f"mean of {smooth_steps}")
    n_steps = max(len(h.losses) for h in histories.values())
    n_epochs = max(len(h.epochs) for h in histories.values())
    train_line, = ax_epoch.plot([], [], "o-", color="tab:blue", label="training")
    val_line, = ax_epoch.plot([], [], "o-", color="tab:orange", label="validation")
    if chance is not None:
        for ax in (ax_step, ax_epoch):
            ax.axhline(chance, color="k", ls=":", lw=1, label="chance level")
    ax_step.set(yscale="log", xlim=(0, n_steps), xlabel="step", ylabel="training loss")
    ax_epoch.set(yscale="log", xlim=(0.5, n_epochs + 0.5), xlabel="epoch", ylabel="loss")
    ax_step.legend(fontsize=8, loc="upper right")
    ax_epoch.legend(fontsize=8, loc="upper right")
    blit = plotting.Blit(fig, [step_line, mean_line, train_line, val_line, ax_step.title, ax_epoch.title])
    controls = {"lr": widgets.SelectionSlider(options=[(f"{r:.1e}", r) for r in rates],
                                              value=rates[len(rates) // 2], description="learning rate η",
                                              style={"description_width": "initial"})}

    from matplotlib.ticker import FuncFormatter, NullFormatter

    plain = FuncFormatter(lambda v, _: f"{v:g}")

    def fit_limits(ax, values):
        values = np.asarray(values, dtype=float)
        values = values[np.isfinite(values) & (values > 0)]
        if chance is not None:
            values = np.append(values, chance)
        if not values.size:
            return
        low, high = max(values.min(), 1e-8), max(values.max(), values.min() * 1.01)
        if high / low < 3:          # a nearly flat run: a linear axis shows its wiggles
            ax.set_yscale("linear")
            pad = 0.08 * (high - low) + 0.01 * high
            ax.set_ylim(low - pad, high + pad)
            ax.ticklabel_format(axis="y", useOffset=False)
        else:                       # a log axis, padded by a share of its decades
            ax.set_yscale("log")
            pad = 0.06 * np.log10(high / low)
            low, high = low / 10 ** pad, high * 10 ** pad
            ax.set_ylim(low, high)
            # plain numbers ("0.4", "2", "300"): narrow labels that fit the fixed margins;
            # intermediate ticks are labelled only when the axis spans about a decade or less
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(plain if high / low < 20 else NullFormatter())

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
        fit_limits(ax_step, losses)
        fit_limits(ax_epoch, np.concatenate([h.column("train_loss"), h.column("val_loss")]))
        blit.invalidate()                      # the y axes changed: redraw their ticks
        ax_step.set_title(f"η = {lr:.1e}" + (f": diverged at step {h.diverged_at}" if h.diverged_at >= 0 else ""))
        best = h.final
        ax_epoch.set_title(f"lowest validation loss {best.get('val_loss', np.nan):.3f} (epoch {h.best_epoch + 1})")
        return {"history": h}

    return Dashboard(controls, blit, update)
