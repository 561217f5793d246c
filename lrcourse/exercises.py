"""Instant feedback for the exercises: ``check``, ``hint`` and ``solution``.

An exercise notebook asks for a function; its test cell calls ``check("04.1", step_decay)``.
The check runs the learner's function on a few cases and either prints what passed or
raises an ``AssertionError`` that says what is wrong in the terms of the lesson ("your
step decay drops one step late: at n=1 expected 0.05, got 0.1"). A function that still
raises ``NotImplementedError`` (the exercise as handed out) is reported as *not attempted*,
never as wrong. In Jupyter either outcome shows as one coloured line that names the task
(the cell still fails, as nbgrader expects), not as a traceback through this module.
Nothing here gives the answer away: ``hint(task)`` reveals hints one stage at a time and
``solution(task)`` prints the reference code (kept in ``_answers.py``) only when asked; an
instructor's student bundle leaves the answers out.

Numbers are compared with tolerances that suit the quantity: closed formulas to 1e-12
relative, iterated updates to 1e-9, a rate picked from a grid to one grid point.
"""

from __future__ import annotations

import inspect
import linecache
import math
import os
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from . import linesearch, lr_finder, schedules, search, theory
from .optimizers import Adam, AdamState
from .exercise_data import (BUDGET_BOWL, BUDGET_TARGET, best_constant_budget, budget_loss,  # noqa: F401
                            range_test_curve, search_objective)

__all__ = ["check", "hint", "solution", "answer", "hidden_tests", "grade_id", "task_of", "TASKS", "Task",
           "NotAttempted", "Wrong"]


_RESET = "\x1b[0m"


class _Feedback(AssertionError):
    """A check's verdict on the learner's answer, shown in Jupyter as one coloured line.

    It is raised like any exception (so the cell stops, and nbgrader and the grader see an
    error whose ``str`` is the full message), but IPython asks an exception for
    ``_render_traceback_()`` before formatting a traceback, and shows the lines it returns
    instead: one line naming the task and the problem, without the frames of the checker.
    ``check`` fills in ``task``; ``short``, when given, is the text for that line (the
    message itself otherwise).
    """

    symbol, colour = "✗", "\x1b[1;31m"        # bold red

    def __init__(self, message: str = "", *, short: str | None = None):
        super().__init__(message)
        self.short = short
        self.task = None

    def line(self) -> str:
        """The feedback as one line of plain text, without colour."""
        text = self.short if self.short is not None else (str(self.args[0]) if self.args else "")
        text = " ".join(text.split())       # a message of several lines becomes one
        if self.task is not None:
            return f"{self.symbol} {self.task.id} {self.task.title}: {text}"
        return f"{self.symbol} {text}"

    def _render_traceback_(self) -> list:
        return [f"{self.colour}{self.line()}{_RESET}"]


class NotAttempted(_Feedback):
    """The learner has not written this part yet."""

    symbol, colour = "…", "\x1b[38;5;208m"   # orange


class Wrong(_Feedback):
    """The learner's answer runs but gives a wrong result."""


@dataclass(frozen=True)
class Task:
    """One graded task, everything about it in one record: the function the learner writes
    (``name``), what the exercise notebook says (``statement``, the checker's docstring), its
    points, the hints, and the checker that gives instant feedback. The reference answer and
    the hidden tests are functions in ``_answers.py`` (named ``name`` and ``hidden_`` +
    ``name``), the one file a student bundle for graded work leaves out."""

    id: str             # "04.1": lesson 04, task 1
    name: str           # the function the learner writes
    title: str
    points: int
    hints: tuple
    checker: Callable

    @property
    def statement(self) -> str:
        return inspect.cleandoc(self.checker.__doc__)

    @property
    def lesson(self) -> str:
        return self.id.split(".")[0]


TASKS: dict[str, Task] = {}
_hints_shown: dict[str, int] = {}


def _task(id, name, title, hints, points):
    def register(checker):
        TASKS[id] = Task(id, name, title, points, tuple(hints), checker)
        return checker
    return register


_PARTS = ("answer", "test", "setup")
_GRADE_ID = re.compile(r"a(\d\d)(?:_(\d+))?_(.+)")


def grade_id(task: str, part: str) -> str:
    """nbgrader's id of a cell in an exercise notebook: ``part`` "answer" is the cell where
    the learner writes the task's function, "test" its locked test cell, "setup" the
    notebook's locked first code cell (``task`` may then be just the lesson, "04").

    >>> grade_id("04.1", "answer"), grade_id("04.1", "test"), grade_id("04", "setup")
    ('a04_1_step_decay', 'a04_1_test', 'a04_setup')
    """
    if part not in _PARTS:
        raise ValueError(f"part must be one of {', '.join(_PARTS)}, got {part!r}")
    if part == "setup":
        return f"a{task.split('.')[0]}_setup"
    t = _lookup(task)
    return f"a{t.id.replace('.', '_')}_{t.name if part == 'answer' else 'test'}"


def task_of(grade_id: str):
    """The inverse of ``grade_id``: ``(task, part)`` for an id it makes, None for any other
    (a hand-graded question's id, say).

    >>> task_of("a04_1_step_decay"), task_of("a04_1_test"), task_of("a04_setup"), task_of("a04_why")
    (('04.1', 'answer'), ('04.1', 'test'), ('04', 'setup'), None)
    """
    m = _GRADE_ID.fullmatch(grade_id) if isinstance(grade_id, str) else None
    if m is None:
        return None
    lesson, number, rest = m.groups()
    if number is None:
        return (lesson, "setup") if rest == "setup" else None
    task = f"{lesson}.{number}"
    if task not in TASKS or rest not in ("test", TASKS[task].name):
        return None
    return task, "test" if rest == "test" else "answer"


def _answers():
    """The module of reference answers, or None where they were left out or turned off (a
    student bundle, or LRCOURSE_NO_SOLUTIONS=1)."""
    if solutions_disabled():
        return None
    try:
        from . import _answers as module
    except ImportError:
        return None
    return module


def answer(task: str):
    """The reference code for ``task`` (the source of its function in ``_answers.py``), or
    None where the answers were left out or turned off (the same switch as ``solution``)."""
    t = _lookup(task)
    module = _answers()
    return None if module is None else inspect.getsource(getattr(module, t.name)).strip("\n")


def hidden_tests(task: str):
    """The hidden tests of ``task`` as the grader runs them (the body of ``hidden_<name>`` in
    ``_answers.py``), or None where the answers were left out or turned off."""
    t = _lookup(task)
    module = _answers()
    if module is None:
        return None
    lines = inspect.getsource(getattr(module, f"hidden_{t.name}")).splitlines()
    body = textwrap.dedent("\n".join(lines[1:]))          # drop the def line
    return body.strip("\n")


# --------------------------------------------------------------------------- public API


def _lookup(task: str) -> Task:
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    return TASKS[task]


def check(task: str, answer) -> bool:
    """Check the learner's ``answer`` (usually their function) for ``task``, e.g. "04.1".

    Prints a line when it passes; raises ``NotAttempted`` or ``Wrong`` (both are
    ``AssertionError``) with an explanation otherwise.
    """
    t = _lookup(task)
    try:
        if answer is None or answer is Ellipsis:
            raise NotAttempted(f"{t.id} ({t.title}): not attempted yet.",
                               short=f"not attempted yet (check got {answer!r} instead of your function)")
        t.checker(answer)
    except _Feedback as exc:
        exc.task = t            # so that Jupyter's one line names the task
        raise
    print(f"✓ {t.id} {t.title}: all checks passed.")
    return True


def hint(task: str) -> None:
    """The next hint for ``task`` (calling again reveals the next stage)."""
    t = _lookup(task)
    shown = min(_hints_shown.get(task, 0) + 1, len(t.hints))
    _hints_shown[task] = shown
    text = f"Hint {shown}/{len(t.hints)} for {t.id} ({t.title}): {t.hints[shown - 1]}"
    if shown == len(t.hints) and solutions_disabled():
        text += (f"\n(That was the last hint: all {len(t.hints)} are shown. The reference code is not available "
                 f"in this copy of the course, so re-read the part of lesson {t.id[:2]} that this exercise "
                 f"practises (the exercise notebook links to it at the top) and try again.)")
    elif shown == len(t.hints):
        text += f'\n(That was the last hint. solution("{t.id}") shows the reference code.)'
    print(text)


def solutions_disabled() -> bool:
    """True in a student bundle built for graded work (it has no answers) and while grading
    (LRCOURSE_NO_SOLUTIONS=1)."""
    if os.environ.get("LRCOURSE_NO_SOLUTIONS", "") not in ("", "0"):
        return True
    return not (Path(__file__).resolve().parent / "_answers.py").exists()


def solution(task: str) -> None:
    """Print the reference code for ``task``. Try the hints first."""
    t = _lookup(task)
    if solutions_disabled():
        text = f"Solutions are turned off for this graded copy of the course; try hint({t.id!r})."
    else:
        text = f"# Reference solution for {t.id} ({t.title})\n{answer(t.id)}"
    print(text)


# --------------------------------------------------------------------------- helpers


def _call(fn, name: str, *args, **kwargs):
    """Call the learner's function; turn its failures into feedback."""
    if not callable(fn):
        raise Wrong(f"{name} should be a function, got {type(fn).__name__}.")
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise NotAttempted(f"{name}: not attempted yet (it still raises NotImplementedError; "
                           f"replace that line with your code).",
                           short=f"not attempted yet (replace the raise NotImplementedError line in "
                                 f"{name} with your code)") from None
    except Exception as exc:  # the learner's bug, reported in their terms
        shown = ", ".join([repr(a) if np.ndim(a) == 0 else f"<array shape {np.shape(a)}>" for a in args]
                          + [f"{k}={v!r}" for k, v in kwargs.items()])
        message = f"{name}({shown}) raised {type(exc).__name__}: {exc}"
        raise Wrong(message, short=message + _where(exc)) from exc


def _where(exc: BaseException) -> str:
    """Where in the learner's code ``exc`` was raised, as " (in f, line 3: `code`)", or ""
    when no frame of the traceback is theirs (the course's and installed packages' frames
    are skipped: the line a learner can fix is the last one they wrote)."""
    own = Path(__file__).resolve().parent
    skip = {Path(p).resolve() for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}}
    found = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        try:
            path = Path(code.co_filename).resolve()
            theirs = not (code.co_filename.startswith("<frozen") or path.is_relative_to(own)
                          or any(path.is_relative_to(p) for p in skip) or "site-packages" in path.parts)
        except (OSError, ValueError):
            theirs = False
        if theirs:
            found = (code.co_name, tb.tb_lineno, code.co_filename)
        tb = tb.tb_next
    if found is None:
        return ""
    func, lineno, filename = found
    source = linecache.getline(filename, lineno).strip()
    where = f"line {lineno}" if func == "<module>" else f"in {func}, line {lineno}"
    return f" ({where}: `{source}`)" if source else f" ({where})"


def _number(value, what: str):
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should be a number or an array of numbers, got {value!r}.") from None
    if not np.all(np.isfinite(arr)):
        raise Wrong(f"{what} contains NaN or inf: {value!r}. Look for a division by zero or an "
                    f"overflow.")
    return arr


def _close(got, expected, what: str, rtol: float = 1e-12, atol: float = 0.0):
    got = _number(got, what)
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        raise Wrong(f"{what} should have shape {expected.shape}, got shape {got.shape}.")
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        where = f" at index {i if len(i) > 1 else i[0]}" if expected.ndim else ""
        raise Wrong(f"{what}{where}: expected {expected[i]:.6g}, got {got[i]:.6g}.")


def _same(a, b, rtol=1e-9) -> bool:
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return a.shape == b.shape and bool(np.all(np.isclose(a, b, rtol=rtol, atol=1e-15)))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- 01


def _gd_path(a, lr, w0, steps):
    """GD's path on a/2·w² from the closed form w_t = (1 − η·a)ᵗ·w₀ (``theory.gd_error``)."""
    return w0 * theory.gd_error(np.arange(steps + 1), lr, a)


@_task("01.1", "gd_path", "gradient descent on a parabola",
       ["The loss is L(w) = a/2·w², so its gradient is a·w.",
        "One step is w ← w − η·(a·w). Repeat it `steps` times.",
        "Return the start and every iterate: an array of steps + 1 numbers."], points=2)
def _check_gd_path(fn):
    r"""**Task 01.1.** Write `gd_path(a, lr, w0, steps)`: gradient descent on L(w) = a/2·w² from `w0`,
    returning an array with the start and every iterate (`steps + 1` numbers).
    """
    for a, lr, w0, steps in [(1.0, 0.1, 2.0, 5), (4.0, 0.3, -1.0, 8), (0.5, 3.9, 1.0, 6)]:
        got = _call(fn, "gd_path", a, lr, w0, steps)
        expected = _gd_path(a, lr, w0, steps)
        arr = np.asarray(got, dtype=float)
        if arr.shape == (steps,):
            raise Wrong(f"gd_path returned {steps} points for {steps} steps: include the start w0 "
                        f"as the first point (expected {steps + 1}).")
        if arr.shape == expected.shape and _same(arr, _gd_path(1.0, lr, w0, steps)) and a != 1.0:
            raise Wrong(f"gd_path ignores the curvature a: the gradient of a/2·w² is a·w, not w "
                        f"(a={a}).")
        _close(got, expected, f"gd_path(a={a}, lr={lr}, w0={w0}, steps={steps})", rtol=1e-10)


@_task("01.2", "stability_limit", "the stability limit of a bowl",
       ["GD on a quadratic with Hessian A is stable when η < 2/λ for every eigenvalue λ of A.",
        "So the steepest direction, the largest eigenvalue L, sets the limit.",
        "np.linalg.eigvalsh(A) gives the eigenvalues of a symmetric matrix in ascending order."], points=2)
def _check_stability_limit(fn):
    r"""**Task 01.2.** Write `stability_limit(A)`: the stability limit of gradient descent on
    L(w) = ½·wᵀAw (A symmetric, positive definite), the rate η_max such that GD converges from every
    start for every 0 < η < η_max and not for η ≥ η_max. (There is no *largest* converging rate:
    the converging rates form an open interval, and η_max is its upper end.) Test it on the bowl below.
    """
    rng = np.random.default_rng(1)
    cases = [np.diag([1.0, 10.0]), np.array([[3.0, 1.0], [1.0, 2.0]])]
    q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    cases.append(q @ np.diag([0.1, 1.0, 5.0, 20.0]) @ q.T)
    for A in cases:
        lam = np.linalg.eigvalsh(A)
        got = _number(_call(fn, "stability_limit", A), "stability_limit(A)")
        if np.isclose(got, 2 / lam[0]):
            raise Wrong(f"stability_limit used the smallest eigenvalue ({lam[0]:.3g}): the flat "
                        f"direction sets the pace, but the steep one (L = {lam[-1]:.3g}) limits η.")
        if np.isclose(got, 1 / lam[-1]):
            raise Wrong("stability_limit returned 1/L: that rate reaches the minimum of the steep "
                        "direction in one step; the runs only diverge above 2/L.")
        limit = theory.gd_stability_limit(lam[-1])
        if 0.95 * limit <= got < limit * (1 - 1e-8):
            raise Wrong(f"stability_limit returned {got:.6g}, just below the limit {limit:.6g}. There is no "
                        f"largest rate that converges: GD converges for every η below the limit, an open "
                        f"interval. Return the limit itself, the upper end of that interval.")
        _close(got, limit, f"stability_limit for eigenvalues {np.round(lam, 3).tolist()}", rtol=1e-8)


@_task("01.3", "regime", "monotone, oscillating or diverging",
       ["On L(w) = a/2·w², one GD step multiplies w by the factor 1 − η·a.",
        "0 < factor < 1: w shrinks without changing sign. −1 < factor < 0: it flips sign each "
        "step but shrinks. factor < −1: it grows.",
        "Compare η·a with 1 and 2."], points=1)
def _check_regime(fn):
    r"""**Task 01.3.** Write `regime(a, lr)` returning `"monotone"`, `"oscillating"` or `"diverging"` for
    GD on L(w) = a/2·w² (count η·a = 1 as monotone; the edge η·a = 2 is never tested).
    """
    for a, lr, expected in [(1.0, 0.5, "monotone"), (2.0, 0.7, "oscillating"), (10.0, 0.25, "diverging"),
                            (0.5, 3.0, "oscillating"), (100.0, 0.001, "monotone")]:
        got = _call(fn, "regime", a, lr)
        if got != expected:
            raise Wrong(f"regime(a={a}, lr={lr}): η·a = {a * lr:g}, expected {expected!r}, got {got!r}.")


# --------------------------------------------------------------------------- 02


@_task("02.1", "newton_step", "one Newton step",
       ["Newton replaces η by the inverse Hessian: w ← w − H⁻¹·g.",
        "Solving H·s = g is cheaper and more accurate than forming H⁻¹: np.linalg.solve(H, g)."], points=2)
def _check_newton_step(fn):
    r"""**Task 02.1.** Write `newton_step(w, g, H)`: one Newton step from `w` with gradient `g` and
    Hessian `H`.
    """
    rng = np.random.default_rng(2)
    for d in (2, 3, 5):
        m = rng.normal(size=(d, d))
        H = m @ m.T + d * np.eye(d)
        w, g = rng.normal(size=d), rng.normal(size=d)
        expected = w - np.linalg.solve(H, g)
        got = _call(fn, "newton_step", w.copy(), g.copy(), H.copy())
        if _same(got, w - g / np.diag(H)):
            raise Wrong("newton_step divided by the Hessian's diagonal only: that is the diagonal "
                        "rate of section 3, not Newton (use the whole matrix).")
        if _same(got, w + np.linalg.solve(H, g)):
            raise Wrong("newton_step moves uphill: subtract H⁻¹·g.")
        _close(got, expected, f"newton_step in {d} dimensions", rtol=1e-8, atol=1e-12)


def _mistaken_armijo(f, grad, w, rule, lr0=1.0, shrink=0.5, c=1e-4):
    """The search with a common mistake in its condition, named by ``rule``, so that the
    checker can recognise it (it gives up after 200 shrinks where the condition never holds).
    The correct search is ``linesearch.armijo``."""
    g = grad(w)
    lr, f0, gg = lr0, f(w), float(g @ g)
    for _ in range(200):
        trial = w + lr * g if rule == "uphill" else w - lr * g
        bound = {"uphill": f0 - c * lr * gg, "plus": f0 + c * lr * gg, "plain": f0,
                 "norm": f0 - c * lr * np.sqrt(gg), "no_lr": f0 - c * gg, "no_c": f0 - lr * gg}[rule]
        if f(trial) <= bound:
            break
        lr *= shrink
    return lr


_ARMIJO_CONDITION = "f(w − η·g) ≤ f(w) − c·η·|g|² (g = grad(w), |g|² = g @ g)"
_ARMIJO_MISTAKES = {
    "plus": "the decrease term has the wrong sign: you accept f(w − η·g) ≤ f(w) + c·η·|g|², which lets the "
            "loss rise. Along −g the loss falls at the rate |g|² (the directional derivative is −|g|²), and "
            "Armijo asks for at least a fraction c of that fall: " + _ARMIJO_CONDITION + ".",
    "plain": "you accept any decrease, f(w − η·g) ≤ f(w). Armijo asks for a sufficient decrease, at least a "
             "fraction c of the fall η·|g|² that the slope promises: " + _ARMIJO_CONDITION + ".",
    "norm": "the decrease term uses |g| where it needs |g|²: the slope of the loss along −g is the "
            "directional derivative g·(−g) = −|g|², so the condition is " + _ARMIJO_CONDITION + ".",
    "no_lr": "the decrease term lacks η: the promised fall grows with the step, c·η·|g|², not c·|g|². "
             "The condition is " + _ARMIJO_CONDITION + ".",
}
_ARMIJO_NEVER = ("the condition never held, so η shrank to almost nothing. Check that the trial point is "
                 "w − η·g (downhill, against the gradient) and that the fall you ask for is c·η·|g|² with the "
                 "small factor c, not the whole η·|g|²: " + _ARMIJO_CONDITION + ".")


@_task("02.2", "armijo", "backtracking line search",
       ["Start from η = lr0 and multiply it by the factor shrink until the step decreases f enough.",
        "'Enough' is Armijo's condition: f(w − η·g) ≤ f(w) − c·η·|g|².",
        "A while loop: while the condition fails, η ← shrink·η. Return the η that passed."], points=3)
def _check_armijo(fn):
    r"""**Task 02.2.** Write `armijo(f, grad, w, lr0=1.0, shrink=0.5, c=1e-4)`: backtracking line search
    from the point `w` along −grad(w). Return the first rate η in lr0, lr0·shrink, lr0·shrink², … that satisfies
    Armijo's sufficient-decrease condition (section 3 of the lesson): the loss at the trial point
    must fall by at least c times the decrease that the slope promises for a step η.
    """
    A = np.diag([1.0, 50.0])
    f = lambda w: 0.5 * w @ A @ w
    grad = lambda w: A @ w
    B = np.diag([1.0, 4.0])
    fb = lambda w: 0.5 * w @ B @ w
    gradb = lambda w: B @ w
    rosen = lambda w: (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2
    rosen_grad = lambda w: np.array([-2 * (1 - w[0]) - 400 * w[0] * (w[1] - w[0] ** 2), 200 * (w[1] - w[0] ** 2)])
    # The last three cases tell the usual mistakes in the condition apart (a large c shows them).
    cases = [(f, grad, np.array([1.0, 1.0]), {}),
             (f, grad, np.array([-2.0, 0.1]), {"shrink": 0.7}),
             (rosen, rosen_grad, np.array([-1.2, 1.0]), {"lr0": 0.1, "c": 0.3}),
             (fb, gradb, np.array([0.3, 0.1]), {"lr0": 2.0, "c": 0.5}),
             (fb, gradb, np.array([0.3, 0.1]), {"lr0": 2.0, "c": 0.5, "shrink": 0.8}),
             (fb, gradb, np.array([2.0, 1.0]), {"lr0": 2.0, "c": 0.3})]
    got = [_number(_call(fn, "armijo", func, g, w.copy(), **kw), "armijo(...)") for func, g, w, kw in cases]
    if any(np.shape(x) != () for x in got):
        raise Wrong("armijo should return one number, the accepted step η (not the new point w − η·g).")
    expected = [linesearch.armijo(func, g, w, **kw) for func, g, w, kw in cases]
    bad = [i for i in range(len(cases)) if not np.isclose(got[i], expected[i], rtol=1e-12, atol=0)]
    if not bad:
        return
    i = bad[0]
    func, g, w, kw = cases[i]
    lr0, shrink, c = kw.get("lr0", 1.0), kw.get("shrink", 0.5), kw.get("c", 1e-4)
    where = f"armijo from w={w.tolist()} with {kw or 'defaults'} returned η = {float(got[i]):.6g}, expected {expected[i]:.6g}"
    tiny = lambda x: x <= 1e-9
    for rule, message in _ARMIJO_MISTAKES.items():
        theirs = [_mistaken_armijo(fc, gc, wc, rule, **kc) for fc, gc, wc, kc in cases]
        if all((tiny(a) and tiny(b)) or np.isclose(a, b, rtol=1e-9) for a, b in zip(got, theirs)):
            raise Wrong(f"{where}: {message}")
    if float(got[i]) <= 1e-9 * lr0:
        raise Wrong(f"{where}: {_ARMIJO_NEVER}")
    if np.isclose(got[i], lr0) and not np.isclose(expected[i], got[i]):
        raise Wrong(f"{where}: it returned lr0 without backtracking, but at that rate the loss does not "
                    f"fall enough, so shrink it.")
    if np.isclose(got[i], expected[i] * shrink):
        raise Wrong(f"{where}: one shrink too many. Test the condition before you shrink η, and return the "
                    f"first η in lr0, lr0·shrink, lr0·shrink², … that satisfies {_ARMIJO_CONDITION}.")
    if expected[i] < lr0 and np.isclose(got[i], expected[i] / shrink):
        raise Wrong(f"{where}: one shrink too few. At η = {float(got[i]):.6g} the condition "
                    f"{_ARMIJO_CONDITION} still fails; return the η that passes.")
    gw = g(w)
    lhs, rhs = func(w - got[i] * gw), func(w) - c * got[i] * float(gw @ gw)
    if lhs > rhs:
        raise Wrong(f"{where}: at your η the condition {_ARMIJO_CONDITION} fails "
                    f"(left side {lhs:.6g} > right side {rhs:.6g}), so keep shrinking.")
    raise Wrong(f"{where}: your η satisfies the condition, but a larger one of lr0, lr0·shrink, lr0·shrink², … "
                f"(namely {expected[i]:.6g}) already did; return the first that passes.")


# --------------------------------------------------------------------------- 03


@_task("03.1", "heavy_ball_step", "the heavy-ball step",
       ["The velocity remembers past steps: v ← β·v − η·g (β: the momentum).",
        "Then the weights move by the new velocity: w ← w + v. Return both (w, v)."], points=2)
def _check_heavy_ball(fn):
    r"""**Task 03.1.** Write `heavy_ball_step(w, v, g, lr, momentum)` in the heavy-ball form
    (v ← β·v − η·g; w ← w + v, with β the momentum), returning `(w, v)`.
    """
    rng = np.random.default_rng(3)
    for lr, beta in [(0.1, 0.9), (0.5, 0.0), (0.02, 0.99)]:
        w, v, g = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
        out = _call(fn, "heavy_ball_step", w.copy(), v.copy(), g.copy(), lr, beta)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise Wrong("heavy_ball_step should return the pair (w, v).")
        v_new = beta * v - lr * g
        if beta > 0 and _same(out[0], w - lr * (beta * v + g)):
            raise Wrong("that is PyTorch's convention (buffer ← β·b + g; w ← w − η·b), which is "
                        "task 03.2; here the velocity already includes η: v ← β·v − η·g; w ← w + v.")
        _close(out[1], v_new, f"the new velocity v (lr={lr}, momentum={beta})", rtol=1e-12, atol=1e-15)
        _close(out[0], w + v_new, f"the new weights w (lr={lr}, momentum={beta})", rtol=1e-12, atol=1e-15)


@_task("03.2", "pytorch_momentum_step", "momentum in PyTorch's convention",
       ["PyTorch keeps a buffer of summed gradients without η: b ← β·b + g.",
        "Then w ← w − η·b. With a constant η this is the heavy ball with v = −η·b."], points=2)
def _check_pytorch_momentum(fn):
    r"""**Task 03.2.** Write `pytorch_momentum_step(w, buf, g, lr, momentum)` in PyTorch's convention,
    returning `(w, buf)`. With a constant rate both conventions give the same path; the notebook
    shows where they part under a schedule.
    """
    rng = np.random.default_rng(4)
    for lr, beta in [(0.1, 0.9), (0.3, 0.5)]:
        w, b, g = rng.normal(size=4), rng.normal(size=4), rng.normal(size=4)
        out = _call(fn, "pytorch_momentum_step", w.copy(), b.copy(), g.copy(), lr, beta)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise Wrong("pytorch_momentum_step should return the pair (w, buf).")
        b_new = beta * b + g
        if _same(out[1], beta * b - lr * g):
            raise Wrong("the buffer should not contain η in PyTorch's convention: buf ← β·buf + g.")
        _close(out[1], b_new, f"the new buffer (lr={lr}, momentum={beta})", rtol=1e-12, atol=1e-15)
        _close(out[0], w - lr * b_new, f"the new weights (lr={lr}, momentum={beta})", rtol=1e-12, atol=1e-15)


@_task("03.3", "best_heavy_ball", "the optimal (η, β) on a quadratic",
       ["Polyak's tuning puts both ends of the spectrum [μ, L] on the same circle in the complex plane.",
        "η* = (2/(√L + √μ))² and the momentum β* = ((√κ − 1)/(√κ + 1))² with κ = L/μ (μ: the smallest curvature).",
        "Return the pair (lr, momentum)."], points=2)
def _check_best_heavy_ball(fn):
    r"""**Task 03.3.** Write `best_heavy_ball(L, mu)` returning the optimal `(lr, momentum)` for a
    quadratic whose Hessian has eigenvalues in [μ, L] (μ here is the smallest curvature, not the
    momentum).
    """
    for L, mu in [(1.0, 0.01), (10.0, 1.0), (4.0, 4.0)]:
        out = _call(fn, "best_heavy_ball", L, mu)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise Wrong("best_heavy_ball should return the pair (lr, momentum).")
        lr, m, _ = theory.heavy_ball_optimum(L, mu)
        if _same(out[0], m) and _same(out[1], lr) and not _same(lr, m):
            raise Wrong("you returned (momentum, lr); the order is (lr, momentum).")
        _close(out[0], lr, f"the learning rate for L={L}, μ={mu}", rtol=1e-10)
        _close(out[1], m, f"the momentum for L={L}, μ={mu}", rtol=1e-10, atol=1e-14)


# --------------------------------------------------------------------------- 04


@_task("04.1", "step_decay", "step decay, as the formula is written",
       ["The rate is η₀ times the drop factor d raised to a whole number of drops.",
        "The number of drops at step n is ⌊(1 + n)/r⌋ (integer division: (1 + n) // r).",
        "Make it work for an array of n as well: numpy's ** and // work elementwise."], points=2)
def _check_step_decay(fn):
    r"""**Task 04.1.** Write `step_decay(lr0, drop, every, n)` = η₀·d^⌊(1+n)/r⌋, exactly as the formula is
    written (not PyTorch's StepLR). It must accept an integer `n` or an array of them.
    """
    lr0, drop, every = 0.1, 0.5, 2
    n = np.arange(8)
    expected = schedules.step_decay(lr0, drop, every)(n)
    got = [_call(fn, "step_decay", lr0, drop, every, int(k)) for k in n]
    late = schedules.step_lr(lr0, gamma=drop, step_size=every)(n)
    if _same(got, late):
        k = int(np.flatnonzero(~np.isclose(late, expected))[0])
        raise Wrong(f"your step decay drops one step late (that is PyTorch's StepLR, ⌊n/r⌋): at "
                    f"n={k} expected {expected[k]:g}, got {late[k]:g}.")
    for k in n:
        _close(got[k], expected[k], f"step_decay(0.1, 0.5, 2, n={k})")
    arr = _call(fn, "step_decay", 1.0, 0.1, 3, np.arange(10))
    _close(arr, schedules.step_decay(1.0, 0.1, 3)(np.arange(10)), "step_decay(1.0, 0.1, 3, n=np.arange(10)) as an array")


@_task("04.2", "time_based", "time-based decay, the recursion",
       ["Time-based decay is a recursion: η_{k+1} = η_k / (1 + d·k), starting from η_0 = lr0.",
        "Loop k = 0, 1, …, n − 1 and divide each time; note the k = 0 factor is 1.",
        "It is not η₀/(1 + d·n): that closed form is Keras' inverse-time decay."], points=2)
def _check_time_based(fn):
    r"""**Task 04.2.** Write `time_based(lr0, decay, n)`: the rate after `n` steps of the recursion
    η_{k+1} = η_k/(1 + d·k), for an integer `n`.
    """
    for lr0, d in [(0.1, 0.01), (1.0, 0.5), (0.3, 0.0)]:
        ns = range(7)
        got = [_number(_call(fn, "time_based", lr0, d, n), f"time_based({lr0}, {d}, {n})") for n in ns]
        reference = schedules.time_based(lr0, d)(np.arange(len(ns) + 1))
        expected = reference[:-1]
        first = next((n for n in ns if not np.isclose(got[n], expected[n], rtol=1e-12)), None)
        if first is None:
            continue
        if d > 0 and _same(got, [lr0 / (1 + d * n) for n in ns]):
            raise Wrong(f"that is the closed form η₀/(1 + d·n) (Keras' inverse-time decay): at "
                        f"n={first} expected {expected[first]:.6g} from the recursion, got {got[first]:.6g}.")
        if d > 0 and _same(got, reference[1:]):
            raise Wrong(f"time_based is one step ahead: at n={first} expected {expected[first]:.6g}, got "
                        f"{got[first]:.6g} (the first factor, for k = 0, is 1 + d·0 = 1).")
        _close(got[first], expected[first], f"time_based(lr0={lr0}, decay={d}, n={first})", rtol=1e-12)


@_task("04.3", "choose_schedule", "a schedule for a budget",
       ["Measure first: budget_loss(S.constant(0.4), 300) and budget_loss(S.constant(0.01), 300).",
        "A large constant rate is fast but stays at a high noise floor; a small one is slow. "
        "A decaying schedule can have both.",
        "Start near η₀ = 0.5 (half the stability limit 2/L = 1) and decay so that the rate is "
        "well under a percent of that by the end: S.exponential(0.5, decay=5 / steps) is one choice."], points=3)
def _check_choose_schedule(fn):
    r"""**Task 04.3.** You may spend `steps` noisy gradient steps on a bowl (κ = 10, L = 2, gradient noise
    σ = 2). `budget_loss(schedule, steps)` measures a schedule: the mean loss over the last tenth
    of the run, averaged over 256 seeded runs. Write `choose_schedule(steps)` returning a schedule
    from `lrcourse.schedules` (imported as `S`) that reaches a mean loss below 0.07 with 300 steps.
    No constant rate does (when a schedule misses the target, the check prints how close the best
    constant rate comes). Measure before you choose: `budget_loss(S.constant(0.05), 300)`.
    """
    sched = _call(fn, "choose_schedule", 300)
    if not isinstance(sched, schedules.Schedule):
        raise Wrong(f"choose_schedule should return a schedule from lrcourse.schedules (e.g. S.cosine(...)), "
                    f"got {type(sched).__name__}.")
    loss = budget_loss(sched, 300)
    if not math.isfinite(loss):
        raise Wrong(f"with {schedules.describe(sched)} the run diverges: keep the peak rate below 2/L = 1.")
    if loss > BUDGET_TARGET:
        best_eta, best_loss = best_constant_budget(300)
        raise Wrong(f"with {schedules.describe(sched)} the mean loss over the last 30 of 300 steps ({BUDGET_BOWL['runs']} runs) is {loss:.3g}; "
                    f"the target is {BUDGET_TARGET}. The best constant rate on a grid of 40 rates reaches "
                    f"{best_loss:.3g} (at η ≈ {best_eta:.2g}), so no constant rate passes: the schedule has to "
                    f"beat it.")


# --------------------------------------------------------------------------- 05


def _reference_adam(w, m, v, g, t, lr, beta1, beta2, eps):
    w, state = Adam(lr=lr, betas=(beta1, beta2), eps=eps).step(w, g, AdamState(t, m, v))
    return w, state.m, state.v


@_task("05.1", "adam_step", "Adam with bias correction",
       ["Update the two running averages first: m ← β₁·m + (1 − β₁)·g and v ← β₂·v + (1 − β₂)·g².",
        "t counts the updates done before this one, so this is update number t + 1: divide m by "
        "1 − β₁^(t+1) and v by 1 − β₂^(t+1).",
        "w ← w − η·m̂/(√v̂ + ε), with ε added after the square root of the corrected v̂. "
        "Return (w, m, v) with the uncorrected m and v: the next call corrects them again."], points=3)
def _check_adam(fn):
    r"""**Task 05.1.** Write `adam_step(w, m, v, g, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)`:
    one Adam update with bias correction, where `t` is the number of updates done before this
    one (0 for the first), so this is update n = t + 1. Update m and v, correct them to
    m̂ = m/(1 − β₁ⁿ) and v̂ = v/(1 − β₂ⁿ), and step w ← w − η·m̂/(√v̂ + ε): ε goes outside the
    square root, added after the square root of the corrected v̂ (as in PyTorch). Return
    `(w, m, v)` with m and v uncorrected: the correction is applied afresh at every call.
    """
    rng = np.random.default_rng(5)
    w, m, v = rng.normal(size=3), np.zeros(3), np.zeros(3)
    args = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    b1, b2, lr, eps = args["beta1"], args["beta2"], args["lr"], args["eps"]
    for t in range(5):
        g = rng.normal(size=3) * 10.0 ** np.array([-3, 0, 2])
        out = _call(fn, "adam_step", w.copy(), m.copy(), v.copy(), g.copy(), t, **args)
        if not (isinstance(out, tuple) and len(out) == 3):
            raise Wrong("adam_step should return the triple (w, m, v).")
        expected = _reference_adam(w, m, v, g, t, **args)
        m_new, v_new, n = expected[1], expected[2], t + 1
        if t == 0:
            plain = w - lr * m_new / (np.sqrt(v_new) + eps)
            if _same(out[0], plain):
                # Without the corrections the step is too large by (1 − β₁ⁿ)/√(1 − β₂ⁿ) at update n.
                updates = np.arange(1, 100001)
                factor = (1 - b1 ** updates) / np.sqrt(1 - b2 ** updates)
                peak = int(np.argmax(factor))
                raise Wrong(f"adam_step has no bias correction: at t=0 divide m by 1 − β₁ and v by 1 − β₂. "
                            f"Without it update n is too large by (1 − β₁ⁿ)/√(1 − β₂ⁿ): {factor[0]:.2f}× at "
                            f"the first update and up to {factor[peak]:.2f}× (at update {peak + 1}) for "
                            f"β₁ = {b1}, β₂ = {b2}.")
        kingma_ba = w - lr * np.sqrt(1 - b2 ** n) / (1 - b1 ** n) * m_new / (np.sqrt(v_new) + eps)
        if not _same(kingma_ba, expected[0]) and _same(out[0], kingma_ba):
            raise Wrong("adam_step adds ε to √v before the correction (Kingma & Ba's ε̂ form, "
                        "η·√(1 − β₂ⁿ)/(1 − β₁ⁿ)·m/(√v + ε̂)). This task, like PyTorch, adds ε after "
                        "the square root of the corrected v̂: w − η·m̂/(√v̂ + ε).")
        if not _same(out[1], m_new) and _same(out[1], m_new / (1 - b1 ** n)):
            raise Wrong("adam_step returns the corrected m̂: return the running average m itself "
                        "(uncorrected); the correction is applied afresh at every step.")
        if not _same(out[2], v_new) and _same(out[2], v_new / (1 - b2 ** n)):
            raise Wrong("adam_step returns the corrected v̂: return the running average v itself "
                        "(uncorrected); the correction is applied afresh at every step.")
        if t > 0 and _same(out[0], _reference_adam(w, m, v, g, t - 1, **args)[0]):
            raise Wrong(f"adam_step uses β^t instead of β^(t+1): t={t} updates were done before "
                        f"this one, so this is update number {t + 1}.")
        _close(out[1], expected[1], f"m after update {t + 1}", rtol=1e-10, atol=1e-300)
        _close(out[2], expected[2], f"v after update {t + 1}", rtol=1e-10, atol=1e-300)
        _close(out[0], expected[0], f"w after update {t + 1}", rtol=1e-9, atol=1e-14)
        w, m, v = expected


@_task("05.2", "adagrad_rates", "Adagrad's effective rates",
       ["Adagrad divides η by the root of the sum of all squared gradients seen so far, per parameter.",
        "grads has one row per step: G = (grads ** 2).sum(axis=0).",
        "Return η / (√G + ε), one rate per parameter."], points=2)
def _check_adagrad(fn):
    r"""**Task 05.2.** Write `adagrad_rates(grads, lr=0.1, eps=1e-10)`: the effective per-parameter rate
    η/(√G + ε) after the gradients in the rows of `grads` (G sums their squares).
    """
    rng = np.random.default_rng(6)
    grads = rng.normal(size=(20, 3)) * np.array([0.01, 1.0, 100.0])
    expected = 0.1 / (np.sqrt((grads ** 2).sum(axis=0)) + 1e-10)
    got = _call(fn, "adagrad_rates", grads.copy(), lr=0.1, eps=1e-10)
    if _same(got, 0.1 / (np.sqrt((grads ** 2).mean(axis=0)) + 1e-10)):
        raise Wrong("adagrad_rates averages the squared gradients: Adagrad sums them (that is why "
                    "its rates only ever fall); RMSprop is the one with an average.")
    if _same(got, 0.1 / (np.sqrt((grads ** 2).sum(axis=1)) + 1e-10)):
        raise Wrong("adagrad_rates summed over parameters instead of over steps (axis 0).")
    _close(got, expected, "the effective rates", rtol=1e-10)


# --------------------------------------------------------------------------- 06


@_task("06.1", "ramp", "the range test's exponential ramp",
       ["Equal steps on a log scale: each rate is the previous one times a constant factor.",
        "The factor is (lr_max/lr_min)^(1/(steps − 1)), so that the last rate is lr_max.",
        "np.geomspace(lr_min, lr_max, steps) does exactly this."], points=1)
def _check_ramp(fn):
    r"""**Task 06.1.** Write `ramp(lr_min, lr_max, steps)`: `steps` rates from `lr_min` to `lr_max`,
    evenly spaced on a log scale.
    """
    for lo, hi, n in [(1e-6, 1.0, 7), (1e-4, 10.0, 100)]:
        got = _call(fn, "ramp", lo, hi, n)
        if _same(got, np.linspace(lo, hi, n)):
            raise Wrong("the ramp is linear: the range test steps evenly in log(η), so almost all "
                        "of a linear ramp would sit at the top decade.")
        _close(got, np.geomspace(lo, hi, n), f"ramp({lo}, {hi}, {n})", rtol=1e-10)


@_task("06.2", "smooth", "the smoothed loss",
       ["An exponential moving average: avg ← β·avg + (1 − β)·loss, starting from avg = 0.",
        "Starting from 0 biases the first values low; divide by 1 − β^(i+1) at position i "
        "(as in Adam's bias correction).",
        "Return one smoothed value per loss."], points=2)
def _check_smooth(fn):
    r"""**Task 06.2.** Write `smooth(losses, beta=0.98)`: the bias-corrected exponential moving average
    of the losses, one value per loss, as the range test uses it (and `lrcourse.lr_finder.smooth`).
    Start the average at 0, update it with every loss, avg ← β·avg + (1 − β)·loss, and return
    avg / (1 − β^(i+1)) at position i. The correction makes `smoothed[0] == losses[0]`; starting
    the average at `losses[0]` without the correction also gives that first value, but different
    values after it, so it does not count.
    """
    rng = np.random.default_rng(7)
    losses = 2.0 + rng.normal(size=50) * 0.3
    for beta in (0.9, 0.98):
        got = _call(fn, "smooth", losses.copy(), beta)
        arr = np.asarray(got, dtype=float)
        raw = np.asarray(lr_finder.smooth(losses, beta)) * (1 - beta ** np.arange(1, 51))
        if arr.shape == raw.shape and _same(arr, raw):
            raise Wrong("the average is not bias-corrected: its first values are far below the "
                        "losses (divide by 1 − β^(i+1)).")
        seeded = np.empty_like(losses)          # the average started at losses[0] instead of 0
        seeded[0] = losses[0]
        for i in range(1, len(losses)):
            seeded[i] = beta * seeded[i - 1] + (1 - beta) * losses[i]
        if arr.shape == seeded.shape and _same(arr, seeded):
            raise Wrong("your average starts at losses[0] and is not bias-corrected. That is a common "
                        "way to start an average, but not the one asked for (nor the one "
                        "lrcourse.lr_finder.smooth uses): start from avg = 0 and divide by 1 − β^(i+1) at "
                        "position i. Both give smoothed[0] == losses[0], but from index 1 on they differ: "
                        "yours keeps weight β^i on losses[0], the corrected one spreads the weight "
                        "over all the losses seen so far.")
        if arr.shape == seeded.shape and _same(arr, seeded / (1 - beta ** np.arange(1, 51))):
            raise Wrong("your average starts at losses[0] and is then bias-corrected; the correction "
                        "1 − β^(i+1) only fits an average that starts from avg = 0 (start there).")
        _close(got, lr_finder.smooth(losses, beta), f"smooth(losses, beta={beta})", rtol=1e-10)


@_task("06.3", "steepest", "the steepest-descent suggestion",
       ["The rule picks the rate where the loss falls fastest per factor of η: the most "
        "negative slope of loss against log(η).",
        "np.gradient(losses, np.log(lrs)) gives that slope at every point.",
        "Return lrs at the index of the smallest slope (np.argmin)."], points=2)
def _check_steepest(fn):
    r"""**Task 06.3.** Write `steepest(lrs, losses)`: the rate where the loss falls fastest against
    log η. `range_test_curve()` returns a curve to try it on; plot it to see your choice.
    """
    lrs, losses = range_test_curve()
    i = int(np.argmin(np.gradient(losses, np.log(lrs))))
    got = _number(_call(fn, "steepest", lrs.copy(), losses.copy()), "steepest(lrs, losses)")
    if np.isclose(got, lrs[int(np.argmin(losses))]):
        raise Wrong("that is the rate at the minimum of the loss, which is already close to where "
                    "training blows up; the steepest-descent rule takes where the loss falls fastest.")
    j = int(np.argmin(np.abs(np.log(lrs) - np.log(max(got, 1e-300)))))
    if abs(j - i) > 1:
        raise Wrong(f"steepest picked η = {got:.3g}; the loss falls fastest near η = {lrs[i]:.3g} "
                    f"(one grid point either way is accepted).")


# --------------------------------------------------------------------------- 07


@_task("07.1", "log_uniform", "log-uniform samples",
       ["Sample the exponent, not the rate: u uniform in [log10(low), log10(high)].",
        "Then η = 10 ** u. Use the generator you are given: rng.uniform(a, b, size=n)."], points=2)
def _check_log_uniform(fn):
    r"""**Task 07.1.** Write `log_uniform(low, high, n, rng)`: `n` rates drawn log-uniformly from
    [low, high] with the numpy generator `rng`.
    """
    rng = np.random.default_rng(8)
    got = _number(_call(fn, "log_uniform", 1e-5, 1.0, 4000, rng), "log_uniform(1e-5, 1, 4000, rng)")
    if got.shape != (4000,):
        raise Wrong(f"log_uniform should return n = 4000 samples, got shape {got.shape}.")
    if got.min() < 1e-5 or got.max() > 1.0:
        raise Wrong(f"samples leave [low, high]: min {got.min():.3g}, max {got.max():.3g}.")
    below = float(np.mean(got < 1e-3))   # 1e-3 is 2/5 of the way from 1e-5 to 1 in log space
    if below < 0.05:
        raise Wrong(f"only {below:.1%} of the samples are below 1e-3: they look uniform in η, not in "
                    f"log η (expected about 40%).")
    if not 0.35 < below < 0.45:
        raise Wrong(f"{below:.1%} of the samples are below 1e-3; for log-uniform samples about 40% are.")
    again = _call(fn, "log_uniform", 1e-5, 1.0, 10, np.random.default_rng(0))
    if not _same(again, _call(fn, "log_uniform", 1e-5, 1.0, 10, np.random.default_rng(0))):
        raise Wrong("log_uniform is not reproducible: draw only from the rng argument.")


@_task("07.2", "random_search", "a seeded random search",
       ["Make a generator from the seed: rng = np.random.default_rng(seed).",
        "Draw n log-uniform rates (your log_uniform), evaluate objective on each.",
        "Return the best (lr, value) pair: the rate with the smallest objective and that value."], points=2)
def _check_random_search(fn):
    r"""**Task 07.2.** Write `random_search(objective, low, high, n, seed)`: evaluate `objective` at `n`
    log-uniform rates drawn with `np.random.default_rng(seed)` and return `(best_lr, best_value)`.
    Try it on `search_objective`, a validation loss against η.
    """
    out = _call(fn, "random_search", search_objective, 1e-6, 1.0, 40, 0)
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise Wrong("random_search should return the pair (best_lr, best_value).")
    lr, value = _number(out[0], "best_lr"), _number(out[1], "best_value")
    if not 1e-6 <= lr <= 1.0:
        raise Wrong(f"best_lr = {lr:.3g} lies outside [low, high] = [1e-6, 1].")
    if not np.isclose(value, search_objective(float(lr)), rtol=1e-12):
        raise Wrong(f"best_value {float(value):.6g} is not objective(best_lr) = {search_objective(float(lr)):.6g}.")
    if value > search_objective(3e-3) + 0.1:
        raise Wrong(f"the best of 40 log-uniform samples should be near the optimum (value ≈ 0.5 "
                    f"near η = 3e-3); yours is {float(value):.3g} at η = {float(lr):.3g}. Do you keep the minimum?")
    again = _call(fn, "random_search", search_objective, 1e-6, 1.0, 40, 0)
    if not _same(again[0], lr):
        raise Wrong("random_search gives a different answer for the same seed: make the generator "
                    "from seed inside the function.")


@_task("07.3", "early_stop", "early stopping with patience",
       ["Walk through the validation losses keeping the best one and the epoch it came at.",
        "Stop at the first epoch that is `patience` epochs past the best without beating it.",
        "Return (stop_epoch, best_epoch); if it never stops, stop_epoch is the last epoch."], points=2)
def _check_early_stop(fn):
    r"""**Task 07.3.** Write `early_stop(val_losses, patience)` returning `(stop_epoch, best_epoch)`:
    training stops at the first epoch that is `patience` epochs past the best one without
    improving on it (or at the last epoch); the model to keep is the one from `best_epoch`. Both are
    indices into `val_losses` (0-based: index 0 is the lesson's epoch 1).
    """
    cases = [([1.0, 0.8, 0.7, 0.71, 0.72, 0.73, 0.6], 3),
             ([1.0, 0.8, 0.7, 0.71, 0.69, 0.75, 0.76], 2),
             ([3.0, 2.0, 1.0], 5),
             ([0.5, 0.6, 0.7, 0.4], 1)]
    for losses, patience in cases:
        out = _call(fn, "early_stop", list(losses), patience)
        expected = search.early_stop(losses, patience)
        if tuple(np.asarray(out, dtype=float).tolist()) != tuple(float(e) for e in expected):
            raise Wrong(f"early_stop({losses}, patience={patience}): expected (stop, best) = {expected}, "
                        f"got {tuple(out) if isinstance(out, (tuple, list)) else out}.")


# --------------------------------------------------------------------------- 08


@_task("08.1", "param_groups", "layer-wise learning rates",
       ["torch.optim optimizers accept a list of dicts, each with 'params' and its own 'lr'.",
        "The head is the last module, model[-1]; the body is every other module, model[:-1].",
        "Return [{'params': body parameters, 'lr': lr_body}, {'params': head parameters, 'lr': lr_head}]."], points=2)
def _check_param_groups(fn):
    r"""**Task 08.1.** Write `param_groups(model, lr_body, lr_head)` for a `torch.nn.Sequential`: two
    parameter groups for `torch.optim`, the last module (the head) at `lr_head`, the rest at
    `lr_body`.
    """
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    groups = _call(fn, "param_groups", model, 1e-4, 1e-2)
    try:
        opt = torch.optim.SGD(groups, lr=0.5)
    except Exception as exc:
        raise Wrong(f"torch.optim.SGD could not use your groups: {exc}") from exc
    rates = {}
    for group in opt.param_groups:
        for p in group["params"]:
            rates[id(p)] = group["lr"]
    body = [id(p) for p in model[0].parameters()]
    head = [id(p) for p in model[2].parameters()]
    if set(rates) != set(body + head):
        raise Wrong("the groups should hold every parameter of the model exactly once.")
    if any(rates[i] != 1e-4 for i in body):
        raise Wrong("the body's parameters (model[:-1]) should get lr_body = 1e-4.")
    if any(rates[i] != 1e-2 for i in head):
        raise Wrong("the head's parameters (model[-1]) should get lr_head = 1e-2.")


@_task("08.2", "scaled_lr", "the linear scaling rule with warm-up",
       ["Linear scaling: multiply the batch size by k = batch/base_batch, multiply the rate by k: "
        "the target rate is base_lr·batch/base_batch.",
        "The warm-up is a straight line from base_lr at t = 0 to the target at t = warmup (the same "
        "ramp as schedules.warmup(schedules.constant(target), warmup, start_factor=base_batch/batch) "
        "and PyTorch's LinearLR).",
        "Return base_lr + (target − base_lr)·min(t, warmup)/warmup."], points=2)
def _check_scaled_lr(fn):
    r"""**Task 08.2.** Write `scaled_lr(base_lr, base_batch, batch, t, warmup)`: the rate for update
    `t` (t = 0 is the first update) under the linear scaling rule with a linear warm-up, the
    convention of the lesson's `S.warmup(S.constant(target), warmup, start_factor=base_batch/batch)`
    and of PyTorch's `LinearLR(start_factor=base_batch/batch, total_iters=warmup)`:
    - the target rate is `base_lr · batch / base_batch` (k times the batch, k times the rate);
    - at `t = 0` the rate is `base_lr`, the rate that suits the small batch;
    - it rises in a straight line and reaches the target at `t = warmup`, then stays there.

    Worked example, `base_lr = 0.1`, `base_batch = 100`, `batch = 400`, `warmup = 4`: the target is
    0.4, and t = 0, 1, 2, 3, 4, 5 give 0.1, 0.175, 0.25, 0.325, 0.4, 0.4.
    """
    for base_lr, base_batch, batch, warmup in [(0.1, 256, 1024, 5), (0.1, 100, 400, 4), (0.01, 32, 64, 1),
                                               (0.05, 128, 128, 10), (0.02, 16, 256, 50)]:
        target = base_lr * batch / base_batch
        ramp = schedules.warmup(schedules.constant(target), warmup, start_factor=base_batch / batch)
        call = f"scaled_lr(base_lr={base_lr}, base_batch={base_batch}, batch={batch}, t={{t}}, warmup={warmup})"
        # after the warm-up first: a wrong target is the first thing to fix
        for t in [3 * warmup, warmup + 1, warmup] + sorted({0, 1, warmup // 2, warmup - 1} - {warmup}):
            expected = float(ramp(t))
            got = float(_number(_call(fn, "scaled_lr", base_lr, base_batch, batch, t, warmup), "scaled_lr(...)"))
            if np.isclose(got, expected, rtol=1e-12):
                continue
            what = call.format(t=t)
            if batch != base_batch and t >= warmup and np.isclose(got, base_lr * math.sqrt(batch / base_batch)):
                raise Wrong(f"{what}: that is the square-root scaling rule; this task asks for the linear one "
                            f"(expected {expected:.6g}).")
            if 0 < t < warmup and warmup > 1 and np.isclose(got, base_lr + (target - base_lr) * t / (warmup - 1)):
                raise Wrong(f"{what}: expected {expected:.6g}, got {got:.6g}. Your ramp reaches the target at "
                            f"t = warmup − 1, one step early; here (as in schedules.warmup and LinearLR) it "
                            f"reaches it at t = warmup.")
            if t < warmup and np.isclose(got, target * min(1.0, (t + 1) / warmup)):
                raise Wrong(f"{what}: expected {expected:.6g}, got {got:.6g}. You ramp as (t + 1)/warmup, which "
                            f"reaches the target one step early, at t = warmup − 1. Here (as in schedules.warmup "
                            f"and LinearLR) t = 0 gives base_lr and the target is reached at t = warmup.")
            if t < warmup and np.isclose(got, target * t / warmup):
                raise Wrong(f"{what}: expected {expected:.6g}, got {got:.6g}. Your ramp starts from 0; it should "
                            f"start from base_lr (the small batch's rate) at t = 0.")
            if t < warmup and np.isclose(got, target):
                raise Wrong(f"{what}: expected {expected:.6g}, got {got:.6g}: the full scaled rate already during "
                            f"the warm-up. Ramp from base_lr at t = 0 to the target at t = warmup.")
            if t >= warmup and np.isclose(got, base_lr):
                raise Wrong(f"{what}: expected {expected:.6g}, got {got:.6g}: after the warm-up the rate should "
                            f"be the scaled one, base_lr·batch/base_batch.")
            raise Wrong(f"{what}: expected {expected:.6g}, got {got:.6g}. The rate is base_lr at t = 0, rises in "
                        f"a straight line to base_lr·batch/base_batch at t = warmup, and stays there.")
