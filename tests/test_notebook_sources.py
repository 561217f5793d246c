"""Notebooks are generated from tools/notebooks/*.py and committed without outputs."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "tools" / "notebooks").glob("*.py"))
sys.path.insert(0, str(ROOT / "tools"))


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_committed_notebook_matches_its_source(source, tmp_path):
    from nb import build

    spec = importlib.util.spec_from_file_location(source.stem, source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / f"{source.stem}.ipynb"
    build(module.CELLS, out)
    committed = ROOT / "notebooks" / out.name
    assert committed.exists(), f"run: python {source.relative_to(ROOT)}"
    assert committed.read_text() == out.read_text(), f"regenerate with: python {source.relative_to(ROOT)}"


def test_notebooks_carry_no_outputs():
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name
