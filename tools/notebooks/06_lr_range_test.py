CELLS = [
("md", r"""
# 06 · The learning-rate range test

**After this notebook you will be able to**
- run a range test (the "LR finder") on a numpy model and on a PyTorch model,
- read its curve: flat, falling, blowing up,
- compare the three usual suggestion rules on the same curve, and check them by training,
- say how much the answer depends on the range and on the smoothing.

The test (Smith, 2017): train for a short while with η multiplied by the same factor at every
step, from far too small to far too large, and record the loss. Where the loss falls fastest,
η is large enough to make progress and still small enough to be stable.
"""),
("code", r"""
import numpy as np
import matplotlib.pyplot as plt
import torch
import lrcourse as lrc
from lrcourse import lr_finder as F, training as T, widgets
from sklearn.datasets import load_digits

digits = load_digits()
X, y = digits.data / 16.0, digits.target
print(f"{len(X)} images of 8×8 pixels, {len(np.unique(y))} classes (bundled with scikit-learn)")
"""),
("md", r"""
## 1. The pieces

- the **ramp**: η_t = η_min·(η_max/η_min)^(t/(T−1)), equal factors per step;
- the **smoothed loss**: a_t = β·a_{t−1} + (1−β)·loss_t, debiased by dividing by 1 − β^(t+1);
- the **stop**: once the smoothed loss exceeds 4× the best so far, the run has blown up.

The defaults are fastai's: 1e-7 → 10 over 100 steps, β = 0.98.
"""),
("code", r"""
ramp = F.ramp(1e-7, 10.0, 100)
print("first rates:", np.round(ramp(np.arange(4)), 10), "... last:", ramp(99))
print("factor per step:", ramp(1) / ramp(0))
"""),
("md", r"""
## 2. A numpy model: softmax regression on the digits

The model is linear (64 pixels → 10 scores), trained by minibatch GD; `F.softmax_problem`
gives `w -> (loss, gradient)` on a new minibatch at every call, seeded, so runs repeat.
"""),
("code", r"""
problem = F.softmax_problem(X, y, batch_size=64, seed=0)
w0 = np.zeros(64 * 10)
test = F.range_test(problem, w0, lrc.GD(), lr_min=1e-5, lr_max=100.0, steps=100)
print(f"stopped after {len(test.lrs)} of 100 steps, at η = {test.lrs[-1]:.3g}")
for rule, lr in test.suggestions().items():
    print(f"  {rule:<11} suggests η = {lr:.3g}")
fig, ax = plt.subplots(figsize=(7, 3.6))
test.plot(ax)
ax.set_title("range test, softmax regression on digits (GD, batch 64)")
plt.show()
"""),
("md", r"""
## 3. The rules on the same curve, and what they are worth

- **steepest**: the most negative slope of the smoothed loss against log η;
- **minimum/10**: a tenth of the rate at the lowest smoothed loss (at the minimum itself the run is
  already close to blowing up);
- **valley**: halfway along the longest stretch over which the loss keeps falling.

A rule is only as good as the training it leads to. Train for 300 steps with each suggestion
and measure the loss on held-out data:
"""),
("code", r"""
from lrcourse.search import train_val_split
Xtr, ytr, Xva, yva = train_val_split(X, y, 0.25, seed=0)
train = F.softmax_problem(Xtr, ytr, batch_size=64, seed=1)
val = F.softmax_problem(Xva, yva, batch_size=len(Xva), seed=0)   # the whole validation set

def val_loss(lr, steps=300):
    r = lrc.run(train, lrc.GD(lr=lr), np.zeros(640), steps)
    return float(val(r.x)[0]) if not r.diverged else np.inf

found = test.suggestions()
print(f"{'rule':<12} {'η':>9} {'val loss after 300 steps':>26}")
for rule, lr in found.items():
    print(f"{rule:<12} {lr:>9.3g} {val_loss(lr):>26.4f}")
for lr in (1e-3, 1e-2, 0.1, 1.0, 3.0, 10.0):
    print(f"{'(fixed)':<12} {lr:>9.3g} {val_loss(lr):>26.4f}")
"""),
("md", r"""
Read the table before trusting any rule. On this curve the loss is flat for many decades and
falls almost imperceptibly from the very start, so the valley rule (the longest falling
stretch) starts far too early and suggests a rate that barely trains in 300 steps; steepest
and minimum/10 land where the fixed-rate runs are good. On the noisier curves of a deep network
(section 5) the ranking can change: that is why the course runs the experiment.

## 4. Your turn: the range and the smoothing

The suggestions move with η_min, η_max and β. Too little smoothing and the steepest point is
noise; too much and the curve lags behind η, pushing every rule to larger rates.
"""),
("code", r"""
dash = widgets.range_test_explorer(problem, w0, lr_min=1e-5, lr_max=100.0, beta=0.98)
dash
"""),
("code", r"""
print(f"{'β':>6} " + " ".join(f"{r:>11}" for r in F.RULES))
for beta in (0.0, 0.9, 0.98, 0.995):
    s = F.range_test(problem, w0, lrc.GD(), 1e-5, 100.0, 100, beta=beta).suggestions()
    print(f"{beta:>6} " + " ".join(f"{s[r]:>11.3g}" for r in F.RULES))
"""),
("md", r"""
## 5. A PyTorch model

`F.torch_range_test` does the same for any `torch.nn.Module` and puts the model's and the
optimizer's state back afterwards, so real training can start from the same weights. Here a
small CNN with Adam:
"""),
("code", r"""
torch.manual_seed(0)
(Xt, yt), (Xv, yv) = T.digits(image=True)
cnn = torch.nn.Sequential(
    torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Flatten(), torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
opt = torch.optim.Adam(cnn.parameters(), lr=1e-3)
batches = [(Xt[i:i + 32], yt[i:i + 32]) for i in range(0, len(Xt), 32)]
before = [p.detach().clone() for p in cnn.parameters()]
torch_test = F.torch_range_test(cnn, torch.nn.functional.cross_entropy, batches, opt,
                                lr_min=1e-6, lr_max=10.0, steps=100)
unchanged = all(torch.equal(a, b) for a, b in zip(before, cnn.parameters()))
print(f"stopped at η = {torch_test.lrs[-1]:.3g}; weights restored exactly: {unchanged}")
fig, ax = plt.subplots(figsize=(7, 3.6))
torch_test.plot(ax)
ax.set_title("range test, CNN on digits (Adam, batch 32)")
plt.show()
"""),
("code", r"""
print(f"{'rule':<12} {'η':>9} {'val acc after 5 epochs':>24}")
for rule, lr in torch_test.suggestions().items():
    torch.manual_seed(0)
    model = torch.nn.Sequential(*[m for m in cnn])    # the same architecture ...
    for m in model:
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()                      # ... freshly initialised
    hist = T.fit(model, (Xt, yt), (Xv, yv), torch.optim.Adam(model.parameters(), lr=lr), epochs=5,
                 batch_size=32, progress=False)
    acc = hist.epochs[-1]["val_acc"] if hist.diverged_at < 0 else float("nan")
    print(f"{rule:<12} {lr:>9.3g} {acc:>24.3f}")
"""),
("md", r"""
## Recap
- The range test ramps η exponentially, smooths the loss, and stops when it runs away.
- The rules (steepest, minimum/10, valley) read the same curve differently; check them by
  training, as above, rather than trusting any of them blindly.
- The suggestions depend on the range and on β; a range test is a starting point, not an answer.

**Exercise:** [exercises/06_lr_range_test](../exercises/06_lr_range_test/06_lr_range_test.ipynb) (the ramp, the smoothed loss, the steepest-descent rule). `hint("06.1")` helps when you are stuck.
**Next:** `07_search_and_early_stopping.ipynb`.
"""),
]

if __name__ == "__main__":
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from nb import build
    build(CELLS, Path(__file__).resolve().parents[2] / "notebooks" / (Path(__file__).stem + ".ipynb"))
