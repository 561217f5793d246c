# %% [markdown]
# # 08 · PyTorch in practice
#
# **After this notebook you will be able to**
# - train a small CNN with Adam and exponential decay, with an lrcourse schedule that gives
#   exactly the rates of `torch.optim.lr_scheduler.ExponentialLR`, and check against a
#   constant rate whether the decay helped,
# - train an LSTM with Adam and read how its rate changes the outcome,
# - name the usual starting rates (0.1 for SGD with momentum 0.9, 1e-3 for Adam) and say why
#   they are only starting points,
# - give layers their own learning rates with parameter groups, and test the fine-tuning
#   practice of a lower rate for a pretrained body,
# - scale η with the batch size (the linear scaling rule) and warm it up,
# - tell Adam's L2 penalty from AdamW's decoupled weight decay, and see why the same λ is not
#   the same strength.
#
# **How the experiments are read.** A single training run is one draw: another seed gives
# other initial weights and another minibatch order. So every result below is measured over
# several seeds (taken from `lrc.sweeps.seeds`) and printed as mean ± standard deviation.
# `T.fit_many` trains many small models side by side, one per seed (and per rate), which is
# what makes this affordable on a CPU. When two settings are compared they share their seeds,
# and `T.paired_gap(a, b)` returns the mean over seeds of the difference `a − b`, its standard
# error, and a sign: +1 or −1 when the mean difference is more than two standard errors away
# from zero, 0 when it is within the seed spread. Each conclusion is printed on a line that
# starts with `VERDICT`, and its wording is chosen by that sign, not typed in advance. A
# method is never ranked at a rate chosen for another one: each gets its own best rate from a
# grid of rates, and the whole grid is printed.

# %%
import copy
import numpy as np
import matplotlib.pyplot as plt
import torch
import lrcourse as lrc
from lrcourse import plotting, schedules as S, training as T
from lrcourse.sweeps import progress          # a progress bar for the slow loops (gone when they finish)

print("device:", T.default_device())
(Xt, yt), (Xv, yv) = T.digits(image=True)
(Ft, ft), (Fv, fv) = T.digits()          # the same split, each image as a vector of 64 pixels
print(f"digits: {len(Xt)} training and {len(Xv)} validation images of shape {tuple(Xt.shape[1:])}")


def ms(values, digits=3):
    "mean ± standard deviation over seeds, as text"
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def best_row(values):
    "the row (one rate) with the highest mean over seeds, among rows where every seed's run finished"
    values = np.asarray(values, dtype=float)
    return int(np.argmax(np.where(np.isfinite(values).all(1), values.mean(1), -np.inf)))


# %% [markdown]
# ## 1. A small CNN with exponential decay
#
# PyTorch's `ExponentialLR(gamma)` multiplies η by γ after every scheduler step;
# `S.exponential(η₀, d)` is η₀·e^(−d·t). They are the same schedule when γ = e^(−d). Check it
# number by number:

# %%
d = 5e-4
model = torch.nn.Linear(1, 1)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=float(np.exp(-d)))
torch_rates = []
for _ in range(1000):
    torch_rates.append(sched.get_last_lr()[0])
    opt.step()
    sched.step()
ours = S.exponential(1e-3, d)(np.arange(1000))
print(f"largest relative difference over 1000 steps: {np.max(np.abs(ours - torch_rates) / ours):.1e}")


# %% [markdown]
# A common recipe is Adam at η = 1e-3 with exponential decay. Whether the decay *helps* is a
# claim, and a claim about a schedule needs a control: the same network, the same budget and
# the same seeds at a constant rate. The two schedules also want different rates (a decay
# spends most of its steps below η₀, so it can start higher), so each gets its own best η₀
# from the same grid of rates about a factor 3 apart; a best rate inside the grid, not at an
# end, shows that the grid was wide enough (the recipe's 1e-3 is a starting point; section 3
# is about such defaults). The decay falls to η₀/10 at the last step
# (d = ln 10 / number of steps). Both are scored by the validation accuracy after the last
# epoch: the model you have when the budget runs out.

# %%
def cnn(seed):
    torch.manual_seed(int(seed))
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))


SEEDS = lrc.sweeps.seeds(3)
CNN_SEEDS = lrc.sweeps.seeds(6)             # more seeds here: the two schedules end close together
epochs, batch = 8, 32
steps = epochs * -(-len(Xt) // batch)
d = np.log(10) / steps
CNN_RATES = [3e-3, 1e-2, 3e-2, 1e-1]
CNN_SCHEDULES = {"constant rate": (None, CNN_RATES), "exponential decay": (lambda lr: S.exponential(lr, d), CNN_RATES)}
cnn_acc, cnn_lrs = {}, {}
cnns = sum(len(rates) for _, rates in CNN_SCHEDULES.values()) * len(CNN_SEEDS)
# one bar for both sweeps: each sweep advances it by one per epoch (progress=bar)
with progress(total=len(CNN_SCHEDULES) * epochs, desc=f"training {cnns} CNNs: epochs of {len(CNN_SCHEDULES)} sweeps") as bar:
    for name, (schedule, rates) in CNN_SCHEDULES.items():
        runs = T.sweep_rates(cnn, rates, CNN_SEEDS, (Xt, yt), (Xv, yv), schedule=schedule,
                             epochs=epochs, batch_size=batch, val_every=epochs, progress=bar)
        cnn_acc[name] = runs.last("val_acc", (len(rates), len(CNN_SEEDS)))
        cnn_lrs[name] = np.array(runs.lrs) / rates[0]           # the schedule as a multiple of η₀

print(f"validation accuracy after epoch {epochs} (the last), mean ± sd over {len(CNN_SEEDS)} seeds")
best = {}
for name, (schedule, rates) in CNN_SCHEDULES.items():
    print(f"{name}: " + ", ".join(f"η₀={lr:g}: {ms(a)}" for lr, a in zip(rates, cnn_acc[name])))
    best[name] = best_row(cnn_acc[name])
    edge = " (an end of its grid)" if best[name] in (0, len(rates) - 1) else ""
    print(f"  best η₀ for the {name}: {rates[best[name]]:g}{edge}")
gap, se, sign = T.paired_gap(cnn_acc["exponential decay"][best["exponential decay"]],
                             cnn_acc["constant rate"][best["constant rate"]])
print(f"decay minus constant, each at its best η₀: {gap:+.4f} ± {se:.4f} (mean ± standard error over seeds)")
# The claim under test is one-sided ("decay helps"), so the verdict answers that; which of "level"
# and "lower" this run of seeds shows is evidence, printed above the verdict.
print("this run of seeds: the decay ends " + {1: "higher than", -1: "lower than",
                                              0: "level with (within the seed spread)"}[sign] + " the constant rate")
print("VERDICT: with each schedule at its own best rate, the exponential decay "
      + ("ends with a higher validation accuracy than the constant rate: on this budget decay helps" if sign > 0 else
         "does not end higher than the constant rate: on this budget 'decay helps' is not supported"))

# %%
fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.3))
low, below = 0.85, []
for i, (name, (schedule, rates)) in enumerate(CNN_SCHEDULES.items()):
    lr = rates[best[name]]
    a.plot(lr * cnn_lrs[name], label=f"{name}, η₀ = {lr:g}", **plotting.style(i))
    acc = cnn_acc[name]
    b.errorbar(rates, acc.mean(1), yerr=acc.std(1, ddof=1), capsize=3, label=name, **plotting.style(i, marker=True))
    below += [f"{name} at {lr:g}: {m:.2f}" for lr, m in zip(rates, acc.mean(1)) if m < low]
if below:
    b.text(0.02, 0.03, "below the axis: " + "; ".join(below), transform=b.transAxes, fontsize=7)
a.set(xlabel="step", ylabel="η", title="the rate each schedule used, at its best η₀")
a.legend()
b.set(xscale="log", xlabel="η₀", ylabel=f"validation accuracy after epoch {epochs}", ylim=(low, 1.0),
      title=f"CNN on digits, mean ± sd over {len(CNN_SEEDS)} seeds")
b.legend(loc="lower center", bbox_to_anchor=(0.45, 0.08))
plt.show()

# %% [markdown]
# The right panel is the whole comparison: each schedule's accuracy against η₀, not only its
# best point. A decay earns its keep when the noise of a constant rate is what limits the end
# of training (long runs, rates near the largest that still train). Over a short budget on an
# easy problem there may be nothing for it to fix, and the verdict above says which case this
# is.
#
# ## 2. An LSTM with Adam
#
# The task is generated: a sequence of 5 random symbols, and the answer is the first one.
# The LSTM must carry it through the whole sequence. Chance is 1/8. A run "solves" the task
# when its validation accuracy passes 95 %; the table counts the seeds that got there and the
# first epoch (counted from 1) at which they did.

# %%
(St, lt), (Sv, lv) = T.memory_task(n=2000, length=5, symbols=8, seed=0)


class Recall(torch.nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.lstm = torch.nn.LSTM(8, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, 8)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


LSTM_RATES, lstm_epochs = [1e-3, 1e-2, 1e-1], 6
final = np.zeros((len(LSTM_RATES), len(SEEDS)))
first = np.full((len(LSTM_RATES), len(SEEDS)), np.nan)
with progress(total=final.size, desc=f"training {final.size} LSTMs ({len(LSTM_RATES)} rates × {len(SEEDS)} seeds)") as bar:
    for i, lr in enumerate(LSTM_RATES):
        for j, seed in enumerate(SEEDS):
            torch.manual_seed(int(seed))
            rnn = Recall()
            h = T.fit(rnn, (St, lt), (Sv, lv), torch.optim.Adam(rnn.parameters(), lr=lr), epochs=lstm_epochs,
                      batch_size=64, seed=int(seed))
            acc = h.column("val_acc")
            final[i, j] = acc[-1]
            if (acc > 0.95).any():
                first[i, j] = np.argmax(acc > 0.95) + 1
            bar.update()

print(f"{'Adam η':>7} {f'val acc after epoch {lstm_epochs}':>24} {'seeds past 95%':>15} {'first epoch past 95%':>21}")
for i, lr in enumerate(LSTM_RATES):
    got = first[i][np.isfinite(first[i])]
    when = ms(got, 1) if got.size > 1 else (f"{got[0]:.0f}" if got.size else "never")
    print(f"{lr:>7g} {ms(final[i]):>24} {f'{got.size} of {len(SEEDS)}':>15} {when:>21}")
never = lstm_epochs + 1                  # a run that never got there counts as one epoch past the budget
gap, se, sign = T.paired_gap(np.nan_to_num(first[1], nan=never), np.nan_to_num(first[0], nan=never))
print(f"epochs to pass 95%, η = 1e-2 minus η = 1e-3: {gap:+.1f} ± {se:.1f} (mean ± standard error)")
solved = np.isfinite(first).all(axis=1)  # every seed passed 95% within the budget, per rate
faster = ("within the budget, where at its default 1e-3 not every seed does" if solved[1] and not solved[0]
          else "sooner than at its default 1e-3")
print("VERDICT: " + {-1: f"Adam at 1e-2 solves the task {faster}",
                     1: "Adam at its default 1e-3 solves the task sooner than at 1e-2",
                     0: "Adam at 1e-2 and at its default 1e-3 solve the task equally fast (within the seed spread)"}[sign])


# %% [markdown]
# A recurrent model applies the same weights at every time step, so a change of one weight
# acts at each of the five steps, and the outcome can depend strongly on the rate. Read the
# table row by row: how many seeds solved the task within the budget, and how soon. The grid
# is coarse (factors of 10), so it shows where the task gets solved in time, not how narrow
# the usable range is.
#
# ## 3. Common starting points, and why they are only that
#
# Tutorials and library defaults start from **η = 0.1 for SGD with momentum 0.9** and
# **η = 1e-3 for Adam** (the default in Adam's paper and in `torch.optim.Adam`); the seed
# material of this course quotes **0.01 for SGD and 0.001 for Adam**. A rate for SGD means
# little without its momentum: with momentum β (PyTorch's form) a steady gradient g is
# followed with steps of η·g/(1 − β), so 0.1 with momentum 0.9 moves as far per step as plain
# SGD at 1.0, a hundred times plain SGD at 0.01.
#
# Such defaults assume inputs of order 1, the framework's standard initialisation and a loss
# that is a mean over the batch. Nothing in them looks at *your* problem, or at your budget.
# Here is the same MLP on two versions of the same data: pixels scaled to [0, 1], and the raw
# pixel values 0 … 16 (a forgotten normalisation). Each optimizer gets a rate grid around
# its default, 3 seeds and the same budget of 4 epochs.

# %%
def mlp(seed):
    torch.manual_seed(int(seed))
    return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


STARTS = {"SGD, momentum 0.9": (lambda groups: torch.optim.SGD(groups, momentum=0.9), 0.1, [3e-3, 0.01, 0.03, 0.1, 0.3]),
          "Adam": (torch.optim.Adam, 1e-3, [3e-4, 1e-3, 3e-3, 1e-2, 3e-2])}
PROBLEMS = {"pixels in [0, 1]": ((Ft, ft), (Fv, fv)), "pixels in 0..16": ((16 * Ft, ft), (16 * Fv, fv))}
start_epochs = 4
start_acc = {}
with progress(total=len(PROBLEMS) * len(STARTS), desc=f"{len(PROBLEMS) * len(STARTS)} rate sweeps") as bar:
    for problem, (train, val) in PROBLEMS.items():
        for name, (make_opt, default, rates) in STARTS.items():
            runs = T.sweep_rates(mlp, rates, SEEDS, train, val, optimizer=make_opt, epochs=start_epochs,
                                 batch_size=32, val_every=start_epochs)
            start_acc[problem, name] = runs.last("val_acc", (len(rates), len(SEEDS)))
            bar.update()

print(f"validation accuracy after epoch {start_epochs}, mean ± sd over {len(SEEDS)} seeds")
for (problem, name), acc in start_acc.items():
    make_opt, default, rates = STARTS[name]
    print(f"{name} on {problem}: " + ", ".join(f"η={lr:g}: {ms(a)}" for lr, a in zip(rates, acc)))

# %%
for (problem, name), acc in start_acc.items():
    make_opt, default, rates = STARTS[name]
    i, j = best_row(acc), rates.index(default)
    trains = np.all(np.nan_to_num(acc[j]) > 0.5)         # a run that learns ends far above chance (0.1)
    gap, se, sign = T.paired_gap(np.nan_to_num(acc[j]), acc[i])
    print(f"{name} on {problem}: best η {rates[i]:g}, {ms(acc[i])}; default η {default:g}, {ms(acc[j])};"
          f" default minus best {gap:+.3f} ± {se:.3f}")
    if not trains:
        words = "does not train at all"
    elif sign < 0 and gap < -0.02:
        words = "falls clearly short of the tuned rate (more than two accuracy points, beyond the seed spread)"
    elif gap >= -0.02:
        words = "comes within two accuracy points of the tuned rate"
    else:
        words = "ends more than two accuracy points below the tuned rate on average, but within the seed spread"
    print(f"VERDICT ({name}, {problem}): the default rate {words}")

# %% [markdown]
# The same default can be right on one problem and wrong on the next: compare each
# optimizer's two verdicts. Multiplying the inputs by 16 makes the loss about 16² = 256 times
# more curved along the first layer's weights (that curvature is built from products of the
# layer's inputs), so a rate that suited SGD on [0, 1] can now be far above the stable range.
# Adam divides each step by the size of the weight's own gradient, so its steps do not grow
# with the inputs, but each step of a first-layer weight now moves the output 16 times
# further; its best rate moves too (compare the rows), and whether the default lands near it
# is luck of the problem and of the budget. Use a default to start a search (a range test,
# lesson 06, or a grid over factors of 3 as here), not to end it.
#
# ## 4. Layer-wise learning rates and fine-tuning
#
# `torch.optim` takes a list of parameter groups, each with its own `lr`. Two opposite pieces
# of advice use them:
#
# - *"Use higher learning rates for lower layers"* (from this course's seed material): lower
#   layers are far from the loss, their gradients are often smaller, so give them larger steps.
# - *Discriminative fine-tuning*: a body pretrained on another task already holds useful
#   features, so train it with a **lower** rate than the new head (η/10, η/100), or freeze it,
#   so that a few examples cannot wreck those features.
#
# The test: pretrain an MLP body, put a new head on it, and fine-tune on only **5 images of
# each of the digits 5–9**, where the body's features matter. Two bodies are pretrained, to
# see when the features suit the new task: one on the digits 0–4 only (it never saw a 5–9),
# and one on all ten digits (other images than the 25 used for fine-tuning). A control body
# is not pretrained at all. The body's rate is a multiple of the head's rate η, and each
# variant gets its own best η from the grid; 4 seeds (each seed pretrains its own body).

# %%
FT_SEEDS = lrc.sweeps.seeds(4)
few = torch.cat([torch.nonzero(ft == c).squeeze(1)[:5] for c in range(5, 10)])   # 5 training images of each of 5..9
unused = torch.ones(len(ft), dtype=torch.bool)
unused[few] = False
new_task = (Ft[few], ft[few] - 5), (Fv[fv >= 5], fv[fv >= 5] - 5)                 # labels 0..4 for the new head


def body(seed):
    torch.manual_seed(int(seed))
    return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU())


def with_head(trunk, seed, classes):
    torch.manual_seed(int(seed))                                                 # the head's own initial weights
    return torch.nn.Sequential(*copy.deepcopy(trunk), torch.nn.Linear(128, classes))


bodies = {}
sources = [("digits 0-4", unused & (ft < 5), fv < 5), ("all ten digits", unused, fv >= 0)]
for source, keep, val_keep in progress(sources, desc=f"pretraining {len(FT_SEEDS)} bodies on each of {len(sources)} sources"):
    nets = [with_head(body(s), s + 10**6, 10) for s in FT_SEEDS]
    runs = T.fit_many(nets, FT_SEEDS, (Ft[keep], ft[keep]), (Fv[val_keep], fv[val_keep]),
                      torch.optim.Adam([p for net in nets for p in net.parameters()], lr=3e-3),
                      epochs=10, batch_size=32, val_every=10)
    bodies[source] = [net[:2] for net in nets]
    print(f"body pretrained on {source}: {int(keep.sum())} images, validation accuracy on those classes "
          f"{ms(runs.last('val_acc'))}")

# %%
RATIOS = {"body at 10η": 10, "body at η": 1, "body at η/10": 0.1, "body at η/100": 0.01, "body frozen": 0}
HEAD_RATES = [3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1]
variants = [(src, r) for src in bodies for r in RATIOS] + [("not pretrained", "body at η")]
nets, groups = [], {}
for source, ratio in variants:
    for lr in HEAD_RATES:
        for j, seed in enumerate(FT_SEEDS):
            trunk = bodies[source][j] if source in bodies else body(int(seed) + 3 * 10**6)
            net = with_head(trunk, int(seed) + 2 * 10**6, 5)
            nets.append(net)
            groups.setdefault(lr, []).extend(net[-1].parameters())                # the new head at η
            if RATIOS[ratio]:
                groups.setdefault(lr * RATIOS[ratio], []).extend(net[:-1].parameters())
            else:
                net[:-1].requires_grad_(False)                                    # frozen body
optimizer = torch.optim.Adam([{"params": params, "lr": lr} for lr, params in groups.items()])
ft_epochs = 60                                   # 60 full-batch steps on the 25 images
runs = T.fit_many(nets, np.tile(FT_SEEDS, len(variants) * len(HEAD_RATES)), *new_task, optimizer,
                  epochs=ft_epochs, batch_size=25, val_every=ft_epochs)          # fit_many shows its own bar
ft_acc = dict(zip(variants, runs.last("val_acc", (len(variants), len(HEAD_RATES), len(FT_SEEDS)))))

print(f"accuracy on the {len(new_task[1][1])} validation images of 5-9 after {ft_epochs} steps,"
      f" each variant at its best head rate η (mean ± sd over {len(FT_SEEDS)} seeds)")
print(f"{'pretrained on':<16} {'variant':<15} {'best η':>7} {'val acc':>15}")
ft_best = {}
for v, acc in ft_acc.items():
    i = best_row(acc)
    ft_best[v] = acc[i]
    edge = "  (an end of the grid)" if i in (0, len(HEAD_RATES) - 1) else ""
    print(f"{v[0]:<16} {v[1]:<15} {HEAD_RATES[i]:>7g} {ms(acc[i]):>15}{edge}")

# %%
lower = ["body at η/10", "body at η/100", "body frozen"]
for source in bodies:
    tuned_lower = max(lower, key=lambda r: ft_best[source, r].mean())      # the practice, with its factor tuned too
    gap, se, sign = T.paired_gap(ft_best[source, tuned_lower], ft_best[source, "body at η"])
    print(f"{source}: best lower body rate ({tuned_lower}) minus same rate: {gap:+.3f} ± {se:.3f}")
    print(f"VERDICT (body pretrained on {source}): a lower rate for the body than for the head "
          + {1: "beats", -1: "loses to", 0: "ends level with"}[sign] + " the same rate for both")
higher = {}
for source in bodies:
    gap, se, higher[source] = T.paired_gap(ft_best[source, "body at 10η"], ft_best[source, "body at η"])
    print(f"{source}: body at 10η minus same rate: {gap:+.3f} ± {se:.3f}")
wins = [s for s in bodies if higher[s] > 0]
print("VERDICT: a ten times higher rate for the lower layers (the body) "
      + (f"beats the same rate for the body pretrained on {' and '.join(wins)}" if wins
         else "beats the same rate for neither pretrained body"))
for source in bodies:
    gap, se, sign = T.paired_gap(ft_best[source, "body at η"], ft_best["not pretrained", "body at η"])
    print(f"{source}: pretrained minus not pretrained, both at the same rate: {gap:+.3f} ± {se:.3f}")
    print(f"VERDICT (body pretrained on {source}): fine-tuned at one rate, it "
          + {1: "beats", -1: "loses to", 0: "ends level with"}[sign] + " a body that was not pretrained")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), sharey=True)
for ax, source in zip(axes, bodies):
    for i, ratio in enumerate(RATIOS):
        acc = ft_acc[source, ratio]
        ax.errorbar(HEAD_RATES, acc.mean(1), yerr=acc.std(1, ddof=1), capsize=3, label=ratio,
                    **plotting.style(i, marker=True))
    acc = ft_acc["not pretrained", "body at η"]
    ax.plot(HEAD_RATES, acc.mean(1), "k--", label="body not pretrained, at η")
    hidden = [ratio for ratio in RATIOS if (ft_acc[source, ratio].mean(1) < 0.6).any()]
    note = ("\n(below the axis at some η: " + ", ".join(hidden) + ")") if hidden else ""
    ax.set(xscale="log", xlabel="head rate η" + note, ylim=(0.6, 1.0), title=f"body pretrained on {source}")
axes[0].set_ylabel("validation accuracy on 5-9")
axes[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# Read the verdicts body by body: both pieces of advice are conditional. Slowing or freezing
# the body protects what it learned. That pays when the pretrained features suit the new task,
# and a few examples are then best spent on the head; it costs accuracy when they do not,
# because then the body has to move. The body that was never pretrained is the yardstick for
# how much the pretraining is worth at all. The advice to give lower layers higher rates
# answers small gradients in deep networks trained with plain SGD; Adam already divides each
# weight's step by the size of its own gradient, which removes most of that reason. `fit`
# and `fit_many` keep the groups' ratios when a schedule drives them.
#
# ## 5. Batch size: the linear scaling rule and warm-up
#
# When the batch grows k times, the gradient's noise shrinks and there are k times fewer steps
# per epoch; the linear scaling rule (Goyal et al., 2017) multiplies η by k to keep the
# progress per epoch, with a gradual warm-up because a k-times larger rate at the start can
# blow the run up. Goyal et al. start the warm-up from the small batch's rate, η/k, and reach
# η after a number of steps: `S.warmup(S.constant(η), steps, start_factor=1/k)`, the same
# ramp as PyTorch's `LinearLR` (t = 0 gives η/k, t = steps gives η; exercise 08.2 uses it).
# Measured with plain SGD on the MLP, batch 16 against batch 256 (k = 16), each over the same
# rate grid and the same 6 epochs, 3 seeds:

# %%
BATCH_RATES, k, batch_epochs = [0.03, 0.1, 0.3, 1.0, 3.0], 16, 6
warm = -(-len(Ft) // 256)                            # warm up over the first epoch of batch 256
configs = {"batch 16": (16, None),
           "batch 256": (256, None),
           f"batch 256, warm-up over {warm} steps": (256, lambda lr: S.warmup(S.constant(lr), warm, start_factor=1 / k))}
batch_acc = {}
for name, (size, schedule) in progress(configs.items(), desc=f"{len(configs)} rate sweeps"):
    runs = T.sweep_rates(mlp, BATCH_RATES, SEEDS, (Ft, ft), (Fv, fv), optimizer=torch.optim.SGD, schedule=schedule,
                         epochs=batch_epochs, batch_size=size, val_every=batch_epochs)
    batch_acc[name] = runs.last("val_acc", (len(BATCH_RATES), len(SEEDS)))
    print(f"{name:<32} ({batch_epochs * -(-len(Ft) // size)} steps): "
          + ", ".join(f"η={lr:g}: {ms(a)}" for lr, a in zip(BATCH_RATES, batch_acc[name])))

# %%
small, large, warmed = batch_acc.values()
trains = lambda acc: np.all(np.nan_to_num(acc) > 0.5, axis=1)        # every seed ends far above chance (0.1)
top = lambda acc: max([lr for lr, ok in zip(BATCH_RATES, trains(acc)) if ok], default=0.0)
i16, i256 = best_row(small), best_row(large)
gap, se, sign = T.paired_gap(np.nan_to_num(large[i16]), small[i16])
print(f"at batch 16's best η, batch 256 minus batch 16: {gap:+.3f} ± {se:.3f}")
print("VERDICT: at the rate that is best for batch 16, batch 256 "
      + {1: "ends above", -1: "ends below", 0: "ends level with"}[sign] + " batch 16 after the same epochs")
lo, hi = BATCH_RATES.index(0.1), BATCH_RATES.index(1.0)
gain, se, sign = T.paired_gap(np.nan_to_num(large[hi] - large[lo]), np.nan_to_num(small[hi] - small[lo]))
print(f"gain from η = 0.1 to η = 1, batch 256 minus batch 16: {gain:+.3f} ± {se:.3f}")
print("VERDICT: a ten times larger rate helps batch 256 " + {1: "more than", -1: "less than", 0: "as much as"}[sign]
      + " it helps batch 16")
print(f"best η: batch 16 {BATCH_RATES[i16]:g}, batch 256 {BATCH_RATES[i256]:g} (the linear rule asks for {k} ×"
      f" {BATCH_RATES[i16]:g} = {k * BATCH_RATES[i16]:g}); largest η at which every seed trains: batch 16 {top(small):g}, batch 256 {top(large):g}")
gap, se, sign = T.paired_gap(large[i256], small[i16])
print(f"each at its best η, batch 256 minus batch 16: {gap:+.3f} ± {se:.3f}")
print("VERDICT: tuned, batch 256 " + ("overtakes" if sign > 0 else "does not overtake") + " batch 16 after the same epochs")
iw = best_row(warmed)
gap, se, sign = T.paired_gap(warmed[iw], large[i256])
print(f"largest η at which every seed trains with warm-up: {top(warmed):g};"
      f" warm-up minus none, each at its best η: {gap:+.3f} ± {se:.3f}")
print("VERDICT: here warm-up " + ("raises" if top(warmed) > top(large) else "does not raise")
      + " the largest rate that trains, and " + ("improves" if sign > 0 else "does not improve")
      + " the tuned result")

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
for i, (name, acc) in enumerate(batch_acc.items()):
    ax.errorbar(BATCH_RATES, np.nanmean(acc, 1), yerr=np.nanstd(acc, 1, ddof=1), capsize=3, label=name,
                **plotting.style(i, marker=True))
ax.set(xscale="log", xlabel="η", ylabel=f"validation accuracy after epoch {batch_epochs}",
       title=f"SGD on the MLP, mean ± sd over {len(SEEDS)} seeds")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The linear rule is an argument about the *noise* of the gradient: it holds while the
# small-batch rate is well below the largest stable rate. Once k·η would cross that limit
# (about 2 divided by the sharpest curvature, lesson 01), no warm-up makes it stable, and the
# best large-batch rate grows by less than k. Warm-up helps when the start is sharper than
# the rest of training (deep networks, Adam's first steps); on this small MLP the curves show
# what it does here.
#
# ## 6. Weight decay: Adam's L2 against AdamW
#
# With `Adam(weight_decay=λ)`, λ·w is added to the gradient *before* Adam's normalisation, so
# the decay part of a step is about η·λ·w/(√v̂ + ε) (exactly so while w changes slowly, since
# λ·w also passes through Adam's running mean of the gradient): each weight shrinks by the
# fraction η·λ/(√v̂ + ε) per step, where v̂ is the running mean of its squared gradient (λ·w
# included). `AdamW`
# shrinks every weight by the fraction η·λ per step, outside the normalisation. The same λ
# is therefore not the same strength. The gradients of a mean loss are small (√v̂ is far below
# 1 for most weights), so Adam's L2 at a given λ decays much harder than AdamW at the same λ;
# and a weight with large gradients is barely decayed by L2. Both are swept over λ (Adam at
# η = 1e-3, 8 epochs of batch 64, 3 seeds; λ = 0 is no decay at all), and the shrink per step
# of L2 is read from the optimizer's own v̂:

# %%
DECAYS = {"Adam + L2": (torch.optim.Adam, [0.0, 1e-4, 1e-3, 1e-2, 1e-1]),
          "AdamW": (torch.optim.AdamW, [0.0, 0.1, 1.0, 10.0])}
wd_nets, optimizers = {}, []
for name, (make, lams) in DECAYS.items():
    for lam in lams:
        wd_nets[name, lam] = [mlp(s) for s in SEEDS]
    optimizers.append(make([{"params": [p for n in wd_nets[name, lam] for p in n.parameters()], "weight_decay": lam}
                            for lam in lams], lr=1e-3))
wd_epochs = 8
runs = T.fit_many([n for nets in wd_nets.values() for n in nets], np.tile(SEEDS, len(wd_nets)), (Ft, ft), (Fv, fv),
                  optimizers, epochs=wd_epochs, batch_size=64, val_every=wd_epochs)   # fit_many shows its own bar
wd_acc = dict(zip(wd_nets, runs.last("val_acc", (len(wd_nets), len(SEEDS)))))
norm = lambda net: float(torch.sqrt(sum((p.detach() ** 2).sum() for p in net.parameters())))
wd_norm = {key: np.array([norm(n) for n in nets]) for key, nets in wd_nets.items()}


def l2_shrink(nets, lam, opt=optimizers[0], lr=1e-3, beta2=0.999, eps=1e-8):
    "per weight, the fraction η·λ/(√v̂ + ε) by which Adam's L2 term shrinks it per step, at the end of training"
    out = []
    for p in (p for n in nets for p in n.parameters()):
        state = opt.state[p]
        v_hat = state["exp_avg_sq"] / (1 - beta2 ** float(state["step"]))
        out.append((lr * lam / (v_hat.sqrt() + eps)).flatten())
    return torch.cat(out).numpy()


print(f"{'optimizer':<10} {'λ':>6} {f'‖w‖ after epoch {wd_epochs}':>20} {'val acc':>15}")
for (name, lam), acc in wd_acc.items():
    print(f"{name:<10} {lam:>6g} {ms(wd_norm[name, lam], 2):>20} {ms(acc):>15}")

# %%
lam = 0.1
shrink = l2_shrink(wd_nets["Adam + L2", lam], lam)
print(f"λ = {lam:g}: AdamW shrinks every weight by η·λ = {1e-3 * lam:.0e} per step")
print(f"λ = {lam:g}: Adam's L2 shrinks a weight by η·λ/√v̂: median {np.median(shrink):.1e},"
      f" 10th to 90th percentile {np.percentile(shrink, 10):.1e} to {np.percentile(shrink, 90):.1e};"
      f" larger than AdamW's for {np.mean(shrink > 1e-3 * lam):.0%} of the weights")
gap, se, sign = T.paired_gap(wd_norm["Adam + L2", lam], wd_norm["AdamW", lam])
print(f"‖w‖ with Adam + L2 minus ‖w‖ with AdamW, both λ = {lam:g}: {gap:+.2f} ± {se:.2f}")
print("VERDICT: at the same λ, Adam's L2 penalty leaves the weights "
      + {-1: "smaller than", 1: "larger than", 0: "as large as"}[sign] + " AdamW's decoupled decay does")
l2_best = max(DECAYS["Adam + L2"][1], key=lambda x: wd_acc["Adam + L2", x].mean())
w_best = max(DECAYS["AdamW"][1], key=lambda x: wd_acc["AdamW", x].mean())
gap, se, sign = T.paired_gap(wd_acc["AdamW", w_best], wd_acc["Adam + L2", l2_best])
print(f"best λ: Adam + L2 {l2_best:g}, AdamW {w_best:g}; AdamW minus Adam + L2 at those: {gap:+.3f} ± {se:.3f}")
print("VERDICT: each tuned over λ, AdamW " + ("beats" if sign > 0 else "does not beat") + " Adam with an L2 penalty here")
helps = []
for name, lams in ((n, DECAYS[n][1]) for n in DECAYS):
    lam_best = max(lams[1:], key=lambda x: wd_acc[name, x].mean())          # the best λ > 0
    gap, se, sign = T.paired_gap(wd_acc[name, lam_best], wd_acc[name, 0.0])
    print(f"{name} at its best λ > 0 ({lam_best:g}) minus no decay: {gap:+.3f} ± {se:.3f}")
    helps += [name] if sign > 0 else []
print("VERDICT: on this budget, weight decay "
      + (f"improves on no decay with {' and '.join(helps)}" if helps else
         "of either kind does not improve on no decay, so the ranking above is not one of two useful regularisers"))

# %% [markdown]
# The lines above put the two per-step shrinks side by side at equal λ, and the norms in the
# table are what they add up to over the steps. Equal λ is not an equal-strength comparison,
# and ranking the two at one λ says more about the λ than about the method; each has to be
# tuned over its own λ, as in the second verdict, and checked against no decay at all, as in
# the last. The case for AdamW made by Loshchilov and
# Hutter (2019) is of another kind: its decay does not depend on the gradient statistics, so
# every weight is decayed alike, and they found its best λ to depend less on η.
#
# ## Recap
# - `S.exponential(η₀, d)` is `ExponentialLR(gamma=e^(−d))`, number for number. Whether a
#   decay helps is a measurement against a constant-rate control, each at its own best η₀.
# - The LSTM's table shows how strongly the outcome depends on η for a recurrent model.
# - 0.1 for SGD with momentum 0.9 and 1e-3 for Adam are starting points: the data's scale and
#   the budget move the best rate, sometimes far.
# - Parameter groups give layers their own rates. A lower rate (or freezing) for a pretrained
#   body pays when its features suit the new task; otherwise the body has to learn.
# - Larger batches want larger rates, up to the stability limit; warm-up is a tool for a sharp
#   start, not a guarantee.
# - Adam's L2 and AdamW's decay are different regularisers: compare them each at its own λ.
#
# **Exercise:** [exercises/08_pytorch_in_practice](../exercises/08_pytorch_in_practice/08_pytorch_in_practice.ipynb) (parameter groups, the linear scaling rule with warm-up, and a question on warm-up). `hint("08.1")` helps when you are stuck.
# **Next:** [09_measured_tables](09_measured_tables.ipynb).
