"""Benchmarks for the core library (run by hand: `make bench`). Prints a small report.

1. `import lrcourse` time (in a fresh interpreter, numpy's own import subtracted).
2. A 200 × 200 (η, μ) momentum grid × 300 steps on Rosenbrock in one broadcast call, and
   its speed-up over a loop of single runs (timed on a sample of the grid, scaled up).
3. One step of each optimizer on 10⁶ parameters, against torch.optim on the CPU.
"""

import statistics
import subprocess
import sys
import time

import numpy as np

import lrcourse as lrc


def best_of(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def import_time():
    def once(code):
        out = subprocess.run([sys.executable, "-c", f"import time; t=time.perf_counter(); {code}; "
                              "print(time.perf_counter()-t)"], capture_output=True, text=True, check=True)
        return float(out.stdout)
    numpy_only = min(once("import numpy") for _ in range(5))
    full = min(once("import lrcourse") for _ in range(5))
    return full, full - numpy_only


def grid_benchmark():
    land = lrc.landscapes.Rosenbrock()
    lrs, betas = np.logspace(-5, -2, 200), np.linspace(0.0, 0.99, 200)
    x0 = [-1.5, 2.0]
    grid = lambda: lrc.sweeps.grid(land, lrc.Momentum, x0=x0, steps=300, lr=lrs, momentum=betas)
    fastest, median = best_of(grid)
    g = grid()
    sample = [(lr, beta) for lr in lrs[::20] for beta in betas[::20]]    # 100 single runs
    t0 = time.perf_counter()
    for lr, beta in sample:
        lrc.run(land, lrc.Momentum(lr=lr, momentum=beta), x0, steps=300, record=False)
    loop = (time.perf_counter() - t0) / len(sample) * lrs.size * betas.size
    return fastest, median, loop, float(g.diverged.mean()), g.best()


def optimizer_benchmark():
    import torch

    torch.set_num_threads(2)
    n = 10 ** 6
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    g = rng.normal(size=n)
    rows = []
    pairs = [
        (lrc.GD(lr=0.01), lambda p: torch.optim.SGD(p, lr=0.01)),
        (lrc.Momentum(lr=0.01, momentum=0.9, convention="pytorch"), lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)),
        (lrc.Nesterov(lr=0.01, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True)),
        (lrc.Adagrad(), lambda p: torch.optim.Adagrad(p)),
        (lrc.Adadelta(), lambda p: torch.optim.Adadelta(p)),
        (lrc.RMSprop(), lambda p: torch.optim.RMSprop(p)),
        (lrc.Adam(), lambda p: torch.optim.Adam(p)),
        (lrc.AdamW(), lambda p: torch.optim.AdamW(p)),
    ]
    for ours, make in pairs:
        state = ours.init(x)
        state = ours.step(x, g, state)[1]

        def step_ours():
            ours.step(x, g, state)

        p = torch.tensor(x, requires_grad=True)
        opt = make([p])
        p.grad = torch.tensor(g)
        opt.step()

        def step_torch():
            opt.step()

        ours_t = best_of(step_ours, 20)[1]
        torch_t = best_of(step_torch, 20)[1]
        rows.append((type(ours).__name__, ours_t * 1e3, torch_t * 1e3, ours_t / torch_t))
    return rows


if __name__ == "__main__":
    full, extra = import_time()
    print(f"import lrcourse: {full * 1e3:.0f} ms in a fresh interpreter ({extra * 1e3:.0f} ms on top of numpy)")
    fastest, median, loop, frac, best = grid_benchmark()
    print(f"200x200 (lr, momentum) grid x 300 steps on Rosenbrock: best {fastest:.3f} s, median {median:.3f} s "
          f"(target <= 0.15 s); {frac:.0%} of the runs diverge")
    print(f"  loop of 40,000 single runs (estimated from 100): {loop:.1f} s -> speed-up x{loop / median:.0f}")
    print(f"  best setting: {best}")
    print("one step on 10^6 parameters (median of 20):")
    print(f"  {'optimizer':<10} {'lrcourse ms':>12} {'torch ms':>10} {'ratio':>7}")
    for name, ours, theirs, ratio in optimizer_benchmark():
        print(f"  {name:<10} {ours:>12.2f} {theirs:>10.2f} {ratio:>7.2f}")
