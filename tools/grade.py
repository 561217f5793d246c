"""Grade a folder of submitted exercise notebooks with nbgrader.

    python tools/grade.py SUBMISSIONS OUT [--time-limit 120]      (or: make grade SUBMISSIONS=... OUT=...)

SUBMISSIONS holds one folder per student, containing either nbgrader's layout
(``alice/04_schedules/04_schedules.ipynb``) or plain files (``alice/04_schedules.ipynb``).
Everything is written under OUT: a private nbgrader course (``OUT/course``: gradebook,
autograded notebooks, feedback HTML), ``OUT/grades.csv`` (one row per submission: score,
maximum, points still to grade by hand, status and reason) and ``OUT/log/`` (nbgrader's log
per submission). nbgrader does the grading; this script only prepares its folders, runs it
once per submission under a time limit (so one bad notebook cannot stop the batch), and
explains the outcome in words.

Statuses: graded, not attempted, corrupt notebook, wrong assignment, unknown assignment,
timed out, grader failed (with the reason nbgrader or the kernel gave).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
COLUMNS = ["student", "assignment", "score", "max_score", "manual_points_pending", "status", "reason", "feedback"]

CONFIG = """\
c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = {db!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ExecutePreprocessor.timeout = {cell_timeout}
c.ExecutePreprocessor.interrupt_on_timeout = True
c.Execute.timeout = {cell_timeout}
c.Execute.interrupt_on_timeout = True
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 60
"""


def grade_ids(nb: dict) -> set:
    return {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.get("cells", [])} - {None}


def test_ids(nb: dict) -> set:
    return {c["metadata"]["nbgrader"].get("grade_id") for c in nb.get("cells", [])
            if c.get("metadata", {}).get("nbgrader", {}).get("grade") and c.get("cell_type") == "code"} - {None}


def find_submissions(folder: Path):
    """(student, assignment, notebook path) for every submitted notebook, sorted."""
    found = []
    for student in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for entry in sorted(student.iterdir()):
            if entry.is_dir():
                notebooks = sorted(entry.glob("*.ipynb"))
                if notebooks:
                    preferred = [n for n in notebooks if n.stem == entry.name]
                    found.append((student.name, entry.name, (preferred or notebooks)[0]))
            elif entry.suffix == ".ipynb":
                found.append((student.name, entry.stem, entry))
    return found


class Grader:
    def __init__(self, out: Path, time_limit: float):
        self.out = out.resolve()
        self.course = self.out / "course"
        self.time_limit = time_limit
        self.sources = {p.name: json.loads((p / f"{p.name}.ipynb").read_text())
                        for p in sorted(SOLUTIONS.iterdir()) if (p / f"{p.name}.ipynb").exists()}
        self.env = dict(os.environ)
        # Keep nbgrader, Jupyter and IPython from reading or writing anything outside OUT.
        for var, sub in [("JUPYTER_CONFIG_DIR", "jupyter/config"), ("JUPYTER_RUNTIME_DIR", "jupyter/runtime"),
                         ("IPYTHONDIR", "jupyter/ipython"), ("MPLCONFIGDIR", "jupyter/mpl")]:
            self.env[var] = str(self.out / sub)
            (self.out / sub).mkdir(parents=True, exist_ok=True)
        self.env["LRCOURSE_NO_SOLUTIONS"] = "1"
        self.env["PYTHONDONTWRITEBYTECODE"] = "1"
        # nbgrader runs `alembic` from the environment's bin folder to set up its gradebook
        self.env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), self.env.get("PATH", "")])

    def prepare(self, assignments):
        if self.course.exists():
            shutil.rmtree(self.course)
        (self.course / "source").mkdir(parents=True)
        (self.out / "log").mkdir(exist_ok=True)
        (self.course / "nbgrader_config.py").write_text(CONFIG.format(
            root=str(self.course), db=f"sqlite:///{self.course / 'gradebook.db'}",
            cell_timeout=int(self.time_limit)))
        for name in assignments:
            shutil.copytree(SOLUTIONS / name, self.course / "source" / name)
        if assignments:
            self.nbgrader(["generate_assignment", "*", "--force"], self.out / "log" / "generate_assignment.log", 600)

    def nbgrader(self, args, log: Path, timeout: float):
        """Run one nbgrader command in its own process group; returns (returncode, timed_out)."""
        with open(log, "w") as fh:
            proc = subprocess.Popen([sys.executable, "-m", "nbgrader", *args], cwd=self.course, env=self.env,
                                    stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
            try:
                return proc.wait(timeout=timeout), False
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)   # nbgrader and the kernel it started
                proc.wait()
                return None, True

    def check_notebook(self, assignment: str, path: Path):
        """(status, reason) when the notebook cannot be graded as it is, else None."""
        if assignment not in self.sources:
            return "unknown assignment", f"no assignment called {assignment!r} (known: {', '.join(self.sources)})"
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
                raise ValueError("no list of cells")
            import nbformat
            nbformat.validate(nbformat.from_dict(nb))
        except Exception as exc:  # any failure to read means the file is not a notebook
            return "corrupt notebook", f"the file is not a readable notebook ({type(exc).__name__}: {str(exc)[:120]})"
        ids = grade_ids(nb)
        expected = grade_ids(self.sources[assignment])
        if not ids & expected:
            others = [a for a, src in self.sources.items() if ids & grade_ids(src)]
            if others:
                return "wrong assignment", f"this is the notebook for {others[0]}, handed in as {assignment}"
            return "wrong assignment", "the notebook has none of this assignment's cells"
        return None

    def grade(self, student: str, assignment: str, path: Path) -> dict:
        row = {"student": student, "assignment": assignment, "score": 0.0, "max_score": self.max_score(assignment),
               "manual_points_pending": self.manual_points(assignment), "status": "", "reason": "", "feedback": ""}
        problem = self.check_notebook(assignment, path)
        if problem:
            row["status"], row["reason"] = problem
            return row
        target = self.course / "submitted" / student / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        log = self.out / "log" / f"{student}__{assignment}.log"
        code, timed_out = self.nbgrader(["autograde", assignment, "--student", student, "--force"], log,
                                        self.time_limit + 60)
        if timed_out:
            row["status"], row["reason"] = "timed out", f"grading took longer than {self.time_limit + 60:.0f} s"
            return row
        graded = self.course / "autograded" / student / assignment / f"{assignment}.ipynb"
        score = self.read_score(student, assignment)
        if code != 0 or score is None or not graded.exists():
            row["status"], row["reason"] = "grader failed", self.explain_failure(log)
            return row
        row["score"] = score
        row["status"], row["reason"] = self.explain(json.loads(graded.read_text()), assignment,
                                                    json.loads(path.read_text(encoding="utf-8")))
        return row

    def feedback(self, rows):
        """Feedback HTML for every graded submission: one nbgrader run per assignment."""
        for assignment in sorted({r["assignment"] for r in rows if r["status"] in ("graded", "not attempted")}):
            self.nbgrader(["generate_feedback", assignment, "--force"],
                          self.out / "log" / f"feedback__{assignment}.log", 600)
        for row in rows:
            html = self.course / "feedback" / row["student"] / row["assignment"] / f"{row['assignment']}.html"
            row["feedback"] = str(html.relative_to(self.out)) if html.exists() else ""

    def _points(self, assignment, cell_type):
        """Points of the graded cells of one type: code cells are autograded, markdown by hand."""
        src = self.sources.get(assignment, {"cells": []})
        return float(sum(c["metadata"]["nbgrader"].get("points", 0) for c in src["cells"]
                         if c.get("metadata", {}).get("nbgrader", {}).get("grade") and c["cell_type"] == cell_type))

    def max_score(self, assignment):
        return self._points(assignment, "code")

    def manual_points(self, assignment):
        return self._points(assignment, "markdown")

    def read_score(self, student, assignment):
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(f"sqlite:///{self.course / 'gradebook.db'}") as gb:
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                return None
            return float(sum(n.code_score for n in sub.notebooks))

    def explain(self, nb, assignment, submitted):
        """Status and reason from the errors in the autograded notebook, plus what the
        learner changed in cells they should not have touched."""
        reasons, not_attempted, total = [], 0, 0
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] != "code" or not meta:
                continue
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            ename, evalue = (errors[0].get("ename", ""), errors[0].get("evalue", "")) if errors else ("", "")
            if meta.get("grade"):
                total += 1
                not_attempted += ename == "NotAttempted"
                if errors and ename != "NotAttempted":
                    task = meta["grade_id"].removesuffix("_test").removeprefix("a").replace("_", ".", 1)
                    reasons.append(f"{task}: {ename}: {evalue}"[:300])
            elif errors:
                what = "time limit reached" if ename == "KeyboardInterrupt" else f"{ename}: {evalue}"
                reasons.append(f"cell {meta.get('grade_id')} stopped ({what})"[:300])
        source = self.sources[assignment]
        missing = sorted(test_ids(source) - test_ids(submitted))
        if missing:
            reasons.append(f"test cells deleted, no points for them: {', '.join(missing)}")
        visible = lambda c: "".join(c.get("source", "")).split("### BEGIN HIDDEN TESTS")[0].strip()
        original = {c["metadata"]["nbgrader"]["grade_id"]: visible(c)
                    for c in source["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("locked")}
        edited = sorted(gid for c in submitted.get("cells", [])
                        if (gid := c.get("metadata", {}).get("nbgrader", {}).get("grade_id")) in original
                        and visible(c) != original[gid])
        if edited:
            reasons.append(f"locked cells edited, the grader used the originals: {', '.join(edited)}")
        if total and not_attempted == total:
            return "not attempted", " | ".join(["no task attempted yet"] + [r for r in reasons if "cells " in r])
        return "graded", " | ".join(reasons) if reasons else "all tests passed"

    @staticmethod
    def explain_failure(log: Path):
        text = log.read_text(errors="replace") if log.exists() else ""
        for needle, reason in [("DeadKernelError", "the kernel died while running the notebook (os._exit, a crash, "
                                                   "or running out of memory)"),
                               ("Kernel died", "the kernel died while running the notebook (os._exit, a crash, "
                                               "or running out of memory)"),
                               ("CellTimeoutError", "a cell ran past the time limit"),
                               ("missing", "cells the grader needs are missing from the notebook"),
                               ("checksum", "locked cells were changed")]:
            if needle in text:
                return reason
        lines = [ln.split("ERROR]", 1)[-1].strip() for ln in text.splitlines() if "| ERROR]" in ln]
        return (lines[0] if lines else "nbgrader failed without a message")[:300]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--time-limit", type=float, default=120.0,
                        help="seconds one notebook may run (also the limit for one cell); default 120")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"SUBMISSIONS must be a folder, got {args.submissions}")
    if args.time_limit <= 0:
        parser.error(f"--time-limit must be > 0 seconds, got {args.time_limit}")
    subs = find_submissions(args.submissions)
    grader = Grader(args.out, args.time_limit)
    grader.prepare(sorted({a for _, a, _ in subs if a in grader.sources}))
    rows = []
    for i, (student, assignment, path) in enumerate(subs, 1):
        row = grader.grade(student, assignment, path)
        rows.append(row)
        print(f"[{i}/{len(subs)}] {student:<20} {assignment:<32} {row['score']:>5.1f}/{row['max_score']:<5.1f} "
              f"{row['status']}: {row['reason'][:100]}", flush=True)
    grader.feedback(rows)
    with open(grader.out / "grades.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {grader.out / 'grades.csv'} ({len(rows)} submissions)")
    return rows


if __name__ == "__main__":
    main()
