"""Run lessons under other base seeds and check that every printed verdict stays the same.

A verdict is a printed line that starts with ``VERDICT`` and states a conclusion in words;
its evidence (numbers that move with the seed) goes on other lines. Usage::

    .venv-dev/bin/python tools/check_verdicts.py 04 05 07 09 10 --seeds 0 1000 2000

Each notebook runs in a fresh kernel with ``LRCOURSE_SEED`` set (``lrcourse.sweeps.seeds``
reads it) and one compute thread. Exits 1 when any verdict differs between seeds.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def verdicts(path: Path, seed: int) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    env_before = dict(os.environ)
    os.environ.update({"LRCOURSE_SEED": str(seed), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    try:
        NotebookClient(nb, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    lines = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            for line in out.get("text", "").splitlines():
                if line.lstrip().startswith("VERDICT"):
                    lines.append(line.strip())
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="+", help="lesson numbers (e.g. 04 10) or notebook paths")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1000, 2000])
    args = parser.parse_args(argv)
    flipped = False
    for lesson in args.lessons:
        if lesson.endswith(".ipynb"):
            matches = [Path(lesson)] if Path(lesson).is_file() else []
        else:
            matches = sorted((ROOT / "notebooks").glob(f"{lesson}_*.ipynb"))
        if len(matches) != 1:
            parser.error(f"lesson {lesson!r} matches {len(matches)} notebooks")
        path = matches[0].resolve()
        results = {}
        for seed in args.seeds:
            t0 = time.perf_counter()
            results[seed] = verdicts(path, seed)
            print(f"{path.stem} seed {seed}: {len(results[seed])} verdicts in {time.perf_counter() - t0:.0f} s",
                  flush=True)
        reference = results[args.seeds[0]]
        if not reference:
            print(f"  {path.stem}: prints no VERDICT line")
        for seed, lines in results.items():
            if lines != reference:
                flipped = True
                print(f"  FLIPPED at seed {seed}:")
                for a, b in zip(reference, lines):
                    if a != b:
                        print(f"    seed {args.seeds[0]}: {a}\n    seed {seed}: {b}")
                if len(reference) != len(lines):
                    print(f"    {len(reference)} verdicts against {len(lines)}")
        for line in reference:
            print(f"  {line}")
    return 1 if flipped else 0


if __name__ == "__main__":
    sys.exit(main())
