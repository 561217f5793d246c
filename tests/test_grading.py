"""Grading outside the learner's process: the plain-data codec, the notebook nbgrader grades,
the answer switch, and honest learners' edits graded on what they answered (also from an LMS
zip). The hostile submissions are in tests/test_grading_attacks.py."""

import copy
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from lrcourse import exercises as E
from lrcourse import schedules as S
from lrcourse.exercises import grade_id

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))
import submissions  # noqa: E402
from grading import codec, verdicts  # noqa: E402

A = "04_schedules"


# --------------------------------------------------------------------------- the codec


class Liar(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


class Agrees:
    def __eq__(self, other):
        return True

    def __float__(self):
        return 0.05

    def __array__(self, dtype=None, copy=None):
        return np.array(0.05)


def roundtrip(value, args=()):
    return codec.decode(json.loads(json.dumps(codec.encode(value), allow_nan=False)), args)


def test_plain_values_cross_and_lying_objects_become_opaque():
    out = roundtrip((np.arange(3.0), [1, "two", None, True], {"k": np.float64(np.nan)}))
    assert isinstance(out, tuple) and np.array_equal(out[0], [0.0, 1.0, 2.0]) and out[1] == [1, "two", None, True]
    assert np.isnan(out[2]["k"])
    for liar in (Liar(3.0), Agrees(), np.array([Agrees()], dtype=object)):
        got = roundtrip(liar)
        assert isinstance(got, codec.Opaque) and got != 0.05 and not (got == got)
        with pytest.raises((TypeError, ValueError)):
            float(got)
        with pytest.raises((TypeError, ValueError)):
            np.asarray(got, dtype=float)
    assert type(roundtrip(Agrees())).__name__ == "Agrees"     # the checker's message names the type


def test_a_schedule_crosses_as_its_table_of_rates():
    sched = roundtrip(S.exponential(0.5, decay=0.01))
    assert isinstance(sched, S.Schedule)
    np.testing.assert_allclose(sched(np.arange(300)), S.exponential(0.5, decay=0.01)(np.arange(300)))
    assert np.isnan(sched(codec.TABLE_STEPS + 5))


def test_decoding_refuses_what_encode_never_writes():
    for bad in [{"$nope": 1}, {"$a": [1, 2], "shape": [3]}, {"$f": "1e999"}, [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]:
        with pytest.raises(ValueError):
            codec.decode(bad)
    with pytest.raises(codec.TooBig):
        codec.encode(np.zeros(codec.MAX_ITEMS + 1))


def test_learner_exceptions_come_back_by_name_not_as_objects():
    err = codec.decode(codec.encode_error(ZeroDivisionError("division by zero")))
    assert type(err).__name__ == "ZeroDivisionError" and isinstance(err, codec.LearnerError)
    assert isinstance(codec.decode(codec.encode_error(NotImplementedError())), NotImplementedError)


# --------------------------------------------------------------------------- answers switched off


def test_answer_obeys_the_same_switch_as_solution(monkeypatch, capsys):
    assert "def step_decay" in E.answer("04.1")
    monkeypatch.setenv("LRCOURSE_NO_SOLUTIONS", "1")
    assert E.answer("04.1") is None
    E.solution("04.1")
    assert "def step_decay" not in capsys.readouterr().out
    with pytest.raises(ValueError, match="task must be one of"):
        E.answer("99.9")


# --------------------------------------------------------------------------- the notebook nbgrader grades


def release():
    return submissions.load("exercises", A)


def source():
    return submissions.load("solutions", A)


def gid(cell):
    return cell["metadata"].get("nbgrader", {}).get("grade_id")


def test_canonical_keeps_one_copy_of_each_graded_cell_and_forged_metadata_does_not_count():
    nb = source()
    answer = next(c for c in nb["cells"] if gid(c) == grade_id("04.1", "answer"))
    pasted = copy.deepcopy(answer)
    pasted["source"] = "def step_decay(lr0, drop, every, n):\n    return lr0  # my second try"
    nb["cells"].insert(nb["cells"].index(answer) + 1, pasted)
    extra = {"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "grade_id": "free_points",
                                                             "points": 100, "locked": True}},
             "source": "pass", "outputs": [], "execution_count": None}
    nb["cells"].append(extra)
    for cell in nb["cells"]:
        cell.pop("id", None)
        if gid(cell) == grade_id("04.2", "test"):
            cell["metadata"]["nbgrader"]["points"] = 50
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "✓ forged"}]
    canon, notes = verdicts.canonical(nb, source(), release())
    ids = [gid(c) for c in canon["cells"] if gid(c)]
    assert len(ids) == len(set(ids)) and "free_points" not in ids
    kept = [c for c in canon["cells"] if gid(c) == grade_id("04.1", "answer")]
    assert "my second try" in kept[0]["source"]                    # the copy the learner changed counts
    assert any(f"copies of cells {grade_id('04.1', 'answer')}" in n for n in notes)
    test2 = next(c for c in canon["cells"] if gid(c) == grade_id("04.2", "test"))
    assert test2["metadata"]["nbgrader"]["points"] == 2 and test2["outputs"] == []
    assert all(c.get("id") for c in canon["cells"]) and len({c["id"] for c in canon["cells"]}) == len(canon["cells"])
    assert not any("free_points" in verdicts.text(c) or c["metadata"].get("nbgrader") for c in canon["cells"]
                   if verdicts.text(c) == "pass")


def test_a_failed_store_is_not_reported_as_missing_cells(tmp_path):
    import grade

    log = tmp_path / "autograde.log"
    log.write_text("[AutogradeApp | WARNING] Cell is missing an id field, this will become a hard error\n"
                   "[AutogradeApp | ERROR] While processing assignment 04, student bob: database is locked\n")
    reason = grade.Grader.explain_failure(log, "bob")
    assert "database is locked" in reason and "missing" not in reason


# --------------------------------------------------------------------------- honest learners, graded


def honest_edits() -> dict:
    """name -> notebook: the reference answers handed in the ways a real learner hands them in."""
    out = {}
    nb = release()
    for i, cell in enumerate(list(nb["cells"])):
        if gid(cell) in [grade_id(t, "answer") for t in ("04.1", "04.2", "04.3")]:
            copy_cell = copy.deepcopy(cell)               # pasted below, worked on in the copy
            copy_cell["source"] = next(verdicts.text(c) for c in source()["cells"] if gid(c) == gid(cell))
            nb["cells"].insert(nb["cells"].index(cell) + 1, copy_cell)
    out["pasted_cells"] = nb
    nb = source()
    tests = [c for c in nb["cells"] if verdicts.is_test(c)]
    nb["cells"] = [c for c in nb["cells"] if not verdicts.is_test(c)] + tests[::-1] + [copy.deepcopy(tests[0])]
    out["reordered_and_pasted_test"] = nb
    nb = source()
    nb["cells"].insert(2, {"cell_type": "markdown", "metadata": {}, "source": "my notes"})
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                        "source": "import matplotlib.pyplot as plt\nplt.plot(step_decay(0.1, 0.5, 2, "
                                  "np.arange(10)))\nplt.show()\nprint('trying things')"})
    out["extra_cells"] = nb
    nb = source()
    nb["metadata"]["kernelspec"] = {"name": "my-env", "display_name": "My env", "language": "python"}
    for cell in nb["cells"]:
        cell.pop("id", None)
        if cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "error", "ename": "Wrong", "evalue": "old", "traceback": []}]
            cell["execution_count"] = 7
    nb["nbformat_minor"] = 4
    out["kernelspec_outputs_no_ids"] = nb
    return {k: json.dumps(v) for k, v in out.items()}


def grade_folder(folder, out, *extra):
    import grade

    return {(r["student"], r["assignment"]): r for r in grade.main([str(folder), str(out), "--time-limit", "30",
                                                                       *extra])}


@pytest.mark.grading
def test_honest_edits_get_full_marks_also_from_an_lms_zip(tmp_path):
    edits = honest_edits()
    submissions.write(tmp_path / "subs", {name: {A: text} for name, text in edits.items()})
    rows = grade_folder(tmp_path / "subs", tmp_path / "out")
    for name in edits:
        row = rows[name, A]
        assert row["status"] == "graded" and row["score"] == row["max_score"] == 7.0, row
        assert "Wrong" not in row["reason"] and "NameError" not in row["reason"], row
    assert "copies of cells" in rows["pasted_cells", A]["reason"]
    assert rows["extra_cells", A]["reason"] == "all tests passed"
    # The instructor's next steps work on OUT/course as it is: hand grading in the formgrader,
    # then nbgrader's own export of the gradebook.
    course = tmp_path / "out" / "course"
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "export", "--to", "export.csv"], cwd=course,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    exported = (course / "export.csv").read_text()
    assert all(name in exported for name in edits) and "7.0" in exported
    # The same notebooks from an LMS download: flat, named student_id_assignment.ipynb.
    archive = tmp_path / "lms.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for k, (name, text) in enumerate(edits.items()):
            zf.writestr(f"{name.replace('_', '')}_{1000 + k}_{2000 + k}_{A}.ipynb", text)
        zf.writestr("../../escape_04_schedules.ipynb", edits["extra_cells"])
    from_zip = grade_folder(archive, tmp_path / "out-zip")
    for name in edits:
        assert from_zip[name.replace("_", ""), A]["score"] == rows[name, A]["score"], from_zip
    assert ("escape", A) in from_zip and not (tmp_path.parent / "escape").exists()


def test_grading_refuses_without_the_sandbox_and_says_how_to_install_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PATH"}
    env["PATH"] = str(Path(sys.executable).parent)
    (tmp_path / "subs").mkdir()
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "grade.py"), str(tmp_path / "subs"),
                           str(tmp_path / "out")], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3 and "apt-get install bubblewrap" in proc.stderr and "--unsafe" in proc.stderr
    assert not (tmp_path / "out").exists()
    # --unsafe grades trusted notebooks without the sandbox, and says so loudly
    submissions.write(tmp_path / "subs", {"me": {A: json.dumps(source())}})
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "grade.py"), str(tmp_path / "subs"),
                           str(tmp_path / "out"), "--unsafe"], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "WITHOUT a sandbox" in proc.stderr, proc.stderr
    assert "7.0/7.0" in proc.stdout and "all tests passed" in proc.stdout


def test_the_sandbox_stand_in_for_the_checkers_offers_every_name_the_exercises_import():
    import ast

    names = set()
    for path in sorted((ROOT / "exercises").glob("*/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                for node in ast.walk(ast.parse(verdicts.text(cell))):
                    if isinstance(node, ast.ImportFrom) and node.module == "lrcourse.exercises":
                        names |= {a.name for a in node.names}
    assert {"check", "hint", "solution", "budget_loss"} <= names
    source_text = (ROOT / "tools" / "grading" / "sandbox_exercises.py").read_text()
    offered = set()
    for node in ast.parse(source_text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            offered.add(node.name)
        elif isinstance(node, ast.ImportFrom):
            offered |= {a.asname or a.name for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            offered |= {t.id for t in ast.walk(node) if isinstance(t, ast.Name)}
    assert names <= offered, names - offered
    assert "_ref_" not in source_text and "_answers" not in source_text


def test_learner_markdown_reaches_the_instructor_as_text():
    nb = source()
    nb["cells"].append({"cell_type": "markdown", "metadata": {},
                        "source": "**bold** <script>alert(1)</script> [x](JavaScript:alert(2)) \udcff"})
    canon, _ = verdicts.canonical(nb, source(), release())
    md = canon["cells"][-1]["source"]
    assert "<script" not in md and "&lt;script>" in md and "javascript:" not in md.lower() and "**bold**" in md
    json.dumps(canon).encode("utf-8")          # lone surrogates are gone


def test_the_sandbox_mounts_its_tmp_before_anything_that_may_live_under_tmp(tmp_path):
    # A fresh clone in /tmp has its venv there: a /tmp mounted after it would hide Python.
    from grading import sandbox

    if not sandbox.bwrap_path():
        pytest.skip("bubblewrap is not installed")
    with sandbox.Sandbox() as sb:
        cmd = sb.command(tmp_path / "job.pkl")
    tmpfs = cmd.index("/tmp", cmd.index("--tmpfs"))
    binds = [i for i, arg in enumerate(cmd) if arg in ("--ro-bind", "--bind", "--symlink")]
    assert binds and tmpfs < min(binds)


def test_library_functions_that_are_answers_are_left_out_of_the_sandbox():
    """02.2 and 07.3 are answered by library functions (linesearch.armijo, search.early_stop):
    the sandbox's copy of the library must not let an answer cell import them."""
    from grading import sandbox

    found = sandbox.library_answers()
    assert found == {"linesearch": ["armijo"], "search": ["early_stop"]}
    with sandbox.Sandbox(unsafe=True) as sb:
        lib = sb.stage / "lib"
        for module, names in found.items():
            text = (lib / "lrcourse" / f"{module}.py").read_text()
            assert "while grading" in text and "patience" not in text.split("def early_stop")[-1]
        code = ("import lrcourse.search as s, lrcourse.linesearch as ls\n"
                "for f, args in ((s.early_stop, ([1.0], 1)), (ls.armijo, (abs, abs, 1.0))):\n"
                "    try:\n        f(*args)\n    except RuntimeError as e:\n        print('refused:', e)\n"
                "print(s.read_curve.__name__, ls.backtracking.__name__)\n")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONPATH": str(lib)}, cwd=sb.stage).stdout
    assert out.count("refused:") == 2 and "not available while grading" in out
    assert "read_curve backtracking" in out          # the rest of both modules is there
