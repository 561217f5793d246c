"""Source of the graded exercises: writes solutions/NN_name/NN_name.ipynb in nbgrader's
source format. Each task is one record, ``lrcourse.exercises.TASKS[id]`` (statement, points,
hints, checker), with its reference answer and hidden tests as functions in
``lrcourse/_answers.py``; this file only adds what belongs to a notebook as a whole (title,
intro, imports) and the questions graded by hand.

    python tools/exercises.py            # write solutions/
    make exercises                       # then let nbgrader generate exercises/ from them

Each task is a function to write (a solution cell), then a locked test cell worth some
points that calls ``check`` (instant feedback) and holds hidden tests for grading.
"""

import sys
from pathlib import Path
from typing import NamedTuple

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
from lrcourse.exercises import TASKS, answer, grade_id, hidden_tests  # noqa: E402
from reach import insert_front_cells  # noqa: E402  (tools/reach.py: the Colab and Binder cells)

HOW_TO = r"""
**How this works.** Write your code where a function says `YOUR CODE HERE` (replace the
`raise NotImplementedError()` line), then run the test cell below it:
- a ✓ line means the visible checks pass (the grader runs a few more);
- otherwise the message says what is wrong, in the terms of the lesson;
- `hint("{first}")` gives a hint, and calling it again the next one;
  `solution("{first}")` prints a reference answer, for when you are truly stuck.

Do not rename the functions or edit the test cells: the grader restores the test cells anyway.
"""

SETUP = r"""
import numpy as np
from lrcourse import schedules as S
from lrcourse.exercises import check, hint, solution
"""

class Question(NamedTuple):
    """A question graded by hand: its grade_id, points, text, and the reference answer that
    the instructor's copy shows."""
    grade_id: str
    points: int
    text: str
    answer: str


class Assignment(NamedTuple):
    """One exercise notebook. Its tasks are every task of ``lrcourse.exercises.TASKS`` whose
    id starts with the lesson number (``name[:2]``); each task's statement, points, answer and
    hidden tests come from its record there."""
    name: str           # also the name of the lesson it goes with, notebooks/<name>.ipynb
    title: str
    intro: str
    setup: str = ""     # imports that the notebook's locked setup cell adds to SETUP
    questions: tuple = ()

    @property
    def lesson(self) -> str:
        return f"notebooks/{self.name}.ipynb"

    @property
    def tasks(self) -> list:
        return [t for t in TASKS.values() if t.lesson == self.name[:2]]

    @property
    def points(self) -> tuple:
        """(points graded automatically, points graded by hand)."""
        return sum(t.points for t in self.tasks), sum(q.points for q in self.questions)


ASSIGNMENTS = {a.name: a for a in [
    Assignment("01_what_is_a_learning_rate", "01 · What is a learning rate",
               "Gradient descent by hand, the stability limit of a bowl, and the three regimes."),
    Assignment("02_curvature_newton_line_search", "02 · Curvature, Newton and line search",
               "Newton's step as the ideal learning rate, and Armijo backtracking as a way to find one."),
    Assignment("03_momentum", "03 · Momentum",
               "The heavy-ball step in both conventions, and the optimal pair (η, β) (β: momentum)."),
    Assignment("04_schedules", "04 · Learning-rate schedules",
               "Two decays exactly as written, a schedule chosen for a budget, and when decay helps.",
               setup="from lrcourse.exercises import budget_loss",
               questions=(Question("a04_when_decay_helps", 2, r"""
**Question (graded by hand).** Notebook 04 measured every decay with a large (0.4) and a small
(0.05) initial rate. In two to four sentences: when does decaying the rate help, when does it
hurt, and why? Refer to the noise floor.""", r"""
With noisy gradients a constant rate η stops improving at a noise floor roughly proportional to
η. When η₀ is large the run reaches that floor early and decay helps: smaller steps later lower
the floor. When η₀ is already small the constant rate sits at its own, low floor, and a decay
that shrinks the rate quickly has too small a total Σηₜ to remove the initial error, so it ends
above the constant; a slow decay such as cosine keeps enough Σηₜ and can still end below it.
"""),)),
    Assignment("05_adaptive_methods", "05 · Adaptive methods",
               "Adam's update with bias correction, and Adagrad's shrinking per-parameter rates."),
    Assignment("06_lr_range_test", "06 · The learning-rate range test",
               "The pieces of the range test: the ramp, the smoothed loss, and a suggestion rule.",
               setup="from lrcourse.exercises import range_test_curve"),
    Assignment("07_search_and_early_stopping", "07 · Search and early stopping",
               "Random search over log-spaced rates, seeded, and early stopping with patience.",
               setup="from lrcourse.exercises import search_objective",
               questions=(Question("a07_grid_or_random", 2, r"""
**Question (graded by hand).** You tune the learning rate and the weight decay with 16 runs.
Explain in two to four sentences when 16 random points beat a 4 × 4 grid, and when the
advantage shrinks.""", r"""
Usually one of the two settings, here the learning rate, matters much more than the other. A
4 × 4 grid tries only 4 distinct learning rates, each repeated 4 times; 16 random points try 16
distinct values of each, so the important dimension is covered four times more finely for the
same cost. When every setting matters about equally, that advantage shrinks and may vanish within
the seed-to-seed spread; it grows with the number of settings that hardly matter.
"""),)),
    Assignment("08_pytorch_in_practice", "08 · PyTorch in practice",
               "Per-layer learning rates in torch.optim, and the linear scaling rule with warm-up.",
               setup="import torch",
               questions=(Question("a08_why_warmup", 2, r"""
**Question (graded by hand).** Why does a large batch with a linearly scaled rate need warm-up?
Answer in two to four sentences.""", r"""
Early in training the loss surface is sharp and the weights are far from any good region, so
the full scaled rate can exceed the stability limit and blow up, and adaptive optimizers
have not yet settled their statistics. Ramping the rate up over the first steps lets the
run reach flatter regions, where the large rate is stable.
"""),)),
]}


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _solution_cell(task):
    head, _, body = answer(task).partition("\n")
    return f"{head}\n    ### BEGIN SOLUTION\n{body}\n    ### END SOLUTION"


def build(name):
    a = ASSIGNMENTS[name]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    see = f" It goes with [lesson {a.title}](../../{a.lesson})." if a.lesson else ""
    cells = [nbformat.v4.new_markdown_cell(f"# Exercise {a.title}\n\n{a.intro}{see}\n"
                                           + HOW_TO.format(first=a.tasks[0].id))]
    setup = SETUP.strip() + ("\n" + a.setup if a.setup else "")
    cells.append(nbformat.v4.new_code_cell(setup, metadata=_meta(grade_id(name[:2], "setup"), locked=True)))
    for t in a.tasks:
        cells.append(nbformat.v4.new_markdown_cell(t.statement))
        cells.append(nbformat.v4.new_code_cell(_solution_cell(t.id), metadata=_meta(grade_id(t.id, "answer"),
                                                                                       solution=True)))
        test = (f'# {t.points} point{"s" if t.points > 1 else ""}. Run this cell to check your {t.name}.\n'
                f'check("{t.id}", {t.name})\n### BEGIN HIDDEN TESTS\n{hidden_tests(t.id)}\n### END HIDDEN TESTS')
        meta = _meta(grade_id(t.id, "test"), grade=True, locked=True, points=t.points)
        meta["tags"] = ["raises-exception"]   # fails until the task is done; nbval lets it
        cells.append(nbformat.v4.new_code_cell(test, metadata=meta))
    for q in a.questions:
        cells.append(nbformat.v4.new_markdown_cell(q.text.strip()))
        cells.append(nbformat.v4.new_markdown_cell(
            "### BEGIN SOLUTION\n" + q.answer.strip() + "\n### END SOLUTION",
            metadata=_meta(q.grade_id, grade=True, solution=True, points=q.points)))
    cells.append(nbformat.v4.new_markdown_cell(
        "**Done?** Run every cell from the top (Kernel → Restart and run all) before you hand in."))
    nb.cells = cells
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i:03d}"
    insert_front_cells(nb, f"exercises/{name}/{name}.ipynb")
    path = ROOT / "solutions" / name / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n")
    return path


if __name__ == "__main__":
    for name in ASSIGNMENTS:
        print(build(name).relative_to(ROOT))
