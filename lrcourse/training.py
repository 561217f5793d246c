"""A short PyTorch training loop that records what the learning rate did.

``fit`` takes a model, training and validation tensors, a ``torch.optim`` optimizer and an
optional lrcourse schedule, and returns a ``History``: the rate and loss at every step, the
gradient norm, and per epoch the training loss, validation loss and accuracy and the time
taken. It stops early when the validation loss has not improved for ``patience`` epochs
(and puts back the best weights), shows a progress bar (``tqdm.auto``), and runs on
``cuda`` when it is available. A diverging run is stopped and reported, not raised.

Imports torch, so ``import lrcourse`` does not.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from . import _checks

__all__ = ["History", "fit", "evaluate", "default_device", "digits", "memory_task", "set_rates", "sharpness"]


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass
class History:
    lrs: list = field(default_factory=list)          # rate of the first parameter group, per step
    losses: list = field(default_factory=list)       # training loss per step
    grad_norms: list = field(default_factory=list)   # global gradient norm per step
    epochs: list = field(default_factory=list)       # dicts: epoch, train_loss, val_loss, val_acc, seconds
    best_epoch: int = -1
    stopped_early: bool = False
    diverged_at: int = -1                            # step where the loss became NaN/inf, or -1

    def column(self, key: str) -> np.ndarray:
        return np.array([e[key] for e in self.epochs], dtype=float)

    @property
    def final(self) -> dict:
        return self.epochs[self.best_epoch] if self.epochs else {}


def set_rates(optimizer, rate: float, base_rates) -> None:
    """Set every group's rate: ``rate`` scaled by the group's share of the first group's base
    rate, so per-layer ratios survive a schedule."""
    for group, base in zip(optimizer.param_groups, base_rates):
        group["lr"] = rate * base / base_rates[0]


@torch.no_grad()
def evaluate(model, X, y, loss_fn, batch_size: int = 512, noise: float = 0.0, seed: int = 0):
    """(mean loss, accuracy) on (X, y); ``noise`` adds Gaussian noise of that size to the inputs."""
    model.eval()
    gen = torch.Generator(device="cpu").manual_seed(seed)
    total, correct, n = 0.0, 0, len(X)
    for i in range(0, n, batch_size):
        xb, yb = X[i:i + batch_size], y[i:i + batch_size]
        if noise:
            xb = xb + noise * torch.randn(xb.shape, generator=gen).to(xb.device)
        out = model(xb)
        total += float(loss_fn(out, yb)) * len(xb)
        correct += int((out.argmax(-1) == yb).sum())
    return total / n, correct / n


def fit(model, train, val, optimizer, schedule=None, epochs: int = 10, batch_size: int = 64,
        loss_fn=None, patience: int | None = None, seed: int = 0, device=None, progress: bool = True) -> History:
    """Train ``model`` on ``train = (X, y)``; validate on ``val = (X, y)`` after every epoch.

    Args:
        optimizer: a ``torch.optim`` optimizer over the model's parameters (groups allowed).
        schedule: an ``lrcourse.schedules`` schedule, evaluated at every step t = 0, 1, …;
            the first group gets schedule(t), other groups keep their ratio to it.
        patience: stop when the validation loss has not improved for this many epochs and
            restore the best weights (None: train all epochs).
        seed: shuffling order of the minibatches.
        device: default ``cuda`` when available, else the CPU.
    """
    epochs = _checks.positive_int("epochs", epochs)
    batch_size = _checks.positive_int("batch_size", batch_size)
    if patience is not None:
        patience = _checks.positive_int("patience", patience)
    loss_fn = loss_fn or torch.nn.functional.cross_entropy
    device = torch.device(device) if device is not None else default_device()
    model.to(device)
    Xtr, ytr = (t.to(device) for t in train)
    Xva, yva = (t.to(device) for t in val)
    base = [g["lr"] for g in optimizer.param_groups]
    gen = torch.Generator().manual_seed(seed)
    hist = History()
    best_loss, best_state, step = math.inf, None, 0
    from tqdm.auto import tqdm

    bar = tqdm(range(epochs), desc="epochs", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        t0 = time.perf_counter()
        order = torch.randperm(len(Xtr), generator=gen).to(device)
        running, seen = 0.0, 0
        for i in range(0, len(Xtr), batch_size):
            idx = order[i:i + batch_size]
            if schedule is not None:
                set_rates(optimizer, float(schedule(step)), base)
            optimizer.zero_grad()
            loss = loss_fn(model(Xtr[idx]), ytr[idx])
            value = float(loss.detach())
            hist.lrs.append(optimizer.param_groups[0]["lr"])
            hist.losses.append(value)
            if not math.isfinite(value):
                hist.diverged_at = step
                break
            loss.backward()
            norm = torch.sqrt(sum((p.grad.detach() ** 2).sum() for p in model.parameters() if p.grad is not None))
            hist.grad_norms.append(float(norm))
            optimizer.step()
            running += value * len(idx)
            seen += len(idx)
            step += 1
        seconds = time.perf_counter() - t0
        if hist.diverged_at >= 0:
            hist.epochs.append({"epoch": epoch, "train_loss": math.inf, "val_loss": math.inf, "val_acc": math.nan,
                                "seconds": seconds})
            break
        val_loss, val_acc = evaluate(model, Xva, yva, loss_fn)
        hist.epochs.append({"epoch": epoch, "train_loss": running / max(seen, 1), "val_loss": val_loss,
                            "val_acc": val_acc, "seconds": seconds})
        bar.set_postfix(val_loss=f"{val_loss:.3f}", val_acc=f"{val_acc:.3f}")
        if val_loss < best_loss:
            best_loss, hist.best_epoch = val_loss, epoch
            if patience is not None:
                best_state = copy.deepcopy(model.state_dict())
        elif patience is not None and epoch - hist.best_epoch >= patience:
            hist.stopped_early = True
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    if hist.best_epoch < 0 and hist.epochs:
        hist.best_epoch = len(hist.epochs) - 1
    return hist


def digits(val_fraction: float = 0.25, seed: int = 0, image: bool = False):
    """scikit-learn's bundled 8×8 handwritten digits (1797 images, no download), scaled to
    [0, 1], split with a seeded shuffle: ((X_train, y_train), (X_val, y_val)) as tensors;
    ``image=True`` gives shape (N, 1, 8, 8) for a CNN instead of (N, 64)."""
    from sklearn.datasets import load_digits

    from .search import train_val_split

    data = load_digits()
    X = data.data.astype(np.float32) / 16.0
    if image:
        X = X.reshape(-1, 1, 8, 8)
    Xtr, ytr, Xva, yva = train_val_split(X, data.target, val_fraction, seed)
    t = lambda a, dtype: torch.tensor(a, dtype=dtype)
    return (t(Xtr, torch.float32), t(ytr, torch.long)), (t(Xva, torch.float32), t(yva, torch.long))


def memory_task(n: int = 2000, length: int = 12, symbols: int = 8, seed: int = 0, val_fraction: float = 0.25):
    """A generated sequence task for recurrent models: a sequence of random symbols, and the
    label is the symbol seen first. The model must carry it through the whole sequence.
    Returns ((X_train, y_train), (X_val, y_val)), X one-hot of shape (N, length, symbols)."""
    rng = np.random.default_rng(seed)
    seq = rng.integers(0, symbols, size=(n, length))
    X = np.eye(symbols, dtype=np.float32)[seq]
    y = seq[:, 0]
    n_val = int(round(val_fraction * n))
    t = lambda a, dtype: torch.tensor(a, dtype=dtype)
    return (t(X[n_val:], torch.float32), t(y[n_val:], torch.long)), (t(X[:n_val], torch.float32), t(y[:n_val], torch.long))


def sharpness(loss_fn, params, iters: int = 20, seed: int = 0) -> float:
    """The top eigenvalue of the Hessian of ``loss_fn()`` with respect to ``params`` (the
    "sharpness"), by power iteration on Hessian-vector products; GD on a quadratic is stable
    only while sharpness < 2/η."""
    iters = _checks.positive_int("iters", iters)
    params = [p for p in params if p.requires_grad]
    grads = torch.autograd.grad(loss_fn(), params, create_graph=True)
    gen = torch.Generator().manual_seed(seed)
    v = [torch.randn(p.shape, generator=gen).to(p.device) for p in params]
    value = 0.0
    for _ in range(iters):
        norm = torch.sqrt(sum((x * x).sum() for x in v))
        v = [x / norm for x in v]
        hv = torch.autograd.grad(grads, params, grad_outputs=v, retain_graph=True)
        value = float(sum((a * b).sum() for a, b in zip(hv, v)))
        v = [h.detach() for h in hv]
    return value
