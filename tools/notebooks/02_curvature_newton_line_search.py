CELLS = [
("md", r"""
# 02 · Curvature, Newton's step and line search

**After this notebook you will be able to**
- see the learning rate as a stand-in for the inverse Hessian,
- take a Newton step and say why it ignores the condition number on a quadratic,
- use one learning rate per parameter (a diagonal preconditioner) and know when it helps,
- choose the step length at every iteration with Armijo backtracking.
"""),
("code", r"""
import numpy as np
import lrcourse as lrc
from lrcourse import landscapes, linesearch, theory, widgets
"""),
("md", r"""
## 1. The ideal learning rate is a matrix

Near a minimum, L(w) ≈ L(w*) + ½(w − w*)ᵀH(w − w*). The step that lands exactly on w* is
**Newton's step** w ← w − H⁻¹∇L(w). Gradient descent replaces H⁻¹ by one number η; that
is why one η cannot fit a bowl whose curvatures differ: H⁻¹ would scale the flat direction
up and the steep one down.

On a quadratic, Newton needs one step whatever κ is:
"""),
("code", r"""
for kappa in [10, 1000]:
    bowl = landscapes.Quadratic.from_condition(kappa, L=1.0, angle=0.4)
    newton = linesearch.newton(bowl, [-2.0, 1.5], steps=3)
    gd = lrc.run(bowl, lrc.GD(lr=theory.best_gd_lr(bowl.L, bowl.mu)), [-2.0, 1.5], steps=30000, record=True)
    print(f"κ = {kappa:>4}: Newton reaches loss 1e-12 in {newton.steps_to(1e-12)} step, "
          f"best fixed-rate GD in {gd.steps_to(1e-12)} steps")
"""),
("md", r"""
## 2. One rate per parameter

A cheap approximation of H⁻¹ keeps only its diagonal: η_i = 1/H_ii, one rate per
coordinate (`lrc.GD(lr=array)` accepts that). It is exact when the bowl's axes are the
coordinate axes, and it loses its edge as the bowl rotates away from them. Adaptive methods
(notebook 05) estimate such per-parameter rates from the gradients alone.

## 3. Choosing the step length as you go: Armijo backtracking

Start each iteration with a big trial step η₀ and halve it until the loss drops by at least
a fraction c of what the slope promises: L(w − η·g) ≤ L(w) − c·η·|g|². No η to tune, at the
price of extra loss evaluations per step.

The dashboard races all four on one bowl. Sliders: κ and the bowl's rotation.
"""),
("code", r"""
widgets.curvature_race(kappa=30.0, angle=0.0)
"""),
("code", r"""
x0 = [-2.0, 1.5]
print(f"{'rotation':>9} {'GD 2/(L+μ)':>11} {'diagonal':>9} {'Armijo':>7} {'Newton':>7}   (steps to loss 1e-8, κ = 100)")
for angle in [0.0, 0.3, 0.785]:
    bowl = landscapes.Quadratic.from_condition(100.0, L=1.0, angle=angle)
    runs = [lrc.run(bowl, lrc.GD(lr=theory.best_gd_lr(bowl.L, bowl.mu)), x0, 3000),
            lrc.run(bowl, lrc.GD(lr=1 / np.diag(bowl.A)), x0, 3000),
            linesearch.backtracking(bowl, x0, 3000),
            linesearch.newton(bowl, x0, 10)]
    counts = [r.steps_to(1e-8) for r in runs]
    print(f"{angle:>9.3f} " + " ".join(f"{c if c >= 0 else '>3000':>10}" for c in counts))
"""),
("md", r"""
## Recap
- The learning rate plays the part of H⁻¹; one number cannot undo different curvatures.
- Newton's step solves a quadratic in one step but needs the Hessian (d² numbers).
- A per-parameter rate is a diagonal H⁻¹: perfect for axis-aligned curvature, weaker
  when the valley is rotated.
- Backtracking line search picks η per step from the loss itself.

**Exercise:** [exercises/02_curvature_newton_line_search](../exercises/02_curvature_newton_line_search/02_curvature_newton_line_search.ipynb) (a Newton step and Armijo backtracking). Each task checks itself when you run its test cell; `hint("02.1")` helps when you are stuck.
**Next:** `03_momentum.ipynb`.
"""),
]

if __name__ == "__main__":
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from nb import build
    build(CELLS, Path(__file__).resolve().parents[2] / "notebooks" / (Path(__file__).stem + ".ipynb"))
