"""Lessons are built from tools/notebooks/*.py (jupytext's py:percent) by
tools/build_notebooks.py, committed without outputs, and their sources pass ruff."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_notebooks  # noqa: E402

SOURCES = build_notebooks.sources()


def test_every_lesson_has_a_source_and_every_source_a_lesson():
    assert [p.stem for p in SOURCES] == sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert len(SOURCES) == 11


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_committed_notebook_matches_its_source(source):
    committed = ROOT / "notebooks" / f"{source.stem}.ipynb"
    assert committed.read_text() == build_notebooks.text_of(source), \
        f"regenerate with: make notebooks (python tools/build_notebooks.py {source.name[:2]})"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_a_source_is_python_in_cells(source):
    text = source.read_text()
    assert text.startswith("# %% [markdown]\n# # "), "a lesson opens with its title in a markdown cell"
    assert "if __name__" not in text and "CELLS" not in text
    compile(text, str(source), "exec")        # the whole lesson is one valid Python script
    kinds = [kind for kind, _, _ in build_notebooks.read_cells(source)]
    assert kinds.count("code") >= 3 and kinds.count("md") >= 3


def test_sources_pass_ruff():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    done = subprocess.run([ruff, "check", "--no-cache", "--output-format", "concise", "tools/notebooks"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_finds_what_the_old_string_sources_hid(tmp_path):
    """The lint is real: an unused import and an f-string without placeholders are reported."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    bad = tmp_path / "tools" / "notebooks" / "99_bad.py"
    bad.parent.mkdir(parents=True)
    bad.write_text('# %% [markdown]\n# # 99\n\n# %%\nimport os\n\nprint(f"no placeholder")\n')
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    done = subprocess.run([ruff, "check", "--no-cache", "--output-format", "concise", "tools/notebooks"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "F401" in done.stdout and "F541" in done.stdout, done.stdout


def test_the_builder_refuses_an_unknown_lesson_number():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_notebooks.py"), "42"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "no lesson source numbered 42" in done.stderr


def test_notebooks_carry_no_outputs():
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name
