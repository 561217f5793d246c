CELLS = [
("md", r"""
# 07 · Search and early stopping

**After this notebook you will be able to**
- search for a learning rate on a log scale with a validation set, seeded and repeatable,
- explain, with a measurement, why random search usually beats a grid of the same size,
- stop training early and keep the best weights,
- read training curves: erratic or rising means η is too high, barely moving means too low.
"""),
("code", r"""
import numpy as np
import matplotlib.pyplot as plt
import torch
import lrcourse as lrc
from lrcourse import lr_finder as F, search, training as T, widgets
from sklearn.datasets import load_digits

digits = load_digits()
Xtr, ytr, Xva, yva = search.train_val_split(digits.data / 16.0, digits.target, 0.25, seed=0)
val = F.softmax_problem(Xva, yva, batch_size=len(Xva))
"""),
("md", r"""
## 1. The objective: validation loss after a short training

Softmax regression trained with Adam for 150 steps; the two knobs are the learning rate η
(log scale, 1e-4 to 1) and the L2 weight decay λ (log scale, 1e-6 to 1e-2). Every evaluation
trains from scratch on the training split and returns the loss on the validation split.
"""),
("code", r"""
def objective(lr, wd, steps=150):
    train = F.softmax_problem(Xtr, ytr, batch_size=64, seed=1)
    r = lrc.run(train, lrc.Adam(lr=lr, weight_decay=wd), np.zeros(640), steps, record=False)
    return float(val(r.x)[0]) if not r.diverged else np.inf

space = {"lr": (1e-4, 1.0, "log"), "wd": (1e-6, 1e-2, "log")}
grid = search.grid_search(objective, space, per_dim=3)
rand = search.random_search(objective, space, n=9, seed=0)
for name, res in [("grid 3 × 3", grid), ("random 9", rand)]:
    print(f"{name:<11} best val loss {res.best_value:.4f} at η = {res.best['lr']:.3g}, λ = {res.best['wd']:.2g};"
          f" distinct η tried: {len(set(res.column('lr')))}")
"""),
("code", r"""
fig, ax = plt.subplots(figsize=(6, 4))
ax.scatter(grid.column("lr"), grid.column("wd"), c="k", marker="s", label="grid")
sc = ax.scatter(rand.column("lr"), rand.column("wd"), c=np.log10(rand.values), cmap="viridis", label="random")
ax.set(xscale="log", yscale="log", xlabel="learning rate η", ylabel="weight decay λ",
       title="9 trials each; colour: log10 validation loss (random)")
fig.colorbar(sc, ax=ax)
ax.legend(loc="lower left")
plt.show()
"""),
("md", r"""
## 2. Why random covers the important dimension better

Here η matters and λ hardly does. A 3 × 3 grid spends 9 runs on only 3 values of η; 9
random trials try 9 values of η. One search is one draw, so repeat both with different
seeds (the grid moves by a random shift of its points, on the log scale) and compare the best
validation loss each finds:
"""),
("code", r"""
def shifted_grid(seed):
    rng = np.random.default_rng(seed)
    shift = rng.uniform(-0.5, 0.5, size=2)          # in units of one grid cell, log scale
    lrs = 10 ** (np.linspace(-4, 0, 3) + shift[0] * 2)
    wds = 10 ** (np.linspace(-6, -2, 3) + shift[1] * 2)
    return min(objective(lr, wd) for lr in np.clip(lrs, 1e-4, 1) for wd in np.clip(wds, 1e-6, 1e-2))

repeats = 8
grid_best = np.array([shifted_grid(s) for s in range(repeats)])
rand_best = np.array([search.random_search(objective, space, 9, seed=s).best_value for s in range(repeats)])
print(f"best validation loss over {repeats} repeats (mean ± std):")
print(f"  grid 3 × 3 : {grid_best.mean():.4f} ± {grid_best.std():.4f}")
print(f"  random 9   : {rand_best.mean():.4f} ± {rand_best.std():.4f}")
print(f"random search found the lower loss in {np.sum(rand_best < grid_best)} of {repeats} repeats")
"""),
("md", r"""
## 3. Early stopping

A network trained on few examples starts to fit their noise: the training loss keeps falling
while the validation loss turns up. Early stopping watches the validation loss, stops after
`patience` epochs without improvement, and puts back the weights of the best epoch.
"""),
("code", r"""
(Xt, yt), (Xv, yv) = T.digits()
small = (Xt[:200], yt[:200])                      # few examples, so the net overfits

def mlp(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))

full = T.fit(net := mlp(), small, (Xv, yv), torch.optim.Adam(net.parameters(), lr=3e-3), epochs=60,
             batch_size=32, progress=False)
stopped = T.fit(net := mlp(), small, (Xv, yv), torch.optim.Adam(net.parameters(), lr=3e-3), epochs=60,
                batch_size=32, patience=5, progress=False)
print(f"without early stopping: {len(full.epochs)} epochs, final val loss {full.epochs[-1]['val_loss']:.3f},"
      f" best {full.final['val_loss']:.3f} at epoch {full.best_epoch}")
print(f"with patience 5:        stopped after {len(stopped.epochs)} epochs, kept epoch {stopped.best_epoch}"
      f" (val loss {stopped.final['val_loss']:.3f}, accuracy {stopped.final['val_acc']:.3f})")
fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.plot(full.column("epoch"), full.column("train_loss"), label="training")
ax.plot(full.column("epoch"), full.column("val_loss"), label="validation")
ax.axvline(stopped.best_epoch, color="k", ls="--", label="kept by early stopping")
ax.axvline(len(stopped.epochs) - 1, color="0.5", ls=":", label="stopped")
ax.set(yscale="log", xlabel="epoch", ylabel="loss", title="200 training images, MLP, Adam η = 3e-3")
ax.legend()
plt.show()
"""),
("md", r"""
## 4. Reading the curves

The same MLP with plain SGD at nine rates from 1e-3 to 30, trained beforehand; the slider picks
one. Too low: the loss barely moves. About right: it falls steadily. Too high: it is erratic,
rises, or diverges (the run then stops and says where).
"""),
("code", r"""
rates = np.geomspace(1e-3, 30.0, 9)
curves = {}
for lr in rates:
    net = mlp()
    curves[float(lr)] = T.fit(net, (Xt, yt), (Xv, yv), torch.optim.SGD(net.parameters(), lr=float(lr)),
                              epochs=6, batch_size=64, progress=False)
widgets.curve_picker(curves)
"""),
("code", r"""
print(f"{'η':>8} {'loss: first 10 steps':>22} {'last 10 steps':>14} {'best val acc':>13}")
for lr, h in curves.items():
    first, last = np.mean(h.losses[:10]), np.mean(h.losses[-10:])
    note = f"diverged at step {h.diverged_at}" if h.diverged_at >= 0 else f"{h.final['val_acc']:.3f}"
    print(f"{lr:>8.2g} {first:>22.3f} {last:>14.3f} {note:>13}")
"""),
("md", r"""
## Recap
- Search η on a log scale, judge by a validation split, fix the seed so the search repeats.
- Random search tries a new value of every hyper-parameter in every trial; when one matters
  most, that tends to beat a grid of the same size (measured above over repeats: compare the
  means and the spreads).
- Early stopping keeps the best epoch's weights; patience sets how long to wait.
- Curves that barely move mean η is too low; erratic, rising or diverging curves mean too high.

**Exercise:** [exercises/07_search_and_early_stopping](../exercises/07_search_and_early_stopping/07_search_and_early_stopping.ipynb) (log-uniform samples, a seeded random search, early stopping, and a question on grid against random). `hint("07.1")` helps when you are stuck.
**Next:** `08_pytorch_in_practice.ipynb`.
"""),
]

if __name__ == "__main__":
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from nb import build
    build(CELLS, Path(__file__).resolve().parents[2] / "notebooks" / (Path(__file__).stem + ".ipynb"))
