CELLS = [
("md", r"""
# 09 · Measured, not claimed: one network over several learning rates

**After this notebook you will be able to**
- measure what the learning rate does to a real network instead of quoting rules of thumb,
- read convergence speed, validation accuracy, training time, loss, gradient norms, a learning
  curve and robustness to input noise side by side, each with its spread over seeds.

The network is an MLP (64 → 128 → 10) on the digits, trained with SGD and momentum 0.9 for 10
epochs, at six learning rates, three seeds each. Everything below is computed here, in well
under a minute on a laptop CPU; change `RATES`, `SEEDS` or `EPOCHS` and run again.
"""),
("code", r"""
import time
import numpy as np
import matplotlib.pyplot as plt
import torch
from lrcourse import training as T

RATES = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
SEEDS = [0, 1, 2]
EPOCHS = 10
torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
(Xt, yt), (Xv, yv) = T.digits()

def mlp(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))

def train(lr, seed, data=(Xt, yt), epochs=EPOCHS):
    net = mlp(seed)
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    t0 = time.perf_counter()
    hist = T.fit(net, data, (Xv, yv), opt, epochs=epochs, batch_size=32, seed=seed, progress=False)
    return net, hist, time.perf_counter() - t0

train(0.01, 0, epochs=1)       # a first run pays one-time start-up costs; keep them out of the timings
t0 = time.perf_counter()
runs = {(lr, s): train(lr, s) for lr in RATES for s in SEEDS}
print(f"{len(runs)} training runs in {time.perf_counter() - t0:.1f} s")
"""),
("md", r"""
## 1. The table

- **epochs to 90%**: first epoch whose validation accuracy reaches 0.9 (– if never);
- **val acc**: the last epoch's validation accuracy;
- **train loss**: the last epoch's mean training loss;
- **time**: seconds of training;
- **‖g‖**: mean gradient norm over the last epoch's steps.

Each cell is mean ± standard deviation over the seeds; a diverged run counts as accuracy 0.1
(chance) and is flagged.
"""),
("code", r"""
def summary(lr):
    rows = []
    for s in SEEDS:
        net, h, secs = runs[lr, s]
        acc = h.column("val_acc")
        reach = next((i for i, a in enumerate(acc) if a >= 0.9), np.nan)
        steps_per_epoch = -(-len(Xt) // 32)
        last = h.grad_norms[-steps_per_epoch:]
        diverged = h.diverged_at >= 0
        rows.append([reach, 0.1 if diverged else acc[-1], h.epochs[-1]["train_loss"], secs,
                     np.mean(last) if last else np.nan, diverged])
    return np.array(rows, dtype=float)

def cell(values, fmt):
    values = values[np.isfinite(values)]
    if not values.size:
        return "–"
    return f"{values.mean():{fmt}} ± {values.std():{fmt}}"

print(f"{'η':>6} | {'epochs to 90%':>13} | {'val acc':>13} | {'train loss':>15} | {'time (s)':>11} | {'‖g‖':>13} | diverged")
for lr in RATES:
    r = summary(lr)
    print(f"{lr:>6} | {cell(r[:, 0], '.1f'):>13} | {cell(r[:, 1], '.3f'):>13} | {cell(r[:, 2], '.4f'):>15} |"
          f" {cell(r[:, 3], '.2f'):>11} | {cell(r[:, 4], '.2f'):>13} | {int(r[:, 5].sum())}/{len(SEEDS)}")
"""),
("md", r"""
## 2. Per epoch: accuracy, loss and gradient norms

Lines are the mean over seeds, bands span the lowest to the highest seed.
"""),
("code", r"""
fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
colors = plt.cm.viridis(np.linspace(0, 0.9, len(RATES)))
steps_per_epoch = -(-len(Xt) // 32)
for lr, c in zip(RATES, colors):
    hs = [runs[lr, s][1] for s in SEEDS if runs[lr, s][1].diverged_at < 0]
    if not hs:
        continue
    for ax, key in zip(axes[:2], ["val_acc", "train_loss"]):
        m = np.array([h.column(key) for h in hs])
        ax.plot(m.mean(0), color=c, label=f"η = {lr}")
        ax.fill_between(np.arange(m.shape[1]), m.min(0), m.max(0), color=c, alpha=0.2)
    g = np.array([[np.mean(h.grad_norms[e * steps_per_epoch:(e + 1) * steps_per_epoch]) for e in range(EPOCHS)]
                  for h in hs])
    axes[2].plot(g.mean(0), color=c)
axes[0].set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1), title="accuracy per epoch")
axes[1].set(xlabel="epoch", ylabel="training loss", yscale="log", title="loss per epoch")
axes[2].set(xlabel="epoch", ylabel="mean ‖gradient‖", yscale="log", title="gradient norm per epoch")
axes[0].legend(fontsize=8)
plt.show()
"""),
("md", r"""
## 3. A learning curve over the training-set size

Accuracy against the number of training images, for three rates, each trained for the same
number of steps (so small sets are seen for more epochs):
"""),
("code", r"""
sizes = [100, 200, 400, 800, len(Xt)]
curve_rates = [0.01, 0.1, 1.0]
steps = 420
curve = {}
for lr in curve_rates:
    for n in sizes:
        epochs = max(1, round(steps / -(-n // 32)))
        accs = [train(lr, s, data=(Xt[:n], yt[:n]), epochs=epochs)[1].epochs[-1]["val_acc"] for s in SEEDS[:2]]
        curve[lr, n] = np.nan_to_num(np.array(accs), nan=0.1)
print(f"{'η':>6} " + " ".join(f"{n:>11}" for n in sizes))
for lr in curve_rates:
    print(f"{lr:>6} " + " ".join(f"{curve[lr, n].mean():>11.3f}" for n in sizes))
fig, ax = plt.subplots(figsize=(6, 3.6))
for lr in curve_rates:
    ax.plot(sizes, [curve[lr, n].mean() for n in sizes], "o-", label=f"η = {lr}")
ax.set(xscale="log", xlabel="training images", ylabel="validation accuracy", title="learning curve")
ax.legend()
plt.show()
"""),
("md", r"""
## 4. Robustness: accuracy under input noise

The trained networks classify validation images with Gaussian noise of growing size added to
the pixels (which lie in [0, 1]). A rate can win on clean data and lose under noise, or not:
"""),
("code", r"""
noises = [0.0, 0.1, 0.2, 0.4]
loss_fn = torch.nn.functional.cross_entropy
print(f"{'η':>6} " + " ".join(f"{'σ = ' + str(s):>10}" for s in noises))
robust = {}
for lr in RATES:
    accs = []
    for s in SEEDS:
        net, h, _ = runs[lr, s]
        accs.append([0.1 if h.diverged_at >= 0 else T.evaluate(net, Xv, yv, loss_fn, noise=sigma, seed=s)[1]
                     for sigma in noises])
    robust[lr] = np.mean(accs, axis=0)
    print(f"{lr:>6} " + " ".join(f"{a:>10.3f}" for a in robust[lr]))
fig, ax = plt.subplots(figsize=(6, 3.6))
for lr, c in zip(RATES, colors):
    ax.plot(noises, robust[lr], "o-", color=c, label=f"η = {lr}")
ax.set(xlabel="input noise σ", ylabel="validation accuracy", title="accuracy under noise")
ax.legend(fontsize=8)
plt.show()
"""),
("md", r"""
## Recap
- One table, many measurements: the best rate for speed, for final accuracy and for robustness
  need not be the same, and the spread over seeds tells how much a difference means.
- Too small a rate is slow in every column; too large a rate is erratic or diverges; read the
  table to see where this network's good range lies.
- The learning curve shows how the rate's effect changes with the amount of data.

**Next:** `10_claims_put_to_the_test.ipynb`, which uses these tools to test popular claims.
"""),
]

if __name__ == "__main__":
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from nb import build
    build(CELLS, Path(__file__).resolve().parents[2] / "notebooks" / (Path(__file__).stem + ".ipynb"))
