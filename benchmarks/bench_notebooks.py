"""Notebook timings (run by hand): `.venv-dev/bin/python benchmarks/bench_notebooks.py`.

Each notebook executed top to bottom in a fresh kernel (like nbval): wall time, and any text
written to stderr or any warning in the outputs (there should be none). The dashboards' slider
events are timed by benchmarks/bench_dashboards.py.
"""

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


if __name__ == "__main__":
    print("notebook run times (fresh kernel, top to bottom; targets: 30 s for 00-05, 60 s for 06-10):")
    for name, elapsed, noise in run_notebooks():
        print(f"  {name:<40} {elapsed:6.1f} s   {'clean' if not noise else 'STDERR/WARNINGS: ' + repr(noise)[:200]}")
