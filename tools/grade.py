"""Grade a folder of submitted exercise notebooks: learner code in a sandbox, grades decided outside it.

    python tools/grade.py SUBMISSIONS OUT [--time-limit 120]      (or: make grade SUBMISSIONS=... OUT=...)

SUBMISSIONS holds one folder per student, containing either nbgrader's layout
(``alice/04_schedules/04_schedules.ipynb``) or plain files (``alice/04_schedules.ipynb``), or is
a zip file of them (an LMS download; see docs/instructor.md). It is only read.

For each submission this script
1. reads the notebook as data and builds the notebook nbgrader grades (``grading.verdicts.canonical``),
2. runs the learner's code cells in a bubblewrap sandbox and calls their functions with the
   arguments the test cells use, visible and hidden; only plain values come back
   (``grading.sandbox``, ``grading.harness``),
3. runs the test cells here, against those values, with the reference answers that never
   enter the sandbox (``grading.verdicts.Reference``).
nbgrader then stores the scores in its gradebook and writes the autograded notebooks and the
feedback pages (``OUT/course``), without executing anything. ``OUT/grades.csv`` has one row per
submission: score, maximum, points still to grade by hand, status and reason; ``OUT/log/`` the
sandbox's output per submission.

Statuses: graded, not attempted, corrupt notebook, wrong assignment, unknown assignment,
grader failed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pickle
import shutil
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from grading import sandbox as sandboxing  # noqa: E402
from grading import verdicts  # noqa: E402

from lrcourse.exercises import task_of  # noqa: E402

SOLUTIONS = ROOT / "solutions"
COLUMNS = ["student", "assignment", "score", "max_score", "manual_points_pending", "status", "reason", "feedback"]
MAX_NOTEBOOK_BYTES = 50 << 20

CONFIG = """\
import sys
sys.path.insert(0, {tools!r})
from grading.nbgrader_hooks import PREPROCESSORS
c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = {db!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.Autograde.autograde_preprocessors = PREPROCESSORS
c.ApplyVerdicts.folder = {verdicts!r}
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 60
# Learners' markdown must not run as script in the feedback pages or the formgrader.
c.HTMLExporter.sanitize_html = True
# Feedback shows the test cells without the hidden tests.
from nbgrader.preprocessors import ClearHiddenTests, GetGrades
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
"""


def grade_ids(nb: dict) -> set:
    return {verdicts.meta(c).get("grade_id") for c in nb.get("cells", []) if isinstance(c, dict)} - {None}


def find_submissions(folder: Path):
    """(student, assignment, notebook path) for every submitted notebook, sorted."""
    found = []
    for student in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for entry in sorted(student.iterdir()):
            if entry.is_dir() and not entry.is_symlink():
                notebooks = sorted(n for n in entry.glob("*.ipynb") if n.is_file() and not n.is_symlink())
                if notebooks:
                    preferred = [n for n in notebooks if n.stem == entry.name]
                    found.append((student.name, entry.name, (preferred or notebooks)[0]))
            elif entry.suffix == ".ipynb" and entry.is_file() and not entry.is_symlink():
                found.append((student.name, entry.stem, entry))
    return found


def unpack_zip(archive: Path, into: Path, assignments) -> Path:
    """An LMS download (one zip of files named by student) laid out as STUDENT/ASSIGNMENT.ipynb.

    File names inside may be ``student/assignment.ipynb`` or flat with the student first, as
    Canvas and Moodle write them: ``student_..._assignment.ipynb`` (the assignment is the
    longest known name the file name ends with)."""
    target = into / "submissions"
    target.mkdir(parents=True)
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            name = info.filename.replace("\\", "/")
            if info.is_dir() or not name.endswith(".ipynb") or "__MACOSX" in name:
                continue
            parts = [p for p in name.split("/") if p not in ("", ".", "..")]
            stem = parts[-1][:-len(".ipynb")]
            if len(parts) >= 2 and stem in assignments:
                student, assignment = parts[-2], stem
            else:
                match = sorted((a for a in assignments if stem.endswith(a)), key=len)
                if not match:
                    continue
                assignment = match[-1]
                student = stem[: -len(assignment)].strip("_- ").split("_")[0] or "unknown"
            student = "".join(ch for ch in student if ch.isalnum() or ch in "-_.@")[:80].lstrip(".") or "unknown"
            if info.file_size > MAX_NOTEBOOK_BYTES:
                data = b"{}"
            else:
                data = zf.read(info)
            path = target / student / f"{assignment}.ipynb"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
    return target


class Grader:
    def __init__(self, out: Path, limits: sandboxing.Limits, unsafe: bool = False):
        self.out = out.resolve()
        self.course = self.out / "course"
        self.limits, self.unsafe = limits, unsafe
        self.sources = {p.name: json.loads((p / f"{p.name}.ipynb").read_text())
                        for p in sorted(SOLUTIONS.iterdir()) if (p / f"{p.name}.ipynb").exists()}
        self.sandbox = sandboxing.Sandbox(limits, unsafe=unsafe)
        self.references, self.releases = {}, {}
        self.jobs_made = 0
        self.out.mkdir(parents=True, exist_ok=True)
        # nbgrader runs `alembic` from the environment's bin folder to set up its gradebook
        os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])

    def prepare(self, assignments):
        if self.course.exists():
            shutil.rmtree(self.course)
        (self.course / "source").mkdir(parents=True)
        (self.course / "verdicts").mkdir()
        log = self.out / "log"
        if log.exists():
            shutil.rmtree(log)
        log.mkdir()
        (self.course / "nbgrader_config.py").write_text(CONFIG.format(
            tools=str(Path(__file__).resolve().parent), root=str(self.course),
            db=f"sqlite:///{self.course / 'gradebook.db'}", verdicts=str(self.course / "verdicts")))
        for name in assignments:
            shutil.copytree(SOLUTIONS / name, self.course / "source" / name)
        self.api = self.nbgrader_api()
        for name in assignments:
            self.logged(self.api.generate_assignment(name, force=True), log / "generate_assignment.log")
        for name in assignments:
            self.releases[name] = json.loads((self.course / "release" / name / f"{name}.ipynb").read_text())
            self.references[name] = verdicts.Reference(self.sources[name])

    def nbgrader_api(self):
        """nbgrader's own API, in this process (which never runs learner code), configured as
        OUT/course/nbgrader_config.py is for the instructor's later nbgrader commands."""
        import warnings

        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        from sqlalchemy.exc import SAWarning
        from traitlets.config import Config

        # nbgrader's own session bookkeeping warns about objects it adds later; nothing to act on.
        warnings.filterwarnings("ignore", category=SAWarning)

        namespace = {"get_config": Config}
        exec(compile((self.course / "nbgrader_config.py").read_text(), "nbgrader_config.py", "exec"), namespace)
        config = namespace["c"]
        return NbGraderAPI(CourseDirectory(config=config), config=config)

    @staticmethod
    def logged(result: dict, log: Path) -> bool:
        with open(log, "a") as fh:
            fh.write(result.get("log", "") + result.get("error", "") + "\n")
        return bool(result.get("success"))

    def read(self, assignment: str, path: Path):
        """(notebook data, None) or (None, (status, reason)) when it cannot be graded as it is."""
        if assignment not in self.sources:
            return None, ("unknown assignment", f"no assignment called {assignment!r} "
                                                f"(known: {', '.join(self.sources)})")
        try:
            if path.stat().st_size > MAX_NOTEBOOK_BYTES:
                raise ValueError(f"larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
            nb = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
                raise ValueError("no list of cells")
            if not all(isinstance(c, dict) and isinstance(c.get("source", ""), (str, list)) for c in nb["cells"]):
                raise ValueError("a cell is not a cell")
        except Exception as exc:  # noqa: BLE001 - any failure to read means the file is not a notebook
            return None, ("corrupt notebook", f"the file is not a readable notebook "
                                              f"({type(exc).__name__}: {str(exc)[:120]})")
        ids = grade_ids(nb)
        if not ids & grade_ids(self.sources[assignment]):
            others = [a for a, src in self.sources.items() if ids & grade_ids(src)]
            if others:
                return None, ("wrong assignment", f"this is the notebook for {others[0]}, handed in as {assignment}")
            return None, ("wrong assignment", "the notebook has none of this assignment's cells")
        return nb, None

    def stage(self, student: str, assignment: str, path: Path) -> dict:
        """Read the submission, write the notebook nbgrader grades and the sandbox's job."""
        row = {"student": student, "assignment": assignment, "score": 0.0, "max_score": self.max_score(assignment),
               "manual_points_pending": self.manual_points(assignment), "status": "", "reason": "", "feedback": "",
               "_notes": []}
        submitted, problem = self.read(assignment, path)
        if problem:
            row["status"], row["reason"] = problem
            return row
        nb, notes = verdicts.canonical(submitted, self.sources[assignment], self.releases[assignment])
        row["_notes"], row["_submitted"] = notes, submitted
        target = self.course / "submitted" / student / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(nb, indent=1))
        reference = self.references[assignment]
        code_cells = [c for c in nb["cells"] if c["cell_type"] == "code" and not verdicts.is_test(c)]
        self.jobs_made += 1
        job = self.sandbox.stage / "jobs" / f"{self.jobs_made}.pkl"
        job.write_bytes(pickle.dumps(reference.job([verdicts.text(c) for c in code_cells])))
        row["_job"], row["_code_cells"] = job, code_cells
        return row

    def run(self, row: dict) -> None:
        """The sandbox; the only step that runs learner code, and the one that runs in parallel."""
        if "_job" in row:
            calls = len(self.references[row["assignment"]].calls)
            row["_report"] = self.sandbox.run(row["_job"], max_lines=4 * (len(row["_code_cells"]) + calls) + 100)
            row["_job"].unlink()

    def decide(self, row: dict) -> None:
        """The verdicts, here, from the sandbox's plain data."""
        if "_report" not in row:
            return
        student, assignment, report = row["student"], row["assignment"], row["_report"]
        reference, code_cells = self.references[assignment], row["_code_cells"]
        finished = any(line.get("done") for line in report.lines)
        if report.stopped:
            stopped = "; ".join(report.stopped)
        elif not finished:
            stopped = ("the notebook's code ended the grading process early (os._exit, a crash or a signal; "
                       f"exit status {report.returncode})")
        else:
            stopped = ""
        cell_errors = {}
        for line in report.lines:
            if isinstance(line.get("cell"), int) and isinstance(line.get("error"), dict) \
                    and 0 <= line["cell"] < len(code_cells):
                err = line["error"]
                cell_errors[code_cells[line["cell"]]["id"]] = [str(err.get("$raise", "Error"))[:80],
                                                              str(err.get("message", ""))[:500]]
        tests = reference.replay(report.lines, stopped or "the sandbox did not answer")
        (self.course / "verdicts" / student).mkdir(parents=True, exist_ok=True)
        (self.course / "verdicts" / student / f"{assignment}.json").write_text(
            json.dumps({"tests": tests, "cell_errors": cell_errors}, indent=1))
        with open(self.out / "log" / f"{student}__{assignment}.log", "w") as fh:
            fh.write(f"sandbox: {report.seconds:.2f} s, exit status {report.returncode}, "
                     f"{report.output_bytes} bytes printed; limits hit: {report.stopped or 'none'}\n")
            fh.write(report.output_head)
        if stopped:
            row["_notes"] = row["_notes"] + [f"grading stopped: {stopped}"]
        row["_notes"] = row["_notes"] + report.notes
        first_errors = [f"a cell raised {e}: {m}"[:200] for e, m in list(cell_errors.values())[:2]]
        row["_notes"] = row["_notes"] + first_errors
        row["_tests"] = tests

    def finish(self, rows):
        """nbgrader stores the grades and writes autograded notebooks and feedback, per assignment."""
        graded = [r for r in rows if "_tests" in r]
        for row in graded:
            student, assignment = row["student"], row["assignment"]
            log = self.out / "log" / f"{student}__{assignment}.nbgrader.log"
            if self.logged(self.api.autograde(assignment, student, force=True), log):
                self.logged(self.api.generate_feedback(assignment, student, force=True), log)
            score = self.read_score(student, assignment)
            auto = self.course / "autograded" / student / assignment / f"{assignment}.ipynb"
            if score is None or not auto.exists():
                row["status"], row["reason"] = "grader failed", self.explain_failure(log, student)
                continue
            row["score"] = score
            row["status"], row["reason"] = self.explain(row["_tests"], assignment, row["_submitted"], row["_notes"])
            html = self.course / "feedback" / student / assignment / f"{assignment}.html"
            row["feedback"] = str(html.relative_to(self.out)) if html.exists() else ""
        for row in rows:
            for key in [k for k in row if k.startswith("_")]:
                del row[key]

    def _points(self, assignment, cell_type):
        """Points of the graded cells of one type: code cells are autograded, markdown by hand."""
        src = self.sources.get(assignment, {"cells": []})
        return float(sum(verdicts.meta(c).get("points", 0) for c in src["cells"]
                         if verdicts.meta(c).get("grade") and c["cell_type"] == cell_type))

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

    def explain(self, tests, assignment, submitted, notes):
        """Status and reason from the verdicts, plus what the learner changed in locked cells."""
        reasons, not_attempted = [], 0
        for gid, verdict in tests.items():
            task = (task_of(gid) or (gid,))[0]
            not_attempted += verdict["ename"] == "NotAttempted"
            if not verdict["passed"] and verdict["ename"] != "NotAttempted":
                reasons.append(f"{task}: {verdict['ename']}: {verdict['evalue']}"[:300])
        source = self.sources[assignment]
        visible = lambda c: verdicts.text(c).split(verdicts.HIDDEN)[0].strip()
        original = {verdicts.meta(c)["grade_id"]: visible(c) for c in source["cells"] if verdicts.meta(c).get("locked")}
        edited = sorted({gid for c in submitted.get("cells", []) if isinstance(c, dict)
                         and (gid := verdicts.meta(c).get("grade_id")) in original and visible(c) != original[gid]})
        if edited:
            reasons.append(f"locked cells edited, the grader used the originals: {', '.join(edited)}")
        reasons += notes
        if tests and not_attempted == len(tests):
            return "not attempted", " | ".join(["no task attempted yet"] + [r for r in reasons if "cell" in r])
        return "graded", " | ".join(reasons) if reasons else "all tests passed"

    @staticmethod
    def explain_failure(log: Path, student: str):
        """The first error nbgrader logged (never a warning that happens to contain a word)."""
        lines = [ln.split("ERROR]", 1)[-1].strip() for ln in
                 (log.read_text(errors="replace") if log.exists() else "").splitlines()
                 if "| ERROR]" in ln or ln.startswith("[ERROR]")]
        mine = [ln for ln in lines if student in ln] or lines
        return ("nbgrader could not store the grade: " + (mine[0] if mine else "no message"))[:300]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="a folder of submissions, or a zip of them (LMS download)")
    parser.add_argument("out", type=Path)
    parser.add_argument("--time-limit", type=float, default=120.0,
                        help="seconds one notebook may run in the sandbox, graded calls included; default 120")
    parser.add_argument("--memory-limit", type=int, default=2048, help="MB for one submission; default 2048")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="sandboxes running at once; default 2 (or 1 on a one-core machine)")
    parser.add_argument("--unsafe", action="store_true",
                        help="grade WITHOUT a sandbox (only for notebooks you trust: their code can read and "
                             "write everything you can)")
    args = parser.parse_args(argv)
    if not (args.submissions.is_dir() or zipfile.is_zipfile(args.submissions)):
        parser.error(f"SUBMISSIONS must be a folder or a zip file, got {args.submissions}")
    if args.time_limit <= 0:
        parser.error(f"--time-limit must be > 0 seconds, got {args.time_limit}")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    if args.memory_limit < 256:
        parser.error(f"--memory-limit must be at least 256 MB, got {args.memory_limit}")
    if not args.unsafe and not sandboxing.bwrap_path():
        print(sandboxing.INSTALL_HINT, file=sys.stderr)
        raise SystemExit(3)
    if args.unsafe:
        print("WARNING: --unsafe: grading WITHOUT a sandbox. The notebooks' code runs as you, with access to "
              "your files; use this only for notebooks you trust.", file=sys.stderr)
    limits = sandboxing.Limits(wall_s=args.time_limit, cpu_s=2 * args.time_limit,
                               memory_bytes=args.memory_limit << 20)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lrcourse-lms-") as tmp:
        folder = args.submissions
        if not folder.is_dir():
            known = sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir())
            folder = unpack_zip(args.submissions, Path(tmp), known)
        subs = find_submissions(folder)
        grader = Grader(args.out, limits, unsafe=args.unsafe)
        clock = {}
        try:
            t = time.monotonic()
            grader.prepare(sorted({a for _, a, _ in subs if a in grader.sources}))
            clock["prepare"], t = time.monotonic() - t, time.monotonic()
            rows = [grader.stage(student, assignment, path) for student, assignment, path in subs]
            done = []

            def run(row):
                grader.run(row)
                done.append(row)
                print(f"[{len(done)}/{len(rows)}] ran {row['student']} / {row['assignment']}", flush=True)

            with ThreadPoolExecutor(max_workers=args.jobs) as pool:
                list(pool.map(run, rows))
            for row in rows:
                grader.decide(row)
            clock["sandboxes and verdicts"], t = time.monotonic() - t, time.monotonic()
            grader.finish(rows)
            clock["nbgrader autograde and feedback"] = time.monotonic() - t
        finally:
            grader.sandbox.close()
    for row in rows:
        print(f"{row['student']:<20} {row['assignment']:<32} {row['score']:>5.1f}/{row['max_score']:<5.1f} "
              f"{row['status']}: {row['reason'][:100]}")
    with open(grader.out / "grades.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {grader.out / 'grades.csv'} ({len(rows)} submissions in {time.monotonic() - started:.0f} s: "
          + ", ".join(f"{k} {v:.0f} s" for k, v in clock.items()) + ")")
    return rows


if __name__ == "__main__":
    main()
