# %% [markdown]
# # 04 · Learning-rate schedules
#
# **After this notebook you will be able to**
# - write every common schedule as a formula of the step t, exactly,
# - tell time-based decay (a recursion) from inverse-time decay (a closed form),
# - line the textbook step decay up with PyTorch's StepLR, and drive PyTorch's schedulers in
#   the right order,
# - compare schedules fairly: each at its own tuned η₀, averaged over many noisy runs,
# - explain with the noise floor and the sum of the rates when decay helps and when it hurts,
# - use warm-up, one-cycle, cyclic rates, restarts and reduce-on-plateau.
#
# In `lrcourse` a schedule is a pure function `t -> η` (t = number of updates done so far, so
# t = 0 is the rate of the first update). Any optimizer takes one as its `lr`.
# `S.describe(schedule)` writes a schedule in words, for legends.

# %%
import numpy as np
import matplotlib.pyplot as plt
import lrcourse as lrc
from lrcourse import landscapes, plotting, schedules as S, widgets

# %% [markdown]
# ## 1. The decays, exactly
#
# - constant: η_t = η₀
# - time-based: **η_{n+1} = η_n / (1 + d·n)**, a recursion on the previous rate
# - inverse-time (Keras' name): η_n = η₀ / (1 + d·n), a closed form
# - step decay: η_n = η₀ · d^⌊(1+n)/r⌋, with drop factor d (0 < d < 1) and one drop every r steps
# - exponential: η_n = η₀ · e^(−d·n)
# - inverse scaling (scikit-learn's `invscaling`): η_n = η₀ / (n + 1)^p
#
# The time-based recursion and the inverse-time closed form are often confused. Unrolled, the
# recursion divides η₀ by (1 + d·0)(1 + d·1)…(1 + d·(n−1)). That product equals
# d^(n−1)·Γ(n + 1/d)/Γ(1 + 1/d), which grows faster than any exponential, so the time-based rate
# **collapses**: in the figure it falls out through the bottom of the plot within a few dozen
# steps (the axis is cut so that the other decays stay readable; the cell prints where it goes).

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.8))
decays = [S.time_based(0.1, 0.01), S.inverse_time(0.1, 0.01), S.exponential(0.1, 0.01),
          S.step_decay(0.1, 0.5, 50), S.inverse_scaling(0.1, 0.5)]
for i, s in enumerate(decays):
    plotting.schedule_curve(ax, s, 200, label=S.describe(s), **plotting.style(i))
bottom = 1e-3
ax.set(yscale="log", ylim=(bottom, 0.15), title="decays, η₀ = 0.1 (the time-based rate drops off the bottom)")
plotting.legend(ax, loc="lower left")
plt.show()

tb = S.time_based(0.1, 0.01)(np.arange(200))
print(f"time-based decay falls below {bottom:g} at step {int(np.argmax(tb < bottom))} "
      f"and reaches {tb[-1]:.1e} at step 199")
eta = 0.1
for n in range(100):
    eta = eta / (1 + 0.01 * n)
print(f"at n = 100: the recursion by hand {eta:.3e}, lrcourse time_based {S.time_based(0.1, 0.01)(100):.3e}, "
      f"inverse-time {S.inverse_time(0.1, 0.01)(100):.3e}")

# %% [markdown]
# ## 2. Step decay against PyTorch's StepLR, and PyTorch's conventions
#
# The textbook formula uses ⌊(1 + n)/r⌋; PyTorch's `StepLR` uses ⌊n/r⌋, so it drops one step
# later. Here is the table next to PyTorch's own scheduler.
#
# Three conventions of `torch.optim.lr_scheduler` matter when you line it up with a formula:
#
# 1. **Building a scheduler already sets the first rate.** The constructor writes the rate for
#    step 0 into the optimizer (for `OneCycleLR` that is `max_lr/div_factor`, not the `lr` you
#    gave SGD), so do not call `step()` once "to start it".
# 2. **`scheduler.step()` comes after `optimizer.step()`**, once per update (or once per epoch,
#    if the schedule counts epochs). The other order skips the first rate, and PyTorch warns.
# 3. **`scheduler.get_last_lr()`** is the rate the *next* `optimizer.step()` will use. After k
#    calls of `scheduler.step()` it equals our schedule at t = k.

# %%
import torch

p = torch.zeros(1, requires_grad=True)
opt = torch.optim.SGD([p], lr=0.1)
step_lr = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
torch_rates = []
for _ in range(8):
    torch_rates.append(step_lr.get_last_lr()[0])   # the rate this update uses
    opt.step()                                      # the update ...
    step_lr.step()                                  # ... then the scheduler
textbook = S.step_decay(0.1, drop=0.5, every=3)(np.arange(8))
ours = S.step_lr(0.1, gamma=0.5, step_size=3)(np.arange(8))
print(" n  textbook  lrcourse.step_lr  torch StepLR")
for n in range(8):
    print(f"{n:>2}  {textbook[n]:.4f}    {ours[n]:.4f}            {torch_rates[n]:.4f}")

# %%
opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
print(f"SGD built with lr = {opt.param_groups[0]['lr']:g}")
cycle = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=300)
print(f"after OneCycleLR(max_lr=0.1, total_steps=300) is built, before any step: the optimizer's rate is "
      f"{opt.param_groups[0]['lr']:g}, get_last_lr() gives {cycle.get_last_lr()[0]:g}, "
      f"and lrcourse's one_cycle at t = 0 gives {S.one_cycle(0.1, 300)(0):g}")

# %% [markdown]
# ## 3. Every schedule with its own sliders
#
# Each dashboard shows the schedule and what it does to gradient descent with **noisy
# gradients** (as with minibatches, here exact gradients plus Gaussian noise of size σ = 2) on a
# bowl with curvatures 0.2 and 2, against the constant rate η₀. Every setting runs 16 noisy runs
# at once; the curves are their mean loss, and the title gives the mean ± standard error of each
# run's average loss over its last 50 steps. With noise, a constant rate stops improving at a
# **noise floor** that grows with η; decaying η lowers the floor. The tabs come in two rows,
# rates that only decay and rates that rise again; each row opens on its first schedule (step
# decay, cosine). The constant tab, last in the first row, compares the constant rate with itself
# and is there as the control.

# %%
tabs = widgets.schedule_tabs(lr=0.4)
tabs

# %% [markdown]
# One tab per schedule; the axes stay fixed while you drag, so two positions of a slider can be
# compared by eye. To get one of them on its own, larger, call `widgets.schedule_explorer` with
# the tab's name, for example `"one_cycle"`.
#
# ## 4. Which schedule wins on the noisy bowl? A fair race
#
# One run per schedule decides nothing here: the loss of a single noisy run wanders by as much
# as the differences between schedules. And comparing every schedule at one η₀ ranks them by how
# well that η₀ happens to suit each. So the race is run like this:
#
# - **shapes**: every schedule keeps the shape of its tab's starting sliders (printed below);
#   only η₀ (the peak rate) is tuned;
# - **tuning**: for each schedule, η₀ is swept over the same grid (printed below; it must be
#   fine, or the race ranks grid points instead of schedules); each point is the mean over the
#   tuning runs (their number is in the figure's title, one broadcast call) of each run's average
#   loss over its last 50 of 300 steps;
# - **measuring**: each schedule is then run at its own best η₀ on *fresh* noise, a few thousand
#   runs, so the luck of the tuning runs does not flatter the winner. All schedules see the same
#   noise, so a difference between two of them is measured run by run (a paired difference);
# - **verdicts**: a difference counts as real only when it is larger than three standard
#   errors of that paired difference. The constant rate, tuned the same way, is the control.

# %%
bowl = landscapes.Quadratic.from_condition(10.0, L=2.0)    # curvatures 0.2 and 2, along the axes
SIGMA, STEPS, TAIL, X0 = 2.0, 300, 50, np.array([3.0, 3.0])
TUNE_SEED, TEST_SEED = lrc.sweeps.seeds(2)
ETAS = np.geomspace(0.01, 1.5, 25)                           # the tuning grid for η₀
Z = 3.0                                                      # "real" = more than Z standard errors
RUNS, TUNE_RUNS = 4096, 256                                  # runs per measurement / per tuning point

SHAPES = {                                                   # η₀ -> schedule, as the tabs start
    "constant": lambda lr: S.constant(lr),
    "time_based": lambda lr: S.time_based(lr, 0.01),
    "inverse_time": lambda lr: S.inverse_time(lr, 0.05),
    "inverse_scaling": lambda lr: S.inverse_scaling(lr, 0.5),
    "step_decay": lambda lr: S.step_decay(lr, 0.5, 50),
    "exponential": lambda lr: S.exponential(lr, 0.01),
    "cosine": lambda lr: S.cosine(lr, 300, lr / 100),
    "cosine_restarts": lambda lr: S.cosine_restarts(lr, 50, 2, lr / 100),
    "cyclic": lambda lr: S.cyclic(lr / 10, lr, 30),
    "warmup": lambda lr: S.warmup(S.cosine(lr, 270, lr / 100), 30, 0.01),   # cosine fills the other 270
    "one_cycle": lambda lr: S.one_cycle(lr, 300, 0.3),
}
WORDS = {name: S.describe(make(0.1), numbers=False) for name, make in SHAPES.items()}


def tail_loss(schedule, seed, runs):
    # each run's mean loss over its last TAIL steps: `runs` noisy runs in one broadcast call
    noisy = landscapes.Noisy(bowl, sigma=SIGMA, seed=seed)
    return lrc.sweeps.tail_losses(noisy, lrc.GD(lr=schedule), X0, STEPS, TAIL, runs)


def mean_se(values):
    # mean ± standard error over runs; a diverged run makes the mean infinite
    if not np.all(np.isfinite(values)):
        return np.inf, np.nan
    return values.mean(), values.std(ddof=1) / np.sqrt(values.size)


def compare(a, b):
    # "below", "above" or "tied": a against b, run by run (same noise), against Z standard errors
    finite_a, finite_b = np.all(np.isfinite(a)), np.all(np.isfinite(b))
    if not (finite_a and finite_b):                          # a diverged run loses
        return "tied" if finite_a == finite_b else "above" if finite_b else "below"
    diff, se = mean_se(a - b)
    return "below" if diff < -Z * se else "above" if diff > Z * se else "tied"


def listing(names):
    # schedule names in words: "a", "a and b", "a, b and c"; "no schedule" for none
    words = [WORDS[n] for n in names] or ["no schedule"]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def verdict(where, names, what, among=SHAPES, everyone="every other schedule"):
    # one VERDICT line in words, e.g. "VERDICT: at the small η₀, cosine ends below the constant rate"
    if len(names) > 1 and set(names) == set(among) - {"constant"}:
        subject, verb = everyone, "ends"
    else:
        subject, verb = listing(names), "end" if len(names) > 1 else "ends"
    print(f"VERDICT: {where}, {subject} {verb} {what}")


def tune(make, runs=TUNE_RUNS):
    # mean and standard error of the tail loss at every η₀ of the grid, and the best η₀
    curve = np.array([mean_se(tail_loss(make(lr), TUNE_SEED, runs)) for lr in ETAS])
    return ETAS[int(np.argmin(curve[:, 0]))], curve


print(f"η₀ grid: {ETAS.size} values from {ETAS[0]:g} to {ETAS[-1]:g}, each {ETAS[1] / ETAS[0]:.2f} times the one before")
print("the shapes, written out at η₀ = 0.1:")
for name, make in SHAPES.items():
    print(f"  {name:<16} {S.describe(make(0.1))}")

# %%
tuned = {name: tune(make) for name, make in lrc.sweeps.progress(SHAPES.items(), desc="tuning each schedule",
                                                                  total=len(SHAPES))}

fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
groups = [["constant", "time_based", "inverse_time", "inverse_scaling", "step_decay", "exponential"],
          ["constant", "cosine", "cosine_restarts", "cyclic", "warmup", "one_cycle"]]
for ax, group in zip(axes, groups):
    for i, name in enumerate(group):
        best, curve = tuned[name]
        m = np.where(np.isfinite(curve[:, 0]), curve[:, 0], np.nan)   # curves stop where runs diverged
        style = dict(color="black", lw=2.5, ls="-") if name == "constant" else plotting.style(i - 1, marker=True, ms=4)
        line, = ax.plot(ETAS, m, label=WORDS[name], **style)
        ax.fill_between(ETAS, m - curve[:, 1], m + curve[:, 1], color=line.get_color(), alpha=0.2)
        ax.plot(best, curve[ETAS == best, 0], style.get("marker", "o"), color=line.get_color(), ms=10, mec="k")
    ax.set(xscale="log", yscale="log", xlabel="η₀ (peak rate)", ylim=(0.03, 10))
    ax.legend(fontsize=8)
axes[0].set(ylabel=f"mean loss, last {TAIL} of {STEPS} steps")
fig.suptitle(f"loss over the last {TAIL} of {STEPS} steps against η₀ (tuning runs, mean ± s.e. of {TUNE_RUNS} runs;\n"
             "large outlined marker = each schedule's best η₀; a curve stops where a run diverged)")
plt.show()

# %%
measured = {name: tail_loss(SHAPES[name](best), TEST_SEED, RUNS) for name, (best, _) in tuned.items()}
edge = [name for name, (best, _) in tuned.items() if best in (ETAS[0], ETAS[-1])]
means = {name: mean_se(v)[0] for name, v in measured.items()}
order = sorted(measured, key=means.get)
rank, tier, leader = {}, 0, None          # a new rank starts only where the gap to its leader is real
for name in order:
    if leader is None or compare(measured[name], measured[leader]) == "above":
        tier, leader = tier + 1, name
    rank[name] = tier
versus = {name: compare(v, measured["constant"]) for name, v in measured.items() if name != "constant"}

print(f"loss = each run's mean loss over its last {TAIL} of {STEPS} steps; {RUNS} fresh runs per schedule")
print(f"{'schedule':<16} {'best η₀':>8}   mean loss ± s.e.                      minus constant ± s.e.   rank")
for name in order:
    m, se = mean_se(measured[name])
    d, dse = mean_se(measured[name] - measured["constant"])
    print(f"{name:<16} {tuned[name][0]:>8.3f}   {m:>9.4f} ± {se:.4f}                {d:>+8.4f} ± {dse:.4f}      {rank[name]}")
print("best η₀ at the edge of the grid (widen it!):", edge if edge else "none")
for outcome, what in [("below", "below the tuned constant rate"), ("above", "above the tuned constant rate"),
                      ("tied", "level with the tuned constant rate, within the spread")]:
    verdict("each at its own best η₀", [n for n in versus if versus[n] == outcome], what)
warm = {"below": "lowers the loss", "above": "costs loss", "tied": "changes nothing within the spread"}
d, dse = mean_se(measured["warmup"] - measured["cosine"])
print(f"warm-up + cosine minus cosine, run by run: {d:+.4f} ± {dse:.4f}")
print(f"VERDICT: on this bowl, putting a warm-up in front of cosine {warm[compare(measured['warmup'], measured['cosine'])]}"
      " (each at its own best η₀)")

# %% [markdown]
# Read the table with its spread. The rank column starts a new rank only where the gap to the
# previous rank's leader is larger than three standard errors, so schedules with the same rank
# cannot be told apart by this experiment: the order inside a rank is noise. The converse does
# not hold: two neighbours in different ranks may still be within noise of each other, since
# only the gap to the rank's leader was tested. The same holds for
# the verdict lines, which compare every schedule with the tuned constant rate run by run. Note
# which schedules lose even at their best η₀: a schedule whose rate collapses early stops moving
# while the error (from the start, and from the noise of its early large steps) is still there,
# and one that keeps returning to a high rate right up to the end sits at a high noise floor;
# neither can finish low. Every verdict is about these shapes with the settings listed above
# (time-based decay with d = 0.01, a cyclic rate with half cycles of 30 steps from η₀/10, …):
# another decay constant or cycle length is another schedule. The last verdict line asks
# whether a warm-up in front of cosine pays on this bowl, where nothing in the first steps
# needs protecting; after its 30 warm-up steps the cosine runs over the other 270, so both
# shapes come down to η₀/100 by the end of the budget and differ only by the warm-up.
#
# ## 5. Why decay helps at a large η₀ and can hurt at a small one
#
# On this bowl every direction of the error evolves on its own. Along the eigenvector with
# curvature λ, with error e_t and gradient noise ξ_t of size σ,
#
#   e_{t+1} = (1 − η_t·λ)·e_t − η_t·σ·ξ_t,
#
# so its mean square m_t = E[e_t²] obeys m_{t+1} = (1 − η_t·λ)²·m_t + η_t²·σ², and the expected
# loss is Σ ½·λ·m_t over the directions. It is the sum of two parts:
#
# - the **initial error left**, ½·λ·e_0²·∏(1 − η_k·λ)², which is about ½·λ·e_0²·exp(−2·λ·Σ_k η_k)
#   while η·λ is small: to remove it, what counts is the **sum of the rates Σ η_t**;
# - the **noise part**, which for a constant rate settles at the **noise floor**
#   ½·λ·m_∞ = η·σ²/(2·(2 − η·λ)) per direction, proportional to η while η·λ is small.
#
# The next cell computes both parts exactly for any sequence of rates, and checks the floor
# against the measured constant rate at η₀ = 0.05.

# %%
LAMBDAS = np.linalg.eigvalsh(bowl.A)          # 0.2 and 2
E0 = X0 - bowl.center                          # the bowl's axes are the coordinate axes


def expected_loss(rates):
    # exact E[loss] at every step: (initial error left, noise part), each summed over directions
    left, noise = [0.5 * LAMBDAS * E0 ** 2], [np.zeros_like(LAMBDAS)]
    for eta in rates:
        shrink = (1 - eta * LAMBDAS) ** 2
        left.append(shrink * left[-1])
        noise.append(shrink * noise[-1] + 0.5 * LAMBDAS * eta ** 2 * SIGMA ** 2)
    return np.sum(left, axis=1), np.sum(noise, axis=1)


def noise_floor(eta):
    return float(np.sum(eta * SIGMA ** 2 / (2 * (2 - eta * LAMBDAS))))


SMALL, LARGE = 0.05, 0.4
left, noise = expected_loss(S.constant(SMALL)(np.arange(STEPS)))
m, se = mean_se(tail_loss(S.constant(SMALL), TEST_SEED, RUNS))
theory = left[-TAIL:].mean() + noise[-TAIL:].mean()
print(f"constant η = {SMALL}: noise floor (theory) {noise_floor(SMALL):.4f}; expected loss over the last "
      f"{TAIL} steps (theory) {theory:.4f}, of which initial error left {left[-TAIL:].mean():.4f}; "
      f"measured {m:.4f} ± {se:.4f} ({RUNS} runs)")
agrees, at_floor = abs(m - theory) <= Z * se, left[-TAIL:].mean() < 0.1 * noise_floor(SMALL)
print("VERDICT: the measured constant rate " + ("agrees" if agrees else "does NOT agree")
      + " with the theory, and it " + ("has reached its noise floor" if at_floor else "has NOT reached its noise floor yet"))

# %% [markdown]
# Now the decays (the schedules whose rate never rises; cycles, restarts and warm-ups had their
# turn in the race) at the same two values of η₀, with the constant rate as the control. This is
# not a ranking (η₀ is tuned for none of them; section 4 is the fair race); it shows the
# mechanism. For each schedule: the sum of its rates, the two parts of the expected loss
# (theory), and the measured loss with its difference to the constant rate, run by run.

# %%
DECAYS = [n for n, make in SHAPES.items() if np.all(np.diff(make(0.1)(np.arange(STEPS))) <= 0)]
at = {}
print(f"{'':<18}{'Σ η_t':>8} {'initial error left':>19} {'noise part':>11} {'measured ± s.e.':>20}"
      f" {'minus constant ± s.e.':>23}")
for eta0, n_runs in [(LARGE, 512), (SMALL, RUNS)]:          # at the large η₀ the gaps are wide
    print(f"η₀ = {eta0} ({n_runs} runs per schedule; theory columns: mean of the last {TAIL} steps)")
    for name in DECAYS:
        rates = SHAPES[name](eta0)(np.arange(STEPS))
        left, noise = expected_loss(rates)
        runs = tail_loss(SHAPES[name](eta0), TEST_SEED, n_runs)
        at[eta0, name] = dict(sum=rates.sum(), left=left[-TAIL:].mean(), noise=noise[-TAIL:].mean(), runs=runs)
        (m, se), (d, dse) = mean_se(runs), mean_se(runs - at[eta0, "constant"]["runs"])
        print(f"  {name:<16}{rates.sum():>8.2f} {left[-TAIL:].mean():>19.4f} {noise[-TAIL:].mean():>11.4f} "
              f"{m:>11.4f} ± {se:.4f} {d:>+14.4f} ± {dse:.4f}")


# %%
def against_constant(eta0):
    return {name: compare(at[eta0, name]["runs"], at[eta0, "constant"]["runs"]) for name in DECAYS if name != "constant"}


large, small = against_constant(LARGE), against_constant(SMALL)
for eta0, where, results in [(LARGE, "at the large η₀", large), (SMALL, "at the small η₀", small)]:
    for outcome, what in [("below", "below the constant rate"), ("above", "above the constant rate"),
                          ("tied", "level with the constant rate, within the spread")]:
        verdict(where, [n for n in results if results[n] == outcome], what, among=DECAYS, everyone="every decay")
worse = [n for n in small if small[n] == "above"]
floor = mean_se(at[SMALL, "constant"]["runs"])[0]
explained = all(at[SMALL, n]["left"] > floor for n in worse)
less_sum = all(at[SMALL, n]["sum"] < at[SMALL, "constant"]["sum"] for n in worse)
if not worse:
    print("VERDICT: no decay loses against the constant rate at the small η₀, so there is no loss to explain")
else:
    print("VERDICT: " + ("in every schedule that loses at the small η₀, the initial error left (theory) alone exceeds "
                         "the constant rate's whole loss" if explained else
                         "the initial error left does not explain every loss at the small η₀")
          + ("; each of them has a smaller sum of rates than the constant rate" if less_sum else ""))

# %% [markdown]
# How to read the two blocks:
#
# - **Large η₀.** The constant rate's loss is almost all noise floor, far above that of every
#   decay: any way of lowering the rate later lowers the floor, and even a decay that leaves
#   some of the initial error behind wins.
# - **Small η₀.** The constant rate has reached its floor (the check above): it is *not* still
#   converging. The decays that lose against it lose because their sum of rates Σ η_t is a
#   fraction of the constant rate's, too small to remove the initial error, above all along the
#   flat direction (curvature 0.2), where the error shrinks like exp(−2·λ·Σ η_t) with a λ ten
#   times smaller than along the steep one: compare the column "initial error left" with the
#   constant rate's whole loss. Their noise part is lower, but that does not make up for it.
#   Cosine keeps a large rate for longer, so its Σ η_t is about half the constant's: it removes most of the
#   initial error *and* lowers the noise, and can end below the constant rate even here. The
#   verdict lines say which way each decay went, measured.
#
# "Decay helps" is therefore a statement about the noise: it helps when the loss is dominated
# by the noise floor, and it hurts when it cuts the rate before the sum of the rates has removed
# the initial error. Tuning η₀ for each schedule (section 4) moves every schedule to where that
# trade-off is best.
#
# ## 6. Warm-up, one-cycle, cosine with warm restarts
#
# Warm-up ramps η up over the first steps. It is used where the first steps are the dangerous
# ones, as in deep networks whose early gradients are large or whose optimizer statistics
# (Adam's) are not settled yet; this lesson does not measure that case, and on the noisy bowl of
# section 4 the race's last verdict line says what a warm-up in front of cosine did there.
# `S.warmup(any_schedule, steps)` puts it in front of anything. One-cycle rises to a peak then
# anneals far below the start.
# `CosineAnnealingLR` in PyTorch keeps going after T_max and rises again; `S.cosine` holds η_min
# unless you pass `periodic=True`.

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
for s in [S.warmup(S.cosine(0.1, 250, 0.001), 50), S.one_cycle(0.1, 300), S.cosine_restarts(0.1, 40, 2, 0.001),
          S.cosine(0.1, 100, periodic=True)]:
    plotting.schedule_curve(ax, s, 300, label=S.describe(s), **plotting.style(len(ax.lines)))
plotting.legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.2))
ax.set_title("warm-up, one-cycle, restarts, periodic cosine")
plt.show()

# %% [markdown]
# ## 7. Cyclic rates
#
# A cyclic schedule (Smith, 2017) moves η back and forth between a low rate and a peak in a
# triangle wave: it climbs linearly for `step_size_up` steps, falls for as many, and starts
# again. Unlike a restart, which jumps back to the peak, it rises gradually. The three modes
# differ in the height of later cycles: `triangular` keeps it, `triangular2` halves it every
# cycle, and `exp_range` multiplies it by γ^t. PyTorch's `CyclicLR` gives the same rates; it is
# meant to be stepped after every batch, and by default it also cycles the momentum in the
# opposite direction (`cycle_momentum=True`). That default is a trap: an optimizer with no
# momentum setting at all (Adagrad) gets an error, but plain SGD built with momentum 0 has one,
# so `CyclicLR` quietly overwrites it and your plain SGD runs with momentum. The cell below shows
# what it does to `SGD(lr=0.1)` (momentum 0). Pass `cycle_momentum=False` for plain SGD;
# `S.cyclic` schedules only the rate.
#
# A cyclic rate never settles down by itself: the run is only as quiet as the last stretch of the
# last cycle, which is why in section 4 it ends at a high noise floor.

# %%
opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)      # momentum 0
print("SGD's momentum before CyclicLR:", opt.param_groups[0]["momentum"])
cyc = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4)
seen = []
for _ in range(8):
    seen.append(opt.param_groups[0]["momentum"])
    opt.step()
    cyc.step()
print("momentum at updates 1 to 8 under CyclicLR's defaults:", ", ".join(f"{m:.3g}" for m in seen))
try:
    torch.optim.lr_scheduler.CyclicLR(torch.optim.Adagrad([torch.zeros(1, requires_grad=True)], lr=0.1), 0.01, 0.1)
except ValueError as error:
    print("Adagrad under the same defaults:", error)
opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4, cycle_momentum=False)
print("with cycle_momentum=False the momentum stays", opt.param_groups[0]["momentum"])

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for mode in ["triangular", "triangular2", "exp_range"]:
    s = S.cyclic(0.01, 0.1, step_size_up=30, mode=mode, gamma=0.995 if mode == "exp_range" else 1.0)
    plotting.schedule_curve(ax, s, 300, label=S.describe(s), **plotting.style(len(ax.lines)))
plotting.legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.2))
ax.set_title("cyclic rates, three modes")
plt.show()

# %% [markdown]
# ## 8. Escaping a poor basin
#
# On a landscape with several wells, a run that starts in a shallow well stays there with a
# small constant rate. Raising the rate now and then (restarts, cycles) gives it steps large
# enough to leave; decaying again lets it settle in whatever well it reached. The dashboard
# follows one start: move the slider and read where each run ends.

# %%
widgets.escape_wells()

# %% [markdown]
# One start proves little, so the measurement uses 64 starts spread over the shallow well
# (uniformly in a disc of radius 0.2 around its bottom), the same schedules as the dashboard,
# and two controls: the small constant rate η_min = 0.02 alone, and a constant rate at the
# peak. A run counts as **settled** when its gradient norm at the end is below 1e-3, and it
# counts in a well only if it settled there; the shares are of all 64 starts, so an unsettled
# run counts in no well, and the table says how many settled.

# %%
land = landscapes.MultiWell()
deepest = 0                                                   # minimizers are sorted, deepest first
shallow = int(np.argmin(np.linalg.norm(land.minimizers - [0.3, 0.2], axis=1)))
rng = np.random.default_rng(lrc.sweeps.seeds(1)[0])
angle, radius = rng.uniform(0, 2 * np.pi, 64), 0.2 * np.sqrt(rng.uniform(size=64))
starts = land.minimizers[shallow] + np.c_[radius * np.cos(angle), radius * np.sin(angle)]
LOW, PEAKS = 0.02, [0.1, 0.3, 1.0, 2.0, 4.0]


def ends(schedule):
    # (settled, well) for each start: settled = gradient norm below 1e-3 after 300 steps
    r = lrc.run(land, lrc.GD(lr=schedule), starts, 300)
    settled = ~r.diverged & (np.linalg.norm(land.grad(r.x), axis=-1) < 1e-3)
    well = np.argmin(np.linalg.norm(r.x[:, None, :] - land.minimizers, axis=-1), axis=1)
    return settled, well


def share(mask):
    p = mask.mean()
    return p, np.sqrt(p * (1 - p) / mask.size)


runs = {("constant η_min", None): ends(S.constant(LOW))}
for peak in PEAKS:
    runs["constant at the peak", peak] = ends(S.constant(peak))
    runs["cosine restarts", peak] = ends(S.cosine_restarts(peak, T_0=60, eta_min=LOW))
    runs["cyclic", peak] = ends(S.cyclic(LOW, peak, step_size_up=30))
print(f"{'schedule':<22}{'peak':>6}  {'settled':>8}  {'in the deepest well ± s.e.':>27}  {'still in the shallow well':>26}")
for (name, peak), (settled, well) in runs.items():
    deep, deep_se = share(settled & (well == deepest))
    print(f"{name:<22}{'-' if peak is None else peak:>6}  {settled.sum():>5}/64  {deep:>20.2f} ± {deep_se:.2f}"
          f"  {np.mean(settled & (well == shallow)):>26.2f}")


# %%
def escapes(name, peak):
    settled, well = runs[name, peak]
    deep, se = share(settled & (well == deepest))
    return deep > Z * se if se > 0 else deep > 0


def mostly_settled(name, peak):
    return np.mean(runs[name, peak][0]) >= 0.5


small_peaks, large_peaks = [p for p in PEAKS if p <= 0.3], [p for p in PEAKS if p >= 2.0]
stays = np.all(runs["constant η_min", None][0] & (runs["constant η_min", None][1] == shallow))
print("VERDICT: the small constant rate " + ("settles in the shallow well from every start" if stays
                                             else "does not always stay in the shallow well"))
for name in ["cosine restarts", "cyclic"]:
    at_small = ("never leaves the shallow well at the small peaks" if not any(escapes(name, p) for p in small_peaks)
                else "already leaves the shallow well at a small peak")
    if not all(mostly_settled(name, p) for p in large_peaks):
        at_large = "most of its runs have not settled when the budget ends"
    elif all(escapes(name, p) for p in large_peaks):
        at_large = "its runs settle and a real share of them is in the deepest well"
    else:
        at_large = "its runs settle, but not reliably in the deepest well"
    print(f"VERDICT: {name} {at_small}; at the large peaks {at_large}")
best_share = max(share(settled & (well == deepest))[0] for settled, well in runs.values())
print("VERDICT: " + ("even the best schedule and peak bring only a minority of the starts to the deepest well"
                     if best_share < 0.5 else "at its best peak, a schedule brings most starts to the deepest well"))
print("VERDICT: a constant rate at a large peak " + (
    "leaves most runs unsettled, so the fall back to a small rate is what lets a run settle"
    if not any(mostly_settled("constant at the peak", p) for p in large_peaks) else "lets most runs settle as well"))

# %% [markdown]
# So a high rate now and then can carry a run out of a poor well, and the fall back to a small
# rate is what lets it settle in the next one. The table and the verdicts also show the
# limits: how many starts reach the deepest well at best, that small peaks change nothing, and
# that a schedule whose last stretch is still at a high rate has not settled when the budget ends.
#
# ## 9. Reduce on plateau
#
# The one schedule that watches the loss: cut η by a factor when the loss has not improved
# for more than `patience` evaluations. It is a small stateful object (`S.ReduceOnPlateau`),
# driven by the run loop (here it sees the loss after every update). On the double well, GD
# with η = 0.28 heads into the right-hand well, whose curvature along x times η is just under
# the stability limit 2: the error along x flips sign every step and shrinks very slowly, so the
# loss crawls. The constant rate is the control.

# %%
dw = landscapes.DoubleWell()
plateau = S.ReduceOnPlateau(0.28, factor=0.5, patience=3)
r = lrc.run(dw, lrc.GD(lr=plateau), x0=[1.2, 0.5], steps=100)
control = lrc.run(dw, lrc.GD(lr=0.28), x0=[1.2, 0.5], steps=100)
well = int(np.argmin(np.linalg.norm(dw.minimizers - control.x, axis=1)))
f_well, curv = float(dw.value(dw.minimizers[well])), float(dw.hessian(dw.minimizers[well])[0, 0])
print(f"the well's minimum: loss {f_well:.4f} at x = {dw.minimizers[well][0]:.3f}; curvature along x there {curv:.2f}: "
      f"η·λ = {0.28 * curv:.3f}, so the error along x shrinks by |1 − η·λ| = {abs(1 - 0.28 * curv):.3f} per step")

fig, (ax_l, ax_r) = plt.subplots(1, 2, figsize=(11, 3.8))
plotting.loss_curve(ax_l, control.losses, f_min=f_well, label="constant η = 0.28", color="0.5", lw=3)
plotting.loss_curve(ax_l, r.losses, f_min=f_well, label=S.describe(plateau), color=plotting.SERIES[1], ls="--")
plotting.legend(ax_l, loc="lower left")
ax_l.set_title("loss above the well's minimum (a curve ends at an exact 0)")
ax_r.plot(np.arange(100), np.full(100, 0.28), color="0.5", lw=3, label="constant η = 0.28")
ax_r.plot(np.arange(100), r.lrs, color=plotting.SERIES[1], ls="--", label=S.describe(plateau))
ax_r.set(yscale="log", xlabel="step t", ylabel="learning rate η", title="the rate each update used")
plotting.legend(ax_r, loc="lower left")
fig.tight_layout()
plt.show()
cuts = np.flatnonzero(np.diff(r.lrs)) + 1
print("rate cut at steps", cuts.tolist(), "to", ", ".join(f"{r.lrs[c]:.4g}" for c in cuts))
gap_plateau, gap_constant = r.losses[-1] - f_well, control.losses[-1] - f_well
print(f"loss above the minimum after 100 steps: reduce on plateau {gap_plateau:.1e}, constant {gap_constant:.1e} "
      "(0 means equal to the minimum in floating point)")
print("VERDICT: " + ("cutting the rate when the loss stalled finished the convergence that the constant rate left crawling"
                     if gap_plateau < gap_constant / 100 else "cutting the rate did not speed up the convergence here"))


# %% [markdown]
# What did the rule call a plateau? The loss was still falling at every evaluation that the
# rule counted as "no improvement". With PyTorch's default `threshold_mode="rel"` a loss counts
# as an improvement only if it is below best·(1 − 10⁻⁴), where best is the lowest loss counted
# so far. This loss converges to the well's minimum (printed above), not to 0, so 10⁻⁴ of it is
# a fixed step in loss; once the crawl stays within that step of the best loss for `patience` + 1
# evaluations, the rule cuts. Then notice that the
# rate keeps being cut after the first cut has fixed the oscillation: by then the loss sits at
# its minimum and nothing can improve any more, so the rule halves the rate every `patience` + 1
# evaluations, whatever the threshold (`min_lr` puts a floor under it). The next cell checks
# both readings, with two controls: the threshold set to 0 (every decrease counts) and the
# absolute mode with the default threshold 10⁻⁴.

# %%
def plateau_run(**options):
    rule = S.ReduceOnPlateau(0.28, factor=0.5, patience=3, **options)
    result = lrc.run(dw, lrc.GD(lr=rule), x0=[1.2, 0.5], steps=100)
    return result, np.flatnonzero(np.diff(result.lrs)) + 1


first = cuts[0]                                   # update `first` is the first with the lower rate
replay = S.ReduceOnPlateau(0.28, factor=0.5, patience=3)
for loss in r.losses[1:first + 1]:                # the losses the rule saw before it cut
    replay.step(loss)
needed, fell = replay.best * replay.threshold, replay.best - r.losses[first]
bad = np.arange(first - replay.patience, first + 1)          # the evaluations counted as no improvement
steps_down = r.losses[bad - 1] - r.losses[bad]
falling = bool(np.all(steps_down > 0))
print(f"the {bad.size} losses counted as no improvement (after {bad[0]} to {bad[-1]} updates) "
      + (f"each fell below the one before, by {steps_down.min():.1e} to {steps_down.max():.1e}" if falling
         else "did not all fall"))
print(f"but to count, a loss had to be best·1e-4 = {needed:.2e} below the best counted loss {replay.best:.6f}, "
      f"and the last of them was only {fell:.2e} below it")
at_min = int(np.argmax(r.losses - f_well <= 1e-12))
print(f"the loss is first within 1e-12 of the minimum at step {at_min}; later cuts at steps {cuts[1:].tolist()}")
print(f"{'control':<34}{'cuts at steps':<42}loss above the minimum after 100 steps")
controls = {"default (rel, threshold 1e-4)": {}, "rel, threshold 0": dict(threshold=0.0),
            "abs, threshold 1e-4": dict(threshold_mode="abs")}
ran = {name: plateau_run(**options) for name, options in controls.items()}
for name, (result, result_cuts) in ran.items():
    print(f"{name:<34}{str(result_cuts.tolist()):<42}{result.losses[-1] - f_well:.1e}")
zero_run, zero_cuts = ran["rel, threshold 0"]
print("VERDICT: " + ("the first cut came from the threshold: with threshold 0 the rule never cuts and the loss is "
                     "still crawling after 100 steps" if zero_cuts.size == 0 and zero_run.losses[-1] - f_well > 1e-12
                     else "the first cut does not depend on the threshold here")
      + ("; it cut while the loss was still falling, but by less than the threshold" if falling and fell < needed
         else ""))
print("VERDICT: " + ("every later cut came after the loss had reached its minimum, when nothing could improve"
                     if np.all(cuts[1:] > at_min) else "some later cuts came while the loss was still falling"))
abs_cuts = ran["abs, threshold 1e-4"][1]
print("VERDICT: the absolute threshold 1e-4, " + ("larger" if 1e-4 > needed else "smaller")
      + " than the relative one in this loss's units, " + ("cuts sooner" if abs_cuts.size and abs_cuts[0] < first
                                                            else "does not cut sooner"))

# %% [markdown]
# ## Recap
# - A schedule is a function of the step; write it exactly and test it against the formula.
# - Time-based decay (recursion) collapses far faster than inverse-time decay (closed form).
# - The textbook step decay drops one step before PyTorch's StepLR; a PyTorch scheduler sets
#   the first rate when it is built and is stepped after the optimizer.
# - Compare schedules at their own tuned η₀, over many runs, with the spread beside each mean.
# - With noisy gradients, decay lowers the noise floor; cut the rate too early and the sum of
#   the rates is too small to remove the initial error. Restarts and cycles trade stability for
#   exploration.
# - Reduce on plateau cuts when the loss falls by less than its threshold (by default a fraction
#   of the loss itself, not of the gap to the minimum), and keeps cutting once nothing can improve.
#
# **Exercise:** [exercises/04_schedules](../exercises/04_schedules/04_schedules.ipynb) (step decay and the time-based recursion, a schedule for a budget). Each task checks itself when you run its test cell; `hint("04.1")` helps when you are stuck.
# **Next:** [05_adaptive_methods](05_adaptive_methods.ipynb).
