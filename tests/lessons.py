"""Helpers for the lesson tests: a lesson's cells from its source (tools/notebooks/NN_name.py,
jupytext's py:percent format), and any other plain-Python source (tools/exercises.py)."""

import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))


def lesson_cells(path):
    """The cells of a lesson source as (kind, source, tags), kind "md" or "code"."""
    from build_notebooks import read_cells

    return read_cells(Path(path))


def load_source(path):
    """A lesson source as an object whose CELLS are its cells; any other Python file executed as
    a fresh module."""
    path = Path(path)
    if path.parent == ROOT / "tools" / "notebooks":
        return SimpleNamespace(CELLS=lesson_cells(path))
    spec = importlib.util.spec_from_file_location(f"source_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
