"""How feedback and progress look to a learner in Jupyter.

- ``check`` failures show as one coloured line (IPython's ``_render_traceback_``), not as a
  traceback through lrcourse, and the cell still fails;
- the last hint points to ``solution`` only where solutions are on;
- ``sweeps.progress`` bars hide the bars made inside them and leave no output behind;
- every lesson cell that trains models in a loop shows a bar, and ``progress=False`` stays
  only where a comment says why the cell is quick.
"""

import ast
import re
import sys
from pathlib import Path

import pytest

from lrcourse import exercises as E
from lrcourse import sweeps

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "tools" / "notebooks").glob("[0-9][0-9]_*.py"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --------------------------------------------------------------------------- feedback in IPython


@pytest.fixture(scope="module")
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    sh.run_cell("import numpy as np\nfrom lrcourse.exercises import check")
    yield sh
    InteractiveShell.clear_instance()


def run_cell(shell, code):
    from IPython.utils.capture import capture_output

    with capture_output() as cap:
        result = shell.run_cell(code)
    return result, cap.stdout + cap.stderr


STUB = "def step_decay(lr0, drop, every, n):\n    raise NotImplementedError()\n"
LATE = "def step_decay(lr0, drop, every, n):\n    return lr0 * drop ** (np.asarray(n) // every)\n"
BUGGY = "def step_decay(lr0, drop, every, n):\n    scale = 0\n    return lr0 / scale\n"


@pytest.mark.parametrize("body, kind, colour, words", [
    (STUB, E.NotAttempted, "\x1b[38;5;208m", ["… 04.1 step decay", "not attempted yet",
                                               "raise NotImplementedError line in step_decay"]),
    (LATE, E.Wrong, "\x1b[1;31m", ["✗ 04.1 step decay", "drops one step late", "at n=1 expected 0.05, got 0.1"]),
    (BUGGY, E.Wrong, "\x1b[1;31m", ["✗ 04.1", "raised ZeroDivisionError: float division by zero",
                                     "in step_decay, line 3: `return lr0 / scale`"]),
], ids=["not attempted", "wrong", "learner's exception"])
def test_a_failed_check_shows_one_coloured_line_and_the_cell_still_fails(shell, body, kind, colour, words):
    result, shown = run_cell(shell, body + 'check("04.1", step_decay)')
    assert isinstance(result.error_in_exec, kind)           # nbgrader and the grader still see an error
    lines = shown.strip("\n").splitlines()
    assert len(lines) == 1, shown
    assert lines[0].startswith(colour) and lines[0].endswith("\x1b[0m"), repr(lines[0])
    plain = ANSI.sub("", lines[0])
    for w in words:
        assert w in plain, (w, plain)
    assert "Traceback" not in shown and "lrcourse" not in shown and "exercises.py" not in shown
    assert result.error_in_exec._render_traceback_() == [lines[0]]
    # the exception's own message, which the grader reports, is unchanged
    assert kind.__name__ == type(result.error_in_exec).__name__ and str(result.error_in_exec)


def test_checking_nothing_and_passing_look_right_too(shell):
    result, shown = run_cell(shell, 'check("04.1", None)')
    assert isinstance(result.error_in_exec, E.NotAttempted)
    assert ANSI.sub("", shown).strip() == "… 04.1 step decay, as the formula is written: not attempted yet " \
                                          "(check got None instead of your function)"
    exact = "def step_decay(lr0, drop, every, n):\n    return lr0 * drop ** ((1 + np.asarray(n)) // every)\n"
    result, shown = run_cell(shell, exact + 'ok = check("04.1", step_decay)')
    assert result.error_in_exec is None and "✓ 04.1" in shown


def test_the_line_is_one_line_even_for_a_message_of_several():
    err = E.Wrong("first part\n  second part")
    assert err.line() == "✗ first part second part"
    assert len(err._render_traceback_()) == 1


def test_outside_ipython_it_is_still_an_assertion_error_with_the_full_message():
    with pytest.raises(AssertionError, match="it still raises NotImplementedError") as info:
        E.check("04.1", lambda *a: (_ for _ in ()).throw(NotImplementedError()))
    assert info.value.task is E.TASKS["04.1"]


# --------------------------------------------------------------------------- hints


def all_hints(task, capsys):
    E._hints_shown.pop(task, None)
    for _ in E.TASKS[task].hints:
        E.hint(task)
    return capsys.readouterr().out.strip().splitlines()


def test_the_last_hint_points_to_the_solution_when_solutions_are_on(capsys, monkeypatch):
    monkeypatch.delenv("LRCOURSE_NO_SOLUTIONS", raising=False)
    if E.solutions_disabled():
        pytest.skip("this copy has no _answers.py")
    out = all_hints("04.1", capsys)
    assert 'solution("04.1")' in out[-1]
    assert not any("solution" in line for line in out[:-1])


def test_the_last_hint_does_not_point_to_solutions_that_are_turned_off(capsys, monkeypatch):
    monkeypatch.setenv("LRCOURSE_NO_SOLUTIONS", "1")
    out = all_hints("04.1", capsys)
    assert "solution" not in " ".join(out)
    assert "all 3 are shown" in out[-1] and "re-read the part of lesson 04" in out[-1]
    E.hint("04.1")                                           # asking again repeats the last stage
    assert "re-read" in capsys.readouterr().out


# --------------------------------------------------------------------------- progress bars


def test_a_bar_inside_a_progress_loop_is_hidden_and_all_bars_close():
    from tqdm.std import tqdm

    outer = sweeps.progress(range(3), desc="outer")
    assert shown(outer) and not outer.disable
    for _ in outer:
        inner = sweeps.progress(range(2), desc="inner")
        assert not shown(inner)
        list(inner)
    assert outer.disable                                      # closed: tqdm disables a closed bar
    assert not sweeps.progress(range(1), desc="next").disable
    assert all(b.disable for b in list(tqdm._instances))


def test_a_loop_that_fails_or_is_left_early_closes_its_bar():
    def failing():
        for _ in sweeps.progress(range(3), desc="failing"):
            raise RuntimeError("the learner's bug")

    with pytest.raises(RuntimeError):
        failing()
    for i in sweeps.progress(range(5), desc="left early"):
        if i == 1:
            break
    i = None
    assert shown(sweeps.progress(range(1), desc="next"))    # no bar left open to hide the next one


@pytest.fixture
def bars_made(monkeypatch):
    made = []
    real = sweeps.progress

    def recording(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(sweeps, "progress", recording)
    return made


def shown(bar):
    """Whether a bar was drawn at all (tqdm sets up no clock for a bar made disabled)."""
    return hasattr(bar, "start_t")


def tiny_task():
    torch = pytest.importorskip("torch")
    X, y = torch.randn(40, 4, generator=torch.Generator().manual_seed(0)), torch.arange(40) % 3
    return torch, (X, y)


def test_training_shows_its_own_bar_alone_and_hides_it_inside_a_progress_loop(bars_made):
    torch, data = tiny_task()
    from lrcourse import training as T

    net = torch.nn.Linear(4, 3)
    T.fit(net, data, data, torch.optim.SGD(net.parameters(), lr=0.1), epochs=2, device="cpu")
    assert len(bars_made) == 1 and bars_made[0].total == 2
    assert shown(bars_made[0]) and bars_made[0].disable       # shown, then closed
    del bars_made[:]
    for seed in sweeps.progress([0, 1], desc="training 2 seeds"):
        torch.manual_seed(seed)
        net = torch.nn.Linear(4, 3)
        T.fit(net, data, data, torch.optim.SGD(net.parameters(), lr=0.1), epochs=2, device="cpu")
    outer, inner = bars_made[0], bars_made[1:]
    assert outer.total == 2 and shown(outer)
    assert len(inner) == 2 and all(bar.total == 2 and not shown(bar) for bar in inner)


def test_a_library_loop_can_advance_the_cells_bar_instead_of_its_own(bars_made):
    torch, data = tiny_task()
    from lrcourse import training as T

    nets = [torch.nn.Linear(4, 3) for _ in range(2)]
    params = [p for n in nets for p in n.parameters()]
    bar = sweeps.progress(total=3 + 5, desc="two trainings")
    with bar:
        T.fit_many(nets, [0, 1], data, data, torch.optim.SGD(params, lr=0.1), epochs=3, device="cpu", progress=bar)
        T.fit_stack([0.1], [0], data, steps=5, batch_size=8, sizes=(4, 5, 3), progress=bar)
        assert bar.n == 8
    assert bars_made == [bar]                                 # no bar of their own


def test_building_lesson_04s_schedule_tabs_shows_a_bar(bars_made):
    # eleven dashboards take several seconds to build: one bar, advanced once per dashboard
    from lrcourse import widgets as W

    W.schedule_tabs()
    (bar,) = bars_made
    assert bar.total == bar.n == sum(len(names) for names in W.SCHEDULE_GROUPS.values()) == 11
    assert shown(bar) and bar.disable and "dashboards" in bar.desc


@pytest.mark.parametrize("show", [False, True])
def test_range_tests_and_searches_take_progress(bars_made, show):
    torch, data = tiny_task()
    from lrcourse import lr_finder, search

    net = torch.nn.Linear(4, 3)
    lr_finder.torch_range_test(net, torch.nn.functional.cross_entropy, [data], torch.optim.SGD(net.parameters(), lr=0.1),
                               steps=5, progress=show)
    search.random_search(lambda lr: lr, {"lr": (1e-3, 1.0, "log")}, 4, progress=show)
    search.grid_search(lambda lr: lr, {"lr": (1e-3, 1.0, "log")}, 3, progress=show)
    assert len(bars_made) == 3 and [b.total for b in bars_made] == [5, 4, 3]
    assert all(shown(b) == show and b.disable for b in bars_made)     # hidden, or shown and closed


def test_progress_leaves_no_text_in_an_executed_notebook(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell(
        "import warnings\nwarnings.simplefilter('always')\nfrom lrcourse.sweeps import progress\n"
        "print('before')\nfor i in progress(range(3), desc='training 3 seeds'):\n"
        "    for j in progress(range(2), desc='epochs'):\n        pass\n"
        "for i in progress(range(5), desc='left early'):\n    break\nprint('after')"))
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert text == "before\nafter\n"                          # no warning, no bar text
    for o in outputs:
        if o.output_type == "display_data":
            assert set(o.data) == {"text/plain"} and o.data["text/plain"] == "", o


# --------------------------------------------------------------------------- lesson sources

TRAINERS = {"fit", "fit_many", "fit_stack", "sweep_rates", "range_test", "torch_range_test"}
BARS = {"progress", "tqdm", "trange"}


def code_cells(path):
    sys.path.insert(0, str(ROOT / "tests"))
    from lessons import load_source

    return [c[1] for c in load_source(path).CELLS if c[0] == "code"]


def called_names(node):
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            f = sub.func
            yield f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)


def training_functions(trees):
    """Names of the functions a lesson defines that train, directly or through each other."""
    defs = {}
    for tree in trees:
        for n in ast.walk(tree):
            if isinstance(n, ast.FunctionDef):
                defs[n.name] = n
            elif isinstance(n, ast.Assign) and isinstance(n.value, ast.Lambda):
                defs.update({t.id: n.value for t in n.targets if isinstance(t, ast.Name)})
    trains = set(TRAINERS)
    grew = True
    while grew:
        grew = False
        for name, node in defs.items():
            if name not in trains and trains & set(called_names(node)):
                trains.add(name)
                grew = True
    return trains


def loops(tree):
    """(loop node, iterables, body nodes) for every for loop and comprehension."""
    for node in ast.walk(tree):
        if isinstance(node, ast.For):
            yield node, [node.iter], node.body
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            elt = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            yield node, [g.iter for g in node.generators], elt + [i for g in node.generators for i in g.ifs]


def is_bar(node):
    return isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Name) and node.func.id in BARS)
        or (isinstance(node.func, ast.Attribute) and node.func.attr in BARS))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_every_loop_that_trains_shows_a_progress_bar(path):
    cells = code_cells(path)
    trees = [ast.parse(c) for c in cells]
    trains = training_functions(trees)
    missing = []
    for cell, tree in zip(cells, trees):
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for loop, iters, body in loops(tree):
            if not any(trains & set(called_names(b)) for b in body):
                continue
            # this loop trains: it, or a loop around it, iterates over a bar, or it runs
            # inside `with progress(total=...) as bar:` (and advances the bar by hand)
            node, covered = loop, False
            while node is not None and not covered:
                if isinstance(node, (ast.For, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
                    its = [node.iter] if isinstance(node, ast.For) else [g.iter for g in node.generators]
                    covered = any(is_bar(i) for i in its)
                elif isinstance(node, ast.With):
                    covered = any(is_bar(item.context_expr) for item in node.items)
                node = parents.get(node)
            line = cell.splitlines()[loop.lineno - 1]
            if not covered and "quick" not in line.partition("#")[2]:     # a quick loop says so
                missing.append(line.strip())
    assert not missing, f"{path.name}: loops that train without a progress bar: {missing}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_progress_false_stays_only_where_a_comment_says_the_cell_is_quick(path):
    for cell in code_cells(path):
        for line in cell.splitlines():
            if "progress=False" in line:
                code, _, comment = line.partition("#")
                assert "progress=False" in code and "quick" in comment, (path.name, line.strip())


def test_a_with_bar_is_advanced_inside():
    for path in SOURCES:
        for cell in code_cells(path):
            for node in ast.walk(ast.parse(cell)):
                if isinstance(node, ast.With) and any(is_bar(i.context_expr) for i in node.items):
                    name = node.items[0].optional_vars.id
                    body = ast.unparse(node)
                    assert f"{name}.update()" in body or f"progress={name}" in body, (path.name, body[:200])


def test_bar_descriptions_are_words_not_variable_names():
    for path in SOURCES:
        for cell in code_cells(path):
            for node in ast.walk(ast.parse(cell)):
                if is_bar(node):
                    desc = [k.value for k in node.keywords if k.arg == "desc"]
                    assert desc, (path.name, ast.unparse(node))
                    assert isinstance(desc[0], (ast.Constant, ast.JoinedStr)), (path.name, ast.unparse(node))
                    assert not any(k.arg == "leave" and getattr(k.value, "value", None) for k in node.keywords)
