"""Source of the graded exercises: writes solutions/NN_name/NN_name.ipynb in nbgrader's
source format. The answers come from ``lrcourse.exercises.TASKS`` (the same code that
``solution()`` prints), so there is one copy of each reference answer.

    python tools/exercises.py            # write solutions/
    make exercises                       # then let nbgrader generate exercises/ from them

Each task is a function to write (a solution cell), then a locked test cell worth some
points that calls ``check`` (instant feedback) and holds hidden tests for grading.
"""

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
from lrcourse.exercises import TASKS, answer  # noqa: E402
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

# assignment -> (title, notebook, intro, setup extra, [(task, points, text, hidden tests)], [manual questions])
ASSIGNMENTS = {
    "01_what_is_a_learning_rate": (
        "01 · What is a learning rate", "notebooks/01_what_is_a_learning_rate.ipynb",
        "Gradient descent by hand, the stability limit of a bowl, and the three regimes.",
        "",
        [("01.1", 2, r"""
**Task 01.1.** Write `gd_path(a, lr, w0, steps)`: gradient descent on L(w) = a/2·w² from `w0`,
returning an array with the start and every iterate (`steps + 1` numbers).""", r"""
path = gd_path(2.0, 0.25, 1.0, 3)
assert len(path) == 4 and np.allclose(path, [1.0, 0.5, 0.25, 0.125])
assert abs(gd_path(1.0, 2.5, 1.0, 10)[-1]) > 50   # η·a > 2 diverges
"""),
         ("01.2", 2, r"""
**Task 01.2.** Write `stability_limit(A)`: the stability limit of gradient descent on
L(w) = ½·wᵀAw (A symmetric, positive definite), the rate η_max such that GD converges from every
start for every 0 < η < η_max and not for η ≥ η_max. (There is no *largest* converging rate:
the converging rates form an open interval, and η_max is its upper end.) Test it on the bowl below.""", r"""
assert np.isclose(stability_limit(np.diag([0.5, 4.0, 2.0])), 0.5)
R = np.array([[0.0, -1.0], [1.0, 0.0]])
assert np.isclose(stability_limit(R @ np.diag([3.0, 0.3]) @ R.T), 2 / 3)
"""),
         ("01.3", 1, r"""
**Task 01.3.** Write `regime(a, lr)` returning `"monotone"`, `"oscillating"` or `"diverging"` for
GD on L(w) = a/2·w² (count η·a = 1 as monotone; the edge η·a = 2 is never tested).""", r"""
assert [regime(1.0, lr) for lr in (0.9, 1.5, 2.1)] == ["monotone", "oscillating", "diverging"]
""")],
        []),
    "02_curvature_newton_line_search": (
        "02 · Curvature, Newton and line search", "notebooks/02_curvature_newton_line_search.ipynb",
        "Newton's step as the ideal learning rate, and Armijo backtracking as a way to find one.",
        "",
        [("02.1", 2, r"""
**Task 02.1.** Write `newton_step(w, g, H)`: one Newton step from `w` with gradient `g` and
Hessian `H`.""", r"""
H = np.array([[4.0, 1.0], [1.0, 3.0]])
w = np.array([1.0, -2.0])
assert np.allclose(newton_step(w, H @ w, H), 0.0)   # a quadratic is solved in one step
"""),
         ("02.2", 3, r"""
**Task 02.2.** Write `armijo(f, grad, w, lr0=1.0, beta=0.5, c=1e-4)`: backtracking line search
from the point `w` along −grad(w). Return the first rate η in lr0, lr0·β, lr0·β², … that satisfies
Armijo's sufficient-decrease condition (section 3 of the lesson): the loss at the trial point
must fall at least c times the decrease that the slope promises for a step η.""", r"""
f = lambda w: float(w @ w)
grad = lambda w: 2 * w
assert armijo(f, grad, np.array([1.0, 1.0])) == 0.5
assert armijo(f, grad, np.array([1.0, 1.0]), lr0=0.25) == 0.25
""")],
        []),
    "03_momentum": (
        "03 · Momentum", "notebooks/03_momentum.ipynb",
        "The heavy-ball step in both conventions, and the optimal pair (η, β) (β: momentum).",
        "",
        [("03.1", 2, r"""
**Task 03.1.** Write `heavy_ball_step(w, v, g, lr, momentum)` in the heavy-ball form
(v ← β·v − η·g; w ← w + v, with β the momentum), returning `(w, v)`.""", r"""
w, v = heavy_ball_step(np.array([1.0]), np.array([0.5]), np.array([2.0]), 0.1, 0.9)
assert np.allclose(v, [0.25]) and np.allclose(w, [1.25])
"""),
         ("03.2", 2, r"""
**Task 03.2.** Write `pytorch_momentum_step(w, buf, g, lr, momentum)` in PyTorch's convention,
returning `(w, buf)`. With a constant rate both conventions give the same path; the notebook
shows where they part under a schedule.""", r"""
w, b = pytorch_momentum_step(np.array([1.0]), np.array([0.5]), np.array([2.0]), 0.1, 0.9)
assert np.allclose(b, [2.45]) and np.allclose(w, [0.755])
"""),
         ("03.3", 2, r"""
**Task 03.3.** Write `best_heavy_ball(L, mu)` returning the optimal `(lr, momentum)` for a
quadratic whose Hessian has eigenvalues in [μ, L] (μ here is the smallest curvature, not the
momentum).""", r"""
lr, m = best_heavy_ball(100.0, 1.0)
assert np.isclose(lr, 4 / 121) and np.isclose(m, (9 / 11) ** 2)
""")],
        []),
    "04_schedules": (
        "04 · Learning-rate schedules", "notebooks/04_schedules.ipynb",
        "Two decays exactly as written, a schedule chosen for a budget, and when decay helps.",
        "from lrcourse.exercises import budget_loss",
        [("04.1", 2, r"""
**Task 04.1.** Write `step_decay(lr0, drop, every, n)` = η₀·d^⌊(1+n)/r⌋, exactly as the formula is
written (not PyTorch's StepLR). It must accept an integer `n` or an array of them.""", r"""
assert np.allclose(step_decay(2.0, 0.1, 4, np.array([0, 2, 3, 7, 11])), [2.0, 2.0, 0.2, 0.02, 0.002])
"""),
         ("04.2", 2, r"""
**Task 04.2.** Write `time_based(lr0, decay, n)`: the rate after `n` steps of the recursion
η_{k+1} = η_k/(1 + d·k), for an integer `n`.""", r"""
assert time_based(1.0, 1.0, 0) == 1.0 and time_based(1.0, 1.0, 1) == 1.0
assert np.isclose(time_based(1.0, 1.0, 4), 1 / 24)    # 1/((1 + 0)·(1 + 1)·(1 + 2)·(1 + 3))
"""),
         ("04.3", 3, r"""
**Task 04.3.** You may spend `steps` noisy gradient steps on a bowl (κ = 10, L = 2, gradient noise
σ = 2). `budget_loss(schedule, steps)` measures a schedule: the mean loss over the last tenth
of the run, averaged over 32 seeded runs. Write `choose_schedule(steps)` returning a schedule
from `lrcourse.schedules` (imported as `S`) that reaches a mean loss below 0.07 with 300 steps.
No constant rate does (when a schedule misses the target, the check prints how close the best
constant rate comes). Measure before you choose: `budget_loss(S.constant(0.05), 300)`.""", r"""
assert budget_loss(choose_schedule(300), 300) < 0.07
""")],
        [("a04_when_decay_helps", 2, r"""
**Question (graded by hand).** Notebook 04 measured every schedule with a large (0.4) and a small
(0.05) initial rate. In two to four sentences: when does decaying the rate help, when does it
hurt, and why? Refer to the noise floor.""", r"""
With noisy gradients a constant rate η stops improving at a noise floor roughly proportional to
η. When η₀ is large the run reaches that floor early and decay helps: smaller steps later lower
the floor. When η₀ is already small the constant rate sits at its own, low floor, and a decay
that shrinks the rate quickly has too small a total Σηₜ to remove the initial error, so it ends
above the constant; a slow decay such as cosine keeps enough Σηₜ and can still end below it.
""")]),
    "05_adaptive_methods": (
        "05 · Adaptive methods", "notebooks/05_adaptive_methods.ipynb",
        "Adam's update with bias correction, and Adagrad's shrinking per-parameter rates.",
        "",
        [("05.1", 3, r"""
**Task 05.1.** Write `adam_step(w, m, v, g, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)`:
one Adam update with bias correction, where `t` is the number of updates done before this
one (0 for the first), so this is update n = t + 1. Update m and v, correct them to
m̂ = m/(1 − β₁ⁿ) and v̂ = v/(1 − β₂ⁿ), and step w ← w − η·m̂/(√v̂ + ε): ε goes outside the
square root, added after the square root of the corrected v̂ (as in PyTorch). Return
`(w, m, v)` with m and v uncorrected: the correction is applied afresh at every call.""", r"""
w, m, v = adam_step(np.zeros(2), np.zeros(2), np.zeros(2), np.array([1e-4, 1e4]), 0, lr=0.1)
assert np.allclose(w, [-0.1, -0.1], rtol=1e-3)   # the first step has size η whatever |g| is
"""),
         ("05.2", 2, r"""
**Task 05.2.** Write `adagrad_rates(grads, lr=0.1, eps=1e-10)`: the effective per-parameter rate
η/(√G + ε) after the gradients in the rows of `grads` (G sums their squares).""", r"""
rates = adagrad_rates(np.ones((4, 2)) * np.array([1.0, 3.0]), lr=0.1)
assert np.allclose(rates, [0.05, 0.1 / 6])
""")],
        []),
    "06_lr_range_test": (
        "06 · The learning-rate range test", "notebooks/06_lr_range_test.ipynb",
        "The pieces of the range test: the ramp, the smoothed loss, and a suggestion rule.",
        "from lrcourse.exercises import range_test_curve",
        [("06.1", 1, r"""
**Task 06.1.** Write `ramp(lr_min, lr_max, steps)`: `steps` rates from `lr_min` to `lr_max`,
evenly spaced on a log scale.""", r"""
assert np.allclose(ramp(0.001, 1.0, 4), [0.001, 0.01, 0.1, 1.0])
"""),
         ("06.2", 2, r"""
**Task 06.2.** Write `smooth(losses, beta=0.98)`: the bias-corrected exponential moving average
of the losses, one value per loss, as the range test uses it (and `lrcourse.lr_finder.smooth`).
Start the average at 0, update it with every loss, avg ← β·avg + (1 − β)·loss, and return
avg / (1 − β^(i+1)) at position i. The correction makes `smoothed[0] == losses[0]`; starting
the average at `losses[0]` without the correction also gives that first value, but different
values after it, so it does not count.""", r"""
assert np.allclose(smooth([2.0, 2.0, 2.0], 0.9), [2.0, 2.0, 2.0])   # bias correction keeps a constant
assert np.allclose(smooth([1.0, 0.0], 0.5), [1.0, 1.0 / 3.0])         # avg from 0: 0.5, then 0.25; / 0.5, / 0.75
"""),
         ("06.3", 2, r"""
**Task 06.3.** Write `steepest(lrs, losses)`: the rate where the loss falls fastest against
log η. `range_test_curve()` returns a curve to try it on; plot it to see your choice.""", r"""
lrs = np.geomspace(1e-4, 1.0, 5)
assert steepest(lrs, np.array([1.0, 0.9, 0.3, 0.2, 5.0])) in (lrs[1], lrs[2])
""")],
        []),
    "07_search_and_early_stopping": (
        "07 · Search and early stopping", "notebooks/07_search_and_early_stopping.ipynb",
        "Random search over log-spaced rates, seeded, and early stopping with patience.",
        "from lrcourse.exercises import search_objective",
        [("07.1", 2, r"""
**Task 07.1.** Write `log_uniform(low, high, n, rng)`: `n` rates drawn log-uniformly from
[low, high] with the numpy generator `rng`.""", r"""
x = log_uniform(1e-4, 1e-2, 1000, np.random.default_rng(3))
assert 0.4 < np.mean(x < 1e-3) < 0.6
"""),
         ("07.2", 2, r"""
**Task 07.2.** Write `random_search(objective, low, high, n, seed)`: evaluate `objective` at `n`
log-uniform rates drawn with `np.random.default_rng(seed)` and return `(best_lr, best_value)`.
Try it on `search_objective`, a validation loss against η.""", r"""
lr, value = random_search(lambda lr: (np.log10(lr) + 2) ** 2, 1e-4, 1.0, 200, 1)
assert abs(np.log10(lr) + 2) < 0.1 and value >= 0
"""),
         ("07.3", 2, r"""
**Task 07.3.** Write `early_stop(val_losses, patience)` returning `(stop_epoch, best_epoch)`:
training stops at the first epoch that is `patience` epochs past the best one without
improving on it (or at the last epoch); the model to keep is the one from `best_epoch`. Both are
indices into `val_losses` (0-based: index 0 is the lesson's epoch 1).""", r"""
assert tuple(early_stop([1.0, 0.9, 0.95, 0.96, 0.97, 0.5], 3)) == (4, 1)
""")],
        [("a07_grid_or_random", 2, r"""
**Question (graded by hand).** You tune the learning rate and the weight decay with 16 runs.
Explain in two to four sentences when 16 random points beat a 4 × 4 grid, and when the
advantage shrinks.""", r"""
Usually one of the two settings, here the learning rate, matters much more than the other. A
4 × 4 grid tries only 4 distinct learning rates, each repeated 4 times; 16 random points try 16
distinct values of each, so the important dimension is covered four times more finely for the
same cost. When every setting matters about equally, that advantage shrinks and may vanish within
the seed-to-seed spread; it grows with the number of settings that hardly matter.
""")]),
    "08_pytorch_in_practice": (
        "08 · PyTorch in practice", "notebooks/08_pytorch_in_practice.ipynb",
        "Per-layer learning rates in torch.optim, and the linear scaling rule with warm-up.",
        "import torch",
        [("08.1", 2, r"""
**Task 08.1.** Write `param_groups(model, lr_body, lr_head)` for a `torch.nn.Sequential`: two
parameter groups for `torch.optim`, the last module (the head) at `lr_head`, the rest at
`lr_body`.""", r"""
net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
groups = param_groups(net, 0.001, 0.1)
assert sorted(g["lr"] for g in groups) == [0.001, 0.1]
assert sum(len(list(g["params"])) for g in groups) == 4
"""),
         ("08.2", 2, r"""
**Task 08.2.** Write `scaled_lr(base_lr, base_batch, batch, t, warmup)`: the rate for update
`t` (t = 0 is the first update) under the linear scaling rule with a linear warm-up, the
convention of the lesson's `S.warmup(S.constant(target), warmup, start_factor=base_batch/batch)`
and of PyTorch's `LinearLR(start_factor=base_batch/batch, total_iters=warmup)`:
- the target rate is `base_lr · batch / base_batch` (k times the batch, k times the rate);
- at `t = 0` the rate is `base_lr`, the rate that suits the small batch;
- it rises in a straight line and reaches the target at `t = warmup`, then stays there.

Worked example, `base_lr = 0.1`, `base_batch = 100`, `batch = 400`, `warmup = 4`: the target is
0.4, and t = 0, 1, 2, 3, 4, 5 give 0.1, 0.175, 0.25, 0.325, 0.4, 0.4.""", r"""
assert np.isclose(scaled_lr(0.1, 100, 400, 0, 4), 0.1)
assert np.isclose(scaled_lr(0.1, 100, 400, 1, 4), 0.175)
assert np.isclose(scaled_lr(0.1, 100, 400, 4, 4), 0.4)
assert np.isclose(scaled_lr(0.1, 100, 400, 99, 4), 0.4)
""")],
        [("a08_why_warmup", 2, r"""
**Question (graded by hand).** Why does a large batch with a linearly scaled rate need warm-up?
Answer in two to four sentences.""", r"""
Early in training the loss surface is sharp and the weights are far from any good region, so
the full scaled rate can exceed the stability limit and blow up, and adaptive optimizers
have not yet settled their statistics. Ramping the rate up over the first steps lets the
run reach flatter regions, where the large rate is stable.
""")]),
}


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
    title, lesson, intro, extra, tasks, questions = ASSIGNMENTS[name]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    see = f" It goes with [lesson {title}](../../{lesson})." if lesson else ""
    cells = [nbformat.v4.new_markdown_cell(f"# Exercise {title}\n\n{intro}{see}\n" + HOW_TO.format(first=tasks[0][0]))]
    setup = SETUP.strip() + ("\n" + extra if extra else "")
    cells.append(nbformat.v4.new_code_cell(setup, metadata=_meta(f"a{name[:2]}_setup", locked=True)))
    for task, points, text, hidden in tasks:
        t = TASKS[task]
        cells.append(nbformat.v4.new_markdown_cell(text.strip()))
        cells.append(nbformat.v4.new_code_cell(_solution_cell(task),
                                               metadata=_meta(f"a{task.replace('.', '_')}_{t.name}", solution=True)))
        test = (f'# {points} point{"s" if points > 1 else ""}. Run this cell to check your {t.name}.\n'
                f'check("{task}", {t.name})\n### BEGIN HIDDEN TESTS\n{hidden.strip()}\n### END HIDDEN TESTS')
        meta = _meta(f"a{task.replace('.', '_')}_test", grade=True, locked=True, points=points)
        meta["tags"] = ["raises-exception"]   # fails until the task is done; nbval lets it
        cells.append(nbformat.v4.new_code_cell(test, metadata=meta))
    for grade_id, points, question, answer in questions:
        cells.append(nbformat.v4.new_markdown_cell(question.strip()))
        cells.append(nbformat.v4.new_markdown_cell(
            "### BEGIN SOLUTION\n" + answer.strip() + "\n### END SOLUTION",
            metadata=_meta(grade_id, grade=True, solution=True, points=points)))
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


def points(name):
    _, _, _, _, tasks, questions = ASSIGNMENTS[name]
    return sum(p for _, p, _, _ in tasks), sum(p for _, p, _, _ in questions)


if __name__ == "__main__":
    for name in ASSIGNMENTS:
        print(build(name).relative_to(ROOT))
