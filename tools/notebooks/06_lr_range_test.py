# %% [markdown]
# # 06 · The learning-rate range test
#
# **After this notebook you will be able to**
# - run a range test (the "LR finder") on a numpy model and on a PyTorch model,
# - read its curve: flat, falling, blowing up, and notice when it never blows up,
# - compare the three usual suggestion rules on the same curves, and check them by training,
# - say how much the answer depends on the range and on the smoothing.
#
# The test: train for a short while with η multiplied by the same factor at every step, from far
# too small to far too large, and record the loss. Where the loss falls fastest, η is large enough
# to make progress and still small enough to be stable. Smith (2017) introduced the range test with
# η raised linearly over a few epochs; the version here, with equal factors per step and a smoothed
# loss, is the one fastai made popular.

# %%
import copy
import numpy as np
import matplotlib.pyplot as plt
import torch
import lrcourse as lrc
from lrcourse import lr_finder as F, plotting, training as T, widgets
from lrcourse.landscapes import softmax_problem
from lrcourse.search import train_val_split
from lrcourse.sweeps import progress          # a progress bar for the slow loops (gone when they finish)

X, y = lrc.datasets.digits()            # pixels scaled to [0, 1], labels 0-9
Xtr, ytr, Xva, yva = train_val_split(X, y, 0.25, seed=0)        # one fixed split
print(f"{len(X)} images of 8×8 pixels, {len(np.unique(y))} classes (bundled with scikit-learn): "
      f"{len(Xtr)} to train on, {len(Xva)} to validate on")

# %% [markdown]
# **How the evidence is reported.** The minibatch order and the initial weights are random, so
# every measurement below is repeated over several seeds. A loss or an accuracy is shown as
# mean ± standard deviation over the seeds. Learning rates spread over factors rather than over
# differences, so a set of suggested rates is shown as its geometric mean ×/÷ its geometric
# standard deviation (×/÷ 1.5 means a typical pick lies within a factor 1.5 of the middle).
# When two rules are compared, each seed trains both from the same start on the same
# minibatches, so we look at the difference seed by seed and call it real when its mean is more
# than two standard errors (sd/√n) away from zero. Each conclusion is printed on a line that
# starts with `VERDICT`, and its wording is decided by those checks.

# %%
RULES = list(F.RULES)                           # the names: steepest, minimum/10, valley

def mean_sd(values, digits=3):
    v = np.asarray(values, dtype=float)
    bad, v = int(np.sum(~np.isfinite(v))), v[np.isfinite(v)]
    text = f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}" if v.size > 1 else "n/a"
    return text + (f" ({bad} diverged)" if bad else "")

def geo(rates):
    logs = np.log(np.asarray(rates, dtype=float))
    return f"{np.exp(logs.mean()):.3g} ×/÷ {np.exp(logs.std(ddof=1)):.2f}"

def real(differences):
    # per-seed differences (finite ones): is their mean more than two standard errors from zero?
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    return d.size > 1 and abs(d.mean()) > 2 * d.std(ddof=1) / np.sqrt(d.size)


# %% [markdown]
# ## 1. The pieces
#
# - the **ramp**: η_t = η_min·(η_max/η_min)^(t/(T−1)), equal factors per step;
# - the **smoothed loss**: a_t = β·a_{t−1} + (1−β)·loss_t starting from a_{−1} = 0, debiased by
#   dividing by 1 − β^(t+1) (so the first smoothed value is the first loss);
# - the **stop**: once the smoothed loss exceeds 4× the lowest smoothed loss so far, the run is
#   taken to have blown up.
#
# The defaults are fastai's: 1e-7 → 10 over 100 steps, β = 0.98. The cell below prints that
# default ramp; the experiments further down choose their own range for each model and print it.

# %%
ramp = F.ramp(1e-7, 10.0, 100)
print("first rates:", ", ".join(f"{r:.3g}" for r in ramp(np.arange(4))), f"... last: {ramp(99):.3g}")
print(f"factor per step: {ramp(1) / ramp(0):.4f}")

# %% [markdown]
# ## 2. A numpy model: softmax regression on the digits
#
# The model is linear (64 pixels → 10 scores), trained by minibatch GD on the training split;
# `softmax_problem` (from `lrcourse.landscapes`) gives `w -> (loss, gradient)` on a new
# minibatch at every call, drawn from a seeded generator, so a run repeats exactly. We run the
# range test once per minibatch order (one per seed) and plot the first. The y axis is clipped at twice the starting loss: the blow-up
# at the end goes far above it, and drawing it all would squash the rest of the curve flat.

# %%
SEEDS = lrc.sweeps.seeds(12)                    # minibatch orders
w0 = np.zeros(64 * 10)

def softmax_test(seed, **settings):
    problem = softmax_problem(Xtr, ytr, batch_size=64, seed=seed)
    return F.range_test(problem, w0, lrc.GD(), **{"lr_min": 1e-5, "lr_max": 100.0, "steps": 100, **settings})

tests = [softmax_test(s) for s in SEEDS]      # quick (numpy, well under a second): no bar
picks = {rule: np.array([t.suggest(rule) for t in tests]) for rule in RULES}
print(f"ramp: η from {tests[0].lrs[0]:g} to 100 over 100 steps, ×{tests[0].lrs[1] / tests[0].lrs[0]:.3f} per step")
print(f"the stop rule fired in {sum(t.stopped_at >= 0 for t in tests)} of {len(tests)} tests, "
      f"after {mean_sd([len(t.lrs) for t in tests], 1)} of 100 steps")
for rule, lrs in picks.items():
    print(f"  {rule:<11} suggests η = {geo(lrs)}")
fig, ax = plt.subplots(figsize=(7, 3.6))
plotting.range_test(ax, tests[0])
ax.set_title(f"range test, softmax regression on digits (GD, batch 64, seed {SEEDS[0]})")
plt.show()

# %% [markdown]
# ## 3. The rules on the same curves, and what they are worth
#
# - **steepest**: the most negative slope of the smoothed loss against log η;
# - **minimum/10**: a tenth of the rate at the lowest smoothed loss (at the minimum itself the run is
#   already close to blowing up);
# - **valley**: halfway along the longest stretch over which the loss keeps falling.
#
# A rule is only as good as the training it leads to. For every seed, train for 300 steps at
# each rule's suggestion from that seed's test, and measure the loss on the whole validation
# set. As a reference, train at every rate of a sweep as well: it shows the full curve of
# validation loss against η, so we can see where each rule lands on it and how much choosing
# by a rule costs against choosing by a sweep.

# %%
val = softmax_problem(Xva, yva, batch_size=len(Xva), seed=0)   # the whole validation set: no noise

def val_loss(lrs, seed, steps=300):
    # validation loss after `steps` of minibatch GD from w = 0, one run per rate, minibatches from `seed`
    lrs = np.asarray(lrs, dtype=float)
    train = softmax_problem(Xtr, ytr, batch_size=64, seed=seed)
    r = lrc.run(train, lrc.GD(lr=lrs[:, None]), np.zeros((len(lrs), w0.size)), steps, record=False)
    return np.where(r.diverged, np.inf, val(r.x)[0])

GRID = np.logspace(-3, 1.5, 10)
runs = np.array([val_loss(np.concatenate([GRID, [picks[r][i] for r in RULES]]), s) for i, s in enumerate(SEEDS)])
grid_loss, rule_loss = runs[:, :len(GRID)], runs[:, len(GRID):]           # (seed, rate) and (seed, rule)
print(f"{'rate from':<12} {'η':>16} {'val loss after 300 steps':>26}")
for j, rule in enumerate(RULES):
    print(f"{rule:<12} {geo(picks[rule]):>16} {mean_sd(rule_loss[:, j]):>26}")
for k, lr in enumerate(GRID):
    print(f"{'sweep':<12} {lr:>16.3g} {mean_sd(grid_loss[:, k]):>26}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.6))
ok = np.isfinite(grid_loss).all(axis=0)
ax.errorbar(GRID[ok], grid_loss[:, ok].mean(0), grid_loss[:, ok].std(0, ddof=1), color="0.3", marker="o",
            capsize=3, label="sweep (fixed η)")
for j, (rule, marker) in enumerate(zip(RULES, "s^D")):
    color = plotting.RULE_LOOKS[rule]["color"]                             # as on the range-test plots
    logs = np.log(picks[rule])
    mid, spread = np.exp(logs.mean()), np.exp(logs.std(ddof=1))          # geometric mean ×/÷ geometric sd
    ax.errorbar(mid, rule_loss[:, j].mean(), rule_loss[:, j].std(ddof=1), [[mid - mid / spread], [mid * spread - mid]],
                color=color, marker=marker, ms=8, capsize=3, ls="none", label=f"{rule}: each seed at its own pick")
ax.set(xscale="log", xlabel="learning rate η", ylabel="validation loss after 300 steps",
       title=f"mean ± sd over {len(SEEDS)} minibatch orders (coloured markers: picks' geometric mean ×/÷ sd)")
ax.legend(fontsize=8)
plt.show()

# %%
start = np.log(10)                  # the loss at w = 0, where every class gets probability 1/10
finite = np.isfinite(grid_loss).all(axis=0)
best = int(np.argmin(np.where(finite, grid_loss.mean(axis=0), np.inf)))
print(f"best rate of the sweep: η = {GRID[best]:.3g}, val loss {mean_sd(grid_loss[:, best])}")
share = (start - rule_loss.mean(axis=0)) / (start - grid_loss[:, best].mean())
for j, rule in enumerate(RULES):
    print(f"{rule:<11} makes {share[j]:.2f} of the improvement (from ln 10) that the sweep's best makes; "
          f"its loss minus the sweep's best, per seed: {mean_sd(rule_loss[:, j] - grid_loss[:, best])}")

middle = np.sqrt(np.array([t.lrs[0] * t.lrs[np.argmin(t.smoothed)] for t in tests]))
print(f"valley's pick {geo(picks['valley'])}; geometric middle of η_min and the smoothed minimum {geo(middle)}")

first, second = np.argsort(rule_loss.mean(axis=0))[:2]
if real(rule_loss[:, second] - rule_loss[:, first]):
    print(f"VERDICT: on softmax regression the {RULES[first]} rule's rate trains best of the three rules")
else:
    print(f"VERDICT: on softmax regression no rule is clearly best: {RULES[first]} and {RULES[second]} tie")
slow = [rule for j, rule in enumerate(RULES) if share[j] < 0.25]
if slow:
    print(f"VERDICT: {' and '.join(slow)} barely trains in 300 steps: less than a quarter of the "
          f"improvement the sweep's best rate makes")
else:
    print("VERDICT: every rule's rate makes at least a quarter of the improvement of the sweep's best rate")
gap = rule_loss[:, first] - grid_loss[:, best]
if real(gap):
    print(f"VERDICT: even the best rule ({RULES[first]}) ends "
          + ("measurably behind" if gap.mean() > 0 else "measurably ahead of") + " the best rate of the sweep")
else:
    print(f"VERDICT: the best rule ({RULES[first]}) matches the best rate of the sweep within the spread")

# %% [markdown]
# Why does the valley rule do what it does here? On this convex model every step at a tiny rate
# still lowers the loss a little, so after smoothing the curve keeps falling, if only slightly,
# from near the start of the ramp all the way to its minimum. The longest falling stretch then
# starts near η_min, and "halfway along it" is about the geometric middle between η_min and the
# minimum: a rate that depends on where the ramp started (section 4 measures that). The steepest rule
# looks at the shape of the curve instead, and minimum/10 at where it turns up.
#
# A range test costs 100 steps; the sweep above cost a run of 300 steps at every one of its
# rates, for every seed. A rule gives a cheap first guess, and the gap to the sweep's best shows
# what that saving costs (the sweep's best rate is picked on the same runs it is scored on, which
# flatters it a little).
#
# ## 4. Your turn: the range and the smoothing
#
# The suggestions move with η_min, η_max and β. Try the sliders, then read the measurements
# below them.

# %%
dash = widgets.range_test_explorer(softmax_problem(Xtr, ytr, batch_size=64, seed=SEEDS[0]), w0,
                                   lr_min=1e-5, lr_max=100.0, beta=0.98)
dash

# %% [markdown]
# Smoothing does two things. It averages out minibatch noise, so the picks should move less from
# one minibatch order to the next. And it lags: an average over past losses reacts late, so the
# smoothed curve reaches its lowest point after the raw curve does, and the lag is paid in η
# because η grows at every step. The table gives every rule's pick (over the same seeds) for
# several β; β = 0 is no smoothing at all, the raw loss.

# %%
BETAS = (0.0, 0.9, 0.98, 0.995)
by_beta = {b: tests if b == 0.98 else [softmax_test(s, beta=b) for s in SEEDS] for b in BETAS}   # quick: no bar
print(f"{'β':>6} " + " ".join(f"{r:>17}" for r in RULES) + f" {'steps run':>22}")
for b, ts in by_beta.items():
    row = " ".join(f"{geo([t.suggest(r) for t in ts]):>17}" for r in RULES)
    print(f"{b:>6} {row} {mean_sd([len(t.lrs) for t in ts], 1):>22}")

# %%
raw_low = np.array([np.argmin(t.smoothed) for t in by_beta[0.0]])       # β = 0: the raw loss itself
smooth_low = np.array([np.argmin(t.smoothed) for t in by_beta[0.98]])
lag = smooth_low - raw_low
factor = tests[0].lrs[1] / tests[0].lrs[0]
memory = 0.98 / (1 - 0.98)              # mean age of the losses in a long β = 0.98 average, in steps
print(f"step of the lowest loss: raw {mean_sd(raw_low, 1)}, smoothed with β = 0.98 {mean_sd(smooth_low, 1)}")
print(f"lag {mean_sd(lag, 1)} steps: the smoothed minimum sits at an η about {factor ** lag.mean():.2f}× larger")
print(f"for comparison, the memory of the average, β/(1 − β): {memory:.0f} steps")
steep_log = {b: np.log10([t.suggest("steepest") for t in by_beta[b]]) for b in (0.0, 0.98)}
scatter = {b: v.std(ddof=1) for b, v in steep_log.items()}
resample = np.random.default_rng(int(SEEDS[0])).integers(0, len(SEEDS), size=(2000, len(SEEDS)))
with np.errstate(divide="ignore", invalid="ignore"):  # resample the seeds (pairs kept), recompute the ratio
    ratios = steep_log[0.0][resample].std(axis=1, ddof=1) / steep_log[0.98][resample].std(axis=1, ddof=1)
ratio_low, ratio_high = np.nanquantile(ratios, [0.025, 0.975])
print(f"spread of the steepest pick across seeds (sd of log10 η): "
      f"raw {scatter[0.0]:.2f}, smoothed with β = 0.98 {scatter[0.98]:.2f}; ratio {scatter[0.0] / scatter[0.98]:.1f}, "
      f"95% bootstrap interval over the seeds {ratio_low:.1f} to {ratio_high:.1f}")
valley_steps = [np.log(u.suggest("valley") / r.suggest("valley")) / np.log(factor)
                for r, u in zip(by_beta[0.0], by_beta[0.98])]
print(f"valley's pick moves by {mean_sd(valley_steps, 1)} steps from the raw to the smoothed curve")

if ratio_low > 1:
    print("VERDICT: without smoothing the steepest rule's pick scatters clearly more between minibatch orders")
else:
    print("VERDICT: smoothing does not make the steepest rule's pick clearly more repeatable here")
if real(lag) and lag.mean() > 0:
    print("VERDICT: smoothing delays the lowest point, which moves minimum/10 to a larger rate, "
          + ("but by far less than the average's memory: the loss turns up too sharply for the lag to build up"
             if lag.mean() < memory / 4 else "by about the average's memory"))
else:
    print("VERDICT: no measurable lag between the raw and the smoothed lowest point")

# %% [markdown]
# Why is the lag so much shorter than the memory of the average? While the loss falls, the
# average stays above it; the average stops falling as soon as a new loss comes in above it.
# Right after its minimum the raw loss of this model shoots up, so the new losses climb above
# the average within a few steps. The valley rule inherits part of the lag: its stretch ends at the
# smoothed minimum, so its halfway point moves by about half as many steps (the last evidence line
# above). The memory of the
# average would matter in full only where the loss changes slowly for many steps in a row.
#
# Now the range. Keep β = 0.98 and 100 steps and move the bottom of the range:

# %%
LOWS = (1e-7, 1e-5, 1e-3)
by_low = {lo: tests if lo == 1e-5 else [softmax_test(s, lr_min=lo) for s in SEEDS] for lo in LOWS}   # quick: no bar
print(f"{'η_min':>7} " + " ".join(f"{r:>17}" for r in RULES))
for lo, ts in by_low.items():
    print(f"{lo:>7.0e} " + " ".join(f"{geo([t.suggest(r) for t in ts]):>17}" for r in RULES))
shift = {r: np.log10([t.suggest(r) for t in by_low[1e-3]]) - np.log10([t.suggest(r) for t in by_low[1e-7]])
         for r in RULES}
for r, d in shift.items():
    print(f"{r:<11} moves by {mean_sd(d, 2)} decades when η_min goes from 1e-7 to 1e-3")
movers = [r for r, d in shift.items() if real(d) and abs(d.mean()) > 1.0]
print("VERDICT: " + (f"{' and '.join(movers)} moves by more than a decade with the bottom of the range; "
                     "a rule like that measures the range as much as the model" if movers
                     else "no rule moves by more than a decade with the bottom of the range"))

# %% [markdown]
# ## 5. A PyTorch model
#
# `F.torch_range_test` does the same for any `torch.nn.Module` and puts the model's and the
# optimizer's state back afterwards, so real training can start from the same weights. Here a
# small CNN with Adam. Its training depends on the initial weights, so the CNN is built from a
# seed:

# %%
(Xt, yt), (Xv, yv) = T.digits(image=True)
batches = [(Xt[i:i + 32], yt[i:i + 32]) for i in range(0, len(Xt), 32)]
loss_fn = torch.nn.functional.cross_entropy

def make_cnn(seed):
    torch.manual_seed(int(seed))                    # the initial weights
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))

def cnn_test(model, restore=True):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return F.torch_range_test(model, loss_fn, batches, opt, lr_min=1e-6, lr_max=10.0, steps=100, restore=restore,
                              progress=True)

cnn = make_cnn(lrc.sweeps.seeds(1)[0])
before = [p.detach().clone() for p in cnn.parameters()]
torch_test = cnn_test(cnn)
unchanged = all(torch.equal(a, b) for a, b in zip(before, cnn.parameters()))
print(f"ran {len(torch_test.lrs)} of 100 steps, up to η = {torch_test.lrs[-1]:.3g}; weights restored exactly: {unchanged}")

# %% [markdown]
# Now one test per initialization (one per seed). This time each test runs on a copy of the
# network with `restore=False`, so that afterwards we can look at what the largest rates did to it.
# The dotted line is ln 10 ≈ 2.30: the cross-entropy of a model that gives all ten classes the
# same probability. A loss at or above it means the network does no better than a uniform guess.

# %%
CNN_SEEDS = lrc.sweeps.seeds(6)                 # initial weights (and, below, the minibatch order)
inits, ended, cnn_tests = [], [], []
for s in progress(CNN_SEEDS, desc=f"range tests on {len(CNN_SEEDS)} CNNs"):
    inits.append(make_cnn(s))
    ended.append(copy.deepcopy(inits[-1]))      # the test runs on this copy and leaves it as the ramp ended
    cnn_tests.append(cnn_test(ended[-1], restore=False))
print("same losses as the restoring test above, for the same seed:",
      bool(np.array_equal(cnn_tests[0].losses, torch_test.losses)))

LN10 = np.log(10)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
plotting.range_test(left, cnn_tests[0])
left.axhline(LN10, color="k", ls="-.", lw=1, label="ln 10: a uniform guess")
plotting.legend(left)
left.set_title(f"range test, CNN on digits (Adam, batch 32), seed {CNN_SEEDS[0]}", fontsize=10)
for s, t in zip(CNN_SEEDS, cnn_tests):
    right.plot(t.lrs, t.smoothed, lw=1.5, label=f"seed {s}", **plotting.style(len(right.lines)))
right.axhline(LN10, color="k", ls="-.", lw=1)
right.set(xscale="log", ylim=left.get_ylim(), xlabel="learning rate η", ylabel="smoothed loss")
right.set_title("smoothed loss of every test (clipped like the left panel)", fontsize=10)
plotting.legend(right, ncol=2)
plt.show()

# %% [markdown]
# In the numpy model the loss ran away at the end of the ramp and the 4× stop ended the test
# (see the count in section 2). Did the CNN's? The table gives, for each initialization, whether the stop rule fired, the lowest and the
# last smoothed loss against ln 10, and the share of units in the last hidden layer that still
# respond (are positive after their ReLU) to at least one validation image once the ramp is over:

# %%
print(f"{'seed':>5} {'stop rule fired':>16} {'lowest smoothed':>16} {'4× lowest':>10} {'last smoothed':>14} "
      f"{'last / ln 10':>13} {'units still active':>19}")
active = []
for s, t, model in zip(CNN_SEEDS, cnn_tests, ended):
    with torch.no_grad():
        hidden = model[:9](Xv)                  # the last hidden layer, after its ReLU
    active.append(float((hidden > 0).any(dim=0).float().mean()))
    fired = f"at step {t.stopped_at + 1}" if t.stopped_at >= 0 else "no"
    low, last = t.smoothed.min(), t.smoothed[-1]
    print(f"{s:>5} {fired:>16} {low:>16.3f} {4 * low:>10.3f} {last:>14.3f} {last / LN10:>13.2f} {active[-1]:>19.0%}")

silent = [t.stopped_at < 0 and t.smoothed[-1] >= LN10 for t in cnn_tests]
if any(silent):
    print("VERDICT: the 4× stop rule is no safety net on this CNN: in some tests the smoothed loss ended "
          "no better than a uniform guess, yet never reached 4 times its lowest value")
else:
    print("VERDICT: the 4× stop rule fired in every test that ended no better than a uniform guess")
if np.mean(active) < 0.1:
    print("VERDICT: by the end of the ramp almost no unit of the last hidden layer responds to any image")
else:
    print("VERDICT: a sizeable share of the last hidden layer still responds at the end of the ramp")

# %% [markdown]
# What happened: the largest steps pushed the units of the last hidden layer into the region
# where their ReLU outputs 0 for every image. With (almost) no active unit, the output is the
# last layer's bias, the same for every image, so the network no longer looks at the pictures.
# Its loss is now that of one fixed guess for all images. On ten classes of about equal size no
# fixed guess does better than ln 10, and the gradient keeps pushing the bias back towards the
# class frequencies (overshooting at these rates), so in the tests that did not stop the loss
# stays at or above ln 10 instead of exploding the way the numpy model's loss did. The stop rule waits for 4× the lowest loss,
# which a loss like that may never reach. Then the range test runs on to η_max, and the curve
# has a dip just before the chaotic part that the steepest rule can mistake for the best place
# to be.
#
# Does it matter? For every seed, train each rule's suggestion for a few epochs (`EPOCHS`) from
# the initial weights that seed's test started from, all rules with the same minibatch order:

# %%
EPOCHS, CHANCE = 3, 0.1                     # ten classes of about equal size: guessing gets 0.1
cnn_picks = np.array([[t.suggest(r) for r in RULES] for t in cnn_tests])     # (seed, rule)
# One copy of each seed's initial weights per rule, each with its own rate (a parameter group);
# fit_many trains them side by side, each as T.fit would (seed s fixing the minibatch order); the
# last bits of a float round differently there and can grow over training, so a run may differ a little.
models = [copy.deepcopy(init) for init in inits for _ in RULES]
groups = [{"params": m.parameters(), "lr": float(lr)} for m, lr in zip(models, cnn_picks.ravel())]
runs = T.fit_many(models, np.repeat(CNN_SEEDS, len(RULES)), (Xt, yt), (Xv, yv), torch.optim.Adam(groups),
                  epochs=EPOCHS, batch_size=32, val_every=EPOCHS)     # a bar over the epochs of all of them
acc = runs.last("val_acc", cnn_picks.shape)  # NaN where a run diverged
at_chance = ~(acc > 2 * CHANCE)             # at most twice chance, or diverged

print(f"{'seed':>5} " + " ".join(f"{r + ': η, val acc':>24}" for r in RULES))
for i, s in enumerate(CNN_SEEDS):
    print(f"{s:>5} " + " ".join(f"{cnn_picks[i, j]:>14.3g} {acc[i, j]:>9.3f}" for j in range(len(RULES))))
print(f"\n{'rule':<12} {'η picked':>18} {f'val acc after epoch {EPOCHS}':>24} {'runs ≤ 2× chance':>17}")
for j, rule in enumerate(RULES):
    print(f"{rule:<12} {geo(cnn_picks[:, j]):>18} {mean_sd(acc[:, j]):>24} "
          f"{int(at_chance[:, j].sum()):>10} of {len(CNN_SEEDS)}")

# %%
steep = RULES.index("steepest")
if at_chance[:, steep].any():
    print("VERDICT: the steepest rule is unreliable on this CNN: from some initializations its rate "
          "trains to at most twice chance accuracy or diverges")
else:
    print("VERDICT: the steepest rule's rate trained above twice chance from every initialization here")
safe = [j for j in range(len(RULES)) if not at_chance[:, j].any()]
if len(safe) > 1:
    top = max(safe, key=lambda j: acc[:, j].mean())
    clear = all(real(acc[:, top] - acc[:, j]) for j in safe if j != top)
    print(f"VERDICT: among the rules that never ended at or below twice chance ({', '.join(RULES[j] for j in safe)}), "
          + (f"{RULES[top]} trained furthest in the same number of epochs" if clear
             else "none is clearly ahead of the others"))
elif safe:
    print(f"VERDICT: only {RULES[safe[0]]} never ended at or below twice chance")
else:
    print("VERDICT: every rule ended at or below twice chance from some initialization")
# where the steepest pick sat: its rate over the rate at the lowest smoothed loss of the same test
where = cnn_picks[:, steep] / np.array([t.lrs[np.argmin(t.smoothed)] for t in cnn_tests])
print("steepest pick ÷ rate at the lowest smoothed loss, per seed: "
      + ", ".join(f"{s}: {r:.2g}" + (" (failed)" if at_chance[i, steep] else "")
                  for i, (s, r) in enumerate(zip(CNN_SEEDS, where))))
beyond = where > 1
if beyond.any() and at_chance[beyond, steep].all():
    print("VERDICT: from some initializations the steepest pick lies past the lowest point of the smoothed "
          "curve, in the chaotic stretch, and every such pick failed to train")
elif beyond.any():
    print("VERDICT: from some initializations the steepest pick lies past the lowest point of the smoothed "
          "curve, yet not every such pick failed to train")
else:
    print("VERDICT: every steepest pick lies before the lowest point of the smoothed curve")

# %% [markdown]
# The last lines show where the steepest rule's picks sat on their own curves. A ratio above 1 is
# a pick past the lowest point, inside the chaotic stretch that the test ran into instead of
# stopping; a ratio a little below 1 is a pick in the dip just before it, where the ramp spent only
# a few steps. Compare the ratios with the failures. Above 1 the story is simple: a rate that
# the ramp passed through briefly is not one that Adam can train at for `EPOCHS` epochs. Below 1
# the ratio does not decide on its own: the same rate can train from one seed's weights and
# fail from another's, a sign that these picks sit near the edge of what Adam trains at on this
# model, where the seed decides. A test that stops cleanly (the numpy model) hides that
# weakness. In 2021 fastai replaced the default suggestions of its `lr_find`, the steepest point
# and minimum/10, by the valley rule (fastai pull request #3377, whose authors report that
# valley did best in their experiments). The valley rule here follows that idea, not fastai's
# code (fastai also leaves out the first tenth of the curve and its last points before it
# searches), so the moves measured in section 4 are this implementation's. Valley looks for a
# long falling stretch rather than for one steep spot, so a short dip before the chaos cannot
# capture it; the price can be a rate that is too small,
# and one that depends on where the ramp started (compare the verdicts of sections 3 and 4).
# Whichever rule you use, train with its suggestion and compare, as above.
#
# ## Recap
# - The range test ramps η exponentially, smooths the loss, and stops when the smoothed loss
#   reaches 4× its lowest value. A network whose units the large rates have switched off may
#   never get there: its loss stays at or above that of a uniform guess (ln 10 for ten classes)
#   and the test runs to the end of the ramp, so read the curve, not only the stop.
# - The rules (steepest, minimum/10, valley) read the same curve differently, and their picks
#   vary with the seed; check them by training over several seeds, as above, rather than
#   trusting any of them blindly.
# - The suggestions depend on the range and on β: smoothing removes noise and adds a lag, and the
#   valley rule moves with the bottom of the range. A range test is a starting point, not an answer.
#
# **Exercise:** [exercises/06_lr_range_test](../exercises/06_lr_range_test/06_lr_range_test.ipynb) (the ramp, the smoothed loss, the steepest-descent rule). `hint("06.1")` helps when you are stuck.
# **Next:** [07_search_and_early_stopping](07_search_and_early_stopping.ipynb).
