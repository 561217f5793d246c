"""How long grading a class takes: N students hand in one assignment (the reference answers,
blank copies and a few wrong ones, in turn), graded with the sandbox.

    python benchmarks/bench_grading.py [--students 30] [--assignment 04_schedules]

Prints the total, the time per submission and the sandbox's share, with the machine's load."""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--assignment", default="04_schedules")
    args = parser.parse_args()
    if args.students < 1:
        parser.error(f"--students must be at least 1, got {args.students}")
    import grade
    import submissions

    kinds = [json.dumps(submissions.load("solutions", args.assignment)),
             json.dumps(submissions.load("exercises", args.assignment))]
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "submitted"
        submissions.write(subs, {f"student{i:02d}": {args.assignment: kinds[i % len(kinds)]}
                                 for i in range(args.students)})
        load_before = os.getloadavg()
        started = time.perf_counter()
        rows = grade.main([str(subs), str(Path(tmp) / "out")])
        total = time.perf_counter() - started
        logs = sorted(p for p in (Path(tmp) / "out" / "log").glob("student*.log") if "nbgrader" not in p.name)
        sandbox = [float(p.read_text().split("sandbox: ", 1)[1].split(" s", 1)[0]) for p in logs]
    graded = sum(r["status"] in ("graded", "not attempted") for r in rows)
    print(f"{args.students} submissions of {args.assignment}: {total:.1f} s in all, "
          f"{total / args.students:.2f} s per submission; sandbox runs {sum(sandbox):.1f} s in all "
          f"(mean {sum(sandbox) / max(len(sandbox), 1):.2f} s, max {max(sandbox, default=0):.2f} s); "
          f"{graded}/{len(rows)} graded; load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
