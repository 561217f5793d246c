CELLS = [
("md", r"""
# 05 · Adaptive methods

**After this notebook you will be able to**
- write Adagrad, Adadelta, RMSprop, Adam and AdamW as update equations,
- read each one as a per-parameter effective learning rate,
- say what Adam's bias correction does (and that skipping it makes early steps too *large*),
- say what ε does, and where adaptive methods help and where they do not.
"""),
("code", r"""
import inspect
import numpy as np
import lrcourse as lrc
from lrcourse import landscapes, widgets
"""),
("md", r"""
## 1. The equations beside the code

| method | statistic kept | step |
|---|---|---|
| Adagrad | G ← G + g² | w ← w − η·g/(√G + ε) |
| RMSprop | E ← α·E + (1−α)·g² | w ← w − η·g/(√E + ε) |
| Adadelta | E ← ρE + (1−ρ)g²; D ← ρD + (1−ρ)Δ² | Δ = √(D+ε)/√(E+ε)·g; w ← w − η·Δ |
| Adam | m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g² | w ← w − η/(1−β₁ᵗ) · m/(√v/√(1−β₂ᵗ) + ε) |
| AdamW | as Adam | first w ← w·(1 − η·λ), then the Adam step |

Each divides by a running size of the gradient, so each coordinate gets its own effective
rate η/(√statistic + ε). Here is the library's Adam step; it is the table's last line but one:
"""),
("code", r"""
print(inspect.getsource(lrc.Adam.step))
"""),
("md", r"""
## 2. Effective rates, per parameter

On a bowl with curvatures 1 and 100, the steep coordinate sees gradients 100 times larger,
so its effective rate becomes smaller. Adagrad's rates only shrink (the sum never
forgets); RMSprop's follow the recent gradients.
"""),
("code", r"""
import matplotlib.pyplot as plt

bowl = landscapes.Quadratic([1.0, 100.0])
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
for ax, opt in zip(axes, [lrc.Adagrad(lr=0.5), lrc.RMSprop(lr=0.01)]):
    x, state = np.array([2.0, 2.0]), opt.init(np.zeros(2))
    rates = []
    for _ in range(100):
        x, state = opt.step(x, bowl.grad(x), state)
        stat = state.sum_sq if hasattr(state, "sum_sq") else state.square_avg
        rates.append(opt.lr / (np.sqrt(stat) + opt.eps))
    rates = np.array(rates)
    ax.plot(rates[:, 0], label="flat coordinate (λ = 1)")
    ax.plot(rates[:, 1], label="steep coordinate (λ = 100)")
    ax.set(yscale="log", xlabel="step t", ylabel="effective rate η/(√s + ε)", title=type(opt).__name__)
    ax.legend(fontsize=8)
plt.show()
print(f"Adagrad's final effective rates: {rates[-1]}")
"""),
("md", r"""
## 3. The race

Same start, each method at its own rate. On the ill-conditioned bowl the per-coordinate
scaling undoes much of the bad conditioning when the axes line up with the coordinates —
here the bowl is rotated, so it does not. On Rosenbrock's curved valley, compare how far
each gets. Sliders: the landscape, the shared rate of the adaptive methods, and the rate of
momentum.
"""),
("code", r"""
widgets.adaptive_race("Rosenbrock", lr_adaptive=0.05, lr_momentum=1e-3)
"""),
("code", r"""
for name in widgets.RACE_LANDSCAPES:
    finals = widgets.adaptive_race(name).state["finals"]
    order = sorted(finals, key=finals.get)
    print(f"{name:<12} " + ", ".join(f"{k} {finals[k]:.1e}" for k in order))
"""),
("md", r"""
No method wins everywhere: read the ranking above and move the sliders before believing
any claim that one optimizer is simply "better".

## 4. Bias correction and ε

m and v start at zero, so early on they are pulled towards zero, v much more than m (β₂ is
closer to 1) and v sits under a square root. Without the correction the early steps are
therefore too **large**, by (1 − β₁ᵗ)/√(1 − β₂ᵗ). With it, the first step is ≈ η in every
coordinate, whatever the gradient's scale — until the gradient gets as small as ε, which
then dominates the denominator and shrinks the step. The dashboard feeds Adam constant
gradients of four sizes:
"""),
("code", r"""
widgets.adam_eps(eps=1e-8, bias_correction=True)
"""),
("code", r"""
for bias in (True, False):
    steps = widgets.adam_eps(eps=1e-8, bias_correction=bias).state["steps"]
    print(f"bias correction {bias!s:<5}: first step / η = {steps[0].round(3)}, largest / η = {steps.max():.2f} "
          f"at step {int(np.argmax(steps.max(axis=1))) + 1}")
steps = widgets.adam_eps(eps=1e-4).state["steps"]
print(f"ε = 1e-4: first step / η = {steps[0].round(4)}  (the 1e-6 gradient is now damped by ε)")
"""),
("md", r"""
## 5. AdamW: decoupled weight decay

Adam's `weight_decay` adds λ·w to the gradient, which Adam then divides by √v: weights with
large gradients are barely decayed. AdamW shrinks every weight by the same fraction η·λ
before the Adam step. The difference on a bowl whose coordinates see very different gradients:
"""),
("code", r"""
bowl = landscapes.Quadratic([0.01, 100.0], center=[1.0, 1.0])
for opt in [lrc.Adam(lr=0.01, weight_decay=0.1), lrc.AdamW(lr=0.01, weight_decay=0.1)]:
    r = lrc.run(bowl, opt, x0=[1.0, 1.0], steps=3000)
    print(f"{type(opt).__name__:<6} ends at {r.x.round(3)} (the minimum of the loss alone is at [1, 1])")
"""),
("md", r"""
## Recap
- Adaptive methods give each parameter its own rate η/(√s + ε) from gradient statistics.
- Adagrad's sum only grows; RMSprop and Adam forget; Adadelta makes the step unit-consistent.
- Without bias correction Adam's early steps are too large, not too small.
- ε matters once gradients are tiny; AdamW decays all weights alike, Adam's L2 does not.

**Exercise:** [exercises/05_adaptive_methods](../exercises/05_adaptive_methods/05_adaptive_methods.ipynb) (Adam with bias correction, Adagrad's effective rates). Each task checks itself when you run its test cell; `hint("05.1")` helps when you are stuck.
**Next:** notebooks 06–10 (choosing a rate in practice).
"""),
]

if __name__ == "__main__":
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from nb import build
    build(CELLS, Path(__file__).resolve().parents[2] / "notebooks" / (Path(__file__).stem + ".ipynb"))
