CELLS = [
("md", r"""
# 08 · PyTorch in practice

**After this notebook you will be able to**
- train a small CNN with η = 1e-3 and exponential decay, with an lrcourse schedule that gives
  exactly the rates of `torch.optim.lr_scheduler.ExponentialLR`,
- train an LSTM with Adam at η = 1e-2,
- give layers their own learning rates with parameter groups,
- scale η with the batch size (the linear scaling rule) and warm it up,
- tell Adam's L2 penalty from AdamW's decoupled weight decay.

Everything runs on the CPU in seconds, on data that ships with scikit-learn or is generated
here; `training.fit` uses `cuda` when it is there.
"""),
("code", r"""
import numpy as np
import matplotlib.pyplot as plt
import torch
from lrcourse import schedules as S, training as T

print("device:", T.default_device())
(Xt, yt), (Xv, yv) = T.digits(image=True)
print(f"digits: {len(Xt)} training and {len(Xv)} validation images of shape {tuple(Xt.shape[1:])}")
"""),
("md", r"""
## 1. A small CNN, η = 1e-3, exponential decay

PyTorch's `ExponentialLR(gamma)` multiplies η by γ after every scheduler step;
`S.exponential(η₀, d)` is η₀·e^(−d·t). They are the same schedule when γ = e^(−d). Check it
number by number, then train with ours (stepped every minibatch):
"""),
("code", r"""
d = 5e-4
model = torch.nn.Linear(1, 1)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=float(np.exp(-d)))
torch_rates = []
for _ in range(1000):
    torch_rates.append(sched.get_last_lr()[0])
    opt.step(); sched.step()
ours = S.exponential(1e-3, d)(np.arange(1000))
print(f"largest relative difference over 1000 steps: {np.max(np.abs(ours - torch_rates) / ours):.1e}")
"""),
("code", r"""
def cnn(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))

net = cnn()
hist = T.fit(net, (Xt, yt), (Xv, yv), torch.optim.Adam(net.parameters(), lr=1e-3),
             schedule=S.exponential(1e-3, d), epochs=30, batch_size=32)
print(f"validation accuracy {hist.final['val_acc']:.3f} (epoch {hist.best_epoch}),"
      f" {sum(e['seconds'] for e in hist.epochs):.1f} s of training")
fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.3))
a.plot(hist.lrs); a.set(xlabel="step", ylabel="η", title="the rate the optimizer used")
b.plot(hist.column("val_acc"), "o-"); b.set(xlabel="epoch", ylabel="validation accuracy", title="CNN on digits")
plt.show()
"""),
("md", r"""
## 2. An LSTM with Adam at η = 1e-2

The task is generated: a sequence of 12 random symbols, and the answer is the first one. The
LSTM must carry it through the whole sequence. Chance is 1/8.
"""),
("code", r"""
(St, lt), (Sv, lv) = T.memory_task(n=2000, length=12, symbols=8, seed=0)

class Recall(torch.nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.lstm = torch.nn.LSTM(8, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, 8)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])

rows = []
for lr in (1e-3, 1e-2, 1e-1):
    torch.manual_seed(0)
    rnn = Recall()
    h = T.fit(rnn, (St, lt), (Sv, lv), torch.optim.Adam(rnn.parameters(), lr=lr), epochs=15, batch_size=64,
              progress=False)
    first = next((e["epoch"] for e in h.epochs if e["val_acc"] > 0.95), None)
    rows.append((lr, h.final["val_acc"], first))
print(f"{'Adam η':>8} {'best val acc':>13} {'first epoch > 95%':>18}")
for lr, acc, first in rows:
    print(f"{lr:>8.0e} {acc:>13.3f} {str(first):>18}")
"""),
("md", r"""
## 3. Layer-wise learning rates

`torch.optim` takes a list of parameter groups, each with its own `lr`. A common use is
fine-tuning: lower layers that already hold useful features get a smaller rate than a fresh
head. (The opposite is argued too: when the new task differs a lot from the old one, the
lower layers need to move.) `fit` keeps the groups' ratios when a schedule drives them.
Here the CNN's convolutional body gets η, η/100 or nothing while the head learns at η:
"""),
("code", r"""
results = {}
for name, body_scale in [("same rate", 1.0), ("body at η/100", 0.01), ("body frozen", 0.0)]:
    net = cnn(seed=1)
    body, head = net[:6], net[6:]
    groups = [{"params": head.parameters(), "lr": 1e-3}]
    if body_scale:
        groups.append({"params": body.parameters(), "lr": 1e-3 * body_scale})
    h = T.fit(net, (Xt, yt), (Xv, yv), torch.optim.Adam(groups), epochs=8, batch_size=32, progress=False)
    results[name] = h.final["val_acc"]
for name, acc in results.items():
    print(f"{name:<15} validation accuracy after 8 epochs: {acc:.3f}")
"""),
("md", r"""
This body starts from random weights, so it holds nothing worth protecting: read the table to
see what slowing it down costs. Smaller rates for lower layers pay off only when those layers
were trained before (fine-tuning), which is the case the rule of thumb is about.
"""),
("md", r"""
## 4. Batch size: the linear scaling rule and warm-up

When the batch grows k times, the gradient's noise shrinks and there are k times fewer steps
per epoch; the linear scaling rule (Goyal et al., 2017) multiplies η by k to keep the
progress per epoch, with a gradual warm-up because a k-times larger rate at the start, when
the loss surface is sharp, can blow the run up. Measured with SGD on an MLP:
"""),
("code", r"""
(Ft, ft), (Fv, fv) = T.digits()

def mlp(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))

base_lr, base_batch, epochs = 0.05, 16, 8
print(f"{'batch':>6} {'η':>7} {'warm-up':>8} {'steps':>6} {'val acc':>8}")
for batch, scale, warm in [(16, 1, 0), (256, 1, 0), (256, 16, 0), (256, 16, 10)]:
    lr = base_lr * scale
    steps_per_epoch = -(-len(Ft) // batch)
    schedule = S.warmup(S.constant(lr), warm, 1 / warm) if warm else S.constant(lr)
    net = mlp()
    h = T.fit(net, (Ft, ft), (Fv, fv), torch.optim.SGD(net.parameters(), lr=lr), schedule=schedule,
              epochs=epochs, batch_size=batch, progress=False)
    acc = "diverged" if h.diverged_at >= 0 else f"{h.final['val_acc']:.3f}"
    print(f"{batch:>6} {lr:>7.2f} {warm:>8} {steps_per_epoch * epochs:>6} {acc:>8}")
"""),
("md", r"""
Compare the rows: the large batch at the small rate makes 16 times fewer steps of the same
size and falls behind; scaling η by 16 restores most of the progress. Whether the warm-up
changes the outcome depends on how sharp the start is; on this small problem, read the last
two rows.

## 5. Weight decay: Adam's L2 against AdamW

With `Adam(weight_decay=λ)`, λ·w is added to the gradient and then divided by Adam's
√v̂: weights with large gradients are barely decayed. `AdamW` shrinks every weight by the same
fraction η·λ per step, outside the normalisation. The weight norms show the difference:
"""),
("code", r"""
print(f"{'optimizer':<22} {'‖w‖ after 10 epochs':>20} {'val acc':>8}")
for name, make in [("Adam, no decay", lambda p: torch.optim.Adam(p, lr=1e-3)),
                   ("Adam, L2 λ = 0.1", lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=0.1)),
                   ("AdamW, λ = 0.1", lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=0.1))]:
    net = mlp()
    h = T.fit(net, (Ft, ft), (Fv, fv), make(net.parameters()), epochs=10, batch_size=32, progress=False)
    norm = torch.sqrt(sum((p.detach() ** 2).sum() for p in net.parameters()))
    print(f"{name:<22} {float(norm):>20.2f} {h.final['val_acc']:>8.3f}")
"""),
("md", r"""
## Recap
- `S.exponential(η₀, d)` is `ExponentialLR(gamma=e^(−d))`, number for number; the CNN reaches
  its accuracy above in seconds on the CPU.
- The LSTM's table shows how strongly the answer depends on η for a recurrent model.
- Parameter groups give layers their own rates; `fit` keeps their ratios under a schedule.
- Larger batches want larger rates (linear scaling), usually with a warm-up.
- Adam's L2 and AdamW's decay are different regularisers; AdamW decays all weights alike.

**Exercise:** [exercises/08_pytorch_in_practice](../exercises/08_pytorch_in_practice/08_pytorch_in_practice.ipynb) (parameter groups, the linear scaling rule with warm-up, and a question on warm-up). `hint("08.1")` helps when you are stuck.
**Next:** `09_measured_tables.ipynb`.
"""),
]

if __name__ == "__main__":
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from nb import build
    build(CELLS, Path(__file__).resolve().parents[2] / "notebooks" / (Path(__file__).stem + ".ipynb"))
