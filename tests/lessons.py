"""Helper for the lesson tests: load a plain-Python source (a lesson's CELLS, tools/exercises.py)."""

import importlib.util
from pathlib import Path


def load_source(path):
    """Execute the Python file at ``path`` as a fresh module and return it."""
    path = Path(path)
    spec = importlib.util.spec_from_file_location(f"source_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
