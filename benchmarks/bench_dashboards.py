"""Time every dashboard's slider events in the kernel (run by hand):

    OMP_NUM_THREADS=1 .venv-dev/bin/python benchmarks/bench_dashboards.py [--reps N] [--only NAME ...]
    OMP_NUM_THREADS=1 .venv-dev/bin/python benchmarks/bench_dashboards.py --against DIR   # before/after

Each dashboard is built as its notebook builds it, then every one of its controls is moved
through a few values across its range (a dropdown or a checkbox through its options), and
each value change is timed: the callback's library call, the redraw and the PNG encoding, all
of which happen before ``control.value = x`` returns. The values are points of the slider's
grid, as the browser sends them, and each pass takes the neighbours of the last pass's
points. The report gives, per dashboard, the median and the largest event time, the number
of events, and the size of the PNG it sends (pixels and kilobytes). Target: median <= 50 ms,
aiming at one frame (16 ms).

``--against DIR`` times the lrcourse package in DIR (say, a copy of the package before a
change) and this checkout's, alternately in fresh processes, and prints both side by side.

A shared machine's load inflates every number: the report starts with the load average and
the time of a fixed Python loop (about 40 ms on an idle core), and each --against row gives
that loop's time in the processes that measured it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import sys
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# --root DIR: time the lrcourse package found in DIR instead (another checkout, for a before/after table)
_root = sys.argv[sys.argv.index("--root") + 1] if "--root" in sys.argv else str(ROOT)
sys.path.insert(0, _root)


def _range_test():
    from sklearn.datasets import load_digits

    from lrcourse import landscapes as L, widgets as W

    d = load_digits()
    X, y = d.data / 16.0, d.target
    return W.range_test_explorer(L.softmax_problem(X[:1347], y[:1347], batch_size=64, seed=0), np.zeros(640),
                                 lr_min=1e-5, lr_max=100.0, beta=0.98)


def _curve_picker():
    """Lesson 07's picker: an MLP on the digits at nine rates, 6 epochs each (a few seconds)."""
    import torch

    from lrcourse import training as T, widgets as W

    torch.set_num_threads(1)
    (Xt, yt), val = T.digits()
    histories = {}
    for lr in np.geomspace(1e-3, 30.0, 9):
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
        histories[float(lr)] = T.fit(net, (Xt, yt), val, torch.optim.SGD(net.parameters(), lr=float(lr)), epochs=6,
                                     batch_size=64, progress=False, device="cpu")
    return W.curve_picker(histories, chance=float(np.log(10)))


def _adaptive_race():
    from lrcourse import widgets as W

    for name in W.RACE_LANDSCAPES:    # lesson 05 tunes every landscape before it shows the race
        W.tune_race(name)
    return W.adaptive_race("rotated bowl", rate_factor=1.0)


def builders() -> dict:
    """name -> a function that builds the dashboard as its notebook does."""
    from lrcourse import widgets as W

    cases = {
        "01 gd_parabola": lambda: W.gd_parabola(lr=0.3),
        "01 zigzag": lambda: W.zigzag(kappa=20.0, lr_fraction=0.9),
        "02 curvature_race": lambda: W.curvature_race(kappa=30.0, angle=0.0, lr0=100.0),
        "03 momentum_explorer": lambda: W.momentum_explorer(kappa=50.0, lr=0.5, momentum=0.6, grid=100),
        "03 nesterov_paths": lambda: W.nesterov_paths(kappa=50.0, lr=0.5, momentum=0.9, grid=70),
    }
    for name in W.SCHEDULE_SLIDERS:
        cases[f"04 schedule {name}"] = (lambda n: lambda: W.schedule_explorer(n, lr=0.4))(name)
    cases.update({
        "04 escape_wells": lambda: W.escape_wells(),
        "05 adaptive_race": _adaptive_race,
        "05 adam_eps": lambda: W.adam_eps(eps=1e-8, bias_correction=True),
        "06 range_test_explorer": _range_test,
        "07 curve_picker": _curve_picker,
    })
    return cases


def grid(control) -> np.ndarray:
    """The values a slider can take in the browser: min + k·step (on the exponent for a log
    slider), as the page's slider computes them."""
    import ipywidgets as widgets

    n = int(round((control.max - control.min) / control.step))
    values = control.min + control.step * np.arange(n + 1)
    if isinstance(control, widgets.FloatLogSlider):
        return control.base ** values
    if isinstance(control, widgets.IntSlider):
        return values.round().astype(int)
    return values


def positions(control, rep: int = 0, count: int = 4) -> list:
    """A few values across a control's range, as the browser would send them (grid points
    of a slider, options of a choice), ending where the control started. Each pass (``rep``)
    takes neighbouring grid points, so passes do not repeat each other's values."""
    import ipywidgets as widgets

    if isinstance(control, widgets.Checkbox):
        return [not control.value, control.value]
    if hasattr(control, "options"):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        others = [v for v in values if v != control.value]
        if len(others) > count:
            others = [others[i] for i in np.linspace(0, len(others) - 1, count).round().astype(int)]
        return others + [control.value]
    points = grid(control)
    picks = np.linspace(0, len(points) - 1, count + 2)[1:-1].round().astype(int) + rep
    picks = np.clip(picks, 0, len(points) - 1)
    return [points[i].item() for i in picks] + [control.value]


def png_size(data: bytes) -> tuple:
    """(width, height) from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def time_dashboard(dash, reps: int) -> dict:
    times, per_control = [], {}
    for name, control in dash.controls.items():
        mine = []
        for rep in range(reps):
            for v in positions(control, rep):
                if v == control.value:      # no change, no event: skip it
                    continue
                t0 = time.perf_counter()
                control.value = v
                mine.append(time.perf_counter() - t0)
        per_control[name] = mine
        times += mine
    width, height = png_size(dash.image.value)
    return {"median_ms": statistics.median(times) * 1e3, "max_ms": max(times) * 1e3, "events": len(times),
            "per_control": {k: statistics.median(v) * 1e3 for k, v in per_control.items() if v},
            "png": (width, height, len(dash.image.value) / 1024)}


def calibration() -> float:
    """Milliseconds for a fixed pure-Python loop (about 40 ms on an idle, recent core): the
    factor by which a busy machine inflates every number below."""
    t0 = time.perf_counter()
    total = 0
    for i in range(1_000_000):
        total += i
    return (time.perf_counter() - t0) * 1e3


def measure(names, reps: int, as_json: bool):
    rows = {}
    for name, make in builders().items():
        if names is not None and name not in names:
            continue
        t0 = time.perf_counter()
        dash = make()
        built = time.perf_counter() - t0
        r = time_dashboard(dash, reps)
        r["built_s"] = built
        rows[name] = r
        if not as_json:
            slow = max(r["per_control"].items(), key=lambda kv: kv[1])
            w, h, kib = r["png"]
            print(f"  {name:<30} {r['median_ms']:7.1f} {r['max_ms']:7.1f} {r['events']:6d}   {w:5d}x{h:<5d} {kib:5.0f}"
                  f"   {slow[0]} {slow[1]:.1f}   (built in {built:.1f} s)", flush=True)
    return rows


def compare(before: str, names, reps: int, rounds: int):
    """Each dashboard timed in fresh processes, alternately with the package in ``before``
    and the one in this checkout (``rounds`` times each, the order swapped every round, so
    a change in the machine's load hits both alike)."""
    import json
    import subprocess

    print(f"  {'dashboard':<30} {'before: median':>14} {'max':>7}   {'after: median':>13} {'max':>7}   "
          f"{'calibration ms (before / after)':>31}")
    for name in names:
        got = {"before": [], "after": []}
        for k in range(rounds):
            order = [("before", before), ("after", str(ROOT))]
            for label, root in (order if k % 2 == 0 else order[::-1]):
                out = subprocess.run([sys.executable, __file__, "--root", root, "--exact", name, "--reps", str(reps),
                                      "--json"], capture_output=True, text=True, env=dict(os.environ))
                line = [x for x in out.stdout.splitlines() if x.startswith("{")]
                if not line:
                    raise RuntimeError(f"{label} {name} failed:\n{out.stderr[-2000:]}")
                got[label].append(json.loads(line[-1]))
        b, a = got["before"], got["after"]
        med = lambda rs, key: statistics.median(r[key] for r in rs)
        print(f"  {name:<30} {med(b, 'median_ms'):14.1f} {max(r['max_ms'] for r in b):7.1f}   "
              f"{med(a, 'median_ms'):13.1f} {max(r['max_ms'] for r in a):7.1f}   "
              f"{med(b, 'calibration_ms'):14.0f} / {med(a, 'calibration_ms'):.0f}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="passes over each control's values (default 3)")
    parser.add_argument("--only", nargs="*", default=None, help="dashboards whose name contains one of these")
    parser.add_argument("--exact", default=None, help="one dashboard, by its full name")
    parser.add_argument("--root", default=str(ROOT), help="the folder holding the lrcourse package to time")
    parser.add_argument("--against", default=None,
                        help="a folder holding another lrcourse package: time both, alternately (before/after)")
    parser.add_argument("--rounds", type=int, default=2, help="with --against: processes per side and dashboard")
    parser.add_argument("--json", action="store_true", help="print one JSON line per dashboard")
    args = parser.parse_args(argv)
    names = list(builders())
    if args.exact:
        names = [args.exact]
    elif args.only:
        names = [n for n in names if any(o in n for o in args.only)]
    if args.json:
        import json

        for name, r in measure(names, args.reps, True).items():
            r["calibration_ms"] = calibration()
            print(json.dumps({"name": name, **r}), flush=True)
        return
    import lrcourse

    print(f"lrcourse from {Path(lrcourse.__file__).parent}")
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}, {os.cpu_count()} CPUs, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, calibration loop {calibration():.0f} ms "
          f"(about 40 on an idle core)")
    print("one slider event = callback + redraw + PNG (ms); target median <= 50, aim 16")
    if args.against:
        compare(args.against, names, args.reps, args.rounds)
        return
    print(f"  {'dashboard':<30} {'median':>7} {'max':>7} {'events':>6}   {'PNG px':>11} {'KiB':>5}   slowest control")
    measure(names, args.reps, False)


if __name__ == "__main__":
    main()
