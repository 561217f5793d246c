"""The grader's side: everything here runs in a process that never runs learner code.

1. ``canonical`` turns a submitted notebook (as JSON data) into the notebook nbgrader grades:
   every graded cell once, with the metadata and, for locked cells, the source of the
   instructor's version; pasted copies kept as plain cells; missing ids added; outputs dropped.
2. ``Reference`` runs the instructor's notebook (the reference answers live only here) and
   records every call its test cells make to the learner's functions, with the arguments.
3. The sandbox runs the learner's code and makes the same calls (``harness.py``).
4. ``Reference.replay`` runs each test cell again, here, with the learner's functions replaced
   by stand-ins that give back what the sandbox recorded, decoded to plain values. The test
   cell's verdict (passed, or the error and message the learner would have seen) is the grade.
"""

from __future__ import annotations

import contextlib
import copy
import io
import random
import uuid

import cloudpickle
import numpy as np

from . import codec

HIDDEN = "### BEGIN HIDDEN TESTS"


def meta(cell) -> dict:
    m = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    m = m.get("nbgrader", {}) if isinstance(m, dict) else {}
    return m if isinstance(m, dict) else {}


def text(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def is_test(cell) -> bool:
    m = meta(cell)
    return bool(m.get("grade")) and bool(m.get("locked")) and cell.get("cell_type") == "code"


# --------------------------------------------------------------------------- canonical notebook


def canonical(submitted: dict, source: dict, release: dict):
    """(notebook for nbgrader, notes in words). ``submitted`` is untrusted JSON data."""
    notes = []
    by_id = {meta(c)["grade_id"]: c for c in source["cells"] if meta(c).get("grade_id")}
    stubs = {meta(c)["grade_id"]: c for c in release["cells"] if meta(c).get("grade_id")}
    cells = [c for c in submitted.get("cells", []) if isinstance(c, dict)
             and c.get("cell_type") in ("code", "markdown", "raw")]
    # Which copy of a graded cell counts: the last one the learner changed, else the first.
    keep = {}
    for i, cell in enumerate(cells):
        gid = meta(cell).get("grade_id")
        if gid in by_id:
            changed = text(cell).strip() != text(stubs.get(gid, by_id[gid])).strip()
            if gid not in keep or (changed and not by_id[gid].get("metadata", {}).get("nbgrader", {}).get("locked")):
                keep[gid] = i
    copies = sorted({meta(c).get("grade_id") for i, c in enumerate(cells)
                     if meta(c).get("grade_id") in by_id and keep[meta(c)["grade_id"]] != i})
    if copies:
        notes.append(f"copies of cells {', '.join(copies)} were graded as ordinary cells")
    out, used_ids = [], set()
    for i, cell in enumerate(cells):
        gid = meta(cell).get("grade_id")
        if gid in by_id and keep[gid] == i:
            original = by_id[gid]
            if meta(original).get("locked"):
                new = copy.deepcopy(original)
            else:
                new = copy.deepcopy(original)
                new["source"] = text(cell)
        else:
            new = {"cell_type": cell["cell_type"], "metadata": {}, "source": text(cell)}
        new.pop("outputs", None)
        if new["cell_type"] == "code":
            new["outputs"], new["execution_count"] = [], None
        else:
            new.pop("execution_count", None)
            new.pop("outputs", None)
        cid = cell.get("id") if isinstance(cell.get("id"), str) else None
        if not cid or cid in used_ids or len(cid) > 64 or not all(ch.isalnum() or ch in "-_" for ch in cid):
            cid = uuid.uuid5(uuid.NAMESPACE_URL, f"cell-{i}").hex[:12]
        used_ids.add(cid)
        new["id"] = cid
        out.append(new)
    restored = [gid for gid in by_id if gid not in keep and meta(by_id[gid]).get("locked")]
    unanswered = [gid for gid in by_id if gid not in keep and not meta(by_id[gid]).get("locked")]
    for gid in list(by_id):
        if gid in keep:
            continue
        new = copy.deepcopy(by_id[gid] if gid in restored else stubs.get(gid, by_id[gid]))
        if gid in unanswered and gid not in stubs:
            continue
        new["id"] = uuid.uuid5(uuid.NAMESPACE_URL, f"restored-{gid}").hex[:12]
        if new["cell_type"] == "code":
            new["outputs"], new["execution_count"] = [], None
        out.append(new)
    if [g for g in restored if is_test(by_id[g])]:
        notes.append(f"deleted test cells were put back and graded: {', '.join(g for g in restored if is_test(by_id[g]))}")
    nb = {"cells": out, "metadata": copy.deepcopy(source.get("metadata", {})), "nbformat": 4, "nbformat_minor": 5}
    return nb, notes


def learner_cells(nb: dict) -> list:
    """The code the sandbox runs: every code cell but the test cells, in order."""
    return [text(c) for c in nb["cells"] if c["cell_type"] == "code" and not is_test(c)]


# --------------------------------------------------------------------------- reference and replay


class Unanswered(BaseException):
    """A call the sandbox never answered (it stopped first). Not an Exception, so the
    checkers' own error handling cannot turn it into a different message."""


class _Recorder:
    def __init__(self, name, fn, log):
        self.name, self.fn, self.log = name, fn, log

    def __call__(self, *args, **kwargs):
        self.log.append({"name": self.name, "args": cloudpickle.dumps((args, kwargs))})
        return self.fn(*args, **kwargs)


class _Replayer:
    def __init__(self, name, answers):
        self.name, self.answers, self.next = name, answers, 0

    def __call__(self, *args, **kwargs):
        if self.next >= len(self.answers):
            raise Unanswered(f"the test called {self.name} in a way the grader did not foresee")
        answer = self.answers[self.next]
        self.next += 1
        if isinstance(answer, Unanswered):
            raise answer
        value = codec.decode(answer, args)
        if isinstance(value, BaseException):
            raise value
        return value


def _seed():
    random.seed(0)
    np.random.seed(0)
    try:
        import torch

        torch.manual_seed(0)
    except ImportError:
        pass


def _run_cell(source: str, namespace: dict) -> dict:
    """Run one test cell; its verdict as the learner would have seen it."""
    buffer = io.StringIO()
    _seed()
    try:
        with contextlib.redirect_stdout(buffer):
            exec(compile(source, "<test cell>", "exec"), namespace)
    except Unanswered as exc:
        return {"passed": False, "ename": "NotGraded", "evalue": str(exc), "stdout": buffer.getvalue()[-2000:]}
    except AssertionError as exc:
        message = str(exc) or "a hidden test failed (the visible checks are only part of the grading)"
        return {"passed": False, "ename": type(exc).__name__, "evalue": message[:1500],
                "stdout": buffer.getvalue()[-2000:]}
    except Exception as exc:  # noqa: BLE001 - any error fails the test, as in the learner's kernel
        return {"passed": False, "ename": type(exc).__name__, "evalue": str(exc)[:1500],
                "stdout": buffer.getvalue()[-2000:]}
    return {"passed": True, "ename": "", "evalue": "", "stdout": buffer.getvalue()[-2000:]}


class Reference:
    """The instructor's notebook for one assignment, run here once."""

    def __init__(self, source: dict):
        self.source = source
        self.setup = [text(c) for c in source["cells"]
                      if c["cell_type"] == "code" and meta(c).get("locked") and not is_test(c)]
        self.tests = [(meta(c)["grade_id"], text(c)) for c in source["cells"] if is_test(c)]
        reference = self._namespace()
        before = set(reference)
        for c in source["cells"]:
            if c["cell_type"] == "code" and not meta(c).get("locked") and not is_test(c):
                exec(compile(text(c), "<reference>", "exec"), reference)
        self.names = sorted(n for n in set(reference) - before if callable(reference[n]) and not n.startswith("_"))
        self.calls = []
        for gid, source_text in self.tests:
            ns = self._namespace()
            ns.update({n: _Recorder(n, reference[n], self.calls) for n in self.names})
            verdict = _run_cell(source_text, ns)
            if not verdict["passed"]:
                raise RuntimeError(f"the reference answers fail test {gid}: {verdict['ename']}: {verdict['evalue']}")

    def _namespace(self) -> dict:
        ns = {"__name__": "__grader__"}
        with contextlib.redirect_stdout(io.StringIO()):
            for src in self.setup:
                exec(compile(src, "<setup>", "exec"), ns)
        return ns

    def job(self, cells: list) -> dict:
        return {"cells": cells, "calls": [{"name": c["name"], "args": c["args"]} for c in self.calls]}

    def replay(self, lines: list, stopped: str) -> dict:
        """Verdict per test cell from the sandbox's result lines."""
        results = {}
        for line in lines:
            if isinstance(line.get("call"), int) and ("result" in line or "missing" in line or "value" in line):
                results[line["call"]] = line
        answers = {n: [] for n in self.names}
        missing, values = set(), {}
        for k, call in enumerate(self.calls):
            line = results.get(k)
            if line is None:
                answers[call["name"]].append(Unanswered(stopped))
            elif line.get("missing"):
                missing.add(call["name"])
            elif "value" in line:
                values[call["name"]] = line["value"]
            else:
                answers[call["name"]].append(line["result"])
        replayers = {n: _Replayer(n, answers[n]) for n in self.names}
        verdicts = {}
        for gid, source_text in self.tests:
            ns = self._namespace()
            for n in self.names:
                if n in values:
                    try:
                        ns[n] = codec.decode(values[n])
                    except (ValueError, TypeError, KeyError, IndexError):
                        ns[n] = codec.opaque("unreadable")
                elif n not in missing:
                    ns[n] = replayers[n]
            verdicts[gid] = _run_cell(source_text, ns)
        return verdicts
