"""A short PyTorch training loop that records what the learning rate did.

``fit`` takes a model, training and validation tensors, a ``torch.optim`` optimizer and an
optional lrcourse schedule, and returns a ``History``: the rate and loss at every step, the
gradient norm, and per epoch the training loss, validation loss and accuracy and the time
taken. It stops early when the validation loss has not improved for ``patience`` epochs
(and puts back the best weights), shows a progress bar over the epochs (``tqdm.auto``, gone
when it is done; hidden inside a loop wrapped in ``lrcourse.sweeps.progress``, which shows one
bar for the whole loop), and runs on ``cuda`` when it is available. A diverging run is
stopped and reported, not raised.

``fit_many`` trains several models of the same architecture side by side (one per seed, or
per seed and rate) with one optimizer, several times faster than one ``fit`` after another
on a CPU, and returns their curves as arrays: what a mean over seeds with its spread needs.

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
from .sweeps import loop_bar as _loop_bar

__all__ = ["History", "Runs", "fit", "fit_many", "sweep_rates", "paired_gap", "evaluate", "default_device", "digits",
           "memory_task", "set_rates", "sharpness"]


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


def _one_kernel(optimizer) -> None:
    """Let an optimizer that has not stepped yet update all its tensors in one call.

    Where the caller chose neither ``foreach`` nor ``fused``, a ``torch.optim`` optimizer that
    offers ``fused`` (Adam, AdamW, SGD, Adagrad) gets it, others get ``foreach``: on a CPU torch
    would otherwise loop over the tensors in Python, which costs more than the arithmetic for
    the small models of the course. The update rule is the same; the last bits of a float may
    round differently. Done before the first step, when torch reads these switches.
    """
    if optimizer.state:
        return
    for group in optimizer.param_groups:
        if group.get("foreach") or group.get("fused"):
            continue                                        # the caller's choice
        if (group.get("fused", False) is None and group.get("foreach") is None
                and not group.get("differentiable") and not group.get("capturable")):
            group["fused"] = True
        elif group.get("foreach", False) is None:
            group["foreach"] = True


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
        progress: show a bar over the epochs (hidden anyway inside a ``sweeps.progress`` loop);
            or a bar made by ``sweeps.progress``, to advance by one per epoch instead.
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
    _one_kernel(optimizer)
    base = [g["lr"] for g in optimizer.param_groups]
    gen = torch.Generator().manual_seed(seed)
    hist = History()
    best_loss, best_state, step = math.inf, None, 0
    bar = _loop_bar(progress, range(epochs), desc="epochs")
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


@dataclass
class Runs:
    """What ``fit_many`` records: one column per model, one row per epoch (row 0 is epoch 1).

    A model that diverged has ``inf`` losses and ``nan`` accuracy from the epoch it diverged in.
    """

    train_loss: np.ndarray    # (epochs, n): mean training loss over the epoch's minibatches
    val_loss: np.ndarray      # (epochs, n): validation loss after the epoch
    val_acc: np.ndarray       # (epochs, n): validation accuracy after the epoch
    diverged_at: np.ndarray   # (n,): step where the model's loss became NaN/inf, or -1
    lrs: list = field(default_factory=list)   # rate of the first parameter group, per step

    @property
    def diverged(self) -> np.ndarray:
        return self.diverged_at >= 0

    @property
    def epochs(self) -> np.ndarray:
        """Epoch numbers, counted from 1, one per row."""
        return np.arange(1, len(self.val_loss) + 1)

    def last(self, key: str, shape=None) -> np.ndarray:
        """``key`` ("val_acc", "val_loss", "train_loss") after the last epoch, one value per
        model, reshaped to ``shape`` (e.g. ``(len(rates), len(seeds))`` after ``sweep_rates``)."""
        row = getattr(self, key)[-1]
        return row if shape is None else row.reshape(shape)


def fit_many(models, seeds, train, val, optimizer, schedule=None, epochs: int = 10, batch_size: int = 64,
             loss_fn=None, val_every: int = 1, device=None, progress: bool = True) -> Runs:
    """Train several models of one architecture side by side: the same as one ``fit`` per model.

    The models' parameters are kept side by side in one tensor per parameter name (each model's
    parameters become views of their rows for the time of the call), and all models run in one
    call: an ``nn.Sequential`` of Conv2d / Linear / ReLU / Tanh / MaxPool2d / Flatten layers as
    grouped convolutions and batched matrix products, any other model through
    ``torch.func.vmap``. So n small models cost far less than n calls of ``fit``. Each model keeps its
    own parameters (trained in place) and sees the training set in its own order, shuffled
    with its seed. ``optimizer`` is one ``torch.optim`` optimizer over all the models'
    parameters, in any parameter groups (one rate per model, per layer, ...), or a list of
    optimizers that share the models between them (Adam for some, SGD for others): their
    updates are per parameter, so the models do not interact. A model whose loss becomes NaN/inf stops
    counting (its ``diverged_at`` is set) while the others go on.

    Args:
        models: modules with the same parameter names and shapes, no buffers (no batch norm)
            and no dropout.
        seeds: one integer per model: the order of its minibatches.
        schedule: as in ``fit``: the first group (of the first optimizer) gets schedule(t), all
            other groups keep their ratio to it.
        val_every: validate after every this many epochs and after the last one; the rows of
            the epochs in between are ``nan``.
        progress: show a bar over the epochs, for all the models together (hidden anyway
            inside a ``sweeps.progress`` loop); or a bar made by ``sweeps.progress``, to advance
            by one per epoch instead.
    """
    from torch.func import functional_call, vmap

    models = list(models)
    seeds = [int(s) for s in np.asarray(seeds).reshape(-1)]
    if not models or len(seeds) != len(models):
        raise ValueError(f"need one seed per model, got {len(models)} models and {len(seeds)} seeds")
    epochs = _checks.positive_int("epochs", epochs)
    batch_size = _checks.positive_int("batch_size", batch_size)
    val_every = _checks.positive_int("val_every", val_every)
    names = [k for k, _ in models[0].named_parameters()]
    shapes = [tuple(p.shape) for _, p in models[0].named_parameters()]
    for m in models:
        if [k for k, _ in m.named_parameters()] != names or [tuple(p.shape) for p in m.parameters()] != shapes:
            raise ValueError("fit_many needs models with the same parameter names and shapes")
        if any(True for _ in m.buffers()):
            raise ValueError("fit_many cannot train models with buffers (batch norm); use fit")
    loss_fn = loss_fn or torch.nn.functional.cross_entropy
    device = torch.device(device) if device is not None else default_device()
    for m in models:
        m.to(device)
    template = copy.deepcopy(models[0]).to("meta")
    members = [dict(m.named_parameters()) for m in models]
    Xtr, ytr = (t.to(device) for t in train)
    Xva, yva = (t.to(device) for t in val)
    n, N = len(models), len(Xtr)

    # The members' parameters live side by side in one tensor per name (each model's parameter
    # becomes a view of its row, so the optimizer's in-place updates land there); autograd sees
    # the stacked tensors, and their gradients' rows are handed back as the models' gradients.
    stack = {k: torch.stack([p[k].detach() for p in members]).requires_grad_() for k in names}
    with torch.no_grad():
        for i, p in enumerate(members):
            for k in names:
                p[k].data = stack[k].data[i]

    def hand_back_gradients():
        for k in names:
            grad = stack[k].grad
            for i, p in enumerate(members):
                p[k].grad = grad[i]
            stack[k].grad = None

    if loss_fn is torch.nn.functional.cross_entropy:
        per_member = _cross_entropy       # one call on all members' rows, as vmap(loss_fn) computes
    else:
        per_member = vmap(loss_fn)
    side_by_side = _SequentialStack.of(template)
    if side_by_side is not None:          # grouped convolutions and batched matrix products

        def train_losses(params, x, y):
            return per_member(side_by_side(params, x), y)

        def outputs(params, x):
            return side_by_side(params, x.expand(n, *x.shape))
    else:                                 # any other architecture: torch.func.vmap over the members
        def member_loss(params, x, y):
            return loss_fn(functional_call(template, params, (x,)), y)

        train_losses = vmap(member_loss)
        outputs = vmap(lambda params, x: functional_call(template, params, (x,)), in_dims=(0, None))
    optimizers = list(optimizer) if isinstance(optimizer, (list, tuple)) else [optimizer]
    for opt in optimizers:
        _one_kernel(opt)
    groups = [g for opt in optimizers for g in opt.param_groups]
    base = [g["lr"] for g in groups]
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    diverged_at = np.full(n, -1)
    rows = {"train_loss": [], "val_loss": [], "val_acc": []}
    lrs, step = [], 0
    bar = _loop_bar(progress, range(1, epochs + 1), desc=f"epochs ({n} models side by side)")
    for epoch in bar:
        orders = torch.stack([torch.randperm(N, generator=g) for g in gens]).to(device)
        running, seen = torch.zeros(n, dtype=torch.float64), 0
        for i in range(0, N, batch_size):
            idx = orders[:, i:i + batch_size]
            if schedule is not None:
                rate = float(schedule(step))
                for group, b in zip(groups, base):
                    group["lr"] = rate * b / base[0]
            for opt in optimizers:
                opt.zero_grad()
            losses = train_losses(stack, Xtr[idx], ytr[idx])
            values = losses.detach().double().cpu()
            lrs.append(groups[0]["lr"])
            bad = (~torch.isfinite(values)).numpy() & (diverged_at < 0)
            diverged_at[bad] = step
            alive = torch.from_numpy(diverged_at < 0)
            if not alive.any():
                break
            losses[alive.to(device)].sum().backward()
            hand_back_gradients()
            for opt in optimizers:
                opt.step()
            running += torch.where(alive, values, 0.0) * idx.shape[1]
            seen += idx.shape[1]
            step += 1
        dead = diverged_at >= 0
        rows["train_loss"].append(np.where(dead, np.inf, (running / max(seen, 1)).numpy()))
        if epoch % val_every and epoch < epochs and not dead.all():
            rows["val_loss"].append(np.full(n, np.nan))
            rows["val_acc"].append(np.full(n, np.nan))
            continue
        with torch.no_grad():
            val_loss, correct = torch.zeros(n, dtype=torch.float64), torch.zeros(n, dtype=torch.float64)
            for j in range(0, len(Xva), 512):
                out = outputs(stack, Xva[j:j + 512])
                yb = yva[j:j + 512]
                val_loss += per_member(out, yb.expand(n, *yb.shape)).double().cpu() * len(yb)
                correct += (out.argmax(-1) == yb).sum(-1).double().cpu()
        rows["val_loss"].append(np.where(dead, np.inf, (val_loss / len(Xva)).numpy()))
        rows["val_acc"].append(np.where(dead, np.nan, (correct / len(Xva)).numpy()))
        if dead.all():
            break
    bar.close()
    with torch.no_grad():                 # each model gets its own memory back
        for p in members:
            for k in names:
                p[k].data = p[k].data.clone()
                p[k].grad = None if p[k].grad is None else p[k].grad.clone()
    return Runs(**{k: np.array(v) for k, v in rows.items()}, diverged_at=diverged_at, lrs=lrs)


class _SequentialStack:
    """n copies of one ``nn.Sequential`` of Conv2d / Linear / ReLU / Tanh / MaxPool2d / Flatten
    layers, run side by side: member i's parameters are ``params[name][i]``, its input ``x[i]``.

    ``torch.func.vmap`` computes the same thing for any model; for these layers one grouped
    convolution (the members' channels side by side, in channels-last memory, where CPU pooling
    is fastest) and one batched matrix product per layer cost about half as much on a CPU.
    """

    _ELEMENTWISE = {torch.nn.ReLU: torch.relu, torch.nn.Tanh: torch.tanh}

    def __init__(self, layers):
        self.layers = layers

    @classmethod
    def of(cls, template):
        """The stack for ``template``, or None when it has a layer this class does not know."""
        if type(template) is not torch.nn.Sequential:
            return None
        layers, image = [], False
        for name, layer in template.named_children():
            kind = type(layer)
            if kind is torch.nn.Linear and image:
                return None                     # a Linear on an image's last axis: leave it to vmap
            image = (image or kind is torch.nn.Conv2d) and kind is not torch.nn.Flatten
            if kind is torch.nn.Conv2d and layer.groups == 1 and layer.padding_mode == "zeros" \
                    and not isinstance(layer.padding, str):
                layers.append(("conv", name, layer))
            elif kind is torch.nn.Linear:
                layers.append(("linear", name, layer))
            elif kind in cls._ELEMENTWISE:
                layers.append(("elementwise", name, cls._ELEMENTWISE[kind]))
            elif kind is torch.nn.MaxPool2d and not layer.return_indices:
                layers.append(("pool", name, layer))
            elif kind is torch.nn.Flatten and layer.start_dim == 1 and layer.end_dim == -1:
                layers.append(("flatten", name, layer))
            else:
                return None
        return cls(layers)

    def __call__(self, params, x):
        n, batch = x.shape[:2]
        image = x.dim() == 5                    # (n, batch, C, H, W): held as (batch, n·C, H, W)
        if image:
            x = x.transpose(0, 1).reshape(batch, n * x.shape[2], *x.shape[3:])
            x = x.contiguous(memory_format=torch.channels_last)
        for kind, name, layer in self.layers:
            if kind in ("conv", "pool") and not image:
                raise ValueError(f"layer {name} needs images: inputs of shape (n, batch, C, H, W), got {tuple(x.shape)}")
            if kind == "conv":
                w = params[f"{name}.weight"]
                b = params.get(f"{name}.bias")
                x = torch.nn.functional.conv2d(x, w.reshape(-1, *w.shape[2:]), None if b is None else b.reshape(-1),
                                               layer.stride, layer.padding, layer.dilation, groups=n)
            elif kind == "pool":
                x = torch.nn.functional.max_pool2d(x, layer.kernel_size, layer.stride, layer.padding,
                                                   layer.dilation, layer.ceil_mode)
            elif kind == "flatten":
                if image:
                    x = x.reshape(batch, n, -1).transpose(0, 1)    # each member's (C, H, W) in nn.Flatten's order
                    image = False
                else:
                    x = x.reshape(n, batch, -1)
            elif kind == "linear":
                w = params[f"{name}.weight"]
                b = params.get(f"{name}.bias")
                x = torch.matmul(x, w.transpose(1, 2)) if b is None else torch.baddbmm(b[:, None], x, w.transpose(1, 2))
            else:
                x = layer(x)
        if image:
            raise ValueError("the model's output is an image: _SequentialStack needs a Flatten before the end")
        return x


def sweep_rates(make_model, rates, seeds, train, val, optimizer=None, schedule=None, **kwargs) -> Runs:
    """A learning-rate sweep over seeds in one ``fit_many`` call: one model per (rate, seed).

    Model ``i·len(seeds) + j`` is ``make_model(seeds[j])`` trained at ``rates[i]``, so
    ``runs.last("val_acc", (len(rates), len(seeds)))`` has one row per rate. ``optimizer`` is
    called with the parameter groups (one per rate) and returns a ``torch.optim`` optimizer
    (default ``torch.optim.Adam``). ``schedule(lr)``, if given, returns the schedule of a run
    at rate ``lr``; it must scale with ``lr`` (``exponential``, ``warmup(constant(lr), ...)``,
    ``cosine`` with ``eta_min=0`` do), because every group follows the first one's schedule
    scaled to its own rate. Other keyword arguments go to ``fit_many``.
    """
    rates = [float(r) for r in np.asarray(rates, dtype=float).reshape(-1)]
    seeds = [int(s) for s in np.asarray(seeds).reshape(-1)]
    if not rates or not seeds:
        raise ValueError("sweep_rates needs at least one rate and one seed")
    models = [make_model(s) for _ in rates for s in seeds]
    k = len(seeds)
    groups = [{"params": [p for m in models[i * k:(i + 1) * k] for p in m.parameters()], "lr": lr}
              for i, lr in enumerate(rates)]
    optimizer = optimizer or torch.optim.Adam
    return fit_many(models, seeds * len(rates), train, val, optimizer(groups),
                    schedule=None if schedule is None else schedule(rates[0]), **kwargs)


def paired_gap(a, b, k: float = 2.0):
    """Compare two measurements made with the same seeds (``a[i]`` and ``b[i]`` share seed i).

    Returns ``(mean, se, sign)``: the mean over seeds of ``a − b``, its standard error
    (standard deviation of the differences / √n), and +1 when the mean is more than ``k``
    standard errors above zero, −1 when more than ``k`` below, 0 otherwise (the difference is
    within the seed spread). Needs at least two seeds and finite values.
    """
    a, b = np.asarray(a, dtype=float).reshape(-1), np.asarray(b, dtype=float).reshape(-1)
    if a.shape != b.shape or a.size < 2:
        raise ValueError(f"need two equally long measurements over at least two seeds, got {a.size} and {b.size}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("paired_gap needs finite values: leave out runs that diverged first")
    diff = a - b
    mean, se = float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(diff.size))
    return mean, se, int(mean > k * se) - int(mean < -k * se)


def digits(val_fraction: float = 0.25, seed: int = 0, image: bool = False):
    """scikit-learn's bundled 8×8 handwritten digits (1797 images, no download), scaled to
    [0, 1], split with a seeded shuffle: ((X_train, y_train), (X_val, y_val)) as tensors;
    ``image=True`` gives shape (N, 1, 8, 8) for a CNN instead of (N, 64)."""
    from .datasets import digits as _digits
    from .search import train_val_split

    X, y = _digits()
    X = X.astype(np.float32)
    if image:
        X = X.reshape(-1, 1, 8, 8)
    Xtr, ytr, Xva, yva = train_val_split(X, y, val_fraction, seed)
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


# ================================================================================================
# Many small MLPs trained side by side (lessons 09 and 10).
#
# A lesson that compares learning rates over seeds trains dozens of copies of one small network.
# One at a time that is mostly Python overhead; stacked, every copy is a slice of one batched
# matrix product and all of them cost about as much as a few. Member i of a stack is exactly the
# network ``torch.manual_seed(seeds[i]); nn.Sequential(nn.Linear, nn.ReLU, nn.Linear, ...)``
# trained by ``torch.optim.SGD`` with its own rate and its own shuffling seed. ``fit_many``
# (above) trains any architecture epoch by epoch; this block keeps the stacked weights between
# steps and measures what lessons 09 and 10 need at every step: gradient norms, the steps to a
# training-loss target, and networks that stop (target reached, diverged, or all units dead).

__all__ += ["MLPStack", "StackHistory", "fit_stack", "evaluate_stack", "stack_sharpness"]

_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh}


class MLPStack(torch.nn.Module):
    """``k`` independent MLPs ``sizes[0] → sizes[1] → … → sizes[-1]`` (``activation`` between
    layers), evaluated together by batched matrix products.

    Member ``i`` starts from the weights that ``torch.manual_seed(seeds[i])`` followed by
    ``nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.ReLU(), nn.Linear(sizes[1], sizes[2]), ...)``
    would have. Inputs of shape ``(n, sizes[0])`` go to every member; ``(k, n, sizes[0])``
    gives each member its own rows. ``members`` (indices) evaluates only those members.
    Output: shape ``(k, n, sizes[-1])``.
    """

    def __init__(self, seeds, sizes=(64, 128, 10), activation: str = "relu"):
        super().__init__()
        seeds = [int(s) for s in np.asarray(seeds).ravel()]
        if not seeds:
            raise ValueError("MLPStack needs at least one seed")
        if len(sizes) < 2:
            raise ValueError(f"sizes needs an input and an output size, got {sizes!r}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        weights, biases = [[] for _ in sizes[1:]], [[] for _ in sizes[1:]]
        for s in seeds:
            torch.manual_seed(s)
            for j, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
                layer = torch.nn.Linear(n_in, n_out)
                weights[j].append(layer.weight.detach().T.clone())
                biases[j].append(layer.bias.detach()[None].clone())
        self.weights = torch.nn.ParameterList([torch.nn.Parameter(torch.stack(w)) for w in weights])  # (k, in, out)
        self.biases = torch.nn.ParameterList([torch.nn.Parameter(torch.stack(b)) for b in biases])    # (k, 1, out)
        self.seeds, self.activation = seeds, activation

    def __len__(self):
        return len(self.seeds)

    def _layers(self, members):
        if members is None:
            return list(zip(self.weights, self.biases))
        return [(W[members], b[members]) for W, b in zip(self.weights, self.biases)]

    def _run(self, X, members, last: bool):
        layers = self._layers(members)
        if X.dim() == 2:
            X = X.expand(layers[0][0].shape[0], *X.shape)
        act = _ACTIVATIONS[self.activation]
        for W, b in layers[:-1]:
            X = act(torch.baddbmm(b, X, W))
        return torch.baddbmm(layers[-1][1], X, layers[-1][0]) if last else X

    def hidden(self, X, members=None):
        """The last hidden layer's outputs (after the activation), shape ``(k, n, sizes[-2])``."""
        return self._run(X, members, last=False)

    def forward(self, X, members=None):
        return self._run(X, members, last=True)

    def member(self, i: int) -> torch.nn.Sequential:
        """Member ``i`` as an ordinary ``nn.Sequential`` (a copy)."""
        layers = []
        act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[self.activation]
        for j, (W, b) in enumerate(zip(self.weights, self.biases)):
            lin = torch.nn.Linear(W.shape[1], W.shape[2])
            with torch.no_grad():
                lin.weight.copy_(W[i].T)
                lin.bias.copy_(b[i, 0])
            layers += [lin, act()] if j < len(self.weights) - 1 else [lin]
        return torch.nn.Sequential(*layers)


def _cross_entropy(out, y):
    """Per-member mean cross-entropy: out (k, n, c), y (k, n) or (n,) → (k,)."""
    k, n, c = out.shape
    y = y.expand(k, n) if y.dim() == 1 else y
    return torch.nn.functional.cross_entropy(out.reshape(k * n, c), y.reshape(-1), reduction="none").reshape(k, n).mean(1)


@torch.no_grad()
def evaluate_stack(stack: MLPStack, X, y, noise: float = 0.0, seed: int = 0):
    """(mean cross-entropy, accuracy) of every member on (X, y), two arrays of shape (k,).
    ``noise`` adds Gaussian noise of that size to the inputs, the same draw for every member."""
    if noise:
        X = X + noise * torch.randn(X.shape, generator=torch.Generator().manual_seed(int(seed)))
    out = stack(X)
    acc = (out.argmax(-1) == y).float().mean(1)
    return _cross_entropy(out, y).numpy().astype(float), acc.numpy().astype(float)


@dataclass
class StackHistory:
    """What ``fit_stack`` measured, one column per member (``k`` members).

    ``losses``/``grad_norms``: (steps, k) minibatch loss and gradient norm at every update (NaN
    once a member has stopped or diverged). ``epoch_*``: (epochs, k) after every full pass over
    the training set, row 0 being epoch 1 (no rows without ``val``): the mean minibatch loss
    over the pass, the validation loss and the validation accuracy. ``check_steps`` and
    ``check_loss``: the loss on the whole training set after every ``check_every`` updates
    (NaN for members that had stopped or already reached ``target``). ``reached_at``: updates
    done when a check first found the training loss at or below ``target`` (-1: never).
    ``diverged_at``: the update whose minibatch loss was not finite or above ``max_loss`` (-1:
    never). ``dead_at``: updates done when a check found every hidden unit of the member zero on
    every training image (-1: never; only with ``stop_dead``).
    """

    lrs: np.ndarray
    seeds: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    epoch_train_loss: np.ndarray
    epoch_val_loss: np.ndarray
    epoch_val_acc: np.ndarray
    check_steps: np.ndarray
    check_loss: np.ndarray
    reached_at: np.ndarray
    diverged_at: np.ndarray
    dead_at: np.ndarray


def fit_stack(lrs, seeds, train, val=None, *, epochs: int | None = None, steps: int | None = None,
              batch_size: int = 32, momentum: float = 0.0, sizes=(64, 128, 10), check_every: int | None = None,
              target: float | None = None, stop_at_target: bool = False, stop_dead: bool = False,
              grad_norms: bool = True, max_loss: float = 1e6, progress: bool = True):
    """Train one ReLU MLP per (rate, seed) pair, all at once, with SGD on the cross-entropy
    (``torch.optim.SGD``'s rule: ``buf = momentum·buf + g``, ``w -= lr·buf``).

    ``lrs`` and ``seeds`` have one entry per member (``np.repeat``/``np.tile`` make a grid).
    A member's seed sets its initial weights (as in ``MLPStack``) and its minibatch order
    (``torch.randperm`` every epoch from ``torch.Generator().manual_seed(seed)``, as ``fit``
    does), so member i matches ``fit`` on the same network, seed and rate. Train for ``epochs``
    full passes or exactly ``steps`` updates; ``val = (X, y)`` is evaluated after every full
    pass (``None``: never). Every ``check_every`` updates the loss on the whole training set is
    measured for each member that has not yet reached ``target``; with ``stop_at_target`` a
    member that has reached it stops there (its weights freeze). A diverged member stops too.
    With ``stop_dead`` (plain SGD only) a check also stops a member whose hidden units are all
    zero on every training image: its first layer gets zero gradient from then on, so it can
    never learn again (its loss can only approach the entropy of the labels, about ln 10).
    ``grad_norms=False`` skips measuring the gradient norms (a little faster; the column is NaN).
    ``progress`` shows a bar over the updates, for all members together (hidden anyway inside
    a ``sweeps.progress`` loop; given a bar made by ``sweeps.progress``, it advances that one by
    one per update instead). Returns ``(stack, StackHistory)``.
    """
    lrs = np.asarray(lrs, dtype=float).ravel()
    seeds = np.asarray(seeds).ravel().astype(int)
    if lrs.shape != seeds.shape:
        raise ValueError(f"one rate per seed: got {lrs.size} rates and {seeds.size} seeds")
    if not np.all(np.isfinite(lrs) & (lrs > 0)):
        raise ValueError("rates must be positive and finite")
    if (epochs is None) == (steps is None):
        raise ValueError("give exactly one of epochs and steps")
    batch_size = _checks.positive_int("batch_size", batch_size)
    if check_every is not None:
        check_every = _checks.positive_int("check_every", check_every)
    if (target is not None or stop_at_target) and check_every is None:
        raise ValueError("target needs check_every (how often to measure the training loss)")
    if stop_at_target and target is None:
        raise ValueError("stop_at_target needs a target")
    if stop_dead and (check_every is None or momentum != 0 or len(sizes) != 3):
        raise ValueError("stop_dead needs check_every, momentum=0 and one hidden layer "
                         "(with momentum a dead network can still move)")
    Xtr, ytr = train
    n, k = len(Xtr), lrs.size
    per_epoch = -(-n // batch_size)
    total = (_checks.positive_int("epochs", epochs) * per_epoch if epochs is not None
             else _checks.positive_int("steps", steps))
    stack = MLPStack(seeds, sizes)
    params = list(stack.parameters())
    bufs = [torch.zeros_like(p) for p in params]
    rate = torch.tensor(lrs, dtype=torch.float32)
    active = np.ones(k, dtype=bool)
    gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
    losses, norms = np.full((total, k), np.nan), np.full((total, k), np.nan)
    ep_train, ep_vloss, ep_vacc, checks, check_loss = [], [], [], [], []
    reached, diverged, dead = np.full(k, -1), np.full(k, -1), np.full(k, -1)
    running = np.zeros(k)
    step, changed = 0, True
    bar = _loop_bar(progress, total=total, desc=f"updates ({k} networks side by side)")
    while step < total and active.any():
        orders = torch.stack([torch.randperm(n, generator=g) for g in gens])        # (k, n)
        running[:] = 0.0
        for i in range(0, n, batch_size):
            if step >= total or not active.any():
                break
            if changed:   # the set of training members changed: recompute what depends on it
                ids = np.flatnonzero(active)
                act = torch.from_numpy(ids)
                members = None if len(ids) == k else act
                lr = torch.where(torch.from_numpy(active), rate, torch.zeros_like(rate))
                lr_shaped = [lr.reshape(k, *[1] * (p.dim() - 1)) for p in params]
                changed = False
            idx = orders[act, i:i + batch_size]                                     # (a, b)
            per = _cross_entropy(stack(Xtr[idx], members=members), ytr[idx])       # (a,)
            value = per.detach().numpy().astype(float)
            bad = ~(np.isfinite(value) & (value <= max_loss))
            for p in params:
                p.grad = None
            (torch.where(torch.from_numpy(~bad), per, torch.zeros_like(per)) if bad.any() else per).sum().backward()
            losses[step, ids] = value
            if bad.any():
                diverged[ids[bad]] = step
                active[ids[bad]] = False
                lr = torch.where(torch.from_numpy(active), rate, torch.zeros_like(rate))
                lr_shaped = [lr.reshape(k, *[1] * (p.dim() - 1)) for p in params]
                changed = True
            with torch.no_grad():
                if grad_norms:
                    sq = sum((p.grad[act] ** 2).reshape(len(ids), -1).sum(1) for p in params)
                    norms[step, ids] = np.where(bad, np.nan, sq.sqrt().numpy())
                for p, buf, r in zip(params, bufs, lr_shaped):
                    if momentum:
                        buf.mul_(momentum).add_(p.grad)
                        p.sub_(r * buf)
                    else:
                        p.sub_(r * p.grad)
            running[ids] += np.where(bad, 0.0, value) * idx.shape[1]
            step += 1
            bar.update()
            if check_every is not None and step % check_every == 0 and (active & (reached < 0)).any():
                chk = np.flatnonzero(active & (reached < 0))
                with torch.no_grad():
                    sub = None if len(chk) == k else torch.from_numpy(chk)
                    full = _cross_entropy(stack(Xtr, members=sub), ytr).numpy()
                    if stop_dead:
                        gone = chk[(stack.hidden(Xtr, members=sub) <= 0).all(1).all(1).numpy()]
                        dead[gone] = step
                        active[gone] = False
                        changed = changed or gone.size > 0
                row = np.full(k, np.nan)
                row[chk] = full
                checks.append(step)
                check_loss.append(row)
                if target is not None:
                    done = chk[full <= target]
                    reached[done] = step
                    if stop_at_target and done.size:
                        active[done] = False
                        changed = True
        else:
            if val is None:
                continue
            vloss, vacc = evaluate_stack(stack, *val)
            gone = diverged >= 0
            ep_train.append(np.where(gone, np.inf, running / n))
            ep_vloss.append(np.where(gone, np.inf, vloss))
            ep_vacc.append(np.where(gone, np.nan, vacc))
    bar.close()
    hist = StackHistory(lrs=lrs, seeds=seeds, losses=losses[:step], grad_norms=norms[:step],
                        epoch_train_loss=np.array(ep_train).reshape(-1, k),
                        epoch_val_loss=np.array(ep_vloss).reshape(-1, k),
                        epoch_val_acc=np.array(ep_vacc).reshape(-1, k),
                        check_steps=np.array(checks, dtype=int), check_loss=np.array(check_loss).reshape(-1, k),
                        reached_at=reached, diverged_at=diverged, dead_at=dead)
    return stack, hist


def stack_sharpness(member_losses, stack: MLPStack, iters: int = 20, seed: int = 0) -> np.ndarray:
    """The sharpness (top Hessian eigenvalue, as ``sharpness``) of every member at once.

    ``member_losses()`` returns the k members' losses as a tensor of shape (k,). The Hessian
    of their sum is block-diagonal, one block per member, so one power iteration on the
    stacked parameters, normalized member by member, finds every member's top eigenvalue.
    """
    iters = _checks.positive_int("iters", iters)
    params = list(stack.parameters())
    k = len(stack)
    grads = torch.autograd.grad(member_losses().sum(), params, create_graph=True)
    gen = torch.Generator().manual_seed(int(seed))
    v = [torch.randn(p.shape, generator=gen) for p in params]
    per_member = lambda vs: sum((x.reshape(k, -1) ** 2).sum(1) for x in vs)          # (k,)
    value = torch.zeros(k)
    for _ in range(iters):
        norm = per_member(v).sqrt()
        v = [x / norm.reshape(k, *[1] * (x.dim() - 1)) for x in v]
        hv = torch.autograd.grad(grads, params, grad_outputs=v, retain_graph=True)
        value = sum((a * b).reshape(k, -1).sum(1) for a, b in zip(hv, v))
        v = [h.detach() for h in hv]
    return value.detach().numpy().astype(float)
