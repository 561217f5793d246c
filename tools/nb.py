"""Write a notebook from a list of cells: ("md", text) or ("code", source[, tags]).

Used by the notebook sources in tools/notebooks/*.py so that lessons are edited as plain
Python and diffs stay readable. Output notebooks carry no outputs.
"""

import sys
from pathlib import Path

import nbformat


def build(cells, path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for cell in cells:
        kind, source = cell[0], cell[1].strip("\n")
        if kind == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(source))
        else:
            c = nbformat.v4.new_code_cell(source)
            if len(cell) > 2:
                c.metadata["tags"] = list(cell[2])
            nb.cells.append(c)
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i:03d}"
    Path(path).write_text(nbformat.writes(nb) + "\n")


if __name__ == "__main__":
    sys.exit("import this module from a notebook source")
