"""Submissions for the grading tests: the reference answers, the untouched exercises, and a
set of bad ones, each written to look like a real learner's mistake."""

import json
from pathlib import Path

from lrcourse.exercises import grade_id

ROOT = Path(__file__).resolve().parents[1]


def load(kind: str, assignment: str) -> dict:
    return json.loads((ROOT / kind / assignment / f"{assignment}.ipynb").read_text())


def _answer_cell(nb: dict, task_name: str) -> dict:
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("solution") \
                and f"def {task_name}(" in "".join(cell["source"]):
            return cell
    raise KeyError(task_name)


def _set(cell, text):
    cell["source"] = text.strip("\n")


def bad_submissions() -> dict:
    """name -> (assignment, notebook JSON text, expected status, words the reason must contain)."""
    out = {}
    a = "04_schedules"

    nb = load("solutions", a)
    _set(_answer_cell(nb, "step_decay"), "def step_decay(lr0, drop, every, n)\n    return lr0")
    out["syntax_error"] = (a, nb, "graded", ["04.1"])

    nb = load("solutions", a)
    _set(_answer_cell(nb, "time_based"), "def time_based(lr0, decay, n):\n    return lr0 / undefined_name")
    out["exception"] = (a, nb, "graded", ["04.2", "NameError"])

    nb = load("solutions", a)
    _set(_answer_cell(nb, "step_decay"), "import time\nwhile True:\n    time.sleep(0.01)")
    out["infinite_loop"] = (a, nb, "graded", [])

    nb = load("solutions", a)
    _set(_answer_cell(nb, "step_decay"), "import sys\nsys.exit('bye')")
    out["sys_exit"] = (a, nb, "graded", [])

    nb = load("solutions", a)
    _set(_answer_cell(nb, "step_decay"), "import os\nos._exit(3)")
    out["os_exit"] = (a, nb, "graded", ["ended the grading process early"])

    nb = load("solutions", a)
    _set(_answer_cell(nb, "time_based"), "def time_based_decay(lr0, decay, n):\n    return lr0")
    out["renamed_function"] = (a, nb, "graded", ["04.2", "NameError"])

    nb = load("solutions", a)
    _set(_answer_cell(nb, "time_based"), "def time_based(lr0, decay, n):\n    return float('nan')")
    out["nan_result"] = (a, nb, "graded", ["04.2", "NaN"])

    nb = load("solutions", a)
    _set(_answer_cell(nb, "step_decay"), "for i in range(200000):\n    print('x' * 100)\n"
         "def step_decay(lr0, drop, every, n):\n    import numpy as np\n"
         "    return lr0 * drop ** ((1 + np.asarray(n)) // every)")
    out["huge_output"] = (a, nb, "graded", ["output limit"])

    nb = load("solutions", a)
    nb["cells"] = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != grade_id("04.1", "test")]
    out["deleted_test_cell"] = (a, nb, "graded", ["deleted test cells were put back"])

    nb = load("exercises", a)
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id("04.1", "test"):
            _set(cell, "pass  # the learner made this test pass")
    out["edited_test_cell"] = (a, nb, "not attempted", [])

    out["corrupt_file"] = (a, '{"cells": [ {"cell_type": "code", "source": "x = ', "corrupt notebook", ["not a readable"])

    out["wrong_assignment"] = (a, load("solutions", "03_momentum"), "wrong assignment", ["03_momentum"])
    return {k: (asg, v if isinstance(v, str) else json.dumps(v), status, words)
            for k, (asg, v, status, words) in out.items()}


def write(folder: Path, students: dict) -> None:
    """students: name -> {assignment: notebook text}, written in nbgrader's layout."""
    for student, notebooks in students.items():
        for assignment, text in notebooks.items():
            path = folder / student / assignment / f"{assignment}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
