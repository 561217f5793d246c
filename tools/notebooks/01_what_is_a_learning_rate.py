# %% [markdown]
# # 01 · What is a learning rate?
#
# **After this notebook you will be able to**
# - write the gradient-descent update and say what η does in it,
# - tell monotone, oscillating and diverging runs apart, and predict which one you get,
# - find the stability limit 2/L by experiment and by theory,
# - explain the zig-zag of gradient descent in a narrow valley, and what it costs.

# %%
import numpy as np
import matplotlib.pyplot as plt
import lrcourse as lrc
from lrcourse import landscapes, plotting, theory, widgets

# %% [markdown]
# ## 1. The update
#
# Gradient descent repeats one step: **w ← w − η·∇L(w)**. The gradient points uphill; the
# learning rate η (also called the step size or gain) decides how far we walk the other way.
#
# On the parabola L(w) = a·w²/2 the gradient is a·w, so one step multiplies w by the factor
# q = 1 − η·a, the same factor at every step: after t steps w = qᵗ·w₀. Everything follows from q:
#
# | η·a | factor q = 1 − η·a | what the run does |
# |---|---|---|
# | between 0 and 1 | between 0 and 1 | creeps towards 0 from one side (monotone) |
# | exactly 1 | 0 | lands on the minimum in one step |
# | between 1 and 2 | between −1 and 0 | jumps across 0 each step, still shrinking (oscillates) |
# | exactly 2 | −1 | jumps between w₀ and −w₀ forever: neither converges nor diverges |
# | above 2 | below −1 | jumps across 0 and grows: diverges |
#
# The speed depends only on |q|: the error shrinks by |1 − η·a| per step.
#
# Move the slider (the curvature is a = 1, so η = 1 and η = 2 are the boundaries; the
# dashboard writes the curvature as L, the name it has in the rest of the course). The title
# names the regime from q itself, not from the 25 steps drawn: just above η = 2 a run grows so
# slowly that 25 steps could pass for "oscillating", yet |q| > 1 means it grows without end.

# %%
widgets.gd_parabola(lr=0.3)

# %% [markdown]
# ## 2. The limit, found by experiment
#
# We run gradient descent for many rates at once (one broadcast call) and look for the
# smallest rate that diverges. The theory says 2/L. A run counts as diverged once its loss
# has grown a million-fold (the default bound of `lrc.run`); a rate just above 2/L grows so
# slowly that it may not get there within the steps we allow, so the cell also computes the
# smallest rate whose growth the experiment *can* detect in that many steps.

# %%
curvature = 4.0
parabola = landscapes.Parabola(curvature=curvature)
lrs = np.linspace(0.01, 0.7, 4000)
steps = 3000
runs = lrc.run(parabola, lrc.GD(lr=lrs[:, None]), x0=[1.0], steps=steps, record=False)
limit = theory.gd_stability_limit(curvature)
found = lrs[runs.diverged].min()
# |w| grows by |1 − η·a| per step; the run is flagged once the loss (∝ w²) passed the bound
growth = np.sqrt(runs.max_loss[0] / parabola.value([1.0]))
detectable = (1 + growth ** (1 / steps)) / curvature
print(f"theory 2/L:                                   {limit:.4f}")
print(f"smallest diverging rate found:                {found:.4f}")
print(f"smallest rate that can be flagged in {steps} steps: {detectable:.4f}")
print(f"rates below 2/L that diverged:                {int(runs.diverged[lrs < limit].sum())} of {int((lrs < limit).sum())}")
grid_step = lrs[1] - lrs[0]
agrees = not runs.diverged[lrs < limit].any() and detectable <= found < detectable + grid_step
print("VERDICT: " + ("no rate below 2/L diverged, and divergence shows up exactly where growth past 2/L "
                     "becomes visible" if agrees else "the measured limit does not match 2/L"))

# %% [markdown]
# So the experiment finds the limit, and the small gap above 2/L is explained: right at
# η = 2/L the factor is exactly −1 and the run bounces forever without growing, and just
# above it the growth is too slow to reach the bound in the steps we allowed.
#
# ## 3. Too low, about right, too high: measured
#
# The usual picture says a low rate is slow and a high one unstable. First the parabola
# (a = 1, start w₀ = 2): steps to reach loss 1e-6, whether the sign of w flipped, and the loss
# after 100 steps.

# %%
parabola = landscapes.Parabola(curvature=1.0)
table = {}
print(f"{'η':>5} {'factor 1−η·a':>13} {'steps to 1e-6':>14} {'sign flips':>11} {'loss after 100':>15}")
for lr in [0.01, 0.1, 0.5, 1.0, 1.5, 1.9, 2.0, 2.1]:
    r = lrc.run(parabola, lrc.GD(lr=lr), x0=[2.0], steps=100)
    w = r.xs[: r.diverged_at + 1 if r.diverged else None, 0]
    flips = bool(np.any(w[1:] * w[:-1] < 0))
    reached = r.steps_to(1e-6)
    table[lr] = reached
    last = f"diverged at {r.diverged_at}" if r.diverged else f"{float(r.loss):.1e}"
    print(f"{lr:>5} {1 - lr:>+13.2f} {reached if reached >= 0 else 'never':>14} {str(flips):>11} {last:>15}")
mirrored = all(table[lr] == table[round(2 - lr, 10)] for lr in [0.1, 0.5])
print("VERDICT: on the parabola a rate η and its mirror image 2/a − η need "
      + ("the same number of steps" if mirrored else "different numbers of steps"))

# %% [markdown]
# The table is symmetric about η = 1/a: η = 0.5 and η = 1.5 need the same number of steps,
# and so do 0.1 and 1.9, because the error shrinks by |1 − η·a| per step and
# |1 − 0.5| = |1 − 1.5|. The only difference is the sign flip. η = 1/a is not merely "about
# right": it solves the problem in one step, so on a parabola every other rate looks slow
# next to it, and a "within a few times the fastest run" rule would call η = 0.5 "too low".
# That says more about the parabola than about learning rates.
#
# A fairer test has two curvatures, as every real problem does. Take a bowl with curvatures
# μ = 0.1 and L = 1 (condition number κ = L/μ = 10). Now no rate solves it in one step: the
# error along each curvature λ shrinks by |1 − η·λ| per step and the run goes at the pace of
# the slower one, max(|1 − η·μ|, |1 − η·L|). We sweep η finely, start each rate from 16 random
# points (all at loss 1, so "loss 1e-6" means the same million-fold gain from each), and count
# the steps to loss 1e-6. We call a rate **about right** when it needs at most twice as many
# steps, on average, as the best rate of the sweep; slower rates below the best are **too low**,
# slower rates above it **too high**, and rates whose runs blow up **diverge**.

# %%
bowl = landscapes.Quadratic.from_condition(10.0, L=1.0, angle=np.pi / 6)
rng = np.random.default_rng(lrc.sweeps.seeds(1)[0])
u = rng.normal(size=(16, 2))
starts = u / np.sqrt(bowl.value(u))[:, None]              # 16 random starts, each at loss 1
sweep = np.round(np.arange(0.02, 2.2, 0.02), 2)
runs = lrc.run(bowl, lrc.GD(lr=sweep[:, None, None]), x0=starts, steps=1000)
n = runs.steps_to(1e-6)                                   # shape (rate, start); -1: not within 1000 steps
ok = (n >= 0).all(axis=1)
mean, sd = np.where(ok, n.mean(axis=1), np.inf), np.where(ok, n.std(axis=1), np.nan)
best = int(np.argmin(mean))
band = sweep[mean <= 2 * mean[best]]
print(f"best rate of the sweep: η = {sweep[best]:.2f}, {mean[best]:.1f} ± {sd[best]:.1f} steps (mean ± sd over 16 starts)")
print(f"theory's best rate 2/(L+μ) = {theory.best_gd_lr(bowl.L, bowl.mu):.2f}; stability limit 2/L = {2 / bowl.L:.2f}")
print(f"'about right' (at most twice the best mean): η from {band.min():.2f} to {band.max():.2f}")
missed = sweep[~ok]
print(f"rates that missed loss 1e-6 within 1000 steps from some start: η ≤ {missed[missed < sweep[best]].max():.2f} "
      f"(too slow) and η ≥ {missed[missed > sweep[best]].min():.2f} (never converge); the figure leaves them out")


# %%
def verdict(i):
    if runs.diverged[i].any():
        return "diverges"
    if mean[i] <= 2 * mean[best]:
        return "about right"
    return "too low" if sweep[i] < sweep[best] else "too high"

print(f"{'η':>5} {'verdict':<12} {'steps to 1e-6 (mean ± sd)':>26} {'long-run factor per step (theory)':>34}")
for lr in [0.1, 0.3, 0.6, 1.2, 1.5, 1.8, 1.96, 2.04]:
    i = int(np.argmin(np.abs(sweep - lr)))
    steps_text = f"{mean[i]:.1f} ± {sd[i]:.1f}" if ok[i] else "not reached"
    print(f"{sweep[i]:>5.2f} {verdict(i):<12} {steps_text:>26} {theory.gd_rate(sweep[i], bowl.eigenvalues):>34.3f}")

# %%
fig, ax = plt.subplots(figsize=(9, 3.4))
ax.plot(sweep[ok], mean[ok], color=plotting.SERIES[1], label="mean steps to loss 1e-6 (16 starts)")
ax.fill_between(sweep[ok], (mean - sd)[ok], (mean + sd)[ok], color=plotting.SERIES[1], alpha=0.2, label="± 1 sd")
ax.axvspan(band.min(), band.max(), color=plotting.OKABE_ITO["bluish green"], alpha=0.15, label="about right (≤ 2 × best)")
ax.axvline(theory.best_gd_lr(bowl.L, bowl.mu), color="k", ls="--", lw=1, label="2/(L+μ)")
ax.axvline(2 / bowl.L, color="k", ls=":", lw=1, label="2/L")
ax.axvspan(2 / bowl.L, 2.2, color="0.5", alpha=0.25, label="diverges (η > 2/L)")
ax.set(yscale="log", xlabel="learning rate η", ylabel="steps to loss 1e-6", xlim=(0, 2.2))
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
fig.tight_layout()
plt.show()
best_in_band = band.min() <= theory.best_gd_lr(bowl.L, bowl.mu) <= band.max()
lopsided = sweep[best] - band.min() > 3 * (band.max() - sweep[best])
print("VERDICT: the 'about right' band " + ("contains" if best_in_band else "misses") + " the theory's best rate 2/(L+μ)")
print("VERDICT: " + ("the band is lopsided: it reaches far below the best rate but ends just short of 2/L, "
                     "so a little too high costs more than a little too low" if lopsided else
                     "the band is not lopsided about the best rate"))

# %% [markdown]
# With two curvatures, "too low" and "too high" have different causes. Too low, the flat
# direction crawls (1 − η·μ close to 1). Too high, the steep direction oscillates and its
# factor |1 − η·L| approaches 1 as η approaches 2/L; past 2/L it diverges. The best rate
# 2/(L + μ) balances the two, |1 − η·μ| = |1 − η·L|, and because it sits close to the cliff at
# 2/L, the "about right" band ends just below the cliff while stretching far to the left.
# (The best rate of the sweep is a little below 2/(L + μ): from these starts most of the loss
# sits in the steep direction, and a slightly smaller rate shrinks it faster. The last column,
# max |1 − η·λ| from the theory, is the long-run rate, set by whichever direction is slower.)
#
# ## 4. Two dimensions: the zig-zag
#
# On a bowl with curvatures μ (flat direction) and L (steep direction) a single η multiplies
# the error along the flat direction by 1 − η·μ and along the steep one by 1 − η·L. Keeping the
# steep direction from growing needs η < 2/L, so the flat factor stays above 1 − 2μ/L. The best
# compromise is η = 2/(L + μ), where both factors have the same size
#
# (κ − 1)/(κ + 1) = 1 − 2μ/(L + μ),   with κ = L/μ the condition number,
#
# and no fixed rate does better: at every fixed η one of the two directions shrinks per step by
# a factor no better than (κ − 1)/(κ + 1), so from any start with a component along both
# directions the error does no better in the long run. For large κ this is about 1 − 2/κ, so the number of steps to
# gain a fixed factor grows in proportion to κ.
#
# Sliders: κ, and η as a fraction of 2/L. Watch the path bounce across the valley.

# %%
widgets.zigzag(kappa=20.0, lr_fraction=0.9)

# %% [markdown]
# At η = 2/(L + μ) both directions shrink by exactly (κ − 1)/(κ + 1) per step, so the error
# norm does too, from any start: the measured count of steps to shrink the error 1000-fold
# should equal the theory's count for every start point. Three random starts per κ:

# %%
counts = {}
for kappa in [10, 100, 1000]:
    bowl = landscapes.Quadratic.from_condition(kappa, L=1.0)
    rate = theory.best_gd_rate(kappa)
    predicted = theory.iterations_to_reduce(rate)
    x0 = np.random.default_rng(lrc.sweeps.seeds(1)[0]).normal(size=(3, 2))
    r = lrc.run(bowl, lrc.GD(lr=theory.best_gd_lr(bowl.L, bowl.mu)), x0=x0, steps=predicted + 5)
    err = np.linalg.norm(r.xs, axis=-1)                      # shape (step, start)
    measured = np.argmax(err <= err[0] / 1e3, axis=0)
    counts[kappa] = (predicted, measured)
    print(f"κ = {kappa:>5}: factor {rate:.4f} per step, theory {predicted:>5} steps for 1000×, "
          f"measured {measured.min()}–{measured.max()} over 3 starts")
exact = all((m == p).all() for p, m in counts.values())
proportional = all(0.9 < counts[10 * k][0] / (10 * counts[k][0]) < 1.1 for k in [10, 100])
print("VERDICT: the measured counts " + ("equal" if exact else "differ from") + " the theory's count from every start, "
      "and they " + ("grow in proportion to κ" if proportional else "do not grow in proportion to κ"))

# %% [markdown]
# ## Recap
# - GD multiplies the error along each curvature λ by (1 − η·λ) per step; its size |1 − η·λ|
#   sets the speed, so on a parabola η and 2/a − η are equally fast.
# - On a parabola of curvature a: 0 < η·a < 1: monotone; η·a = 1: one step; 1 < η·a < 2:
#   oscillating but converging; η·a = 2: bouncing forever; η·a > 2: divergence. On a bowl
#   this holds along each curvature separately, so the largest one, L, decides divergence.
# - There is no largest rate that converges: GD converges for every η below 2/L, and 2/L is
#   the limit of that open interval.
# - The largest curvature sets the limit, the smallest one sets the speed: at the best fixed
#   rate 2/(L + μ) the error shrinks by (κ − 1)/(κ + 1) per step, and the number of steps grows
#   in proportion to κ. Just below 2/L lies a cliff, so a slightly low rate is the safer error.
#
# **Exercise:** [exercises/01_what_is_a_learning_rate](../exercises/01_what_is_a_learning_rate/01_what_is_a_learning_rate.ipynb) (gradient descent by hand, the stability limit of a bowl, the three regimes). Each task checks itself when you run its test cell; `hint("01.1")` helps when you are stuck.
# **Next:** [02_curvature_newton_line_search](02_curvature_newton_line_search.ipynb).
