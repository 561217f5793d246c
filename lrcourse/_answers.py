"""Reference answers to the exercises, shown by ``lrcourse.exercises.solution`` and used to
build ``solutions/``. A student bundle for graded work leaves this file out, which turns
``solution()`` off."""

ANSWERS = {
    "01.1": """
def gd_path(a, lr, w0, steps):
    w = [float(w0)]
    for _ in range(steps):
        w.append(w[-1] - lr * a * w[-1])
    return np.array(w)
""",
    "01.2": """
def stability_limit(A):
    return 2.0 / np.linalg.eigvalsh(A)[-1]
""",
    "01.3": """
def regime(a, lr):
    factor = 1 - lr * a
    if factor >= 0:
        return "monotone"
    if factor > -1:
        return "oscillating"
    return "diverging"
""",
    "02.1": """
def newton_step(w, g, H):
    return w - np.linalg.solve(H, g)
""",
    "02.2": """
def armijo(f, grad, w, lr0=1.0, beta=0.5, c=1e-4):
    g = grad(w)
    lr, f0, gg = lr0, f(w), float(g @ g)
    while f(w - lr * g) > f0 - c * lr * gg:
        lr *= beta
    return lr
""",
    "03.1": """
def heavy_ball_step(w, v, g, lr, momentum):
    v = momentum * v - lr * g
    return w + v, v
""",
    "03.2": """
def pytorch_momentum_step(w, buf, g, lr, momentum):
    buf = momentum * buf + g
    return w - lr * buf, buf
""",
    "03.3": """
def best_heavy_ball(L, mu):
    lr = (2 / (np.sqrt(L) + np.sqrt(mu))) ** 2
    kappa = L / mu
    momentum = ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2
    return lr, momentum
""",
    "04.1": """
def step_decay(lr0, drop, every, n):
    return lr0 * drop ** ((1 + np.asarray(n)) // every)
""",
    "04.2": """
def time_based(lr0, decay, n):
    lr = lr0
    for k in range(n):
        lr = lr / (1 + decay * k)
    return lr
""",
    "04.3": """
def choose_schedule(steps):
    return S.exponential(0.5, decay=3.0 / steps)
""",
    "05.1": """
def adam_step(w, m, v, g, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** (t + 1))
    v_hat = v / (1 - beta2 ** (t + 1))
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
""",
    "05.2": """
def adagrad_rates(grads, lr=0.1, eps=1e-10):
    G = (np.asarray(grads) ** 2).sum(axis=0)
    return lr / (np.sqrt(G) + eps)
""",
    "06.1": """
def ramp(lr_min, lr_max, steps):
    return lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))
""",
    "06.2": """
def smooth(losses, beta=0.98):
    out, avg = [], 0.0
    for i, x in enumerate(losses):
        avg = beta * avg + (1 - beta) * x
        out.append(avg / (1 - beta ** (i + 1)))
    return np.array(out)
""",
    "06.3": """
def steepest(lrs, losses):
    slope = np.gradient(np.asarray(losses), np.log(lrs))
    return lrs[int(np.argmin(slope))]
""",
    "07.1": """
def log_uniform(low, high, n, rng):
    return 10 ** rng.uniform(np.log10(low), np.log10(high), size=n)
""",
    "07.2": """
def random_search(objective, low, high, n, seed):
    rng = np.random.default_rng(seed)
    lrs = log_uniform(low, high, n, rng)
    values = [objective(lr) for lr in lrs]
    i = int(np.argmin(values))
    return lrs[i], values[i]
""",
    "07.3": """
def early_stop(val_losses, patience):
    best, best_epoch = float("inf"), 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch
    return len(val_losses) - 1, best_epoch
""",
    "08.1": """
def param_groups(model, lr_body, lr_head):
    return [{"params": list(model[:-1].parameters()), "lr": lr_body},
            {"params": list(model[-1].parameters()), "lr": lr_head}]
""",
    "08.2": """
def scaled_lr(base_lr, base_batch, batch, t, warmup):
    target = base_lr * batch / base_batch
    return base_lr + (target - base_lr) * min(t, warmup) / warmup
""",
}
