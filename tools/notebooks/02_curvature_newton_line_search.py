# %% [markdown]
# # 02 · Curvature, Newton's step and line search
#
# **After this notebook you will be able to**
# - see the learning rate as a stand-in for the inverse Hessian,
# - take a Newton step and say why it ignores the condition number on a quadratic,
# - use one learning rate per parameter (a diagonal preconditioner) and know when it helps,
# - choose the step length at every iteration with Armijo backtracking, and say what it costs.

# %%
import numpy as np
import matplotlib.pyplot as plt
import lrcourse as lrc
from lrcourse import landscapes, linesearch, plotting, theory, widgets


# %% [markdown]
# ## 1. The ideal learning rate is a matrix
#
# Near a minimum, L(w) ≈ L(w*) + ½(w − w*)ᵀH(w − w*). The step that lands exactly on w* is
# **Newton's step** w ← w − H⁻¹∇L(w). Gradient descent replaces H⁻¹ by one number η; that
# is why one η cannot fit a bowl whose curvatures differ: H⁻¹ would scale the flat direction
# up and the steep one down.
#
# On a quadratic, Newton needs one step whatever κ is. Beside it, gradient descent at the best
# fixed rate 2/(L + μ), a rate that can only be set by someone who knows the extreme
# curvatures L and μ. Every experiment in this notebook starts from random points at loss 1
# (so "loss 1e-12" is the same trillion-fold gain from each) and reports the spread over them.

# %%
def starts_at_loss_one(bowl, n, seed):
    u = np.random.default_rng(seed).normal(size=(n, 2))
    return u / np.sqrt(bowl.value(u))[:, None]

newton_steps, gd_steps = {}, {}
for kappa in [10, 1000]:
    bowl = landscapes.Quadratic.from_condition(kappa, L=1.0, angle=0.4)
    x0 = starts_at_loss_one(bowl, 3, lrc.sweeps.seeds(1)[0])
    newton_steps[kappa] = np.array([linesearch.newton(bowl, x, steps=3).steps_to(1e-12) for x in x0])
    enough = theory.iterations_to_reduce(theory.best_gd_rate(kappa), 1e7)   # the error, ∝ √loss, by 1e7
    gd = lrc.run(bowl, lrc.GD(lr=theory.best_gd_lr(bowl.L, bowl.mu)), x0, steps=enough)
    gd_steps[kappa] = gd.steps_to(1e-12)
    print(f"κ = {kappa:>4}: Newton reaches loss 1e-12 in {newton_steps[kappa].min()}–{newton_steps[kappa].max()} step(s), "
          f"GD at 2/(L+μ) in {gd_steps[kappa].min()}–{gd_steps[kappa].max()} steps (range over 3 starts)")
one_step = all((n == 1).all() for n in newton_steps.values())
grows = gd_steps[1000].min() > gd_steps[10].max()
print("VERDICT: Newton " + ("needs one step on both bowls" if one_step else "needs more than one step")
      + ", while GD at its best fixed rate " + ("needs more steps the larger κ is" if grows else "does not slow down with κ"))

# %% [markdown]
# ## 2. One rate per parameter
#
# A cheap approximation of H⁻¹ keeps only its diagonal: η_i = 1/H_ii, one rate per
# coordinate (`lrc.GD(lr=array)` accepts that). It is exact when the bowl's axes are the
# coordinate axes, and it loses its edge as the bowl rotates away from them: at 45° both
# diagonal entries equal (L + μ)/2 and the diagonal rate is exactly the single rate 2/(L + μ).
# It still reads the Hessian's diagonal, knowledge a plain learning rate does not have.
# Adaptive methods (notebook 05) estimate such per-parameter rates from the gradients alone.
#
# ## 3. Choosing the step length as you go: Armijo backtracking
#
# Start each iteration with a trial step η₀ and halve it until the loss drops by at least a
# fraction c of what the slope promises:
#
# L(w − η·g) ≤ L(w) − c·η·|g|²,   g = ∇L(w).
#
# The right side is the tangent line at w (slope −|g|² along the step −g), made flatter by the
# factor c (here 1e-4). The search needs only loss values; it never sees L or μ.
#
# **The trial step matters.** On a quadratic, L(w − η·g) = L(w) − η·|g|² + ½η²·gᵀHg, so the
# condition holds exactly when η ≤ 2(1 − c)·|g|²/(gᵀHg). Since gᵀHg ≤ L·|g|², every trial step
# up to about 2/L passes at once. A trial step η₀ = 1/L therefore *never* backtracks: the
# "line search" is plain GD at 1/L. A search only searches when it starts large. Here are
# 16 random starts on a κ = 100 bowl (L = 1), with η₀ = 1/L and with η₀ = 100:

# %%
bowl = landscapes.Quadratic.from_condition(100.0, L=1.0, angle=0.3)
x0 = starts_at_loss_one(bowl, 16, lrc.sweeps.seeds(1)[0])
searches = {}
for lr0 in [1.0, 100.0]:
    r = linesearch.backtracking(bowl, x0, 1500, lr0=lr0, tol=1e-8)
    n = r.steps_to(1e-8)
    taken = r.lrs > 0                                     # steps actually taken (a run stops at 1e-8)
    backtracks = r.backtracks.sum(axis=0)
    searches[lr0] = r
    print(f"trial step η₀ = {lr0:>5}: steps to loss 1e-8 {n.mean():.0f} ± {n.std():.0f}; "
          f"backtracks {backtracks.sum()} in all, {backtracks.sum() / taken.sum():.2f} per step; "
          f"accepted steps above 2/L: {np.mean(r.lrs[taken] > 2 / bowl.L):.0%}")
never = searches[1.0].backtracks.sum() == 0 and np.all(searches[1.0].lrs[searches[1.0].lrs > 0] == 1.0)
large = searches[100.0]
always = np.all(large.backtracks[large.lrs > 0] > 0)
print("VERDICT: from the trial step 1/L the search " + ("never backtracked: it was plain GD at 1/L" if never else "backtracked"))
print("VERDICT: from the large trial step it " + ("backtracked at every step" if always else "did not backtrack at every step")
      + " and " + ("accepted steps longer than 2/L" if np.any(large.lrs > 2 / bowl.L) else "never stepped beyond 2/L"))

# %% [markdown]
# A step longer than 2/L would make a *fixed-rate* run diverge, yet the line search takes
# many of them safely: it chooses η for the current gradient only. When the gradient points
# mostly along the flat valley, the curvature along it is small and a long step is right;
# the steep component that this step stirs up gets a short step next time. The price is the
# extra loss evaluations: one per backtrack, on top of one per step.
#
# The dashboard races four methods on one bowl. Sliders: κ, the bowl's rotation, and the
# search's trial step η₀ (watch the backtrack count, and set η₀ to 1 to see the search
# become plain GD).

# %%
widgets.curvature_race(kappa=30.0, angle=0.0, lr0=100.0)


# %% [markdown]
# ### A fair race
#
# To rank the methods, each gets the same tuning budget: 16 values of its knob on a log grid,
# and we keep the value with the fewest mean steps. GD's knob is η; the diagonal method's is a
# factor α in η_i = α/H_ii; the line search's is its trial step η₀ (the halving factor and c stay
# at their defaults; they are knobs too). Newton has no knob. Beside the tuned GD we show GD at
# 2/(L + μ), the rate an oracle that knows L and μ would pick; the line search needs no such
# oracle. Steps count gradient evaluations; the line search also spends loss evaluations
# (1 + its backtracks per step), so its cost is also compared counting both, each loss
# evaluation counted as one, like a gradient. Where a loss evaluation is cheaper than a gradient,
# the line search's true cost lies between its two counts.
#
# A grid of 16 values is coarse, and lesson 01 showed that GD's best rate sits just below the
# cliff at 2/L, between two grid points. As a control, GD is also tuned finely (100 rates from
# 1.00 to 1.99), far beyond the race's budget, to check that the ranking does not hinge on
# GD's grid.

# %%
def mean_sd(n):
    # mean and sd over starts (last axis); inf where some start missed the tolerance
    ok = (n >= 0).all(axis=-1)
    return np.where(ok, n.mean(axis=-1), np.inf), n.std(axis=-1)

grid = 2.0 ** (np.arange(16) / 4 - 2.75)   # η for GD, α for the diagonal rate: 0.149 … 2 (GD's cliff at 2/L)
trials = np.geomspace(1.0, 1000.0, 16)     # η₀ for the line search
fine_eta = np.round(np.arange(1.0, 2.0, 0.01), 2)   # the control: GD tuned finely, beyond the budget
race = {}
for angle in [0.0, 0.3, np.pi / 4]:
    bowl = landscapes.Quadratic.from_condition(100.0, L=1.0, angle=angle)
    x0 = starts_at_loss_one(bowl, 16, lrc.sweeps.seeds(1)[0])
    search = linesearch.backtracking(bowl, x0, 1000, lr0=trials[:, None], tol=1e-8)
    steps = search.steps_to(1e-8)
    race[angle] = {
        "GD": (lrc.run(bowl, lrc.GD(lr=grid[:, None, None]), x0, 1000).steps_to(1e-8), grid),
        "diagonal": (lrc.run(bowl, lrc.GD(lr=grid[:, None, None] / np.diag(bowl.A)), x0, 1000).steps_to(1e-8), grid),
        "Armijo": (steps, trials),
        "Armijo, all evaluations": (np.where(steps >= 0, steps + search.evaluations, -1), trials),
        "GD, fine": (lrc.run(bowl, lrc.GD(lr=fine_eta[:, None, None]), x0, 1000).steps_to(1e-8), fine_eta),
        "oracle": lrc.run(bowl, lrc.GD(lr=theory.best_gd_lr(bowl.L, bowl.mu)), x0, 1000).steps_to(1e-8),
        "Newton": np.array([linesearch.newton(bowl, x, 3).steps_to(1e-8) for x in x0])}

# %%
best = {}
for angle, res in race.items():
    best[angle] = {}
    for name in ["GD", "diagonal", "Armijo", "Armijo, all evaluations", "GD, fine"]:
        mean, sd = mean_sd(res[name][0])
        i = int(np.argmin(mean))
        best[angle][name] = (mean[i], sd[i], res[name][1][i])
show = lambda m: f"{m[0]:.0f} ± {m[1]:.0f}"
tuned = lambda m, knob: f"{m[0]:.0f} ± {m[1]:.0f} ({knob}={m[2]:.3g})"
print("steps to loss 1e-8 (mean ± sd over 16 starts), each method at its best of 16 knob values; κ = 100")
print(f"{'rotation':>8}  {'GD at 2/(L+μ)':>13}  {'GD, best η':>18}  {'diagonal, best α':>18}  {'Armijo, best η₀':>19}  {'Newton':>6}")
for angle, row in best.items():
    res = race[angle]
    print(f"{angle:>8.2f}  {show((res['oracle'].mean(), res['oracle'].std())):>13}  {tuned(row['GD'], 'η'):>18}  "
          f"{tuned(row['diagonal'], 'α'):>18}  {tuned(row['Armijo'], 'η₀'):>19}  {res['Newton'].max():>6}")
print("\nthe line search counting gradients and loss evaluations, its η₀ tuned for that count:")
for angle, row in best.items():
    print(f"{angle:>8.2f}  {tuned(row['Armijo, all evaluations'], 'η₀')} evaluations, "
          f"against {show(row['GD'])} gradients for tuned GD")
print("\ncontrol: GD with η tuned finely (100 rates from 1.00 to 1.99, beyond the race's budget):")
for angle, row in best.items():
    print(f"{angle:>8.2f}  {tuned(row['GD, fine'], 'η')} steps")


# %%
def compare(a, b):
    # "faster"/"slower" only when the means differ by more than the two spreads together
    (ma, sa), (mb, sb) = a[:2], b[:2]
    if abs(ma - mb) <= sa + sb:
        return "about as fast as"
    return "faster than" if ma < mb else "slower than"

for angle, row in best.items():
    newton = race[angle]["Newton"]
    words = [f"the diagonal rate is {compare(row['diagonal'], row['GD'])} tuned GD",
             f"Armijo is {compare(row['Armijo'], row['GD'])} tuned GD",
             f"Newton is {compare((newton.mean(), newton.std()), row['GD'])} tuned GD"]
    print(f"VERDICT: rotated by {angle:.2f} rad, in steps: " + "; ".join(words))
    cost = compare(row["Armijo, all evaluations"], row["GD"]).replace("fast", "cheap").replace("slower", "dearer")
    print(f"VERDICT: rotated by {angle:.2f} rad, counting loss evaluations too, Armijo is {cost} tuned GD")
same = all(compare(row[name], row["GD"]) == compare(row[name], row["GD, fine"])
           for row in best.values() for name in ["diagonal", "Armijo", "Armijo, all evaluations"])
print("VERDICT: with GD's η tuned finely instead of on the race's grid, " + ("every ranking above stays the same"
      if same else "some ranking above changes: the race's result hinges on GD's grid"))

# %% [markdown]
# The line search's row above is its *best* trial step out of 16. How much does that choice
# matter? Left: steps against the knob for the two fixed-rate methods (markers: the race's grid,
# circles for GD and squares for the diagonal rate; a missing point did not reach 1e-8 in 1000
# steps from every start; dotted: the fine control for GD). Right: the line search over a finer grid of
# trial steps, four per doubling, with its loss evaluations per step. Both on the bowl rotated
# by 0.3 rad; bands are ± 1 sd over the 16 starts.

# %%
res = race[0.3]
bowl = landscapes.Quadratic.from_condition(100.0, L=1.0, angle=0.3)
x0 = starts_at_loss_one(bowl, 16, lrc.sweeps.seeds(1)[0])
fine = (2.0 ** np.arange(10)[:, None] * 2.0 ** (np.arange(4) / 4)).ravel()   # 1 … 861, four per doubling
search = linesearch.backtracking(bowl, x0, 1000, lr0=fine[:, None], tol=1e-8)
n = search.steps_to(1e-8)
per_step = ((search.evaluations - 1) / np.maximum(n, 1)).mean(axis=-1)

fig, (ax_fixed, ax_search) = plt.subplots(1, 2, figsize=(11, 3.6))
for name, color, label in [("GD", plotting.SERIES[1], "GD, fixed η"), ("diagonal", plotting.SERIES[0], "diagonal α/H_ii")]:
    mean, sd = mean_sd(res[name][0])
    ok = np.isfinite(mean)
    ax_fixed.plot(grid[ok], mean[ok], "o-" if name == "GD" else "s--", ms=3, color=color, label=label)
    ax_fixed.fill_between(grid[ok], (mean - sd)[ok], (mean + sd)[ok], color=color, alpha=0.2)
ax_fixed.set(xscale="log", yscale="log", xlabel="knob: η (GD) or α (diagonal)", ylabel="steps to loss 1e-8")
mean, sd = mean_sd(res["GD, fine"][0])
ax_fixed.plot(fine_eta[np.isfinite(mean)], mean[np.isfinite(mean)], color=plotting.SERIES[1], lw=1.2, ls=":", zorder=3,
              label="GD, fine η sweep (control)")
ax_fixed.plot(best[0.3]["GD, fine"][2], best[0.3]["GD, fine"][0], "*", ms=9, color=plotting.SERIES[1], mec="k",
              label="GD, best of the fine sweep")
ax_fixed.axvline(2 / bowl.L, color="k", ls="-.", lw=1, label="2/L")
ax_fixed.set_xticks([0.25, 0.5, 1.0, 2.0], ["0.25", "0.5", "1", "2"], minor=False)
ax_fixed.set_xticks([], minor=True)
ax_fixed.legend(fontsize=8)
mean, sd = mean_sd(n)
ax_search.plot(fine, mean, "o-", ms=3, color=plotting.SERIES[3], label="Armijo: steps")
ax_search.fill_between(fine, mean - sd, mean + sd, color=plotting.SERIES[3], alpha=0.2)
ax_search.axhline(best[0.3]["GD"][0], color=plotting.SERIES[1], ls="--", lw=1, label="GD, best of the race's 16 η: steps")
ax_search.axvline(2 / bowl.mu, color="k", ls="-.", lw=1, label="2/μ")
ax_search.set(xscale="log", yscale="log", xlabel="trial step η₀", ylabel="steps to loss 1e-8")
ax_evals = ax_search.twinx()
ax_evals.plot(fine, per_step, color="0.5", lw=1, label="loss evaluations per step (right axis)")
ax_evals.set(ylabel="loss evaluations per step", ylim=(0, 12))
ax_search.legend(handles=ax_search.lines + ax_evals.lines, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
fig.tight_layout()
plt.show()

# %%
knob = mean.max() - mean.min() > sd[np.argmax(mean)] + sd[np.argmin(mean)]
print(f"Armijo over the fine trial-step grid: from {mean.min():.0f} to {mean.max():.0f} mean steps; "
      f"the best of the race's 16 trial steps needed {best[0.3]['Armijo'][0]:.0f}")
print("VERDICT: the line search's step count " + ("depends on its trial step by more than the spread over starts: "
      "the trial step is a knob" if knob else "barely depends on its trial step"))
far = np.flatnonzero(fine[:-4] > 2 / bowl.mu)         # η₀ and 2·η₀ both beyond 2/μ
repeats = all(np.array_equal(n[i], n[i + 4]) and np.array_equal(search.evaluations[i + 4] - search.evaluations[i], n[i])
              for i in far)
print(f"pairs (η₀, 2·η₀) beyond 2/μ compared: {len(far)}")
print("VERDICT: beyond 2/μ, doubling the trial step " + ("leaves every run unchanged and adds one loss evaluation per step"
      if repeats and len(far) else "changes the runs"))

# %% [markdown]
# What to take from the race:
# - Newton is in a class of its own on a quadratic, but it needs the whole Hessian (d² numbers
#   and a linear solve per step).
# - The diagonal rate solves the axis-aligned bowl in one step (α = 1), still helps when the
#   bowl is rotated a little, and is no better than a single rate at 45°; it reads the
#   Hessian's diagonal.
# - The fixed rate needs tuning or an oracle that knows L and μ. The oracle's 2/(L + μ) is the
#   best rate *in the long run*, where only the slowest direction counts; from these starts
#   most of the loss sits in the steep direction, and a slightly smaller rate clears it faster,
#   which is why the tuned η (see the fine control) needs fewer steps than the oracle's rate to
#   reach 1e-8. The best rate sits just below the cliff, so a coarse grid easily misses it.
# - The line search, started large, needs fewer steps than tuned GD, because it can take
#   steps longer than 2/L when the gradient allows. But each step costs loss evaluations too,
#   and counting each like a gradient it is dearer than tuned GD even with η₀ tuned for that count.
# - Its trial step is a knob with an odd shape: the count jumps up and down, and the pattern
#   nearly repeats with every doubling of η₀, because halving from η₀ and from 2·η₀ tries the
#   same steps after the first. Beyond 2/μ, where no trial step is ever accepted at once, it
#   repeats exactly: doubling η₀ only adds one loss evaluation per step. Compare the best of the fine grid with the best of
#   the race's 16 trial steps (both printed below the figure): which values you try matters
#   here as much as it does for a learning rate.
#
# ## Recap
# - The learning rate plays the part of H⁻¹; one number cannot undo different curvatures.
# - Newton's step solves a quadratic in one step but needs the Hessian (d² numbers).
# - A per-parameter rate is a diagonal H⁻¹: perfect for axis-aligned curvature, no better than
#   one rate when the valley is rotated by 45°.
# - Backtracking line search picks η per step from loss values alone, without knowing L or
#   μ, but only if its trial step is large: from η₀ = 1/L it never backtracks. The trial step,
#   the halving factor and c remain knobs.
#
# **Exercise:** [exercises/02_curvature_newton_line_search](../exercises/02_curvature_newton_line_search/02_curvature_newton_line_search.ipynb) (a Newton step and Armijo backtracking). Each task checks itself when you run its test cell; `hint("02.1")` helps when you are stuck.
# **Next:** [03_momentum](03_momentum.ipynb).
