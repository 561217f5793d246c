CELLS = [
("md", r"""
# 01 · What is a learning rate?

**After this notebook you will be able to**
- write the gradient-descent update and say what η does in it,
- tell monotone, oscillating and diverging runs apart, and predict which one you get,
- find the stability limit η < 2/L by experiment and by theory,
- explain the zig-zag of gradient descent in a narrow valley.
"""),
("code", r"""
import numpy as np
import matplotlib.pyplot as plt
import lrcourse as lrc
from lrcourse import landscapes, theory, widgets
"""),
("md", r"""
## 1. The update

Gradient descent repeats one step: **w ← w − η·∇L(w)**. The gradient points uphill; the
learning rate η (also called the step size or gain) decides how far we walk the other way.

On the parabola L(w) = a·w²/2 the gradient is a·w, so one step multiplies w by (1 − η·a).
Everything follows from that factor:

| η·a | factor 1 − η·a | what the run does |
|---|---|---|
| between 0 and 1 | between 0 and 1 | creeps towards 0 from one side (monotone) |
| between 1 and 2 | between −1 and 0 | jumps across 0 each step, still shrinking (oscillates) |
| above 2 | below −1 | jumps across 0 and grows: diverges |

Move the slider (the curvature is a = 1, so η = 1 and η = 2 are the boundaries).
"""),
("code", r"""
widgets.gd_parabola(lr=0.3)
"""),
("md", r"""
## 2. The limit, found by experiment

We run gradient descent for many rates at once (one broadcast call) and look for the
smallest rate that diverges. The theory says 2/L.
"""),
("code", r"""
curvature = 4.0
parabola = landscapes.Parabola(curvature=curvature)
lrs = np.linspace(0.01, 0.7, 4000)
runs = lrc.run(parabola, lrc.GD(lr=lrs[:, None]), x0=[1.0], steps=3000, record=False)
found = lrs[runs.diverged].min()
print(f"smallest diverging rate found: {found:.4f}")
print(f"theory 2/L:                    {theory.gd_stability_limit(curvature):.4f}")
"""),
("md", r"""
(Right at η = 2/L the factor is exactly −1: the run bounces forever without growing, so the
first rate that *diverges* is just above the limit.)

## 3. Too low, about right, too high: measured

The usual table says a low rate is slow, a high one unstable. Here it is measured on the
parabola (a = 1) for a range of rates: steps to reach loss 1e-6, whether it oscillated, and
the loss after 50 steps.
"""),
("code", r"""
parabola = landscapes.Parabola(curvature=1.0)
rows = []
for lr in [0.01, 0.1, 0.5, 1.0, 1.5, 1.9, 2.1]:
    r = lrc.run(parabola, lrc.GD(lr=lr), x0=[2.0], steps=100)
    signs = np.sign(r.xs[1:, 0]) * np.sign(r.xs[:-1, 0])
    rows.append((lr, r, r.steps_to(1e-6), bool(np.any(signs[np.isfinite(signs)] < 0))))
fastest = min(n for _, _, n, _ in rows if n > 0)
print(f"{'η':>6} {'verdict':<13} {'steps to 1e-6':>14} {'oscillates':>11} {'loss after 100':>15}")
for lr, r, reached, oscillates in rows:
    slow = reached < 0 or reached > 3 * fastest     # more than 3x the best measured count
    verdict = "diverges" if r.diverged else ("too high" if slow and oscillates else
                                             "too low" if slow else "appropriate")
    last = f"step {r.diverged_at}" if r.diverged else f"{float(r.loss):.1e}"
    print(f"{lr:>6} {verdict:<13} {reached if reached >= 0 else '> 100':>14} {str(oscillates):>11} {last:>15}")
"""),
("md", r"""
Two things the usual table misses: η = 1 (= 1/L) lands on the minimum in **one** step, and
rates between 1/L and 2/L still converge, just with a sign flip each step. "Too high"
becomes "diverges" only past 2/L.

## 4. Two dimensions: the zig-zag

On a bowl with curvatures μ (flat direction) and L (steep direction) a single η must stay
below 2/L for the steep direction, so the flat direction moves by at most a factor
1 − 2μ/L per step. The condition number κ = L/μ measures how bad that is. The best single
rate, 2/(L + μ), contracts the error by (κ − 1)/(κ + 1) per step.

Sliders: κ, and η as a fraction of 2/L. Watch the path bounce across the valley.
"""),
("code", r"""
widgets.zigzag(kappa=20.0, lr_fraction=0.9)
"""),
("code", r"""
for kappa in [10, 100, 1000]:
    bowl = landscapes.Quadratic.from_condition(kappa, L=1.0)
    rate = theory.best_gd_rate(kappa)
    r = lrc.run(bowl, lrc.GD(lr=theory.best_gd_lr(bowl.L, bowl.mu)), x0=[1.0, 1.0], steps=20000)
    err = np.linalg.norm(r.xs, axis=-1)
    measured = int(np.argmax(err <= err[0] / 1e3))
    print(f"κ = {kappa:>5}: rate {rate:.4f}, theory {theory.iterations_to_reduce(rate):>5} steps "
          f"for 1000×, measured {measured:>5}")
"""),
("md", r"""
## Recap
- GD multiplies the error along each curvature λ by (1 − η·λ) per step.
- 0 < η·L < 1: monotone; 1 < η·L < 2: oscillating but converging; η·L > 2: divergence.
- The largest curvature sets the limit, the smallest one sets the speed: the number of
  steps grows in proportion to κ.

**Exercise:** [exercises/01_what_is_a_learning_rate](../exercises/01_what_is_a_learning_rate/01_what_is_a_learning_rate.ipynb) (gradient descent by hand, the stability limit of a bowl, the three regimes). Each task checks itself when you run its test cell; `hint("01.1")` helps when you are stuck.
**Next:** `02_curvature_newton_line_search.ipynb`.
"""),
]

if __name__ == "__main__":
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from nb import build
    build(CELLS, Path(__file__).resolve().parents[2] / "notebooks" / (Path(__file__).stem + ".ipynb"))
