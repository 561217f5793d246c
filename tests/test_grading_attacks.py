"""Hostile submissions (tests/attacks.py) graded in one batch, with two honest learners among them.

The grade may not exceed what the hostile code earned, the reason must say truly what stopped
it, and nothing may escape the sandbox: no file outside OUT, no process left over, no
connection to the host, no change to the submissions, to the repository, to the gradebook or to
the honest learners' grades and feedback; grading the same batch again gives the same rows.
Every problem found is collected and reported at the end, so that one escape does not hide
another.
"""

import csv
import hashlib
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))
import attacks  # noqa: E402
import submissions  # noqa: E402

A = attacks.A
HONEST = ("aa_honest", "honest")            # graded before and after the hostile ones
TIME_LIMIT, MEMORY_LIMIT = 10, 1024
FULL = 7.0
MAX_RESULT_LINES = 100_000     # a notebook's results are a few lines per cell and per call
WATCHED = [ROOT, Path("/root"), Path("/tmp"), Path("/var/tmp"), Path("/dev/shm")]
# the learner's markup, live (escaped text, "&lt;script&gt;", is fine)
LIVE_MARKUP = [re.compile(r"<script[^>]*>[^<]*LRCOURSE_XSS"), re.compile(r"<img[^>]*onerror=[^>]*LRCOURSE_XSS"),
               re.compile(r"<iframe[^>]*javascript:")]
HOST_SECONDS = 5    # nbgrader's own work on one submission (autograde and feedback) takes well under a second
HIDDEN_TEST_TEXT = ["BEGIN HIDDEN TESTS", "np.array([0, 2, 3, 7, 11])", "budget_loss(choose_schedule(300), 300) < 0.07"]


# --------------------------------------------------------------------------- looking around


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(p.relative_to(folder).as_posix().encode() + b"\0")
        if p.is_file() and not p.is_symlink():
            h.update(p.read_bytes())
    return h.hexdigest()


def git_status() -> str:
    return subprocess.run(["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=all"],
                          cwd=ROOT, capture_output=True, text=True).stdout


def marker_files() -> set:
    found = set()
    for top in WATCHED:
        for folder, subdirs, files in os.walk(top, onerror=lambda e: None):
            found |= {os.path.join(folder, n) for n in subdirs + files if n.startswith(attacks.MARK)}
    return found


def processes() -> dict:
    """pid -> (start time, pid namespace, cgroups, command line) of every process now."""
    out = {}
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            start = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[-1].split()[19]
            out[int(pid)] = (start, os.readlink(f"/proc/{pid}/ns/pid"), open(f"/proc/{pid}/cgroup").read(),
                             open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            pass
    return out


def leftovers(before: dict) -> list:
    """Processes the batch left: in a sandbox's PID namespace or control group, or named by an attack."""
    own_ns = os.readlink("/proc/self/ns/pid")
    own_groups = f"lrcourse-grade-{os.getpid()}-"
    out = []
    for pid, (start, ns, groups, cmd) in processes().items():
        new = before.get(pid, (None,))[0] != start
        other_grader = "lrcourse-grade-" in groups and own_groups not in groups   # another batch on this machine
        if attacks.MARK in cmd or own_groups in groups or (new and ns != own_ns and not other_grader):
            out.append(f"pid {pid} (namespace {ns}): {cmd[:200]}")
    for controller in ("pids", "memory", "unified", ""):
        base = Path("/sys/fs/cgroup") / controller
        if base.is_dir():
            out += [f"control group left: {d}" for d in base.glob(f"{own_groups}*")]
    return out


class Canary:
    """Listens on 127.0.0.1 and on an abstract unix socket; any connection is an escape."""

    def __init__(self):
        self.hits, self.sockets, self.open = [], [], True
        for family, address in [(socket.AF_INET, ("127.0.0.1", attacks.CANARY_PORT)),
                                (socket.AF_UNIX, attacks.CANARY_UNIX)]:
            s = socket.socket(family, socket.SOCK_STREAM)
            try:
                s.bind(address)
            except OSError:
                s.close()
                continue
            s.listen(8)
            s.settimeout(0.2)
            self.sockets.append(s)
            threading.Thread(target=self._accept, args=(s, address), daemon=True).start()

    def _accept(self, s, address):
        while self.open:
            try:
                conn, _ = s.accept()
            except OSError:
                continue
            self.hits.append(f"a connection reached {address!r}")
            conn.close()

    def close(self):
        self.open = False
        time.sleep(0.3)
        for s in self.sockets:
            s.close()


def gradebook(out: Path):
    """(student -> code score, integrity check) straight from nbgrader's database."""
    db = out / "course" / "gradebook.db"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{db}") as gb:
        for student in gb.students:
            try:
                scores[student.id] = float(gb.find_submission(A, student.id).code_score)
            except MissingEntry:
                pass
    return scores, integrity


# --------------------------------------------------------------------------- the test


@pytest.mark.grading
def test_hostile_submissions_earn_nothing_and_harm_no_one(tmp_path):
    import grade

    hostile = attacks.attacks()
    honest = json.dumps(submissions.load("solutions", A))
    students = {name: {asg: text} for name, (asg, text, _, _) in hostile.items()}
    students.update({name: {A: honest} for name in HONEST})
    subs, out = tmp_path / "submitted", tmp_path / "out"
    submissions.write(subs, students)
    digest, status = tree_digest(subs), git_status()
    markers_before, procs_before = marker_files(), processes()
    problems = []

    # what the grader itself did per submission and batch, for the checks on its own work
    batch = [0]
    lines, host_cpu, nbgrader_seconds = {}, {}, {}
    original_run = getattr(grade.Grader, "run", None)
    original_api = getattr(grade.Grader, "nbgrader_api", None)

    def run(self, row):
        started = time.thread_time()
        try:
            return original_run(self, row)
        finally:
            host_cpu[batch[0], row["student"]] = time.thread_time() - started
            if "_report" in row:
                lines[batch[0], row["student"]] = len(row["_report"].lines)

    def nbgrader_api(self):
        api = original_api(self)
        for method in ("autograde", "generate_feedback"):
            def timed(assignment, student, *a, _call=getattr(api, method), **k):
                started = time.monotonic()
                try:
                    return _call(assignment, student, *a, **k)
                finally:
                    key = batch[0], student
                    nbgrader_seconds[key] = nbgrader_seconds.get(key, 0) + time.monotonic() - started
            setattr(api, method, timed)
        return api

    canary = Canary()
    argv = [str(subs), str(out), "--time-limit", str(TIME_LIMIT), "--memory-limit", str(MEMORY_LIMIT)]
    started = time.monotonic()
    batches, csv_written = [], None
    try:
        if original_run:
            grade.Grader.run = run
        if original_api:
            grade.Grader.nbgrader_api = nbgrader_api
        for batch[0] in (1, 2):
            try:
                batches.append(grade.main(argv))
            except BaseException as exc:  # noqa: BLE001 - a crash of the grader is a finding, not the end
                problems.append(f"batch {batch[0]}: the grader crashed, so nobody got a grade: "
                                f"{type(exc).__name__}: {exc}\n" + "".join(traceback.format_exception(exc)[-4:]))
                break
            csv_written = (out / "grades.csv").read_bytes()
    finally:
        if original_run:
            grade.Grader.run = original_run
        if original_api:
            grade.Grader.nbgrader_api = original_api
        elapsed = time.monotonic() - started
        time.sleep(3)                       # a leftover daemon would wake up about now
        canary.close()

    # ----------------------------------------------------------------- the rows
    if batches:
        by = {r["student"]: r for r in batches[0]}
        assert sorted(by) == sorted(students), "every submission gets a row"
        for name, (asg, _, top, words) in hostile.items():
            row = by[name]
            said = f"{row['status']}: {row['reason']}"
            if row["score"] > top:
                problems.append(f"{name}: earned {row['score']} > {top} ({said[:300]})")
            if row["max_score"] != FULL:
                problems.append(f"{name}: the maximum became {row['max_score']}")
            missing = [w for w in words if w.lower() not in said.lower()]
            if missing:
                problems.append(f"{name}: the reason does not say {missing}: {said[:400]}")
            if "LEAK" in row["reason"]:
                problems.append(f"{name}: the notebook's code found something: {row['reason'][:400]}")
        for name in HONEST:
            row = by[name]
            if (row["score"], row["status"], row["reason"]) != (FULL, "graded", "all tests passed"):
                problems.append(f"honest learner {name} got {row}")

        # the same batch again, into the same folder: the same rows
        if len(batches) == 2:
            first, second = ([(r["student"], r["assignment"], r["score"], r["status"], r["reason"]) for r in b]
                             for b in batches)
            changed = [(a, b) for a, b in zip(first, second) if a != b]
            if changed or len(first) != len(second):
                problems.append(f"grading again gave other rows: {changed[:5]}")

        # what the last batch left in OUT: grades.csv as written, a gradebook that agrees with it
        # and holds nobody else, whole feedback for the honest learners
        rows = batches[-1]
        by = {r["student"]: r for r in rows}
        if (out / "grades.csv").read_bytes() != csv_written:
            problems.append("grades.csv changed after the batch had written it")
        with open(out / "grades.csv") as fh:
            if [(r["student"], float(r["score"]), r["status"]) for r in csv.DictReader(fh)] != \
                    [(r["student"], float(r["score"]), r["status"]) for r in rows]:
                problems.append("grades.csv does not hold the rows the grader returned")
        scores, integrity = gradebook(out)
        if integrity != "ok":
            problems.append(f"gradebook integrity: {integrity}")
        expected = {r["student"]: float(r["score"]) for r in rows if r["status"] in ("graded", "not attempted")}
        diff = {k: (scores.get(k), v) for k, v in expected.items() if scores.get(k) != v}
        diff.update({k: (v, None) for k, v in scores.items() if k not in by})
        if diff:
            problems.append(f"gradebook and grades.csv disagree (gradebook, csv): {diff}")
        for name in HONEST:
            html = out / by[name]["feedback"] if by[name]["feedback"] else None
            if html is None or not html.exists() or "Score: 7.0 /" not in html.read_text():
                problems.append(f"honest learner {name}: feedback missing or without the full score")

        # no page is bloated, runs the learner's markup or shows the hidden tests
        for name in students:
            auto = out / "course" / "autograded" / name / A / f"{A}.ipynb"
            if auto.exists() and auto.stat().st_size > 1_000_000:
                problems.append(f"{name}: autograded notebook of {auto.stat().st_size >> 20} MB")
            html = out / "course" / "feedback" / name / A / f"{A}.html"
            if not html.exists():
                continue
            text = html.read_text(errors="replace")
            active = [m.group(0)[:60] for m in (p.search(text) for p in LIVE_MARKUP) if m]
            if active:
                problems.append(f"{name}: the feedback page carries the learner's live markup {active} "
                                f"(also what the instructor's formgrader shows)")
            shown = [x for x in HIDDEN_TEST_TEXT if x in text]
            if shown and name in HONEST:
                problems.append(f"{name}: the feedback page shows the hidden tests ({shown[0]!r})")

        # the grader's own work on one submission stays bounded
        for (n, name), count in sorted(lines.items()):
            if count > MAX_RESULT_LINES:
                problems.append(f"{name} (batch {n}): the grader parsed and kept {count} result lines "
                                f"({host_cpu.get((n, name), 0):.1f} s of its own CPU); 64 MB of them would be "
                                f"about 22 million")
        for (n, name), seconds in sorted(nbgrader_seconds.items()):
            if seconds > HOST_SECONDS:
                problems.append(f"{name} (batch {n}): nbgrader worked {seconds:.0f} s on this one submission, "
                                f"outside any limit")

    # ----------------------------------------------------------------- nothing escaped
    if tree_digest(subs) != digest:
        problems.append("the submissions folder changed")
    if git_status() != status:
        problems.append(f"the repository changed: {git_status()!r} (was {status!r})")
    new_markers = sorted(marker_files() - markers_before)
    if new_markers:
        problems.append(f"files written outside the sandbox: {new_markers}")
    left = leftovers(procs_before)
    if left:
        problems.append(f"processes left after the batch: {left}")
    problems += canary.hits
    if sorted(p.name for p in tmp_path.iterdir()) != ["out", "submitted"]:
        problems.append(f"something appeared next to OUT: {sorted(p.name for p in tmp_path.iterdir())}")

    load = os.getloadavg()
    print(f"{len(students)} submissions graded twice in {elapsed:.0f} s; load {load[0]:.1f} {load[1]:.1f} "
          f"{load[2]:.1f}; nbgrader per honest submission: "
          f"{max([v for (_, n), v in nbgrader_seconds.items() if n in HONEST] or [0]):.1f} s")
    assert not problems, "\n".join(problems)
