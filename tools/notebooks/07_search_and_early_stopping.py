# %% [markdown]
# # 07 · Search and early stopping
#
# **After this notebook you will be able to**
# - search for a learning rate on a log scale, judged on a validation split, seeded and repeatable,
#   and report the chosen setting on a test split that took no part in choosing it,
# - say when random search beats a grid of the same size, and check it over repeated searches,
# - stop training early, keep the weights of the epoch with the lowest validation loss, and measure
#   what that buys,
# - read training curves: barely moving (η too low), falling (about right), erratic or diverging
#   (too high), and the trap in between: a spike, then a flat loss at chance level (also too high).

# %%
import numpy as np
import matplotlib.pyplot as plt
import torch
import lrcourse as lrc
from lrcourse import plotting, search, training as T, widgets
from lrcourse.sweeps import progress          # a progress bar for the slow loops (gone when they finish)

X, y = lrc.datasets.digits()            # pixels scaled to [0, 1], labels 0-9
Xtr, ytr, Xva, yva, Xte, yte = search.train_val_test_split(X, y, 0.2, 0.2, seed=0)
print(f"{len(Xtr)} training, {len(Xva)} validation and {len(Xte)} test images (8 × 8 pixels, 10 digits)")

# %% [markdown]
# **Three splits, three jobs.** The training split fits the weights. The validation split
# *chooses*: the learning rate, the weight decay, the epoch to keep. Once a split has chosen,
# its score is no longer an honest estimate of the chosen setting: among many candidates, the
# one with the lowest validation score tends to be one whose score was pushed down by chance
# on exactly those images, so the winning score is biased low (how much depends on how many
# candidates competed and how noisy each score is). So the final number is measured once, at
# the end, on the test split, which took no part in any choice. The two splits also hold
# different images, so their scores differ for that reason too; a single comparison below cannot
# tell the two causes apart.
#
# ## 1. The objective: validation loss after a short training
#
# Softmax regression on the digits, trained from zero weights by Adam for 100 steps of 32
# images. Three knobs, each searched on a log scale: the learning rate η (1e-4 to 1), the L2
# weight decay λ (1e-6 to 1e-2) and Adam's ε (1e-10 to 1e-6), the small constant added to
# √v in the denominator. ε is here on purpose: it is far smaller than √v for every weight that
# gets a gradient here, so it should hardly matter. It stands for the knobs you search without
# knowing yet that they do not matter. One evaluation trains from scratch and returns the validation loss;
# `search.SoftmaxObjective` trains all the trials of a search at once, in one broadcast call.
#
# A grid of 3 values per knob costs 3 × 3 × 3 = 27 trainings; random search gets the same 27.

# %%
S_OBJECTIVE, S_GRID, S_RANDOM = lrc.sweeps.seeds(3)
objective = search.SoftmaxObjective(Xtr, ytr, Xva, yva, steps=100, batch_size=32, seed=S_OBJECTIVE)
space = {"lr": (1e-4, 1.0, "log"), "weight_decay": (1e-6, 1e-2, "log"), "eps": (1e-10, 1e-6, "log")}
SYMBOL = {"lr": "η", "weight_decay": "λ", "eps": "ε"}

grid = search.grid_search(objective, space, per_dim=3, seed=S_GRID, batched=True)
rand = search.random_search(objective, space, n=27, seed=S_RANDOM, batched=True)
for name, res in [("grid 3×3×3", grid), ("random 27", rand)]:
    b = res.best
    print(f"{name:<11} best val loss {res.best_value:.4f} at η = {b['lr']:.3g}, λ = {b['weight_decay']:.2g},"
          f" ε = {b['eps']:.2g}; distinct values of η tried: {len(set(res.column('lr')))}")

# %% [markdown]
# These are one search each, one draw; section 2 repeats them. The grid is placed with a
# random offset (`seed=`): its three values per knob sit one cell (a third of the range) apart,
# anywhere inside the range. The usual grid with points at both ends (1e-4, 1e-2 and 1 for η)
# spreads its three values even more thinly: half the range apart.
#
# Which knobs matter? Start from the best setting found and move one knob at a time across its
# whole range, the other two held fixed. The answer depends on the minibatch order, so it is
# measured on 3 orders (the search's own and two more):

# %%
best = rand.best if rand.best_value <= grid.best_value else grid.best
orders = [objective] + [search.SoftmaxObjective(Xtr, ytr, Xva, yva, steps=100, batch_size=32, seed=int(s))
                        for s in lrc.sweeps.seeds(3)[1:]]              # 3 minibatch orders, the search's first
lines, moves = {}, {}
print(f"how far the validation loss moves when one knob crosses its range (highest − lowest;"
      f" mean ± sd over {len(orders)} minibatch orders):")
for name, (low, high, _) in space.items():
    values = np.geomspace(low, high, 13)
    settings = {k: np.full(13, v) for k, v in best.items()} | {name: values}
    curves = np.array([o(**settings) for o in orders])             # rows: minibatch orders
    lines[name], moves[name] = (values, curves[0]), np.ptp(curves, axis=1)
    print(f"  {SYMBOL[name]} from {low:.0e} to {high:.0e}: {moves[name].mean():.3g} ± {moves[name].std(ddof=1):.2g}")
order = sorted(moves, key=lambda k: moves[k].mean(), reverse=True)
resolved = all(search.compare(moves[a], moves[b], paired=True)["sign"] > 0 for a, b in zip(order, order[1:]))
print("VERDICT:", f"the validation loss depends most on {SYMBOL[order[0]]}, less on {SYMBOL[order[1]]},"
      f" least on {SYMBOL[order[2]]}" if resolved else "the knobs' effects do not differ beyond the spread")

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(*lines["lr"], color="0.7", lw=1.5, label="η alone varied (λ, ε at the best)")
ax.scatter(rand.column("lr"), rand.values, color="tab:orange", label="random: 27 trials")
ax.scatter(grid.column("lr"), grid.values, color="k", marker="s", s=18, label="grid: 27 trials")
ax.set(xscale="log", yscale="log", xlabel="learning rate η", ylabel="validation loss",
       title="The grid tries 3 values of η, random search 27")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Each black column holds the 9 grid trials that share one value of η. They differ in λ, which
# moves the loss a little, and in ε, which moves it too little to see (three trials on each
# square): the grid spent 27 trainings on 3 values of the one knob that matters most.
#
# The winner's validation loss chose it, so it is not the number to report. Retrain the chosen
# setting (on 3 seeds: 3 minibatch orders) and measure it once on the test split. The same
# trainings are also scored on the validation split: that line separates the two parts of any
# gap between the number that chose and the test number, the luck of the one training that
# chose, and the two splits simply differing in how hard their images are.

# %%
val, test = [], []
for s in lrc.sweeps.seeds(3):                       # quick (numpy, under a second): no bar
    retrain = search.SoftmaxObjective(Xtr, ytr, Xva, yva, steps=100, batch_size=32, seed=int(s))
    w = retrain.fit(**best)[0]
    val.append(retrain.score(w, Xva, yva))
    test.append(retrain.score(w, Xte, yte))
val, test = np.array(val), np.array(test)           # rows: seeds; columns: loss, accuracy
print(f"chosen: η = {best['lr']:.3g}, λ = {best['weight_decay']:.2g}, ε = {best['eps']:.2g}")
print(f"  validation loss that chose it (one training): {min(rand.best_value, grid.best_value):.4f}")
for split, sc in [("validation split (it chose)", val), ("test split (held out)", test)]:
    print(f"  {split:<27} (mean ± sd over {len(sc)} trainings): loss {sc[:, 0].mean():.4f} ± {sc[:, 0].std(ddof=1):.4f},"
          f" accuracy {sc[:, 1].mean():.3f} ± {sc[:, 1].std(ddof=1):.3f}")

# %% [markdown]
# ## 2. Grid against random, repeated
#
# One search is one draw: a grid's placement, random search's points. To compare the two
# methods, repeat each 24 times on independent seeds (each grid with its own random offset)
# and compare the best validation loss each finds, with its spread. The difference counts as
# real only if it is larger than twice its standard error.

# %%
REPEATS = 24
grid_seeds, random_seeds = np.split(lrc.sweeps.seeds(2 * REPEATS), 2)
grid_best = np.array([search.grid_search(objective, space, 3, seed=int(s), batched=True).best_value
                      for s in progress(grid_seeds, desc=f"{REPEATS} grid searches")])
rand_best = np.array([search.random_search(objective, space, 27, seed=int(s), batched=True).best_value
                      for s in progress(random_seeds, desc=f"{REPEATS} random searches")])
gap = search.compare(grid_best, rand_best)
print(f"best validation loss over {REPEATS} searches each (mean ± standard deviation):")
print(f"  grid 3×3×3, random offset: {grid_best.mean():.4f} ± {grid_best.std(ddof=1):.4f}"
      f"  (worst search {grid_best.max():.4f})")
print(f"  random, 27 trials:         {rand_best.mean():.4f} ± {rand_best.std(ddof=1):.4f}"
      f"  (worst search {rand_best.max():.4f})")
print(f"  grid − random: {gap['diff']:+.4f} ± {2 * gap['se']:.4f} (two standard errors)")
print("VERDICT:", {1: "random search finds a lower validation loss than a grid of the same size",
                   -1: "a grid finds a lower validation loss than random search of the same size",
                   0: "grid and random search differ by less than the spread"}[gap["sign"]])

# %% [markdown]
# The advantage comes from the knobs that hardly matter: a grid multiplies its trials over
# them, and each extra value of λ or ε repeats the same three values of η. Random search gives
# every trial a new value of every knob. With fewer knobs the grid wastes less. Try it: in the
# cell above, search `{k: space[k] for k in ("lr", "weight_decay")}` instead of `space`, with
# 9 random trials against the 3 × 3 grid, and see whether the difference still stands out from
# the spread.
#
# ## 3. Early stopping
#
# To see early stopping work, training must overfit, so here it is made to: 200 training
# images, 30 % of their labels replaced by a random digit (real data sets contain wrong labels
# too; a tenth of the replacements happen to draw the right digit), a wide network
# (64 → 256 → 10, ReLU), no weight decay, Adam at η = 1e-2 for 40 epochs of batches of 50.
# A net this large learns the wrong labels by heart, and the validation loss turns up.
#
# Each of 5 seeds draws its own wrong labels, initial weights and minibatch order, and trains
# twice: once for all 40 epochs, once with `patience=10` (stop when the validation loss has
# not improved for 10 epochs, then put back the weights of the epoch with the lowest
# validation loss). Both copies are then measured on the test split. Epochs count from 1.
# The control, further down, repeats all of it with clean labels.

# %%
t = lambda a, dtype=torch.float32: torch.tensor(a, dtype=dtype)
Xt, yt, Xv, yv, Xs, ys = t(Xtr), t(ytr, torch.long), t(Xva), t(yva, torch.long), t(Xte), t(yte, torch.long)

def mlp(seed, width=256):
    torch.manual_seed(int(seed))
    return torch.nn.Sequential(torch.nn.Linear(64, width), torch.nn.ReLU(), torch.nn.Linear(width, 10))

def noisy_labels(y, share, seed):
    rng = np.random.default_rng(int(seed))
    y, swap = y.clone(), torch.from_numpy(rng.random(len(y)) < share)
    y[swap] = torch.from_numpy(rng.integers(0, 10, int(swap.sum())))
    return y

def pm(values, digits=3):            # "mean ± sd" (a diverged run makes it inf or nan)
    with np.errstate(invalid="ignore"):
        return f"{np.mean(values):.{digits}f} ± {np.std(values, ddof=1):.{digits}f}"

def train_small(seed, patience=None, share=0.3):
    net, labels = mlp(seed), noisy_labels(yt[:200], share, seed)
    h = T.fit(net, (Xt[:200], labels), (Xv, yv), torch.optim.Adam(net.parameters(), lr=1e-2), epochs=40,
              batch_size=50, patience=patience, seed=int(seed), device="cpu")
    test_loss, test_acc = T.evaluate(net, Xs, ys, torch.nn.functional.cross_entropy)
    wrong = labels != yt[:200]
    with torch.no_grad():                    # share of the wrong labels the net now predicts
        learned = float((net(Xt[:200]).argmax(1)[wrong] == labels[wrong]).float().mean()) if wrong.any() else np.nan
    return dict(history=h, test_loss=test_loss, test_acc=test_acc, wrong=float(wrong.float().mean()), learned=learned)

def race(seed, share=0.3):                   # the same seed trained for all 40 epochs, and with early stopping
    full, stopped = train_small(seed, share=share), train_small(seed, patience=10, share=share)
    vl, va = full["history"].column("val_loss"), full["history"].column("val_acc")
    return dict(lowest=int(vl.argmin()) + 1, best_acc=float(va.max()), best_acc_epoch=int(va.argmax()) + 1,
                rise=vl[-1] / vl.min(), kept=stopped["history"].best_epoch + 1,
                trained=len(stopped["history"].epochs), kept_val_acc=stopped["history"].final["val_acc"],
                loss_kept=stopped["test_loss"], loss_last=full["test_loss"], acc_kept=stopped["test_acc"],
                acc_last=full["test_acc"], wrong=full["wrong"], learned=full["learned"], full=full["history"])


# %%
SEEDS = lrc.sweeps.seeds(5)
rows = [race(seed) for seed in progress(SEEDS, desc=f"training {len(SEEDS)} seeds, each for 40 epochs and with early stopping")]
print(f"{'seed':>5} {'wrong':>6} {'lowest val loss':>16} {'val loss':>9} {'best val acc':>13} {'stopped':>8}"
      f" {'kept':>5} {'val acc at':>11} {'test acc':>9} {'test acc':>9}")
print(f"{'':>5} {'labels':>6} {'at epoch':>16} {'last/min':>9} {'(at epoch)':>13} {'after':>8}"
      f" {'epoch':>5} {'kept epoch':>11} {'kept':>9} {'epoch 40':>9}")
for seed, r in zip(SEEDS, rows):
    best_acc = f"{r['best_acc']:.3f} ({r['best_acc_epoch']})"
    print(f"{seed:>5} {r['wrong']:>6.0%} {r['lowest']:>16} {r['rise']:>9.2f}"
          f" {best_acc:>13} {r['trained']:>8} {r['kept']:>5}"
          f" {r['kept_val_acc']:>11.3f} {r['acc_kept']:>9.3f} {r['acc_last']:>9.3f}")

# %%
col = lambda key, rs=rows: np.array([r[key] for r in rs], dtype=float)

def summary(rs):                             # evidence lines; returns (test loss rise, accuracy gain)
    print(f"  validation loss at epoch 40 ÷ its minimum:   {pm(col('rise', rs), 2)}")
    print(f"  early stopping kept the epoch of lowest validation loss of the 40-epoch run in"
          f" {int(np.sum(col('kept', rs) == col('lowest', rs)))} of {len(rs)} runs, after"
          f" {col('trained', rs).mean():.0f} epochs on average instead of 40")
    print(f"  test loss      kept epoch {pm(col('loss_kept', rs))}   epoch 40 {pm(col('loss_last', rs))}")
    print(f"  test accuracy  kept epoch {pm(col('acc_kept', rs))}   epoch 40 {pm(col('acc_last', rs))}")
    rise = search.compare(col("loss_last", rs), col("loss_kept", rs), paired=True)
    gain = search.compare(col("acc_kept", rs), col("acc_last", rs), paired=True)
    print(f"  same seed, ± two standard errors: test loss epoch 40 − kept {rise['diff']:+.3f} ± {2 * rise['se']:.3f},"
          f" test accuracy kept − epoch 40 {gain['diff']:+.3f} ± {2 * gain['se']:.3f}")
    return rise, gain

print(f"noisy labels, {len(rows)} seeds (mean ± sd)")
print(f"  wrong training labels the net predicts at epoch 40: {pm(col('learned'))}")
print(f"  the epoch of best validation accuracy is the kept one in"
      f" {int(np.sum(col('best_acc_epoch') == col('kept')))} of {len(rows)} runs")
overfit, gain = summary(rows)
learned = search.compare(col("learned"), np.full(len(rows), 0.5), paired=True)
print("VERDICT:", "the nets learn most of the wrong labels by heart" if learned["sign"] > 0
      else "the nets do not learn most of the wrong labels")
print("VERDICT:", {1: "the nets overfit: at epoch 40 the held-out test loss is higher than at the kept epoch",
                   -1: "the test loss is lower at epoch 40 than at the kept epoch: stopping came too early",
                   0: "the test loss at epoch 40 and at the kept epoch differ by less than the spread"}[overfit["sign"]])
print("VERDICT:", {1: "the weights early stopping kept score a higher test accuracy than the last epoch's",
                   -1: "the last epoch's weights score a higher test accuracy than the kept ones",
                   0: "kept and last weights differ in test accuracy by less than the spread"}[gain["sign"]])

# %%
first = rows[0]
fig, ax = plt.subplots(figsize=(7, 4))
for r in rows[1:]:
    ax.plot(r["full"].column("epoch") + 1, r["full"].column("val_loss"), color=plotting.SERIES[1], ls="--", lw=0.8,
            alpha=0.35)
ax.plot(first["full"].column("epoch") + 1, first["full"].column("train_loss"), color=plotting.SERIES[0],
        label=f"training, seed {SEEDS[0]} (epoch's mean, on its noisy labels)")
ax.plot(first["full"].column("epoch") + 1, first["full"].column("val_loss"), color=plotting.SERIES[1], ls="--",
        label=f"validation, seed {SEEDS[0]} (faint: other seeds)")
ax.axvline(first["kept"], color="k", ls="--", label=f"seed {SEEDS[0]}: epoch kept by early stopping")
ax.axvline(first["trained"], color="0.5", ls=":", label=f"seed {SEEDS[0]}: early stopping stopped")
ax.set(yscale="log", xlim=(0.5, 40.5), xlabel="epoch", ylabel="cross-entropy loss",
       title="200 images, 30 % relabelled at random, MLP, Adam η = 1e-2")
ax.legend(fontsize=8, loc="lower left")
plt.show()

# %% [markdown]
# Read the table's labels closely. *Best val acc* is the highest validation accuracy of any
# epoch, not necessarily the epoch early stopping keeps (that one has the lowest validation
# *loss*; the summary counts how often the two agree); and both are chosen on the validation
# split, so both flatter the model. The same goes for *val loss last/min*: the minimum of a
# noisy curve sits below its typical level, so that ratio is 1 or more even when nothing
# overfits. The honest comparison is the test loss and accuracy of the two sets of weights,
# measured on a split that chose nothing.
#
# **The control: clean labels.** Early stopping should buy something only when training
# overfits. Repeat the race on the same seeds, net and budget, with no label replaced:

# %%
control = [race(seed, share=0.0) for seed in progress(SEEDS, desc=f"clean labels: training {len(SEEDS)} seeds twice")]
print(f"clean labels, {len(control)} seeds (mean ± sd)")
overfit_clean, gain_clean = summary(control)
buys = search.compare(col("acc_kept") - col("acc_last"), col("acc_kept", control) - col("acc_last", control))
print(f"test accuracy bought by early stopping (kept − epoch 40, mean ± sd): noisy labels {pm(col('acc_kept') - col('acc_last'))},"
      f" clean labels {pm(col('acc_kept', control) - col('acc_last', control))}")
print("VERDICT:", {1: "with clean labels as well, the test loss is higher at epoch 40 than at the kept epoch",
                   -1: "with clean labels, the test loss is lower at epoch 40 than at the kept epoch",
                   0: "with clean labels, the test loss at epoch 40 and at the kept epoch differ by less than the"
                      " spread"}[overfit_clean["sign"]])
print("VERDICT:", {1: "early stopping buys more test accuracy with noisy labels than with clean ones",
                   -1: "early stopping buys more test accuracy with clean labels than with noisy ones",
                   0: "what early stopping buys in test accuracy does not differ between noisy and clean labels"
                      " beyond the spread"}[buys["sign"]])

# %% [markdown]
# ## 4. Reading the curves
#
# The same network, now on the full training split with clean labels, trained with plain SGD
# at nine rates from 1e-3 to 30 for 6 epochs, on 3 seeds. With 10 classes, a net that has
# learned nothing and predicts every digit with the same probability has loss
# ln 10 ≈ 2.30: that is *chance level*, the reference line for everything below. The slider
# shows the first seed's run at each rate.

# %%
CLASSES, CHANCE = 10, np.log(10)
rates = np.geomspace(1e-3, 30.0, 9)
SEEDS_SGD = lrc.sweeps.seeds(3)

def first_layer_grad(net):          # gradient norm of the first layer's weights, whole training split
    net.zero_grad()
    torch.nn.functional.cross_entropy(net(Xt), yt).backward()
    norm = float(net[0].weight.grad.norm())
    net.zero_grad()
    return norm

def dead_share(net):                # share of hidden units that output 0 for every training image
    with torch.no_grad():
        return float((net[1](net[0](Xt)) <= 0).all(dim=0).float().mean())

runs = {}
for lr in progress(rates, desc=f"training {len(rates)} rates × {len(SEEDS_SGD)} seeds"):
    for seed in SEEDS_SGD:
        net = mlp(seed)
        grad_start = first_layer_grad(net)
        h = T.fit(net, (Xt, yt), (Xv, yv), torch.optim.SGD(net.parameters(), lr=float(lr)), epochs=6,
                  batch_size=64, seed=int(seed), device="cpu")
        runs[float(lr), int(seed)] = dict(history=h, grad=first_layer_grad(net) / grad_start, dead=dead_share(net),
                                          reading=search.read_curve(h.losses, CLASSES))
widgets.curve_picker({lr: runs[float(lr), int(SEEDS_SGD[0])]["history"] for lr in rates}, chance=CHANCE)

# %%
print(f"mean ± sd over {len(SEEDS_SGD)} seeds, except 'highest loss': the highest of any step of any seed;"
      f" chance level ln 10 = {CHANCE:.3f}")
print(f"{'η':>6} {'highest loss':>12} {'loss, last':>14} {'first-layer grad':>17} {'dead units':>10} {'val acc':>14}"
      f"  reading (seeds)")
print(f"{'':>6} {'(any step)':>12} {'10 steps':>14} {'end ÷ start':>17} {'(%)':>10} {'last epoch':>14}")
for lr in rates:
    rs = [runs[float(lr), int(s)] for s in SEEDS_SGD]
    hs = [r["history"] for r in rs]
    readings = [r["reading"] for r in rs]
    counted = ", ".join(f"{x} ({readings.count(x)} of {len(rs)})" for x in sorted(set(readings), key=readings.count,
                                                                                   reverse=True))
    print(f"{lr:>6.2g} {max(np.max(h.losses) for h in hs):>12.3g} {pm([np.mean(h.losses[-10:]) for h in hs]):>14}"
          f" {pm([r['grad'] for r in rs]):>17} {pm([100 * r['dead'] for r in rs], 0):>10}"
          f" {pm([h.epochs[-1]['val_acc'] for h in hs]):>14}  {counted}")

# %% [markdown]
# Two kinds of row end at chance level, for opposite reasons. Put the lowest rate next to the
# second-highest, far above the best, seed by seed:

# %%
low, high = float(rates[0]), float(rates[7])
both_at_chance = all(abs(np.mean(runs[lr, int(s)]["history"].losses[-10:]) - CHANCE) < 0.05 * CHANCE
                     for lr in (low, high) for s in SEEDS_SGD)
fig, (ax_loss, ax_zoom, ax_grad) = plt.subplots(1, 3, figsize=(14, 3.6), layout="constrained")
h0 = runs[low, int(SEEDS_SGD[0])]["history"]
steps_per_epoch = len(h0.losses) // len(h0.epochs)
for lr, color in [(low, "tab:blue"), (high, "tab:red")]:
    for i, seed in enumerate(SEEDS_SGD):
        h = runs[lr, int(seed)]["history"]
        step = np.arange(1, len(h.losses) + 1)
        label = f"η = {lr:.2g} ({len(SEEDS_SGD)} seeds)" if i == 0 else None
        for ax in (ax_loss, ax_zoom):
            ax.plot(step, h.losses, color=color, lw=0.9, label=label)
        ax_grad.plot(step, h.grad_norms, color=color, lw=0.9, label=label)
for ax in (ax_loss, ax_zoom):
    ax.axhline(CHANCE, color="k", ls=":", lw=1, label="chance level, ln 10")
last_epoch = np.concatenate([runs[lr, int(s)]["history"].losses[-steps_per_epoch:] for lr in (low, high)
                             for s in SEEDS_SGD])
pad = 0.1 * np.ptp(np.r_[last_epoch, CHANCE])
ax_loss.set(yscale="log", ylim=(CHANCE / 1.5, None), xlabel="step", ylabel="training loss (minibatch)",
            title="Loss: the too-high run spikes first")
ax_zoom.set(xlim=(len(step) - steps_per_epoch + 0.5, len(step) + 0.5),
            ylim=(min(last_epoch.min(), CHANCE) - pad, max(last_epoch.max(), CHANCE) + pad),
            xlabel="step (last epoch)", ylabel="training loss (minibatch)",
            title="Last epoch, zoomed: " + ("both at chance" if both_at_chance else "not both at chance"))
ax_grad.set(yscale="log", xlabel="step", ylabel="gradient norm, all parameters (minibatch)",
            title="Gradient: the too-high run's collapses")
for ax in (ax_loss, ax_zoom, ax_grad):
    ax.legend(fontsize=8)
plt.show()

def measure(lr, key):
    return np.array([runs[lr, int(s)][key] for s in SEEDS_SGD])

for lr, name in [(low, "too low "), (high, "too high")]:
    hs = [runs[lr, int(s)]["history"] for s in SEEDS_SGD]
    last = np.array([np.mean(h.losses[-10:]) for h in hs])
    peak = np.array([np.max(h.losses) for h in hs])
    print(f"η = {lr:<6.2g} ({name}): loss at the end {last.mean():.3f} ± {last.std(ddof=1):.3f},"
          f" highest {peak.mean():.3g} ± {peak.std(ddof=1):.2g}; first-layer gradient end ÷ start"
          f" {measure(lr, 'grad').mean():.3f} ± {measure(lr, 'grad').std(ddof=1):.3f};"
          f" dead units {pm(100 * measure(lr, 'dead'), 0)} %")
alive = search.compare(measure(low, "grad"), measure(high, "grad"))
died = search.compare(measure(high, "dead"), measure(low, "dead"))
print("VERDICT:", "both runs end at chance level" if both_at_chance else "the two runs do not both end at chance level")
print("VERDICT:", "the too-high run lost its first-layer gradient, the too-low run kept more of it"
      if alive["sign"] > 0 else "the first-layer gradients of the two runs do not differ beyond the spread")
print("VERDICT:", "the too-high run has more dead hidden units than the too-low run" if died["sign"] > 0
      else "the two runs' shares of dead hidden units do not differ beyond the spread")

# %% [markdown]
# **Why the high rate ends at chance.** The first steps are so large that the loss spikes far
# above ln 10. Those steps push the first layer's biases and weights so far that most ReLU
# units output 0 for every image (the *dead units* column). A unit that outputs 0 everywhere
# passes no gradient back, so it never comes back: the first layer's gradient falls to about
# zero (the table's *first-layer gradient* column), and once every unit is dead all that still
# trains are the output biases, which can learn no more than how often each digit occurs:
# chance level. The small gradient left in the right-hand plot is theirs. Training longer
# cannot fix it. Where a few units survive a spike, they keep some gradient (the first
# *spiked* row of the table can show it, in its spread), yet the loss still sits near chance.
#
# **The rule.** Compare where the loss sits with ln(number of classes):
# - **at ln C, never far above it, creeping down, gradient about its starting size:** η too low.
#   Raise it (by 3 to 10×).
# - **above ln C first (a spike), then flat at ln C, gradient near zero, units dead:** η too
#   high. Lower it (by 10×) and *restart* from fresh weights: the dead net will not recover.
# - **above ln C and jumping about, or NaN:** η too high (erratic, diverged).
# - **well below ln C and still falling:** it is learning; among such rates, choose by
#   validation loss as in section 1.
#
# An accuracy at chance (0.1 here) cannot tell the first two apart; the loss history and the
# gradient norm can.
#
# ## Recap
# - Search η on a log scale and judge by a validation split; take the seeds from one place so
#   the search repeats. Report the chosen setting on a test split that chose nothing.
# - Random search gives every trial a new value of every knob. When some knobs hardly matter,
#   a grid of the same size wastes its trials on them; measured over repeated searches above,
#   compare the means with the spread.
# - Early stopping pays when training overfits: it keeps the epoch with the lowest validation
#   loss. Measure the kept weights on the test split, not by the best validation accuracy.
# - A loss stuck at ln(classes) is not always a low η: after a spike and with a vanished
#   gradient, it is an η so high it killed the network.
#
# **Exercise:** [exercises/07_search_and_early_stopping](../exercises/07_search_and_early_stopping/07_search_and_early_stopping.ipynb) (log-uniform samples, a seeded random search, early stopping, and a question on grid against random). `hint("07.1")` helps when you are stuck.
# **Next:** [08_pytorch_in_practice](08_pytorch_in_practice.ipynb).
