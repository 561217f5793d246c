CELLS = [
("md", r"""
# 03 · Momentum

**After this notebook you will be able to**
- write heavy-ball and Nesterov momentum and explain them as a ball with mass,
- read the (η, μ) map: where momentum helps, where it overshoots, where it diverges,
- compute the optimal pair (η*, μ*) on a quadratic and check it against a measured map,
- say when PyTorch's momentum convention differs from the textbook one.
"""),
("code", r"""
import numpy as np
import lrcourse as lrc
from lrcourse import landscapes, schedules, theory, widgets
"""),
("md", r"""
## 1. Heavy ball and Nesterov

Heavy ball (Polyak 1964): **Δw ← μ·Δw − η·∇L(w); w ← w + Δw.** The velocity Δw
remembers past gradients: along a direction where they agree it builds up to an effective
step η/(1 − μ); across a zig-zag they cancel. Too much mass (μ near 1) and the ball rolls
past the minimum and circles it.

Nesterov evaluates the gradient where the velocity is about to carry us (a look-ahead),
which brakes earlier.

The dashboard: the path of heavy ball (red) and plain GD at the same η (grey); the loss
after 100 steps over a 120 × 120 grid of (η, μ), computed in **one** broadcast call; and the
theory's rate per step over the same grid. The circle is your slider position.
"""),
("code", r"""
dash = widgets.momentum_explorer(kappa=50.0, lr=0.5, momentum=0.6)
dash
"""),
("md", r"""
## 2. The optimal pair, by theory and by experiment

On a quadratic with curvatures in [μ_min, L] the heavy-ball optimum is
η* = (2/(√L + √μ_min))², μ* = ((√κ − 1)/(√κ + 1))², with rate (√κ − 1)/(√κ + 1) per step,
against (κ − 1)/(κ + 1) for the best plain GD. Compare with the best cell of the measured map:
"""),
("code", r"""
bowl = landscapes.Quadratic.from_condition(50.0, L=1.0, angle=np.pi / 6)
lr_star, mu_star, rate_star = theory.heavy_ball_optimum(bowl.L, bowl.mu)
best = dash.grid.best()
print(f"theory:   η* = {lr_star:.3f}, μ* = {mu_star:.3f}, rate {rate_star:.3f} per step")
print(f"measured: best cell η = {best['lr']:.3f}, μ = {best['momentum']:.3f} (loss {best['loss']:.1e} after 100 steps)")
print(f"best GD rate for κ = 50: {theory.best_gd_rate(50.0):.3f} per step")
"""),
("md", r"""
The measured best cell sits near the theory's optimum but not on it: after a finite number of
steps, a little less momentum than μ* can win, because at μ* both ends of the spectrum are
*critically damped* (a double root), which adds a factor (1 + c·t) in front of the rate.
Counting steps to gain a factor 1000 at κ = 100:
"""),
("code", r"""
bowl100 = landscapes.Quadratic([1.0, 100.0])
lr_star, mu_star, rate_star = theory.heavy_ball_optimum(100.0, 1.0)
t = np.arange(400)
for axis, lam in enumerate(bowl100.eigenvalues):
    r = lrc.run(bowl100, lrc.Momentum(lr=lr_star, momentum=mu_star), np.eye(2)[axis], steps=399)
    measured = int(np.argmax(np.abs(r.xs[:, axis]) <= 1e-3))
    exact = int(np.argmax(np.abs(theory.heavy_ball_error(t, lr_star, mu_star, lam)) <= 1e-3))
    print(f"λ = {lam:>5}: measured {measured} steps, exact theory {exact}, rate-only estimate "
          f"{theory.iterations_to_reduce(rate_star)}")
gd = lrc.run(bowl100, lrc.GD(lr=theory.best_gd_lr(100.0, 1.0)), [1.0, 1.0], steps=1000)
print(f"best plain GD: {int(np.argmax(np.linalg.norm(gd.xs, axis=-1) <= np.sqrt(2) * 1e-3))} steps")
"""),
("md", r"""
So the step count quoted from the rate alone is an asymptotic statement; the exact count at
the optimum, printed above, is larger, and still several times smaller than gradient descent's.

## 3. The stability region

Heavy ball converges iff 0 < η·λ < 2 + 2μ for every curvature λ: momentum *widens* the
stable range of η. Checked at μ = 0.5 on the same bowl:
"""),
("code", r"""
limit = theory.momentum_stability_limit(bowl.L, 0.5)
for factor in [0.99, 1.01]:
    r = lrc.run(bowl, lrc.Momentum(lr=factor * limit, momentum=0.5), [-2.0, 1.5], steps=5000)
    print(f"η = {factor} × (2 + 2μ)/L: {r.summary()}")
"""),
("md", r"""
## 4. PyTorch's convention

PyTorch keeps a buffer of gradients, v ← μ·v + g, and steps w ← w − η·v. With a constant η
that is the heavy ball with Δw = −η·v. Under a schedule they differ: the heavy-ball velocity
carries the *old* step sizes, PyTorch's buffer is multiplied by the *new* η. After a 10×
drop, PyTorch's step shrinks 10× at once; the heavy ball's shrinks gradually.
"""),
("code", r"""
sched = schedules.step_lr(0.02, gamma=0.1, step_size=30)
paths = {c: lrc.run(bowl, lrc.Momentum(lr=sched, momentum=0.9, convention=c), [-2.0, 1.5], steps=60)
         for c in ("heavy_ball", "pytorch")}
steps = {c: np.linalg.norm(np.diff(r.xs, axis=0), axis=-1) for c, r in paths.items()}
for t in [28, 29, 30, 31, 32, 40]:
    print(f"step {t:>2}: |Δw| heavy ball {steps['heavy_ball'][t]:.2e}, pytorch {steps['pytorch'][t]:.2e}")
"""),
("md", r"""
## Recap
- Heavy ball: Δw ← μΔw − η∇L, w ← w + Δw; effective step η/(1 − μ) along steady slopes.
- Stable iff η·λ < 2 + 2μ; optimum (η*, μ*) gives rate (√κ − 1)/(√κ + 1): steps grow like
  √κ instead of κ.
- The (η, μ) map is a valley: too little momentum is slow, too much rings.
- PyTorch's momentum equals the heavy ball only while η is constant.

**Exercise:** [exercises/03_momentum](../exercises/03_momentum/03_momentum.ipynb) (the momentum step in both conventions, the optimal (η, μ)). Each task checks itself when you run its test cell; `hint("03.1")` helps when you are stuck.
**Next:** `04_schedules.ipynb`.
"""),
]

if __name__ == "__main__":
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from nb import build
    build(CELLS, Path(__file__).resolve().parents[2] / "notebooks" / (Path(__file__).stem + ".ipynb"))
