# %% [markdown]
# # 05 · Adaptive methods
#
# **After this notebook you will be able to**
# - write Adagrad, Adadelta, RMSprop, Adam and AdamW as update equations,
# - read each one as a per-parameter effective learning rate,
# - compare optimizers fairly: each at its own best rate, on the same budget,
# - say where dividing by a running gradient size helps and where it does not,
# - say what Adam's bias correction does (and that skipping it makes early steps too *large*),
# - say what ε does, and what AdamW's decoupled weight decay changes.

# %%
import inspect
import numpy as np
import matplotlib.pyplot as plt
import lrcourse as lrc
from lrcourse import landscapes, widgets

# %% [markdown]
# ## 1. The equations beside the code
#
# g is the gradient at the current point; every operation acts on each coordinate separately.
#
# | method | statistics kept, in the order they are updated | step |
# |---|---|---|
# | Adagrad | G ← G + g² | w ← w − η·g/(√G + ε) |
# | RMSprop | E ← α·E + (1−α)·g² | w ← w − η·g/(√E + ε) |
# | Adadelta | E ← ρ·E + (1−ρ)·g²; then Δ = √(D + ε)/√(E + ε)·g; then D ← ρ·D + (1−ρ)·Δ² | w ← w − η·Δ |
# | Adam | t ← t + 1; m ← β₁·m + (1−β₁)·g; v ← β₂·v + (1−β₂)·g² | w ← w − η·m̂/(√v̂ + ε), m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ) |
# | AdamW | as Adam | first w ← w·(1 − η·λ), then the Adam step |
#
# In Adadelta, D is a running average of the squared steps Δ² that came *before* this one: the
# new Δ uses the old D, and only then is D updated with it. The ratio √(D + ε)/√(E + ε) has the
# units of w divided by those of g, so Δ has the units of w.
#
# Each method divides by a running size of the gradient, so each coordinate gets its own
# effective rate η/(√statistic + ε). Here is the library's Adam step (the line `t = state.t + 1`
# counts this update, so the corrections use β₁ᵗ and β₂ᵗ of the update being made):

# %%
print(inspect.getsource(lrc.Adam.step))

# %% [markdown]
# The library's optimizers are written from the equations, not copied from PyTorch, so check
# them against `torch.optim`: the same bowl, the same start, the same gradients for 200 steps,
# in double precision.

# %%
import torch

bowl = landscapes.Quadratic([0.5, 20.0], angle=0.3)
x0, steps = np.array([2.0, -1.0]), 200
pairs = [(lrc.Adam(lr=0.05), torch.optim.Adam), (lrc.AdamW(lr=0.05, weight_decay=0.1), torch.optim.AdamW),
         (lrc.RMSprop(lr=0.01), torch.optim.RMSprop), (lrc.Adagrad(lr=0.5), torch.optim.Adagrad)]
largest = {}
for ours, torch_class in pairs:
    path = lrc.run(bowl, ours, x0, steps).xs
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = torch_class([p], lr=ours.lr, eps=ours.eps, weight_decay=ours.weight_decay)
    theirs = [x0]
    for _ in range(steps):
        p.grad = torch.from_numpy(bowl.grad(p.detach().numpy()))   # the same gradient formula
        opt.step()
        theirs.append(p.detach().numpy().copy())
    largest[type(ours).__name__] = np.abs(path - np.array(theirs)).max()
    print(f"lrcourse {type(ours).__name__:<7} vs torch.optim.{torch_class.__name__:<7}: "
          f"largest |difference| in w over {steps} steps: {largest[type(ours).__name__]:.1e}")
same = all(d < 1e-10 for d in largest.values())
print("VERDICT: lrcourse's Adam, AdamW, RMSprop and Adagrad " + ("follow torch.optim's to rounding error" if same
                                                                 else "do NOT follow torch.optim's"))

# %% [markdown]
# ## 2. Effective rates, per parameter
#
# On a bowl with curvatures 1 and 100, the steep coordinate sees gradients 100 times larger,
# so its effective rate becomes smaller. Adagrad's rates only shrink (the sum never
# forgets); RMSprop's follow the recent gradients, and grow again once the gradients die down
# near the minimum. On this bowl, whose axes are the coordinates, each coordinate's step
# η·g/(√s + ε) does not change when its gradients are all scaled by the same factor (while ε is
# negligible), so from a start with equal coordinates ([2, 2] here) both coordinates follow the
# same path, and the ratio of the two rates is the ratio of the curvatures: exactly what a rate
# per coordinate should be.

# %%
bowl = landscapes.Quadratic([1.0, 100.0])
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
final_rates = {}
for ax, opt in zip(axes, [lrc.Adagrad(lr=0.5), lrc.RMSprop(lr=0.01)]):
    x, state = np.array([2.0, 2.0]), opt.init(np.zeros(2))
    rates = []
    for _ in range(100):
        x, state = opt.step(x, bowl.grad(x), state)
        stat = state.sum_sq if isinstance(opt, lrc.Adagrad) else state.square_avg
        rates.append(opt.lr / (np.sqrt(stat) + opt.eps))
    rates = np.array(rates)
    final_rates[type(opt).__name__] = rates[-1]
    ax.plot(np.arange(1, 101), rates[:, 0], label="flat coordinate (λ = 1)")
    ax.plot(np.arange(1, 101), rates[:, 1], label="steep coordinate (λ = 100)")
    ax.set(yscale="log", xlabel="step t", ylabel="effective rate η/(√s + ε)", title=type(opt).__name__)
    ax.legend(fontsize=8)
plt.show()
for name, r in final_rates.items():
    print(f"{name:<8} effective rates after 100 steps: flat {r[0]:.3g}, steep {r[1]:.3g} (ratio {r[0] / r[1]:.0f})")

# %% [markdown]
# ## 3. A fair race
#
# To rank optimizers, each must run at **its own** best rate: a method run at a rate chosen for
# another one loses for that reason alone. So every method below (GD, heavy-ball momentum with
# β = 0.9, Adagrad, Adadelta, RMSprop, Adam) gets the same budget (300 steps) and is tried at
# every rate of the same grid, from the same starts: a ring of points around a centre, one angle
# per seed. Only η is tuned; the momentum β, RMSprop's α, Adadelta's ρ and Adam's β₁, β₂ keep
# their usual values. A run's score is
# log₁₀ of its final loss gap over its starting gap (−3 means the gap shrank a thousandfold); a
# gap below 10⁻²⁰ of the start counts as solved and scores −20; a rate at which any start
# diverges is out. Each method's best rate is the one with the lowest mean score.
#
# The landscapes:
# - the **axis-aligned bowl**, curvatures 1/1000 and 1 along the two coordinates: each coordinate
#   is its own one-dimensional problem, and a rate per coordinate can undo the bad conditioning;
# - the **rotated bowl**: the same bowl turned by 45°, so each coordinate mixes the flat and the
#   steep direction and a rate per coordinate cannot undo the conditioning;
# - **Rosenbrock's** curved valley, whose steep direction turns as the run moves along it.

# %%
races = {name: widgets.tune_race(name) for name in widgets.RACE_LANDSCAPES}
for name, res in races.items():
    print(f"{name}: {len(res['starts'])} starts, {res['steps']} steps, {len(res['lrs'])} rates "
          f"from {res['lrs'][0]:g} to {res['lrs'][-1]:g}")
    print("    method     best η   score at best η (mean ± sd over the starts)")
    for m in sorted(res["at_best"], key=lambda m: res["at_best"][m].mean()):
        s = res["at_best"][m]
        print(f"    {m:<9}  {res['best_lr'][m]:<7.2g}  {s.mean():6.1f} ± {s.std(ddof=1):.1f}")

# %% [markdown]
# The whole curve matters as much as its best point: how wide is the range of good rates, and
# how close is the best rate to divergence? Each curve is the mean score over the starts; a
# curve stops where some start diverged; dots mark the best rates.

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained", sharey=True)
for ax, (name, res) in zip(axes, races.items()):
    for m, scores in res["scores"].items():
        mean = scores.mean(axis=1)
        ax.plot(res["lrs"], np.where(np.isfinite(mean), mean, np.nan), color=widgets.RACE_COLORS[m], label=m)
        ax.plot(res["best_lr"][m], mean[res["best_index"][m]], "o", color=widgets.RACE_COLORS[m])
    ax.set(xscale="log", xlabel="learning rate η", title=name, ylim=(-21, 1))
axes[0].set_ylabel("log₁₀(final gap / start gap)\nmean over starts (lower is better)")
axes[-1].legend(fontsize=8, loc="lower left")
plt.show()


# %% [markdown]
# Now the verdicts. A difference between two methods is measured start by start (both at their
# own best rates) in decades of loss; we call it real when its mean is beyond twice its standard
# error and at least a factor of 2 (0.3 decades). For each landscape: which methods share the
# lowest final loss? For the two bowls: does dividing by a running gradient size help? The
# cleanest pairs are RMSprop against GD (the same method except for the division) and Adam
# against momentum (both carry a memory of past gradients with the factor 0.9, and differ
# in the division).

# %%
def lower_by(res, a, b):
    # How many decades lower a ends than b, start by start: mean and standard error.
    d = res["at_best"][b] - res["at_best"][a]
    return d.mean(), d.std(ddof=1) / np.sqrt(d.size)

def real(mean, se):
    return abs(mean) > max(2 * se, np.log10(2))

def relation(res, a, b):
    mean, se = lower_by(res, a, b)
    print(f"    {a} against {b}: {mean:+.1f} ± {se:.1f}")
    return "level with" if not real(mean, se) else "clearly below" if mean > 0 else "clearly above"

leaders, helps = {}, {}
for name, res in races.items():
    print(f"{name}: decades by which the first method ends lower (mean ± standard error over the starts)")
    top = min(res["at_best"], key=lambda m: res["at_best"][m].mean())
    leaders[name] = [m for m in res["at_best"] if m == top or relation(res, top, m) == "level with"]
    lead = (f"{leaders[name][0]} ends clearly lowest" if len(leaders[name]) == 1
            else " and ".join(leaders[name]) + " share the lowest final loss")
    print(f"VERDICT ({name}): after tuning, {lead}")
    if "bowl" in name:
        rms, adam = relation(res, "RMSprop", "GD"), relation(res, "Adam", "Momentum")
        helps[name] = (rms == "clearly below", adam == "clearly below")
        word = "helps" if all(helps[name]) else "does not help" if not any(helps[name]) else "helps in one pair only"
        print(f"VERDICT ({name}): dividing by a running gradient size {word}: tuned RMSprop ends {rms} tuned GD, "
              f"tuned Adam ends {adam} tuned momentum")
everywhere = set.intersection(*(set(v) for v in leaders.values()))
print("VERDICT: " + (f"{' and '.join(sorted(everywhere))}, tuned, lead on every landscape" if everywhere
                     else "no method, tuned, leads on every landscape"))

# %% [markdown]
# What the race shows, and why:
# - On the **axis-aligned bowl** the division pays off hugely. Each coordinate is a separate
#   one-dimensional problem, and dividing its step by its own gradient size gives the flat
#   coordinate a large rate and the steep one a small rate: the conditioning is undone, and
#   Adagrad and RMSprop reach the floor within the budget while GD, at any rate, cannot.
# - On the **rotated bowl** the same curvatures are mixed into both coordinates, so both see
#   gradients of similar size and the division cannot tell the flat direction from the steep
#   one. RMSprop does no better than GD, Adam does worse than momentum, and momentum, at its own
#   best rate, is the method that copes with the bad conditioning.
# - On **Rosenbrock** the valley turns, so no fixed scaling per coordinate suits the whole path;
#   read its verdict above, and compare its margins with the bowls' in the tables.
#
# So adaptive methods help when the bad scaling lines up with the parameters (in a network,
# layers or embeddings whose gradients differ in size by orders of magnitude); they do not fix
# ill-conditioning that mixes parameters. No optimizer is simply "better".
#
# In the dashboard every method runs from the first start of the ring at its tuned rate; the
# slider multiplies every method's rate by the same factor, so you can see how each one
# degrades away from its best rate (the dotted line is the floor).

# %%
widgets.adaptive_race("rotated bowl", rate_factor=1.0)

# %% [markdown]
# ## 4. Bias correction and ε
#
# m and v start at zero, so early on they are pulled towards zero, v much more than m (β₂ is
# closer to 1) and v sits under a square root. Without the correction the early steps are
# therefore too **large**, by (1 − β₁ᵗ)/√(1 − β₂ᵗ). With it, the first step is ≈ η in every
# coordinate, whatever the gradient's scale — until the gradient gets as small as ε, which
# then dominates the denominator and shrinks the step. The dashboard feeds Adam constant
# gradients of four sizes. At its opening setting (ε = 10⁻⁸, correction on) the four lines lie on
# top of each other, so only the last one drawn shows: untick the correction, or raise ε, to pull
# them apart.

# %%
widgets.adam_eps(eps=1e-8, bias_correction=True)

# %%
b1, b2 = lrc.Adam().betas
for bias in (True, False):
    steps = widgets.adam_eps(eps=1e-8, bias_correction=bias).state["steps"]
    where = "" if bias else f" at step {int(np.argmax(steps.max(axis=1))) + 1}"
    print(f"bias correction {'on ' if bias else 'off'}: first step / η = {steps[0].round(3)}, "
          f"largest step / η over {len(steps)} steps = {steps.max():.2f}{where}")
t = np.arange(1, len(steps) + 1)
factor = (1 - b1 ** t) / np.sqrt(1 - b2 ** t)
print(f"the formula (1 − β₁ᵗ)/√(1 − β₂ᵗ): {factor[0]:.2f} at t = 1, largest {factor.max():.2f} at t = {t[np.argmax(factor)]}")
steps = widgets.adam_eps(eps=1e-4).state["steps"]
print(f"ε = 1e-4, bias correction on: first step / η = {steps[0].round(4)}")

# %% [markdown]
# With the correction every step has size η (the smallest gradient's a little less, because of
# ε); without it the measured steps follow the formula. With ε = 10⁻⁴ the smallest gradient (10⁻⁶) is now far below ε, and its step shrinks by about the factor |g|/ε.
#
# ## 5. AdamW: decoupled weight decay
#
# Adam's `weight_decay` adds λ·w to the gradient, and Adam then divides that by √v̂ like the rest
# of the gradient. AdamW instead shrinks every weight by the same factor (1 − η·λ) and then takes
# the plain Adam step. Where do the two end up?
#
# **Without noise.** On a bowl with curvatures 0.01 and 100, centred at [1, 1], both start at the
# minimum of the loss. Adam with L2 only ever sees the gradient of loss + λ/2·|w|², so it ends
# next to the minimum of that sum, w = hᵢ·cᵢ/(hᵢ + λ) per coordinate i, with hᵢ its curvature and cᵢ
# its centre (λ is the weight decay throughout this section). AdamW's decay pulls each weight
# by η·λ·w per step, but its Adam step has size about η for *any* gradient much larger than ε,
# so a tiny gradient is enough to push back: AdamW stays next to the minimum of the loss alone.
# Its decay is cancelled. Neither run comes to rest: without noise Adam keeps taking small steps
# around its end point (the cell prints how far they reach), which is why both are judged over
# their last 1000 steps rather than by their last point.

# %%
bowl = landscapes.Quadratic([0.01, 100.0], center=[1.0, 1.0])
curv, centre, wd = bowl.eigenvalues, bowl.center, 0.1
adam_l2 = lrc.run(bowl, lrc.Adam(lr=0.01, weight_decay=wd), x0=centre, steps=10_000).xs
adamw = lrc.run(bowl, lrc.AdamW(lr=0.01, weight_decay=wd), x0=centre, steps=10_000).xs
l2_min = curv * centre / (curv + wd)
tail = slice(-1000, None)                                    # the last 1000 steps
apart = np.abs(l2_min - centre).max()                        # distances here: the largest over the coordinates
near, moving = {}, {}
for name, xs, target in [("Adam + L2", adam_l2, l2_min), ("AdamW", adamw, centre)]:
    near[name], moving[name] = np.abs(xs[tail] - target).max(), np.ptp(xs[tail], axis=0).max()
print(f"minimum of loss + λ/2·|w|²: {l2_min.round(5)}; minimum of the loss: {centre}; largest coordinate gap {apart:.2f}")
print(f"Adam + L2 ends at {adam_l2[-1].round(5)}; over the last 1000 steps within {near['Adam + L2']:.1e} of the "
      f"first, still moving by up to {moving['Adam + L2']:.1e}")
print(f"AdamW     ends at {adamw[-1].round(5)}; over the last 1000 steps within {near['AdamW']:.1e} of the "
      f"second, still moving by up to {moving['AdamW']:.1e}")
at_l2, at_loss = near["Adam + L2"] < 0.01 * apart, near["AdamW"] < 0.01 * apart
print("VERDICT: without noise, Adam + L2 " + ("stays next to the minimum of loss + L2 term" if at_l2
                                              else "does NOT stay next to the minimum of loss + L2 term")
      + ", and AdamW " + ("stays next to the minimum of the loss alone: its decay is cancelled" if at_loss
                          else "does not stay next to the minimum of the loss alone"))

# %% [markdown]
# **With noise.** In training, v̂ measures the size of the *noisy* minibatch gradients, not the
# small mean gradient, and the decay is no longer cancelled. Take three weights the loss does not
# care about (their gradients are pure noise with mean zero) but whose noise differs in size:
# 0.01, 1 and 100. Only the decay has a reason to move them. Sixteen noisy runs of each
# method, from w = [1, 1, 1]:

# %%
sigma = np.array([0.01, 1.0, 100.0])

def pure_noise(seed):
    rng = np.random.default_rng(seed)
    return lambda w: (np.zeros(w.shape[:-1]), sigma * rng.standard_normal(w.shape))

lr, wd, T, seed = 1e-3, 0.1, 2000, lrc.sweeps.seeds(1)[0]
ends = {}
print(f"w after {T} steps, mean ± standard error of 16 runs, for gradient noise of size "
      + ", ".join(f"{s:g}" for s in sigma))
for name, opt in {"Adam + L2": lrc.Adam(lr=lr, weight_decay=wd), "AdamW": lrc.AdamW(lr=lr, weight_decay=wd)}.items():
    w = lrc.run(pure_noise(seed), opt, np.ones((16, 3)), T, record=False).x
    ends[name] = (w.mean(axis=0), w.std(axis=0, ddof=1) / np.sqrt(len(w)))
    print(f"    {name:<9}  " + "   ".join(f"{m:.3f} ± {e:.3f}" for m, e in zip(*ends[name])))
print(f"(1 − ηλ)^T = {(1 - lr * wd) ** T:.3f}")

def alike(name):   # the quietest and the noisiest weight end at the same place, within 3 standard errors
    mean, se = ends[name]
    return abs(mean[0] - mean[-1]) < 3 * np.hypot(se[0], se[-1])

print("VERDICT: AdamW shrinks the quietest and the noisiest weight " + ("alike" if alike("AdamW") else "unequally")
      + "; Adam + L2 shrinks them " + ("alike" if alike("Adam + L2") else "unequally"))

# %% [markdown]
# AdamW shrinks each weight by the factor (1 − ηλ)ᵀ whatever its gradient noise. Adam's L2
# term λ·w is divided by √v̂ like the rest of the gradient. For the quiet weight the gradient
# is mostly λ·w itself, so Adam turns it into a step of about η towards 0 at every update and
# the weight collapses; for the noisy weight √v̂ is about its large noise size, the decay is
# divided by that, and the weight hardly moves. The middle weight has noise of size 1, so √v̂
# is about 1 and dividing by it changes little: Adam + L2 decays it about as AdamW does. That is
# what "decoupled" means: with AdamW, how strongly a weight is decayed no longer depends on how
# large or noisy its gradients are.
#
# ## Recap
# - Adaptive methods give each parameter its own rate η/(√s + ε) from gradient statistics.
# - Adagrad's sum only grows; RMSprop and Adam forget; Adadelta makes the step unit-consistent.
# - Compare optimizers each at its own best rate. Dividing by the gradient size undoes bad
#   conditioning that lines up with the parameters, not conditioning that mixes them.
# - Without bias correction Adam's early steps are too large, not too small.
# - ε matters once gradients are tiny. AdamW decays every weight by the same factor; Adam's L2
#   decay is divided by √v̂, so it depends on each weight's gradient size.
#
# **Exercise:** [exercises/05_adaptive_methods](../exercises/05_adaptive_methods/05_adaptive_methods.ipynb) (Adam with bias correction, Adagrad's effective rates). Each task checks itself when you run its test cell; `hint("05.1")` helps when you are stuck.
# **Next:** [06_lr_range_test](06_lr_range_test.ipynb) and the notebooks after it (choosing a rate in practice).
