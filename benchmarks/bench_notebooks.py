"""Notebook and dashboard timings (run by hand): `.venv/bin/python benchmarks/bench_notebooks.py`.

1. Each notebook executed top to bottom in a fresh kernel (like nbval): wall time, and any
   text written to stderr or any warning in the outputs (there should be none).
2. Each dashboard: the time of one slider event (library compute + redraw + PNG render in
   the kernel), median over several moves of the slider back and forth.
"""

import statistics
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def run_notebooks():
    rows = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        t0 = time.perf_counter()
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
        elapsed = time.perf_counter() - t0
        noise = [o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
                 if o.get("name") == "stderr" or "Warning" in o.get("text", "")]
        rows.append((path.name, elapsed, noise))
    return rows


def _range_test():
    import numpy as np
    from sklearn.datasets import load_digits

    from lrcourse import lr_finder, widgets

    d = load_digits()
    return widgets.range_test_explorer(lr_finder.softmax_problem(d.data / 16, d.target), np.zeros(640))


def _curve_picker():
    import torch

    from lrcourse import training, widgets

    (Xt, yt), val = training.digits()
    histories = {}
    for lr in (0.01, 0.03, 0.1, 0.3):
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
        histories[lr] = training.fit(net, (Xt, yt), val, torch.optim.SGD(net.parameters(), lr=lr), epochs=6,
                                     progress=False)
    return widgets.curve_picker(histories)


def dashboard_latency():
    from lrcourse import widgets as W

    cases = {
        "01 gd_parabola (lr)": (W.gd_parabola, "lr", [0.05, 0.5, 1.5, 2.5]),
        "01 zigzag (lr_fraction)": (W.zigzag, "lr_fraction", [0.3, 0.6, 0.9, 1.05]),
        "01 zigzag (kappa)": (W.zigzag, "kappa", [5.0, 50.0, 500.0, 20.0]),
        "02 curvature_race (angle)": (W.curvature_race, "angle", [0.2, 0.5, 0.8, 0.0]),
        "03 momentum_explorer (momentum)": (W.momentum_explorer, "momentum", [0.2, 0.5, 0.8, 0.95]),
        "04 schedule_explorer step_decay (every)": (lambda: W.schedule_explorer("step_decay"), "every", [10, 40, 80, 120]),
        "04 schedule_explorer cosine (lr)": (lambda: W.schedule_explorer("cosine"), "lr", [0.01, 0.05, 0.2, 0.6]),
        "04 escape_wells (peak)": (W.escape_wells, "peak", [0.1, 0.5, 1.0, 2.0]),
        "05 adaptive_race (lr_momentum)": (W.adaptive_race, "lr_momentum", [1e-4, 3e-4, 1e-3, 3e-3]),
        "05 adaptive_race (lr_adaptive)": (W.adaptive_race, "lr_adaptive", [0.005, 0.02, 0.1, 0.3]),
        "05 adam_eps (eps)": (W.adam_eps, "eps", [1e-10, 1e-6, 1e-3, 1e-1]),
        "06 range_test_explorer (beta)": (_range_test, "beta", [0.5, 0.9, 0.95, 0.98]),
        "07 curve_picker (lr)": (_curve_picker, "lr", None),
    }
    rows = []
    for name, (make, control, values) in cases.items():
        dash = make()
        if values is None:   # a selection slider: its own options
            values = [v for _, v in dash.controls[control].options][:4]
        times = []
        for rep in range(3):
            for v in values:
                # a slightly different value on each pass, so no dashboard can answer from a cache
                if "curve_picker" not in name:
                    v = v if isinstance(v, int) else v * (1 + 0.013 * rep)
                t0 = time.perf_counter()
                dash.controls[control].value = v
                times.append(time.perf_counter() - t0)
        rows.append((name, statistics.median(times) * 1e3, max(times) * 1e3))
    return rows


if __name__ == "__main__":
    if "--dashboards-only" not in sys.argv:
        print("notebook run times (fresh kernel, top to bottom; targets: 30 s for 00-05, 60 s for 06-10):")
        for name, elapsed, noise in run_notebooks():
            print(f"  {name:<40} {elapsed:6.1f} s   {'clean' if not noise else 'STDERR/WARNINGS: ' + repr(noise)[:200]}")
    print("dashboard update per slider event (compute + redraw + PNG; target median <= 50 ms):")
    for name, median, worst in dashboard_latency():
        print(f"  {name:<42} median {median:6.1f} ms   max {worst:6.1f} ms")
