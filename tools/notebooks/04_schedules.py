CELLS = [
("md", r"""
# 04 · Learning-rate schedules

**After this notebook you will be able to**
- write every common schedule as a formula of the step t, exactly,
- tell time-based decay (a recursion) from inverse-time decay (a closed form),
- line the textbook step decay up with PyTorch's StepLR,
- explain why decay helps with noisy gradients, and why restarts and cycles can help a run
  leave a poor basin,
- use warm-up, one-cycle and reduce-on-plateau.

In `lrcourse` a schedule is a pure function `t -> η` (t = number of updates done so far).
Any optimizer takes one as its `lr`.
"""),
("code", r"""
import numpy as np
import matplotlib.pyplot as plt
import lrcourse as lrc
from lrcourse import landscapes, plotting, schedules as S, widgets
"""),
("md", r"""
## 1. The decays, exactly

- constant: η_t = η₀
- time-based: **η_{n+1} = η_n / (1 + d·n)**, a recursion on the previous rate
- inverse-time (Keras' name): η_n = η₀ / (1 + d·n), a closed form
- step decay: η_n = η₀ · d^⌊(1+n)/r⌋
- exponential: η_n = η₀ · e^(−d·n)
- inverse scaling (scikit-learn's `invscaling`): η_n = η₀ / (n + 1)^p

The time-based recursion and the inverse-time closed form are often confused. Unrolled, the
recursion divides by (1 + d·0)(1 + d·1)…(1 + d·(n−1)), a product that grows faster than any
exponential:
"""),
("code", r"""
t = np.arange(200)
fig, ax = plt.subplots(figsize=(6, 3.5))
for s in [S.time_based(0.1, 0.01), S.inverse_time(0.1, 0.01), S.exponential(0.1, 0.01),
          S.step_decay(0.1, 0.5, 50), S.inverse_scaling(0.1, 0.5)]:
    plotting.schedule_curve(ax, s, 200, label=repr(s))
ax.set_yscale("log"); ax.legend(fontsize=7); ax.set_title("decays, η₀ = 0.1")
plt.show()
eta = 0.1
for n in range(100):
    eta = eta / (1 + 0.01 * n)
print(f"time-based at n = 100: recursion by hand {eta:.3e}, lrcourse {S.time_based(0.1, 0.01)(100):.3e}, "
      f"inverse-time {S.inverse_time(0.1, 0.01)(100):.3e}")
"""),
("md", r"""
## 2. Step decay against PyTorch's StepLR

The textbook formula uses ⌊(1 + n)/r⌋; PyTorch's `StepLR` uses ⌊n/r⌋, so it drops one step
later. Here is the table next to PyTorch's own scheduler:
"""),
("code", r"""
import torch

p = torch.zeros(1, requires_grad=True)
opt = torch.optim.SGD([p], lr=0.1)
step_lr = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
torch_rates = []
for _ in range(8):
    torch_rates.append(step_lr.get_last_lr()[0])
    opt.step(); step_lr.step()
textbook = S.step_decay(0.1, drop=0.5, every=3)(np.arange(8))
ours = S.step_lr(0.1, gamma=0.5, step_size=3)(np.arange(8))
print(" n  textbook  lrcourse.step_lr  torch StepLR")
for n in range(8):
    print(f"{n:>2}  {textbook[n]:.4f}    {ours[n]:.4f}            {torch_rates[n]:.4f}")
"""),
("md", r"""
## 3. Every schedule with its own sliders

Each dashboard shows the schedule and what it does to gradient descent with **noisy
gradients** (as with minibatches) on a bowl, against the constant rate η₀. With noise, a
constant rate stops improving at a noise floor proportional to η; decaying η lowers the
floor. Pick any schedule:
"""),
("code", r"""
tabs = widgets.schedule_tabs(lr=0.4)
tabs
"""),
("md", r"""
One tab per schedule; the axes stay fixed while you drag, so two positions of a slider can be
compared by eye. To get one of them on its own, larger: `widgets.schedule_explorer("one_cycle")`.
Below, the loss at the end of every schedule, for a large and a small η₀, measured:
"""),
("code", r"""
bowl = landscapes.Quadratic.from_condition(10.0, L=2.0)
print(f"{'schedule':<16} mean loss over the last 50 of 300 noisy steps")
print(f"{'':<16} {'η₀ = 0.4':>10} {'η₀ = 0.05':>10}")
for name in widgets.SCHEDULE_SLIDERS:
    large = tabs.dashboards[name].state["final"]
    small = widgets.schedule_explorer(name, lr=0.05).state["final"]
    finals = [large, small]
    print(f"{name:<16} {finals[0]:>10.2e} {finals[1]:>10.2e}")
"""),
("md", r"""
Read the two columns: with a large η₀ the constant rate is stuck at a high noise floor and
every decay beats it; with a small η₀ the constant rate has not finished converging and
decaying it only slows it down. "Decay helps" is true when the rate is large enough for the
noise to dominate.

## 4. Warm-up, one-cycle, cosine with warm restarts

Warm-up ramps η up over the first steps (useful when early gradients are large or
statistics such as Adam's are not settled yet); `S.warmup(any_schedule, steps)` puts it in
front of anything. One-cycle rises to a peak then anneals far below the start.
`CosineAnnealingLR` in PyTorch keeps going after T_max and rises again; `S.cosine` holds η_min
unless you pass `periodic=True`.
"""),
("code", r"""
fig, ax = plt.subplots(figsize=(6, 3.5))
for s in [S.warmup(S.cosine(0.1, 250, 0.001), 50), S.one_cycle(0.1, 300), S.cosine_restarts(0.1, 40, 2, 0.001),
          S.cosine(0.1, 100, periodic=True)]:
    plotting.schedule_curve(ax, s, 300, label=repr(s)[:60])
ax.legend(fontsize=7); ax.set_title("warm-up, one-cycle, restarts, periodic cosine")
plt.show()
"""),
("md", r"""
## 5. Escaping a poor basin

On a landscape with several wells, a run that starts in a shallow well stays there with a
small constant rate. Raising the rate now and then (restarts, cycles) gives it steps large
enough to leave; decaying again lets it settle in whatever well it reached. Whether it lands
in a *better* well depends on the peak: move the slider and read the final wells.
"""),
("code", r"""
widgets.escape_wells(peak=1.0)
"""),
("code", r"""
for peak in [0.1, 0.5, 1.0, 2.0]:
    dash = widgets.escape_wells(peak=peak)
    print(f"peak η = {peak}: " + ", ".join(f"{k} → well {v['well']}" for k, v in dash.state["ends"].items())
          + "   (well 0 is the deepest)")
"""),
("md", r"""
## 6. Reduce on plateau

The one schedule that watches the loss: cut η by a factor when the loss has not improved
for `patience` evaluations. It is a small stateful object (`S.ReduceOnPlateau`), driven by
the run loop:
"""),
("code", r"""
plateau = S.ReduceOnPlateau(0.28, factor=0.5, patience=3)
r = lrc.run(landscapes.DoubleWell(), lrc.GD(lr=plateau), x0=[1.2, 0.5], steps=100)
changes = np.flatnonzero(np.diff(r.lrs)) + 1
print("rate cut at steps", changes.tolist(), "to", [float(r.lrs[c]) for c in changes][:5])
"""),
("md", r"""
## Recap
- A schedule is a function of the step; write it exactly and test it against the formula.
- Time-based decay (recursion) falls much faster than inverse-time decay (closed form).
- The textbook step decay drops one step before PyTorch's StepLR.
- With noisy gradients, decay lowers the noise floor; restarts and cycles trade stability
  for exploration.

**Exercise:** [exercises/04_schedules](../exercises/04_schedules/04_schedules.ipynb) (step decay and the time-based recursion, a schedule for a budget). Each task checks itself when you run its test cell; `hint("04.1")` helps when you are stuck.
**Next:** `05_adaptive_methods.ipynb`.
"""),
]

if __name__ == "__main__":
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from nb import build
    build(CELLS, Path(__file__).resolve().parents[2] / "notebooks" / (Path(__file__).stem + ".ipynb"))
