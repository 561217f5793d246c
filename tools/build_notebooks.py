"""Build the lessons, notebooks/NN_name.ipynb, from their sources, tools/notebooks/NN_name.py.

    make notebooks                              (every lesson)
    python tools/build_notebooks.py [03 04]     (every lesson, or those numbered)

A source is a Python file in jupytext's py:percent format: a cell starts at a ``# %%`` line,
``# %% [markdown]`` cells hold their text as comments, and a code cell with tags says so in its
header (``# %% tags=["raises-exception"]``). So a source runs as a script, ruff lints it
(tests/test_notebook_sources.py), and JupyterLab with jupytext opens it as a notebook.

The notebook gets the cells of its source with ids c000, c001, ... by position, then the two
cells of tools/reach.py after its title (links to Colab and Binder, the Colab install cell),
and no outputs. A test fails when a committed notebook is not what its source builds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "tools" / "notebooks"
sys.path.insert(0, str(ROOT / "tools"))
from reach import insert_front_cells  # noqa: E402


def sources() -> list[Path]:
    return sorted(SOURCES.glob("[0-9][0-9]_*.py"))


def read_cells(path: Path) -> list[tuple[str, str, list[str]]]:
    """A source's cells as (kind, source, tags), kind "md" or "code"."""
    text = jupytext.read(path, fmt="py:percent")
    return [("md" if c.cell_type == "markdown" else "code", c.source, list(c.metadata.get("tags", [])))
            for c in text.cells]


def notebook(path: Path):
    """The notebook a source builds (without outputs)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, source, tags) in enumerate(read_cells(path)):
        cell = nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        cell["id"] = f"c{i:03d}"
        nb.cells.append(cell)
    insert_front_cells(nb, f"notebooks/{path.stem}.ipynb")
    return nb


def text_of(path: Path) -> str:
    return nbformat.writes(notebook(path)) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build notebooks/*.ipynb from tools/notebooks/*.py.")
    parser.add_argument("numbers", nargs="*", metavar="NN", help="only the lessons with these numbers")
    args = parser.parse_args(argv)
    chosen = [p for p in sources() if not args.numbers or p.name[:2] in args.numbers]
    unknown = set(args.numbers) - {p.name[:2] for p in chosen}
    if unknown:
        parser.error(f"no lesson source numbered {', '.join(sorted(unknown))} in {SOURCES.relative_to(ROOT)}")
    for path in chosen:
        out = ROOT / "notebooks" / f"{path.stem}.ipynb"
        out.write_text(text_of(path))
        print(out.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
