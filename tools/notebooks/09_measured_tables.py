# %% [markdown]
# # 09 · Measured, not claimed: one network over several learning rates
#
# **After this notebook you will be able to**
# - measure what the learning rate does to a real network instead of quoting rules of thumb,
# - read speed (steps and epochs to a target), validation accuracy, loss, gradient norms, a
#   learning curve and robustness to input noise side by side, each with its spread over seeds,
# - recognise the signature of a rate that is too high: a spike, then a flat loss near chance
#   level with a small gradient.
#
# The network is an MLP (64 → 128 → 10, ReLU) on the 8×8 digits, trained with SGD and momentum
# 0.9, minibatches of 32, for 10 epochs, at six learning rates and eight seeds each. A seed fixes
# the initial weights and the order of the minibatches.
#
# `T.fit_stack` trains all 48 networks side by side: each one is exactly the network that
# `torch.manual_seed(seed)` and `nn.Sequential(...)` would build and that `torch.optim.SGD` with
# momentum would train alone (lesson 08's `T.fit`; a test checks that the two agree), but the 48
# share one batched matrix product per step. Change `RATES`, `SEEDS` or `EPOCHS` and run again.

# %%
import numpy as np
import matplotlib.pyplot as plt
import torch
import lrcourse as lrc
from lrcourse import plotting, training as T
from lrcourse.sweeps import clearly_above, progress   # progress: a bar for the slow loops (gone when they finish)

RATES = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
SEEDS = lrc.sweeps.seeds(8)
EPOCHS, BATCH = 10, 32
TARGET = 0.2          # training-loss target for the "steps to target" column
torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
(Xt, yt), (Xv, yv) = T.digits()

lrs, seeds = np.repeat(RATES, len(SEEDS)), np.tile(SEEDS, len(RATES))
stack, hist = T.fit_stack(lrs, seeds, (Xt, yt), (Xv, yv), epochs=EPOCHS, batch_size=BATCH, momentum=0.9,
                          check_every=10, target=TARGET)          # fit_stack shows its own bar
per_epoch = -(-len(Xt) // BATCH)

def by_rate(values):
    # the last axis runs over all the networks; split it into (rate, seed)
    values = np.asarray(values)
    return values.reshape(*values.shape[:-1], len(RATES), len(SEEDS))

print(f"{len(lrs)} networks ({len(RATES)} rates × {len(SEEDS)} seeds), {EPOCHS} epochs of {per_epoch} steps each")


# %% [markdown]
# ## 1. The table
#
# - **epochs to 90%**: the first epoch, counting from 1, after which the validation accuracy is
#   at least 0.9;
# - **steps to loss ≤ 0.2**: the first update count at which the loss on the whole training set
#   is at most `TARGET` (checked every 10 steps);
# - **val acc, epoch 10**: the validation accuracy after the last epoch;
# - **train loss, epoch 10**: the mean minibatch loss during the last epoch;
# - **‖g‖, epoch 10**: the mean gradient norm over the last epoch's steps.
#
# Each cell is mean ± standard deviation over the seeds. The two speed columns average only the
# runs that got there and say how many did; a run that diverged would count as accuracy 0.1
# (chance) and is counted in the last column. Speed is counted in steps and epochs, not seconds:
# a clock measures the machine and whatever else runs on it as much as the training.
#
# To call a difference between two rates *clear*, `clearly_above` (from `lrcourse.sweeps`) asks
# for more than twice its standard error (the seed spread shrunk by the number of seeds);
# otherwise the two rates are level as far as this experiment can tell.

# %%
def first_epoch_at(acc, level):
    # acc: (epoch, ...) accuracies after epochs 1, 2, ...; the first epoch (counted from 1)
    # whose accuracy is at least `level`, or NaN if none
    above = np.asarray(acc) >= level
    return np.where(above.any(0), above.argmax(0) + 1.0, np.nan)

def cell(values, fmt, count=False):
    got = values[np.isfinite(values)]
    text = "–" if not got.size else f"{got.mean():{fmt}} ± {got.std(ddof=min(1, got.size - 1)):{fmt}}"
    return text + (f" ({got.size}/{values.size})" if count else "")


# %%
acc = by_rate(hist.epoch_val_acc)                              # (epoch, rate, seed)
epochs90 = first_epoch_at(acc, 0.9)
steps_to = np.where(by_rate(hist.reached_at) > 0, by_rate(hist.reached_at), np.nan).astype(float)
final_acc = np.where(by_rate(hist.diverged_at) >= 0, 0.1, acc[-1])
final_loss = by_rate(hist.epoch_train_loss)[-1]
gnorm = by_rate(np.nanmean(hist.grad_norms[-per_epoch:], axis=0))
diverged = (by_rate(hist.diverged_at) >= 0).sum(1)

last = f"epoch {EPOCHS}"
print(f"{'η':>6} | {'epochs to 90%':>19} | {'steps to loss ≤ ' + str(TARGET):>20} | {'val acc, ' + last:>17} |"
      f" {'train loss, ' + last:>20} | {'‖g‖, ' + last:>13} | diverged")
for j, lr in enumerate(RATES):
    print(f"{lr:>6} | {cell(epochs90[j], '.1f', True):>19} | {cell(steps_to[j], '.0f', True):>20} |"
          f" {cell(final_acc[j], '.3f'):>17} | {cell(final_loss[j], '.3f'):>20} | {cell(gnorm[j], '.2f'):>13} |"
          f" {diverged[j]}/{len(SEEDS)}")

# %% [markdown]
# What the table says, decided in code. For speed, "never" counts as slower than any number of
# steps; the fastest rate is the one with the fewest mean steps among the rates whose every run got
# there.

# %%
NEVER = 10 ** 9                                             # a run that never got there
steps_all = np.where(np.isfinite(steps_to), steps_to, NEVER)
complete = [j for j in range(len(RATES)) if np.isfinite(steps_to[j]).all()]
best = int(np.argmax(final_acc.mean(1)))
if complete:
    fastest = min(complete, key=lambda j: steps_to[j].mean())
    print(f"fastest to the training-loss target: η = {RATES[fastest]}; best final validation accuracy: η = {RATES[best]}")
    edges_slower = clearly_above(steps_all[0], steps_to[fastest]) and clearly_above(steps_all[-1], steps_to[fastest])
    print("VERDICT:", "the training-loss target is reached fastest at a middle rate: the smallest and the largest "
          "rate are both clearly slower or never get there" if 0 < fastest < len(RATES) - 1 and edges_slower
          else "the fastest rate to the training-loss target is not clearly a middle one")
else:
    print(f"best final validation accuracy: η = {RATES[best]}")
    print("VERDICT: no rate reached the training-loss target in every run: raise EPOCHS or TARGET to rank the speeds")
edges_worse = clearly_above(final_acc[best], final_acc[0]) and clearly_above(final_acc[best], final_acc[-1])
print("VERDICT:", "a middle rate gives the best final validation accuracy: the smallest and the largest rate "
      "are both clearly worse" if 0 < best < len(RATES) - 1 and edges_worse
      else "the best final validation accuracy is not clearly at a middle rate")

# %% [markdown]
# ### The row of the largest rate: the signature of "too high"
#
# Look at the row of the largest rate in the table: the highest training loss, and yet one of the
# smallest gradient norms. A small gradient usually means "near a minimum", but not here. The next cell measures, for every
# rate: the loss of the first minibatch, the highest minibatch loss in epoch 1, the mean training
# loss in epoch 10 next to ln 10 (the loss of a network that spreads its bets evenly over the ten
# classes), and the share of *dead* hidden units: ReLUs that output zero for every training
# image. A dead unit passes no gradient back, so it never comes back to life.

# %%
losses = by_rate(hist.losses)                                  # (step, rate, seed)
first, peak = losses[0], np.nanmax(losses[:per_epoch], axis=0)
with torch.no_grad():
    dead = by_rate((stack.hidden(Xt) <= 0).all(1).float().mean(1).numpy())
print(f"ln 10 = {np.log(10):.3f}")
print(f"{'η':>6} | {'first loss':>13} | {'peak in epoch 1':>15} | {'train loss, ' + last:>20} |"
      f" {'‖g‖, ' + last:>13} | {'dead units':>13}")
for j, lr in enumerate(RATES):
    print(f"{lr:>6} | {cell(first[j], '.2f'):>13} | {cell(peak[j], '.2f'):>15} | {cell(final_loss[j], '.2f'):>20} |"
          f" {cell(gnorm[j], '.2f'):>13} | {cell(dead[j], '.2f'):>13}")

top = len(RATES) - 1
signs = {"a loss spike in epoch 1": clearly_above(peak[top], 1.5 * first[top]),
         f"a loss near ln 10 (chance level) in {last}": clearly_above(final_loss[top], 0.8 * np.log(10)),
         "a gradient norm below the median of the table": gnorm[top].mean() < np.median(gnorm.mean(1)),
         "almost all hidden units dead": dead[top].mean() > 0.9}
seen = [s for s, ok in signs.items() if ok]
missing = [s for s, ok in signs.items() if not ok]
print("VERDICT:", "the largest rate shows the whole too-high signature: " + "; ".join(seen) +
      ". Its gradient is small because its network is dead, not because it found a minimum" if not missing
      else "the largest rate does not show the whole too-high signature; missing: " + "; ".join(missing))

# %% [markdown]
# Why the gradient is small: once every hidden unit is zero for every image, the output is the
# same for every image, only the output biases still get a gradient, and they settle where the
# predicted class frequencies match the training set's, a loss near ln 10. The network is stuck,
# not trained. The early spike is the step that killed it: a large update pushed the first layer's
# pre-activations below zero everywhere. A gradient norm on its own cannot tell a converged
# network from a dead one; the loss beside it can.
#
# ## 2. Per epoch: accuracy, loss and gradient norms
#
# Lines are the mean over seeds; bands span the lowest to the highest seed.

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4), layout="constrained")
epochs = np.arange(1, EPOCHS + 1)
curves = {"validation accuracy": acc, "training loss (epoch mean)": by_rate(hist.epoch_train_loss),
          "mean ‖gradient‖": by_rate(np.array([np.nanmean(hist.grad_norms[e * per_epoch:(e + 1) * per_epoch], axis=0)
                                               for e in range(EPOCHS)]))}
for j, lr in enumerate(RATES):
    look = plotting.style(j, marker=True, ms=4)     # colour, dash pattern and marker: η stays legible without colour
    for ax, (name, m) in zip(axes, curves.items()):
        ax.plot(epochs, m[:, j].mean(1), label=f"η = {lr}", **look)
        ax.fill_between(epochs, m[:, j].min(1), m[:, j].max(1), color=look["color"], alpha=0.15)
axes[0].set(ylabel="validation accuracy", ylim=(0, 1), title="accuracy after each epoch")
axes[1].set(ylabel="mean minibatch loss in the epoch", yscale="log", title="training loss per epoch")
axes[1].axhline(np.log(10), color="gray", ls=":", lw=1)
axes[1].annotate("ln 10", (EPOCHS, np.log(10)), textcoords="offset points", xytext=(-30, 4), color="gray")
axes[2].set(ylabel="mean gradient norm", yscale="log", title="gradient norm per epoch")
for ax in axes:
    ax.set(xlabel="epoch", xticks=epochs)
axes[0].legend(fontsize=8, loc="lower right")
plt.show()

# %% [markdown]
# ## 3. A learning curve over the training-set size
#
# Validation accuracy against the number of training images, for three rates, five seeds each,
# every network trained for the same number of steps: as many as 10 epochs of the full set take
# (the plot's title gives the number), so a small set is seen for many more epochs. A second table
# gives the final loss on the training images each network saw: whether it fitted them.

# %%
sizes = [100, 200, 400, 800, len(Xt)]
curve_rates, curve_seeds, curve_steps = [0.01, 0.03, 0.1], SEEDS[:5], 10 * per_epoch
curve, fitted = {}, {}
for n in progress(sizes, desc=f"training at {len(sizes)} training-set sizes"):
    net, _ = T.fit_stack(np.repeat(curve_rates, len(curve_seeds)), np.tile(curve_seeds, len(curve_rates)),
                         (Xt[:n], yt[:n]), steps=curve_steps, batch_size=BATCH, momentum=0.9, grad_norms=False)
    curve[n] = T.evaluate_stack(net, Xv, yv)[1].reshape(len(curve_rates), -1)
    fitted[n] = T.evaluate_stack(net, Xt[:n], yt[:n])[0].reshape(len(curve_rates), -1)
for title, table in (("validation accuracy", curve), ("final loss on the training images seen", fitted)):
    print(f"{title} (mean ± std over {len(curve_seeds)} seeds)")
    print(f"{'η':>6} | " + " | ".join(f"{str(n) + ' images':>13}" for n in sizes))
    for j, lr in enumerate(curve_rates):
        print(f"{lr:>6} | " + " | ".join(f"{cell(table[n][j], '.3f'):>13}" for n in sizes))
print("passes over the training images in the budget: "
      + ", ".join(f"{n} images: {curve_steps / -(-n // BATCH):.0f}" for n in sizes))

gap = {n: curve[n][-1] - curve[n][0] for n in sizes}         # per seed: η = 0.1 minus η = 0.01
print(f"accuracy gap, η = {curve_rates[-1]} minus η = {curve_rates[0]} (same seeds): "
      + ", ".join(f"{n} images {gap[n].mean():+.3f} ± {gap[n].std(ddof=1):.3f}" for n in sizes))
print("VERDICT:", f"the advantage of η = {curve_rates[-1]} over η = {curve_rates[0]} is clearly larger with the full "
      "training set than with the smallest one" if clearly_above(gap[sizes[-1]], gap[sizes[0]])
      else f"the advantage of η = {curve_rates[-1]} over η = {curve_rates[0]} does not clearly grow with the data")

fig, ax = plt.subplots(figsize=(6.5, 3.8), layout="constrained")
for j, lr in enumerate(curve_rates):
    m = np.array([curve[n][j] for n in sizes])
    ax.errorbar(sizes, m.mean(1), yerr=m.std(1, ddof=1), capsize=3, label=f"η = {lr}",
                **plotting.style(RATES.index(lr) if lr in RATES else j, marker=True))
ax.set(xscale="log", xlabel="training images", ylabel="validation accuracy",
       title=f"learning curve ({curve_steps} steps each; bars: ± std over seeds)")
ax.set_xticks(sizes, [str(n) for n in sizes])
ax.minorticks_off()
ax.legend()
plt.show()

# %% [markdown]
# How to read it: with the smallest set the budget is more than a hundred passes over it; the
# training losses (second table) are all small, although they differ a lot between the rates, and
# the accuracies are close: what limits them is how little data there is. With the full set the
# budget is ten passes; the small rate leaves the training loss several times higher than the
# larger rate does, and its accuracy lags. How much the rate matters depends on how much there is
# to fit in the budget.
#
# ## 4. Robustness: accuracy under input noise
#
# The trained networks classify validation images with Gaussian noise of growing size σ added
# to the pixels (which lie in [0, 1]). Every network sees the same four noisy copies of the
# validation set, so the rates are compared on equal terms; each cell is the mean ± std over seeds
# of the accuracy averaged over the four copies.

# %%
noises = [0.0, 0.1, 0.2, 0.4]
draws = lrc.sweeps.seeds(4)
robust = {}
for sigma in noises:
    accs = np.mean([T.evaluate_stack(stack, Xv, yv, noise=sigma, seed=int(d))[1] for d in draws], axis=0)
    robust[sigma] = np.where(by_rate(hist.diverged_at) >= 0, 0.1, by_rate(accs))
print(f"{'η':>6} | " + " | ".join(f"{'σ = ' + str(s):>13}" for s in noises))
for j, lr in enumerate(RATES):
    print(f"{lr:>6} | " + " | ".join(f"{cell(robust[s][j], '.3f'):>13}" for s in noises))

clean_best = int(np.argmax(robust[0.0].mean(1)))
noisy_best = int(np.argmax(robust[noises[-1]].mean(1)))
print(f"most accurate on clean images: η = {RATES[clean_best]}; at σ = {noises[-1]}: η = {RATES[noisy_best]}")
changed = noisy_best != clean_best and clearly_above(robust[noises[-1]][noisy_best], robust[noises[-1]][clean_best])
print("VERDICT:", ("under the strongest noise a " + ("smaller" if noisy_best < clean_best else "larger")
                   + " rate than the clean-data winner is clearly more accurate: the best rate depends on what you measure")
      if changed else "under the strongest noise no other rate is clearly more accurate than the clean-data winner")

fig, ax = plt.subplots(figsize=(6.5, 3.8), layout="constrained")
shown = [j for j in range(len(RATES)) if robust[0.0][j].mean() > 0.5]     # leave out runs at chance level
for j in shown:
    ax.errorbar(noises, [robust[s][j].mean() for s in noises], yerr=[robust[s][j].std(ddof=1) for s in noises],
                capsize=3, label=f"η = {RATES[j]}", **plotting.style(j, marker=True))
ax.set(xlabel="input noise σ", ylabel="validation accuracy", xticks=noises,
       title="accuracy under noise (bars: ± std over seeds)")
ax.legend(fontsize=8)
plt.show()
left_out = [RATES[j] for j in range(len(RATES)) if j not in shown]
if left_out:
    print("left out of the plot (near chance level at every σ, see the table):", ", ".join(f"η = {r}" for r in left_out))

# %% [markdown]
# ## Recap
# - One table, many measurements, each with its spread over seeds, and every verdict checked
#   against that spread in code.
# - Too small a rate is slow in every column. Too large a rate can kill the network: a spike,
#   then a flat loss near ln 10 with a small gradient. A small gradient norm is not a sign of
#   success unless the loss is low too.
# - The best rate for speed, for final accuracy and for robustness to noise need not be the same;
#   read the verdicts above for this network.
# - The learning curve shows that the rate's effect depends on the amount of data to fit in the
#   budget.
#
# **Next:** [10_claims_put_to_the_test](10_claims_put_to_the_test.ipynb), which uses these tools to test popular claims.
