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
from .optimizers import GD, Adadelta, Adagrad, Adam, AdamW, Momentum, RMSprop
from .run import run

__all__ = ["Dashboard", "log_slider", "gd_parabola", "zigzag", "curvature_race", "momentum_explorer",
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
    """GD on L(w) = a/2·w²: one slider shows creeping, oscillating and diverging runs."""
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
        x = r.xs[: (r.diverged_at if r.diverged else steps + 1), 0]
        if r.diverged:
            regime = f"diverges (step {r.diverged_at})"
        elif np.any(np.sign(x[1:]) * np.sign(x[:-1]) < 0):
            regime = "oscillates but converges"
        else:
            regime = "monotone"
        ax_path.set_title(f"η·L = {lr * curvature:.2f}: {regime}")
        ax_loss.set_title(_describe_run(r, "GD"))
        return {"result": r, "regime": regime}

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


def curvature_race(kappa: float = 30.0, angle: float = 0.0, steps: int = 60) -> Dashboard:
    """Fixed η, a per-coordinate (diagonal) η, Armijo backtracking and Newton on one bowl."""
    fig, (ax_path, ax_loss) = plotting.figure(2)
    controls = {"kappa": log_slider("condition number κ", kappa, 1, 1000, continuous_update=False),
                "angle": widgets.FloatSlider(value=angle, min=0, max=np.pi / 2, step=np.pi / 36,
                                             description="rotation (rad)", continuous_update=False,
                                             style={"description_width": "initial"})}
    x0 = np.array([-2.0, 1.5])
    names = ["GD, η = 2/(L+μ)", "diagonal η = 1/H_ii", "Armijo backtracking", "Newton"]
    colors = ["crimson", "darkorange", "purple", "black"]
    image = plotting.contours(ax_path, L.Quadratic.from_condition(kappa, L=1.0, angle=angle), levels=0)
    paths = [plotting.path(ax_path, x0[None], color=c, label=n) for n, c in zip(names, colors)]
    losses = [plotting.loss_curve(ax_loss, np.ones(steps + 1), label=n, color=c) for n, c in zip(names, colors)]
    ax_loss.set(xlim=(0, steps), ylim=(1e-16, 1e2))
    ax_loss.legend(fontsize=8)
    blit = plotting.Blit(fig, [image, *ax_path.lines, *losses, ax_path.title, ax_loss.title])

    def update(kappa, angle):
        land = L.Quadratic.from_condition(kappa, L=1.0, angle=angle)
        diag = 1.0 / np.diag(land.A)  # one rate per coordinate from the Hessian's diagonal
        runs = [run(land, GD(lr=theory.best_gd_lr(land.L, land.mu)), x0, steps),
                run(land, GD(lr=diag), x0, steps),
                linesearch.backtracking(land, x0, steps),
                linesearch.newton(land, x0, steps)]
        plotting.refill(image, land)
        counts = {}
        for name, r, path_line, loss_line in zip(names, runs, paths, losses):
            plotting.path(ax_path, plotting.clip_to_window(r.xs, land.window), line=path_line)
            plotting.loss_curve(ax_loss, np.maximum(r.losses, 1e-300), line=loss_line)
            counts[name] = r.steps_to(1e-8)
        ax_path.set_title(f"κ = {kappa:.0f}, rotation {angle:.2f} rad")
        ax_loss.set_title("steps to loss 1e-8: " + ", ".join(str(c) if c >= 0 else ">" + str(steps)
                                                             for c in counts.values()))
        return {"steps_to_1e-8": counts}

    return Dashboard(controls, blit, update)


# --------------------------------------------------------------------------- 03


def momentum_explorer(kappa: float = 50.0, lr: float = 0.5, momentum: float = 0.6, steps: int = 100,
                      grid: int = 120) -> Dashboard:
    """Heavy ball on a bowl: the path, the measured (η, μ) map, and the theory's rate map,
    with the sliders' point marked on both maps. The maps are computed once."""
    land = L.Quadratic.from_condition(kappa, L=1.0, angle=np.pi / 6)
    x0 = np.array([-2.0, 1.5])
    lrs, mus = np.logspace(-2, np.log10(4.0), grid), np.linspace(0, 0.99, grid)
    measured = sweeps.grid(land, Momentum, x0=x0, steps=steps, lr=lrs, momentum=mus)
    rates = theory.rate_map(lrs, mus, [land.mu, land.L])
    fig, (ax_path, ax_map, ax_theory) = plotting.figure(3, width=4.2)
    fig.subplots_adjust(right=1 - 0.75 / fig.get_figwidth(), wspace=0.45)  # room for colour bars
    plotting.contours(ax_path, land)
    gd_line = plotting.path(ax_path, x0[None], color="0.3", label="GD, same η")
    hb_line = plotting.path(ax_path, x0[None], color="crimson", label="heavy ball")
    ax_path.legend(fontsize=8, loc="lower right")
    plotting.heatmap(ax_map, measured.loss.T, lrs, mus, diverged=measured.diverged.T, xlabel="η", ylabel="μ",
                     vmin=1e-20, label=f"loss after {steps} steps")
    ax_map.set_title("measured (one broadcast run)")
    plotting.heatmap(ax_theory, np.where(rates < 1, rates, np.nan).T, lrs, mus, xlabel="η", ylabel="μ",
                     vmin=0.3, vmax=1.0, label="rate per step", cmap="magma")
    opt_lr, opt_mu, opt_rate = theory.heavy_ball_optimum(land.L, land.mu)
    ax_theory.plot([opt_lr], [opt_mu], "*", color="gold", ms=14, mec="k")
    ax_theory.set_title(f"theory: optimum η*={opt_lr:.2f}, μ*={opt_mu:.2f}")
    markers = [plotting.mark(ax, lr, momentum) for ax in (ax_map, ax_theory)]
    controls = {"lr": log_slider("learning rate η", lr, lrs[0], lrs[-1]),
                "momentum": widgets.FloatSlider(value=momentum, min=0, max=0.99, step=0.01, description="momentum μ")}
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


def schedule_explorer(name: str, lr: float = 0.4, steps: int = 300, sigma: float = 2.0) -> Dashboard:
    """One schedule with its own sliders: its curve, and what it does to SGD with noisy
    gradients on a bowl (κ = 10), against the constant rate η₀."""
    if name not in SCHEDULE_SLIDERS:
        raise ValueError(f"name must be one of {', '.join(SCHEDULE_SLIDERS)}, got {name!r}")
    factory, extra = SCHEDULE_SLIDERS[name]
    controls = {"lr": log_slider("η₀ (peak)", lr, 1e-3, 0.9)}
    controls.update({k: make() for k, make in extra.items()})
    bowl = L.Quadratic.from_condition(10.0, L=2.0)
    fig, (ax_s, ax_l) = plotting.figure(2)
    x0 = np.array([3.0, 3.0])
    ones = np.ones(steps)
    curve = plotting.schedule_curve(ax_s, lambda t: ones, steps, color="crimson")
    ax_s.set(yscale="log", xlim=(0, steps), ylim=(1e-6, 2.0))
    const_line = plotting.loss_curve(ax_l, np.ones(steps + 1), label="constant η₀", color="0.6")
    sched_line = plotting.loss_curve(ax_l, np.ones(steps + 1), label=name, color="crimson")
    ax_l.set(xlim=(0, steps), ylim=(1e-4, 1e3))
    ax_l.legend(fontsize=8, loc="upper right")
    blit = plotting.Blit(fig, [curve, const_line, sched_line, ax_s.title, ax_l.title])

    def update(lr, **kw):
        schedule = factory(lr, **kw)
        noisy = L.Noisy(bowl, sigma=sigma, seed=1)
        scheduled = run(noisy, GD(lr=schedule), x0, steps)
        constant = run(noisy, GD(lr=lr), x0, steps)
        rates = schedule(np.arange(steps))
        plotting.schedule_curve(ax_s, schedule, steps, line=curve)
        plotting.loss_curve(ax_l, constant.losses, line=const_line)
        plotting.loss_curve(ax_l, scheduled.losses, line=sched_line)
        tail = lambda r: float(np.nanmean(r.losses[-50:]))
        ax_s.set_title(f"{name}: η from {rates.max():.2e} down to {rates.min():.2e}")
        ax_l.set_title(f"noisy GD: mean loss of last 50 steps\n{name} {tail(scheduled):.2e} "
                       f"vs constant {tail(constant):.2e}")
        return {"schedule": schedule, "rates": rates, "final": tail(scheduled), "constant": tail(constant)}

    return Dashboard(controls, blit, update, name=f"schedule_explorer-{name}")


class _Tabs:
    """Several dashboards in the tabs of one widget; ``dashboards[name]`` for tests."""

    def __init__(self, dashboards: dict):
        self.dashboards = dashboards
        self.widget = widgets.Tab(children=[d.widget for d in dashboards.values()], titles=list(dashboards))

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def schedule_tabs(lr: float = 0.4) -> _Tabs:
    """Every schedule's dashboard, one tab each."""
    return _Tabs({name: schedule_explorer(name, lr=lr) for name in SCHEDULE_SLIDERS})


def escape_wells(peak: float = 1.0, steps: int = 300) -> Dashboard:
    """Constant, cosine-with-restarts and cyclic rates on the multi-well landscape, all from
    the same start in a shallow well. Slider: the peak rate."""
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
            ends[k] = {"well": well, "loss": float(r.loss), "diverged": bool(r.diverged)}
        ax_path.set_title("final wells (0 = deepest): " + ", ".join(str(e["well"]) for e in ends.values()))
        return {"ends": ends}

    return Dashboard(controls, blit, update)


# --------------------------------------------------------------------------- 05

RACE_LANDSCAPES = {
    "Rosenbrock": (L.Rosenbrock(), np.array([-1.5, 2.0])),
    "bowl κ=100": (L.Quadratic.from_condition(100.0, L=1.0, angle=np.pi / 6), np.array([-2.0, 1.5])),
}


def adaptive_race(landscape: str = "Rosenbrock", lr_adaptive: float = 0.05, lr_momentum: float = 1e-3,
                  steps: int = 500) -> Dashboard:
    """Momentum, Adagrad, Adadelta, RMSprop, Adam and AdamW from the same start."""
    fig, (ax_path, ax_loss) = plotting.figure(2)
    controls = {"landscape": widgets.Dropdown(options=list(RACE_LANDSCAPES), value=landscape, description="landscape"),
                "lr_adaptive": log_slider("η adaptive", lr_adaptive, 1e-3, 1.0),
                "lr_momentum": log_slider("η momentum", lr_momentum, 1e-5, 1.0)}
    names = ["Momentum", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW"]
    colors = ["0.3", "tab:blue", "tab:green", "tab:orange", "crimson", "purple"]
    losses = [plotting.loss_curve(ax_loss, np.ones(steps + 1), label=n, color=c) for n, c in zip(names, colors)]
    ax_loss.set(xlim=(0, steps), ylim=(1e-12, 1e4), ylabel="loss − min")
    ax_loss.legend(fontsize=7, loc="lower left")
    blit = plotting.Blit(fig)
    cache = {}

    def update(landscape, lr_adaptive, lr_momentum):
        land, x0 = RACE_LANDSCAPES[landscape]
        if cache.get("landscape") != landscape:   # a new landscape: redraw the static background
            ax_path.clear()
            plotting.contours(ax_path, land)
            cache.update(landscape=landscape,
                         lines=[plotting.path(ax_path, x0[None], color=c, label=n) for n, c in zip(names, colors)])
            ax_path.legend(fontsize=7, loc="lower right")
            blit.dynamic = [*cache["lines"], *losses, ax_loss.title]
            blit.invalidate()
        opts = [Momentum(lr=lr_momentum, momentum=0.9), Adagrad(lr=lr_adaptive), Adadelta(lr=1.0),
                RMSprop(lr=lr_adaptive), Adam(lr=lr_adaptive), AdamW(lr=lr_adaptive, weight_decay=0.01)]
        finals = {}
        runs = cache.setdefault("runs", {})   # a slider moves one rate: rerun only what uses it
        if len(runs) > 512:
            runs.clear()
        for name, opt, path_line, loss_line in zip(names, opts, cache["lines"], losses):
            key = (landscape, opt)
            if key not in runs:
                runs[key] = run(land, opt, x0, steps)
            r = runs[key]
            plotting.path(ax_path, plotting.clip_to_window(r.xs, land.window), line=path_line)
            plotting.loss_curve(ax_loss, r.losses - land.min_value + 1e-300, line=loss_line)
            finals[name] = float(r.loss) if not r.diverged else np.inf
        best = min(finals, key=finals.get)
        ax_loss.set_title(f"{landscape}, after {steps} steps\nlowest loss: {best}")
        return {"finals": finals}

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


def curve_picker(histories: dict, smooth_steps: int = 10) -> Dashboard:
    """Training curves computed beforehand for several rates (``{lr: training.History}``);
    a slider over those rates shows one run's per-step training loss and its per-epoch
    training and validation loss, so a learner can learn to read them."""
    rates = sorted(histories)
    fig, (ax_step, ax_epoch) = plotting.figure(2)
    step_line, = ax_step.plot([], [], color="0.6", lw=0.8, label="per step")
    mean_line, = ax_step.plot([], [], color="crimson", lw=1.8, label=f"mean of {smooth_steps}")
    n_steps = max(len(h.losses) for h in histories.values())
    n_epochs = max(len(h.epochs) for h in histories.values())
    finite = [v for h in histories.values() for v in h.losses if np.isfinite(v)]
    ax_step.set(yscale="log", xlim=(0, n_steps), ylim=(max(min(finite), 1e-4) / 2, max(finite) * 2),
                xlabel="step", ylabel="training loss")
    ax_step.legend(fontsize=8, loc="upper right")
    train_line, = ax_epoch.plot([], [], "o-", color="tab:blue", label="training")
    val_line, = ax_epoch.plot([], [], "o-", color="tab:orange", label="validation")
    ax_epoch.set(yscale="log", xlim=(-0.5, n_epochs - 0.5), ylim=ax_step.get_ylim(), xlabel="epoch", ylabel="loss")
    ax_epoch.legend(fontsize=8, loc="upper right")
    blit = plotting.Blit(fig, [step_line, mean_line, train_line, val_line, ax_step.title, ax_epoch.title])
    controls = {"lr": widgets.SelectionSlider(options=[(f"{r:.1e}", r) for r in rates],
                                              value=rates[len(rates) // 2], description="learning rate η",
                                              style={"description_width": "initial"})}

    def update(lr):
        h = histories[lr]
        losses = np.asarray(h.losses, dtype=float)
        step_line.set_data(np.arange(losses.size), losses)
        kernel = np.ones(smooth_steps) / smooth_steps
        mean = np.convolve(losses, kernel, mode="valid") if losses.size >= smooth_steps else losses
        mean_line.set_data(np.arange(mean.size) + smooth_steps - 1, mean)
        train_line.set_data(h.column("epoch"), h.column("train_loss"))
        val_line.set_data(h.column("epoch"), h.column("val_loss"))
        ax_step.set_title(f"η = {lr:.1e}" + (f": diverged at step {h.diverged_at}" if h.diverged_at >= 0 else ""))
        best = h.final
        ax_epoch.set_title(f"best validation loss {best.get('val_loss', np.nan):.3f} (epoch {h.best_epoch})")
        return {"history": h}

    return Dashboard(controls, blit, update)
