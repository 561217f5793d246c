CELLS = [
("md", r"""
# 10 · Claims put to the test

**After this notebook you will be able to**
- turn a rule of thumb about learning rates into an experiment with repeated seeds,
- state a verdict together with its evidence, and say under which conditions it holds,
- watch the edge of stability: in full-batch GD the sharpness climbs to 2/η and stays there.

Each section states a claim that circulates in tutorials, runs an experiment, and prints a
verdict computed from the measurements. Change the settings and run again: the verdicts are
about these experiments, not about all of deep learning.
"""),
("code", r"""
import numpy as np
import matplotlib.pyplot as plt
import torch
import lrcourse as lrc
from lrcourse import landscapes, schedules as S, training as T, widgets

torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
(Xt, yt), (Xv, yv) = T.digits()
SEEDS = [0, 1, 2]

def mlp(seed, hidden=128):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
"""),
("md", r"""
## Claim 1: "A smaller learning rate always generalizes better"

A fair test compares networks that fit the training data equally well: train each rate with
SGD on 300 images until the training loss drops below 0.05 (or 3000 steps), then measure the
validation accuracy. Three seeds per rate.
"""),
("code", r"""
def train_until(lr, seed, target=0.05, max_steps=3000, n=300):
    net = mlp(seed)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    X, y = Xt[:n], yt[:n]
    for step in range(max_steps):
        idx = torch.randint(0, n, (32,), generator=gen)
        loss = torch.nn.functional.cross_entropy(net(X[idx]), y[idx])
        opt.zero_grad(); loss.backward(); opt.step()
        if step % 50 == 0:
            with torch.no_grad():
                full = float(torch.nn.functional.cross_entropy(net(X), y))
            if not np.isfinite(full):
                return np.nan, step
            if full < target:
                break
    return T.evaluate(net, Xv, yv, torch.nn.functional.cross_entropy)[1], step + 1

rates1 = [0.01, 0.03, 0.1, 0.3, 1.0]
res1 = {lr: np.array([train_until(lr, s) for s in SEEDS]) for lr in rates1}
print(f"{'η':>6} {'val acc (mean ± std)':>22} {'steps to fit':>13}")
for lr, r in res1.items():
    fitted = "" if np.all(r[:, 1] < 3000) else "  (training loss still above 0.05 at 3000 steps)"
    print(f"{lr:>6} {np.nanmean(r[:, 0]):>14.3f} ± {np.nanstd(r[:, 0]):.3f} {np.mean(r[:, 1]):>13.0f}{fitted}")
means = np.array([np.nanmean(res1[lr][:, 0]) for lr in rates1])
spread = max(np.nanstd(res1[lr][:, 0]) for lr in rates1)
best = rates1[int(np.nanargmax(means))]
smallest_best = best == rates1[0]
print(f"\nVERDICT: best validation accuracy at η = {best}; "
      + ("the smallest rate generalized best here." if smallest_best else
         "the smallest rate did NOT generalize best here, so 'always' is false.")
      + f" Differences between rates: up to {np.nanmax(means) - np.nanmin(means):.3f}; seed spread up to {spread:.3f}.")
"""),
("md", r"""
## Claim 2: "A higher learning rate always trains faster"

Steps until the training loss on all 1348 images falls below 0.3, plain SGD, three seeds; a run
that diverges or does not get there in 2000 steps counts as never.
"""),
("code", r"""
def steps_to(lr, seed, target=0.3, max_steps=2000):
    net = mlp(seed)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for step in range(max_steps):
        idx = torch.randint(0, len(Xt), (64,), generator=gen)
        loss = torch.nn.functional.cross_entropy(net(Xt[idx]), yt[idx])
        opt.zero_grad(); loss.backward(); opt.step()
        if step % 25 == 0:
            with torch.no_grad():
                full = float(torch.nn.functional.cross_entropy(net(Xt), yt))
            if not np.isfinite(full):
                return np.inf
            if full < target:
                return step
    return np.inf

rates2 = [0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
res2 = {lr: np.array([steps_to(lr, s) for s in SEEDS]) for lr in rates2}
for lr, r in res2.items():
    shown = "never" if np.all(np.isinf(r)) else f"{np.mean(r[np.isfinite(r)]):.0f} ({np.sum(np.isfinite(r))}/3 got there)"
    print(f"η = {lr:>5}: {shown}")
median = {lr: np.median(r) for lr, r in res2.items()}
fastest = min(median, key=median.get)
print(f"\nVERDICT: the fastest rate was η = {fastest}; "
      + ("the highest rate was fastest here." if fastest == rates2[-1] else
         f"rates above it were slower or never got there, so 'always' is false: speed rises with η only up to a point."))
"""),
("md", r"""
## Claim 3: "A low learning rate gets stuck in local minima; a high one escapes them"

The multi-well landscape of notebook 04 has a shallow well, a medium one and the deepest. From
400 starting points spread over the window, constant-rate GD runs for 500 steps; where does
each run end? All 400 runs at every rate are one broadcast call.
"""),
("code", r"""
land = landscapes.MultiWell()
g = np.linspace(-2.8, 2.8, 20)
starts = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
rates3 = [0.01, 0.1, 0.5, 1.0, 2.0, 4.0, 8.0]
deepest = int(np.argmin(land.value(land.minimizers)))
print(f"{'η':>6} {'deepest well':>13} {'other wells':>12} {'not settled':>12} {'diverged':>9}")
rows3 = {}
for lr in rates3:
    r = lrc.run(land, lrc.GD(lr=lr), starts, 500, record=False)
    ok = r.diverged_at < 0
    dist = np.linalg.norm(r.x[:, None, :] - land.minimizers[None], axis=-1)
    well = np.where(ok & (dist.min(1) < 0.2), dist.argmin(1), -1)
    rows3[lr] = (np.mean(well == deepest), np.mean((well >= 0) & (well != deepest)),
                 np.mean(ok & (well < 0)), np.mean(~ok))
    print(f"{lr:>6} " + " ".join(f"{v:>{w}.2f}" for v, w in zip(rows3[lr], (13, 12, 12, 9))))
best3 = max(rows3, key=lambda k: rows3[k][0])
print(f"\nVERDICT: the share of runs settling in the deepest well peaks at η = {best3} ({rows3[best3][0]:.2f}); "
      f"at the largest rate, η = {rates3[-1]}, it is {rows3[rates3[-1]][0]:.2f}, and "
      f"{rows3[rates3[-1]][2] + rows3[rates3[-1]][3]:.2f} of the runs settle nowhere or diverge. "
      "A rate too large for a well's curvature (2/η below it) cannot settle in that well, good or bad.")
"""),
("md", r"""
## Claim 4: "A fixed learning rate is best" / "η is the only hyper-parameter that matters"

Two experiments on a noisy bowl (κ = 10, 32 seeded runs each, notebook 04's setting):
the best constant rate against decaying schedules; and the best rate for plain GD against the
best rate once momentum 0.9 is on.
"""),
("code", r"""
from lrcourse.exercises import budget_loss
constant = {lr: budget_loss(S.constant(lr), 300) for lr in np.geomspace(0.01, 0.5, 12)}
best_lr = min(constant, key=constant.get)
scheduled = {"exponential(0.5, 3/300)": budget_loss(S.exponential(0.5, 3 / 300), 300),
             "step_decay(0.5, 0.3, 100)": budget_loss(S.step_decay(0.5, 0.3, 100), 300),
             "inverse_time(0.5, 0.1)": budget_loss(S.inverse_time(0.5, 0.1), 300)}
print(f"best constant rate η = {best_lr:.3f}: mean final loss {constant[best_lr]:.4f}")
for name, v in scheduled.items():
    print(f"{name:<26} mean final loss {v:.4f}")
wins = sum(v < constant[best_lr] for v in scheduled.values())
print(f"VERDICT (fixed is best): {wins} of {len(scheduled)} schedules beat the best fixed rate.")

bowl = landscapes.Quadratic.from_condition(100.0, L=1.0)
lrs = np.geomspace(1e-3, 4.0, 60)
finals = {}
for mu in (0.0, 0.9):
    r = lrc.run(bowl, lrc.Momentum(lr=lrs[:, None], momentum=mu), np.array([1.0, 1.0]), 200, record=False)
    loss = np.where(r.diverged_at < 0, r.loss, np.inf)
    finals[mu] = (lrs[np.argmin(loss)], loss.min())
for mu, (lr, loss) in finals.items():
    print(f"momentum {mu}: best η = {lr:.3g}, loss after 200 steps {loss:.2e}")
print(f"VERDICT (only η matters): turning momentum on moved the best η by a factor "
      f"{finals[0.0][0] / finals[0.9][0]:.1f} and changed the best loss by a factor {finals[0.0][1] / finals[0.9][1]:.1e}.")
"""),
("md", r"""
## The edge of stability

On a quadratic, GD diverges as soon as the sharpness (the top Hessian eigenvalue) exceeds 2/η.
Cohen et al. (2021) observed that in full-batch GD on neural networks the sharpness first
*rises* during training ("progressive sharpening") until it reaches about 2/η, and then
hovers there while the loss keeps falling, unevenly. Here: an MLP with tanh units and a squared
loss on 500 digits, full-batch GD, the sharpness measured every 50 steps by power iteration.
"""),
("code", r"""
Xe, Ye = Xt[:500], torch.nn.functional.one_hot(yt[:500], 10).float()

def eos_run(lr, steps=1500, every=50):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.Tanh(), torch.nn.Linear(64, 10))
    loss_fn = lambda: 0.5 * ((net(Xe) - Ye) ** 2).sum(1).mean()
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    losses, sharp = [], []
    for t in range(steps):
        if t % every == 0:
            sharp.append((t, T.sharpness(loss_fn, net.parameters(), iters=20)))
        opt.zero_grad(); loss = loss_fn(); loss.backward(); opt.step()
        losses.append(float(loss.detach()))
    return np.array(losses), np.array(sharp)

eos = {lr: eos_run(lr) for lr in (0.05, 0.1, 0.2)}
fig, (a, b) = plt.subplots(1, 2, figsize=(12, 3.8))
for (lr, (losses, sharp)), c in zip(eos.items(), ["tab:blue", "tab:orange", "tab:green"]):
    a.plot(sharp[:, 0], sharp[:, 1], "o-", ms=3, color=c, label=f"η = {lr}")
    a.axhline(2 / lr, color=c, ls="--", lw=1)
    b.plot(losses, color=c, label=f"η = {lr}")
a.set(xlabel="step", ylabel="sharpness (top Hessian eigenvalue)", title="sharpness, with 2/η dashed")
b.set(xlabel="step", ylabel="training loss", yscale="log", title="loss")
a.legend(); b.legend()
plt.show()
for lr, (losses, sharp) in eos.items():
    tail = sharp[-10:, 1]
    print(f"η = {lr}: 2/η = {2 / lr:5.1f}; sharpness at the start {sharp[0, 1]:5.1f}, over the last 500 steps "
          f"{tail.min():5.1f} to {tail.max():5.1f}; loss {losses[0]:.3f} → {losses[-1]:.3f}")
"""),
("md", r"""
Read the printout against the dashed lines: for the largest rate the sharpness climbs to 2/η
and stays near it instead of passing it (where a quadratic would diverge); for smaller rates it
is still climbing towards its own, higher, ceiling. The rate does not only set the step: it
caps how sharp a region GD can settle in.

## Recap
- Each claim became an experiment with seeds; the verdicts above are computed, with their
  evidence printed beside them.
- "Always" claims fail at the edges: the smallest rate, the largest rate, and a fixed rate are
  each beaten somewhere.
- At the edge of stability the sharpness tracks 2/η: the learning rate shapes where training
  goes, not only how fast.

**Exercises:** the graded exercises for lessons 01–08 are in `exercises/`; `docs/instructor.md`
lists them with their points.
"""),
]

if __name__ == "__main__":
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from nb import build
    build(CELLS, Path(__file__).resolve().parents[2] / "notebooks" / (Path(__file__).stem + ".ipynb"))
