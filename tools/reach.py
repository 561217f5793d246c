"""The routes to the course without a clone, made from the one repository address in
pyproject.toml ([project.urls] Repository):

- "run-elsewhere", a cell after each lesson's and exercise's title: links that open the notebook
  in Google Colab and on Binder;
- "colab-setup", the first code cell. On Colab it installs the course library (without its
  dependencies: Colab already has numpy, PyTorch, matplotlib, scikit-learn, ipywidgets and tqdm);
  anywhere else it does nothing.

tools/build_notebooks.py (lessons), tools/exercises.py (exercises) and tools/website.py use it.
"""

import re
import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BRANCH = "main"
COLAB_CELL_ID = "colab-setup"
LINKS_CELL_ID = "run-elsewhere"


def repository(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The course's public repository (https://github.com/OWNER/NAME), from pyproject.toml."""
    url = tomllib.loads(pyproject.read_text())["project"]["urls"]["Repository"].rstrip("/")
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise ValueError(f"[project.urls] Repository must be https://github.com/OWNER/NAME, got {url!r}")
    return url


def colab_url(path: str, repo: str | None = None) -> str:
    """Open the notebook at ``path`` (relative to the repository root) in Google Colab."""
    owner_name = (repo or repository()).removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{owner_name}/blob/{BRANCH}/{path}"


def binder_url(path: str, repo: str | None = None) -> str:
    """Start JupyterLab on Binder at the repository root, with ``path`` open."""
    owner_name = (repo or repository()).removeprefix("https://github.com/")
    return f"https://mybinder.org/v2/gh/{owner_name}/{BRANCH}?urlpath=lab/tree/{path}"


def colab_source(repo: str | None = None) -> str:
    """The code of the Colab cell: pip installs the library from the repository, on Colab only."""
    requirement = f"lrcourse @ git+{repo or repository()}@{BRANCH}"
    return f'''# On Google Colab only: install the course library (Colab has the rest).
# Anywhere else (make lab, lrcourse lab, Binder, a workshop hub) this does nothing.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "{requirement}"],
                   check=True)'''


def front_cells(path: str, repo: str | None = None) -> list:
    """The links cell and the Colab cell for the notebook at ``path`` in the repository."""
    repo = repo or repository()
    links = nbformat.v4.new_markdown_cell(
        f"**Run this notebook elsewhere:** [Open in Colab]({colab_url(path, repo)}) · "
        f"[Launch on Binder]({binder_url(path, repo)}) (Binder builds its environment on the first launch, so that one is slow) · "
        f"on your own machine, [install the course]({repo}#readme) and run `lrcourse lab` or `make lab`.")
    links["id"] = LINKS_CELL_ID
    setup = nbformat.v4.new_code_cell(colab_source(repo))
    setup["id"] = COLAB_CELL_ID
    return [links, setup]


def insert_front_cells(nb, path: str) -> None:
    """Put the front cells after the notebook's first cell (its title)."""
    nb.cells[1:1] = front_cells(path)


if __name__ == "__main__":
    sys.exit("import this module (tools/build_notebooks.py, tools/exercises.py and tools/website.py do)")
