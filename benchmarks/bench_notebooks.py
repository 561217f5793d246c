"""Notebook timings (run by hand):

    .venv-dev/bin/python benchmarks/bench_notebooks.py [--only 04 08] [--threads N] [--pairs-only]

Each lesson is executed top to bottom in a fresh kernel (as nbval does), first alone, then two
at a time (two kernels running the same lesson at once, as two learners on one machine).
Reported per lesson: the wall time alone, the wall time of each of the pair, and their ratio,
plus any text written to stderr or any warning in the outputs (there should be none); then
(unless ``--only`` or ``--pairs-only``) each exercise with every answer written (the solved
copies in solutions/, made by ``make exercises``) and the whole course's time alone. The
dashboards' slider events are timed by benchmarks/bench_dashboards.py.

``--busy N`` keeps N other jobs busy (a core each, each in its own session, as separate programs;
``--busy-together``: in one session) the whole time: the busy-machine column.
``--threads N`` sets LRCOURSE_THREADS (and OMP_NUM_THREADS) for the kernels: the course's
default is 1; ``--threads 2`` on a 2-core machine reproduces the old behaviour (a thread per
core), for a before/after table. A shared machine's load inflates every number: the report
starts and ends with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def run_one(path: Path, env: dict) -> tuple[float, list]:
    """Execute one notebook in a fresh kernel with ``env``: (seconds, stderr or warning texts)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    saved = dict(os.environ)
    os.environ.update(env)          # the kernel inherits the environment when it is started
    try:
        t0 = time.perf_counter()
        client.execute()
        elapsed = time.perf_counter() - t0
    finally:
        os.environ.clear()
        os.environ.update(saved)
    noise = [o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
             if o.get("name") == "stderr" or "Warning" in o.get("text", "")]
    return elapsed, noise


def run_pair(path: Path, env: dict) -> list[float]:
    """The same notebook in two kernels at once: both wall times."""
    nb = [nbformat.read(path, as_version=4) for _ in range(2)]
    clients = [NotebookClient(n, timeout=600, kernel_name="python3",
                              resources={"metadata": {"path": str(path.parent)}}) for n in nb]
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        def timed(client):
            t0 = time.perf_counter()
            client.execute()
            return time.perf_counter() - t0

        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(timed, clients))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def start_busy(n: int, apart: bool = True) -> list:
    """``n`` other jobs that keep a core busy each (pure-Python loops).

    Linux shares the CPU between sessions (autogroups) and control groups before it shares it
    between their processes, and Jupyter starts every kernel in a session of its own. So jobs
    ``apart`` (each in its own session, like separate programs: the hardest case for the kernel)
    take 4/5 of the machine from one kernel, while the same jobs in one session (one program with
    4 workers, e.g. ``make -j4``) weigh as much as the kernel alone."""
    code = "while True:\n    sum(i * i for i in range(10_000))"
    return [subprocess.Popen([sys.executable, "-c", code], start_new_session=apart) for _ in range(n)]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=None, help="lesson numbers, e.g. 04 08")
    parser.add_argument("--threads", type=int, default=1, help="LRCOURSE_THREADS for the kernels (default 1)")
    parser.add_argument("--pairs-only", action="store_true", help="skip the runs alone")
    parser.add_argument("--alone-only", action="store_true", help="skip the runs two at a time")
    parser.add_argument("--busy", type=int, default=0,
                        help="run this many other busy jobs the whole time (a shared, loaded machine)")
    parser.add_argument("--busy-together", action="store_true",
                        help="the busy jobs share one session (one program with several workers)")
    args = parser.parse_args(argv)
    if args.busy < 0:
        parser.error(f"--busy must be 0 or more, got {args.busy}")
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    busy = start_busy(args.busy, apart=not args.busy_together)
    try:
        return _report(args)
    finally:
        for p in busy:
            p.kill()
            p.wait()


def _report(args) -> int:
    env = {"LRCOURSE_THREADS": str(args.threads)}
    env.update({k: str(args.threads) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.only:
        paths = [p for p in paths if p.name[:2] in args.only]
    if args.busy:
        time.sleep(60)                # let the load average see the other jobs
    print(f"load average {load()}, {os.cpu_count()} CPUs, LRCOURSE_THREADS={args.threads}, {args.busy} other busy jobs"
          + (" in one session" if args.busy and args.busy_together else " each in its own session" if args.busy else ""))
    print(f"{'notebook':<40} {'alone s':>8} {'two at once s':>15} {'ratio':>6}   outputs")
    total_alone, ratios = 0.0, []
    for path in paths:
        alone, noise = (None, [])
        if not args.pairs_only:
            alone, noise = run_one(path, env)
            total_alone += alone
        pair = None if args.alone_only else run_pair(path, env)
        both = f"{pair[0]:6.1f} {pair[1]:6.1f}" if pair else ""
        ratio = statistics.mean(pair) / alone if pair and alone else None
        if ratio:
            ratios.append(ratio)
        print(f"{path.name:<40} {alone if alone is not None else float('nan'):8.1f} {both:>15} "
              f"{ratio if ratio else float('nan'):6.2f}   {'clean' if not noise else 'STDERR/WARNINGS: ' + repr(noise)[:150]}",
              flush=True)
    if not args.pairs_only:
        print(f"all lessons alone: {total_alone:.1f} s")
    if not args.pairs_only and not args.only:
        # The exercises as a learner ends them: every answer written, every check run (the
        # instructor's solved copies; a fresh exercise stops at its first unanswered check).
        exercises = 0.0
        for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
            seconds, noise = run_one(path, env)
            exercises += seconds
            print(f"{'exercise ' + path.name:<40} {seconds:8.1f}{'':>23}   "
                  f"{'clean' if not noise else 'STDERR/WARNINGS: ' + repr(noise)[:150]}", flush=True)
        print(f"all exercises, solved: {exercises:.1f} s; the whole course: {total_alone + exercises:.1f} s")
    if ratios:
        print(f"two at once / alone: median {statistics.median(ratios):.2f}, worst {max(ratios):.2f}")
    print(f"load average {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
