"""Exercises: the checkers' feedback, solutions/ and exercises/ in sync, the student bundle,
and nbgrader grading a batch of good, blank and bad submissions."""

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from lrcourse import _answers
from lrcourse import exercises as E
from lrcourse import schedules as S

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))
import exercises as source  # noqa: E402  (tools/exercises.py)
import submissions  # noqa: E402

ASSIGNMENTS = list(source.ASSIGNMENTS)


def reference(task):
    return getattr(_answers, E.TASKS[task].name)


def stub(*args, **kwargs):
    raise NotImplementedError()


# --------------------------------------------------------------------------- checkers


@pytest.mark.parametrize("task", list(E.TASKS))
def test_reference_answers_pass_and_stubs_are_not_attempted(task, capsys):
    assert E.check(task, reference(task)) is True
    assert "✓" in capsys.readouterr().out
    with pytest.raises(E.NotAttempted, match="not attempted"):
        E.check(task, stub)
    with pytest.raises(E.NotAttempted):
        E.check(task, None)


@pytest.mark.parametrize("task", list(E.TASKS))
def test_hidden_tests_pass_on_the_answer_and_fail_on_a_stub(task):
    """The hidden tests of each task run against its reference answer, and against an answer
    that returns a wrong number; the grader relies on both."""
    name = E.TASKS[task].name
    hidden = getattr(_answers, f"hidden_{name}")
    hidden()                                      # the reference answer passes
    code = E.hidden_tests(task)
    assert code and "def " not in code.splitlines()[0] and "assert" in code
    scope = {**vars(_answers), name: lambda *a, **k: 0.123456789}
    with pytest.raises((AssertionError, TypeError, ValueError, IndexError)):
        exec(code, scope)                         # the text that goes into the notebook


def test_each_task_is_one_complete_record():
    for task in E.TASKS.values():
        assert task.statement.startswith(f"**Task {task.id}.** ") and f"`{task.name}(" in task.statement
        assert task.points >= 1 and len(task.hints) >= 2 and task.lesson == task.id[:2]
        assert E.answer(task.id).startswith(f"def {task.name}(")
    assert [t.id for a in source.ASSIGNMENTS.values() for t in a.tasks] == list(E.TASKS)


def test_grade_ids_are_made_and_read_back_in_one_place():
    for task in E.TASKS:
        for part in ("answer", "test"):
            assert E.task_of(E.grade_id(task, part)) == (task, part)
    assert E.task_of(E.grade_id("04", "setup")) == ("04", "setup")
    questions = [q.grade_id for a in source.ASSIGNMENTS.values() for q in a.questions]
    assert questions and all(E.task_of(q) is None for q in questions)
    assert E.task_of("a04_1_time_based") is None and E.task_of(None) is None   # the name of 04.2, not 04.1
    with pytest.raises(ValueError, match="part must be one of"):
        E.grade_id("04.1", "hidden")
    ids = {c["metadata"]["nbgrader"]["grade_id"] for a in source.ASSIGNMENTS
           for c in submissions.load("solutions", a)["cells"] if "nbgrader" in c["metadata"]}
    assert {E.grade_id(t, p) for t in E.TASKS for p in ("answer", "test")} <= ids


def test_every_lesson_01_to_08_has_two_to_four_tasks():
    per_lesson = {}
    for task in E.TASKS:
        per_lesson.setdefault(task[:2], []).append(task)
    assert sorted(per_lesson) == [f"{i:02d}" for i in range(1, 9)]
    assert all(2 <= len(v) <= 4 for v in per_lesson.values())


def test_feedback_names_the_mistake_in_the_lessons_terms():
    late = lambda lr0, drop, every, n: lr0 * drop ** (np.asarray(n) // every)   # StepLR's convention
    with pytest.raises(E.Wrong, match=r"drops one step late .* at n=1 expected 0.05, got 0.1"):
        E.check("04.1", late)
    closed_form = lambda lr0, decay, n: lr0 / (1 + decay * n)
    with pytest.raises(E.Wrong, match="closed form"):
        E.check("04.2", closed_form)
    with pytest.raises(E.Wrong, match="smallest eigenvalue"):
        E.check("01.2", lambda A: 2 / np.linalg.eigvalsh(A)[0])
    with pytest.raises(E.Wrong, match="no bias correction"):
        E.check("05.1", lambda w, m, v, g, t, lr, beta1, beta2, eps: (
            w - lr * (beta1 * m + (1 - beta1) * g) / (np.sqrt(beta2 * v + (1 - beta2) * g * g) + eps),
            beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g))
    with pytest.raises(E.Wrong, match="minimum of the loss"):
        E.check("06.3", lambda lrs, losses: lrs[int(np.argmin(losses))])
    with pytest.raises(E.Wrong, match="uniform in η"):
        E.check("07.1", lambda low, high, n, rng: rng.uniform(low, high, size=n))
    with pytest.raises(E.Wrong, match="PyTorch's convention"):
        E.check("03.1", lambda w, v, g, lr, momentum: (w - lr * (momentum * v + g), momentum * v + g))
    with pytest.raises(E.Wrong, match="NaN"):
        E.check("04.2", lambda lr0, decay, n: float("nan"))
    with pytest.raises(E.Wrong, match=r"raised ZeroDivisionError"):
        E.check("04.2", lambda lr0, decay, n: 1 / 0)
    with pytest.raises(E.Wrong, match="diverges"):
        E.check("04.3", lambda steps: S.constant(1.5))
    with pytest.raises(E.Wrong, match="target"):
        E.check("04.3", lambda steps: S.constant(0.05))


def test_float_tolerances_suit_the_quantity():
    exact = reference("04.1")
    E.check("04.1", lambda *a: exact(*a) * (1 + 1e-14))          # rounding is fine
    with pytest.raises(E.Wrong):
        E.check("04.1", lambda *a: exact(*a) * (1 + 1e-6))        # a formula is exact
    lrs, losses = E.range_test_curve()
    i = int(np.argmin(np.gradient(losses, np.log(lrs))))
    E.check("06.3", lambda lrs, losses: lrs[i + 1])             # a grid choice: one point either way
    with pytest.raises(E.Wrong):
        E.check("06.3", lambda lrs, losses: lrs[i + 4])


def test_hints_come_in_stages_and_solution_only_when_asked(capsys, monkeypatch):
    E._hints_shown.clear()
    n = len(E.TASKS["04.1"].hints)
    for stage in range(1, n + 2):
        E.hint("04.1")
        out = capsys.readouterr().out
        assert f"Hint {min(stage, n)}/{n}" in out
    assert "last hint" in out
    assert "(1 + n) // every" not in E.TASKS["04.1"].hints[0]     # the first stage does not give it away
    E.solution("04.1")
    assert "def step_decay" in capsys.readouterr().out
    monkeypatch.setenv("LRCOURSE_NO_SOLUTIONS", "1")
    E.solution("04.1")
    out = capsys.readouterr().out
    assert "turned off" in out and "def step_decay" not in out
    with pytest.raises(ValueError, match="task must be one of"):
        E.hint("4.1")


# --------------------------------------------------------------------------- sources in sync


def test_solutions_are_built_from_tools_exercises(tmp_path, monkeypatch):
    monkeypatch.setattr(source, "ROOT", tmp_path)
    for name in ASSIGNMENTS:
        built = source.build(name)
        committed = ROOT / "solutions" / name / f"{name}.ipynb"
        assert built.read_text() == committed.read_text(), f"run `make exercises`: {committed} is stale"
    assert sorted(p.name for p in (ROOT / "solutions").iterdir()) == sorted(ASSIGNMENTS)


def test_exercises_are_what_nbgrader_generates_from_solutions(tmp_path):
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"))
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "*", "--no-db", "--force"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ASSIGNMENTS:
        fresh = json.loads((tmp_path / "exercises" / name / f"{name}.ipynb").read_text())
        committed = json.loads((ROOT / "exercises" / name / f"{name}.ipynb").read_text())
        assert fresh == committed, f"run `make exercises`: exercises/{name} differs from nbgrader's output"
    assert sorted(p.name for p in (ROOT / "exercises").iterdir()) == sorted(ASSIGNMENTS)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_exercises_hold_no_answers_and_solutions_hold_them(name):
    text = (ROOT / "exercises" / name / f"{name}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "raise NotImplementedError()" in text
    sol = json.loads((ROOT / "solutions" / name / f"{name}.ipynb").read_text())
    for cell in sol["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade") and cell["cell_type"] == "code":
            assert meta["points"] > 0 and "BEGIN HIDDEN TESTS" in "".join(cell["source"])
            assert "raises-exception" in cell["metadata"]["tags"]


def test_student_bundle_has_no_solutions_and_turns_solution_off(tmp_path):
    import bundle

    zip_path = bundle.build(tmp_path / "student.zip")
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path / "x")
        assert not any("/solutions/" in n or n.endswith("_answers.py") or "/tests/" in n for n in names)
        assert any(n.endswith("exercises/04_schedules/04_schedules.ipynb") for n in names)
        for n in names:
            data = zf.read(n)
            assert b"BEGIN HIDDEN TESTS" not in data and b"BEGIN SOLUTION" not in data, n
    code = "from lrcourse.exercises import solution; solution('04.1')"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path / "x" / "lrcourse-student",
                         capture_output=True, text=True, env=dict(os.environ, PYTHONPATH="."))
    assert "turned off" in out.stdout and "def step_decay" not in out.stdout, out.stderr


# --------------------------------------------------------------------------- grading


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all",
                           "solutions", "exercises", "tools", "lrcourse", "nbgrader_config.py"],
                          cwd=ROOT, capture_output=True, text=True).stdout


@pytest.mark.grading
def test_grading_a_batch_of_good_blank_and_bad_submissions(tmp_path):
    import grade

    bad = submissions.bad_submissions()
    students = {"ada": {a: json.dumps(submissions.load("solutions", a)) for a in ASSIGNMENTS},
                "blank": {a: json.dumps(submissions.load("exercises", a)) for a in ASSIGNMENTS}}
    students.update({name: {a: text} for name, (a, text, _, _) in bad.items()})
    subs = tmp_path / "submitted"
    submissions.write(subs, students)
    before, status_before = tree_digest(subs), git_status()
    outside = sorted(p.name for p in tmp_path.iterdir())

    rows = grade.main([str(subs), str(tmp_path / "out"), "--time-limit", "10"])

    by = {(r["student"], r["assignment"]): r for r in rows}
    assert len(rows) == 2 * len(ASSIGNMENTS) + len(bad)       # the batch always finishes
    for a in ASSIGNMENTS:
        auto, manual = source.ASSIGNMENTS[a].points
        ada, blank = by["ada", a], by["blank", a]
        assert (ada["status"], ada["score"], ada["max_score"]) == ("graded", auto, auto), ada
        assert ada["manual_points_pending"] == manual
        assert ada["reason"] == "all tests passed"
        assert (blank["status"], blank["score"]) == ("not attempted", 0.0), blank
        assert (tmp_path / "out" / ada["feedback"]).exists()
    for name, (a, _, status, words) in bad.items():
        row = by[name, a]
        assert row["status"] == status, (name, row)
        assert row["reason"], name
        for w in words:
            assert w in row["reason"], (name, w, row["reason"])
        if name not in ("huge_output", "deleted_test_cell"):
            assert row["score"] < source.ASSIGNMENTS[a].points[0], (name, row)
    assert by["huge_output", "04_schedules"]["score"] == source.ASSIGNMENTS["04_schedules"].points[0]  # output cut, not failed
    # a deleted test cell is put back: the answers are graded, not the cells the learner kept
    assert by["deleted_test_cell", "04_schedules"]["score"] == source.ASSIGNMENTS["04_schedules"].points[0]
    huge = tmp_path / "out" / "course" / "autograded" / "huge_output" / "04_schedules" / "04_schedules.ipynb"
    assert huge.stat().st_size < 200_000           # 20 MB of printing was cut to a few lines
    assert by["edited_test_cell", "04_schedules"]["score"] == 0.0
    assert "locked cells edited" in by["edited_test_cell", "04_schedules"]["reason"]
    assert "time limit" in by["infinite_loop", "04_schedules"]["reason"]

    with open(tmp_path / "out" / "grades.csv") as fh:
        assert len(list(csv.DictReader(fh))) == len(rows)
    # nothing written outside the output folder
    assert tree_digest(subs) == before and git_status() == status_before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(outside + ["out"])

    # grading the bad ones again, into the same output folder, gives the same grades
    shutil.rmtree(subs / "ada")
    shutil.rmtree(subs / "blank")
    again = grade.main([str(subs), str(tmp_path / "out"), "--time-limit", "10"])
    assert [(r["student"], r["assignment"], r["score"], r["status"], r["reason"]) for r in again] == \
           [(r["student"], r["assignment"], r["score"], r["status"], r["reason"]) for r in rows
            if r["student"] not in ("ada", "blank")]


# --------------------------------------------------------------------------- feedback as Jupyter shows it


def shown_line(exc):
    """The one line IPython shows for a failed check, without its colour codes."""
    lines = exc._render_traceback_()
    assert len(lines) == 1 and "\n" not in lines[0], lines
    return __import__("re").sub(r"\x1b\[[0-9;]*m", "", lines[0])


@pytest.mark.parametrize("task", list(E.TASKS))
def test_every_stub_shows_as_one_line_that_names_the_task(task):
    with pytest.raises(E.NotAttempted) as info:
        E.check(task, stub)
    t = E.TASKS[task]
    assert shown_line(info.value) == (f"… {task} {t.title}: not attempted yet (replace the raise "
                                      f"NotImplementedError line in {t.name} with your code)")


def test_a_wrong_answer_shows_as_one_line_with_the_checkers_message():
    late = lambda lr0, drop, every, n: lr0 * drop ** (np.asarray(n) // every)
    with pytest.raises(E.Wrong) as info:
        E.check("04.1", late)
    line = shown_line(info.value)
    assert line.startswith("✗ 04.1 step decay, as the formula is written: your step decay drops one step late")
    assert line.endswith(str(info.value))                     # the message the grader reports, unchanged


def test_an_error_in_the_learners_code_is_named_with_its_line():
    def time_based(lr0, decay, n):
        rate = lr0
        return rate / (decay - decay)                         # the bug is here

    with pytest.raises(E.Wrong, match="raised ZeroDivisionError") as info:
        E.check("04.2", time_based)
    line = shown_line(info.value)
    assert "raised ZeroDivisionError: float division by zero" in line
    assert "(in time_based, line " in line and "`return rate / (decay - decay)" in line
    assert "exercises.py" not in line


def test_a_failure_inside_numpy_points_at_the_learners_line_not_numpys():
    with pytest.raises(E.Wrong) as info:
        E.check("06.1", lambda lo, hi, n: np.geomspace(lo, hi, -n))
    line = shown_line(info.value)
    assert "raised ValueError" in line and "`E.check(\"06.1\", lambda" in line and "numpy" not in line.split("(in ")[-1]


def test_the_instructors_table_of_tasks_matches_the_task_records():
    import re

    rows = re.findall(r"^\| (\d\d\.\d) \| `(\w+)\((.*?)\)`.*\| (\d+) \|$", (ROOT / "docs" / "instructor.md").read_text(),
                      re.MULTILINE)
    assert [r[0] for r in rows] == list(E.TASKS)
    for task, name, args, points in rows:
        t = E.TASKS[task]
        assert (name, int(points)) == (t.name, t.points)
        assert args == "..." or args.replace(" ", "") in t.statement.replace(" ", "") or \
            all(a.strip() in t.statement for a in args.split(","))
