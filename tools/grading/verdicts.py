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
import re
import uuid

import cloudpickle
import numpy as np

from . import codec

HIDDEN = "### BEGIN HIDDEN TESTS"


def meta(cell) -> dict:
    """A cell's nbgrader metadata; a grade_id that is not a string counts as none."""
    m = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    m = m.get("nbgrader", {}) if isinstance(m, dict) else {}
    if not isinstance(m, dict):
        return {}
    if "grade_id" in m and not isinstance(m["grade_id"], str):
        m = {k: v for k, v in m.items() if k != "grade_id"}
    return m


def text(cell) -> str:
    """A cell's source as one string, whatever shape the (untrusted) file gave it."""
    src = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(src, list):
        return "".join(part for part in src if isinstance(part, str))
    return src if isinstance(src, str) else ""


def is_test(cell) -> bool:
    m = meta(cell)
    return bool(m.get("grade")) and bool(m.get("locked")) and cell.get("cell_type") == "code"


# --------------------------------------------------------------------------- canonical notebook

MAX_TEXT_CELL = 32 << 10        # characters kept of one markdown or raw cell
MAX_TEXT_TOTAL = 256 << 10      # and of all of them (nbgrader renders them into HTML)


def clean_strings(value):
    """``value`` with every string made encodable as UTF-8 (lone surrogates replaced)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [clean_strings(v) for v in value]
    if isinstance(value, dict):
        return {clean_strings(k): clean_strings(v) for k, v in value.items()}
    return value


def defang(markdown: str) -> str:
    """Learner markdown as text, never as live HTML: the feedback pages and the formgrader
    render it on the instructor's side. Tags become visible text; script links go nowhere."""
    markdown = markdown.replace("<", "&lt;")
    return re.sub(r"\]\(\s*(javascript|vbscript|data)\s*:", "](#blocked-", markdown, flags=re.IGNORECASE)


def canonical(submitted: dict, source: dict, release: dict):
    """(notebook for nbgrader, notes in words). ``submitted`` is untrusted JSON data."""
    notes = []
    submitted = clean_strings(submitted)
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
    budget, cut = MAX_TEXT_TOTAL, 0
    for cell in out:
        if cell["cell_type"] != "code" and not meta(cell).get("locked"):
            cell["source"] = defang(cell["source"])
            keep_chars = max(0, min(MAX_TEXT_CELL, budget))
            if len(cell["source"]) > keep_chars:
                cut += 1
                cell["source"] = cell["source"][:keep_chars] + "\n\n[cut by the grader: too long]"
            budget -= len(cell["source"])
    if cut:
        notes.append(f"{cut} text cells were cut to {MAX_TEXT_CELL >> 10} KB each "
                     f"({MAX_TEXT_TOTAL >> 10} KB in all)")
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
        try:
            value = codec.decode(answer, args)
        except Exception:  # noqa: BLE001 - malformed (forged) data is no answer
            value = codec.opaque("unreadable value")
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
                    except Exception:  # noqa: BLE001 - malformed (forged) data is no answer
                        ns[n] = codec.opaque("unreadable value")
                elif n not in missing:
                    ns[n] = replayers[n]
            verdicts[gid] = _run_cell(source_text, ns)
        return verdicts
