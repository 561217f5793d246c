"""`pip install lrcourse` brings the course: the sdist and the wheel are built here (the wheel
from the sdist, as PyPI users would get it), both carry the lessons and exercises, and the
wheel, installed with the `lab` extra into a fresh virtual environment, copies them out with
`lrcourse notebooks DIR` (never over a learner's edits) and runs them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "lrcourse", "notebooks", "exercises")
LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
EXERCISES = sorted(p.relative_to(ROOT / "exercises").as_posix() for p in (ROOT / "exercises").glob("*/*.ipynb"))


def _run(args, **kw):
    kw.setdefault("timeout", 900)
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, stdin=subprocess.DEVNULL, **kw)


def prepare(folder: Path) -> dict:
    """Build the sdist and the wheel from a copy of the sources (`python -m build`: the wheel is
    built from the sdist), then install the wheel with the `lab` extra into a fresh virtual
    environment. Writes and returns a report (prepare.json in ``folder``).

    tests/conftest.py starts this in a separate process as soon as the tests are collected, so
    the install (about a minute) runs beside the first tests instead of before its own."""
    folder.mkdir(parents=True, exist_ok=True)
    report = {"build_rc": None, "install_rc": None}
    source = folder / "src"
    source.mkdir()
    skip = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        (shutil.copytree(path, source / name, ignore=skip) if path.is_dir() else shutil.copy(path, source / name))
    done = _run([sys.executable, "-m", "build", "--outdir", folder / "dist", source])
    report.update(build_rc=done.returncode, build_output=done.stdout + done.stderr)
    if done.returncode == 0:
        wheel = next((folder / "dist").glob("lrcourse-*.whl"))
        venv = folder / "venv"
        _run([sys.executable, "-m", "venv", venv])
        python = venv / "bin" / "python"
        torch = _run([python, ROOT / "tools" / "torch_source.py"]).stdout.split()
        # --no-compile: the byte code of PyTorch's many modules would double the install's time here
        done = _run([python, "-m", "pip", "install", "--quiet", "--no-compile", "-c", ROOT / "constraints.txt",
                     "-c", ROOT / "requirements" / "lab-lock.txt", f"{wheel}[lab]", *torch])
        report.update(install_rc=done.returncode, install_output=done.stdout[-2000:] + done.stderr[-3000:])
    (folder / "prepare.json").write_text(json.dumps(report))
    return report


def start_in_background(folder: Path) -> subprocess.Popen:
    """Run prepare(folder) in another process (tests/conftest.py calls this)."""
    log = open(folder.parent / f"{folder.name}.log", "w")
    return subprocess.Popen([sys.executable, __file__, str(folder)], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def prepared(request, tmp_path_factory):
    """(folder, report) of prepare(): the background run's when conftest started one, else now."""
    pytest.importorskip("build", reason="the build package is missing (pip install -e '.[test]')")
    started = getattr(request.config, "_lrcourse_install", None)
    if started is not None:
        process, folder = started
        process.wait(timeout=1800)
        done = folder / "prepare.json"
        log = folder.parent / f"{folder.name}.log"
        assert done.is_file(), f"the background build failed:\n{log.read_text()[-3000:] if log.is_file() else ''}"
        report = json.loads(done.read_text())
    else:
        folder = tmp_path_factory.mktemp("install")
        report = prepare(folder)
    output = report.get("build_output", "")
    if report["build_rc"] != 0 and re.search(r"No matching distribution found for setuptools|Could not fetch", output):
        pytest.skip("pip cannot fetch setuptools for the build here (no package index)")
    assert report["build_rc"] == 0, output[-3000:]
    assert not re.search(r"Deprecat", output), [line for line in output.splitlines() if "eprecat" in line][:5]
    return folder, report


@pytest.fixture(scope="module")
def dists(prepared):
    folder, _ = prepared
    return next((folder / "dist").glob("lrcourse-*.tar.gz")), next((folder / "dist").glob("lrcourse-*.whl"))


def test_sdist_and_wheel_carry_the_lessons_the_exercises_and_the_command(dists):
    sdist, wheel = dists
    with tarfile.open(sdist) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    assert {f"notebooks/{n}" for n in LESSONS} <= names
    assert {f"exercises/{n}" for n in EXERCISES} <= names
    assert not any(n.startswith("solutions/") for n in names), "the sdist must not carry the solutions"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        entry = zf.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert {f"lrcourse/course/notebooks/{n}" for n in LESSONS} <= names
    assert {f"lrcourse/course/exercises/{n}" for n in EXERCISES} <= names
    assert not any("solutions" in n or "BEGIN SOLUTION" in n for n in names)
    assert re.search(r"^lrcourse = lrcourse\.cli:main$", entry, re.M), entry
    assert "License-Expression: MIT" in meta and "Requires-Python: >=3.11" in meta
    assert re.search(r"^Project-URL: Repository, https://github\.com/", meta, re.M)
    assert "Provides-Extra: lab" in meta


EXERCISE_CHECK = r'''
"""Fill in task 01.1 of the copied exercise with the reference answer and run its check cell."""
import sys
import nbformat
from nbclient import NotebookClient
from lrcourse.exercises import answer, task_of

path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
cells = []
for cell in nb.cells:
    if cell.cell_type != "code":
        continue
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
    if task_of(grade_id) == ("01.1", "answer"):
        cell.source = answer("01.1")
    cells.append(cell)
    if task_of(grade_id) == ("01.1", "test"):
        break
nb.cells = cells
NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(sys.argv[2])}}).execute()
print("".join(o.get("text", "") for o in nb.cells[-1].outputs))
'''


@pytest.mark.slow
def test_the_wheel_in_a_fresh_environment_brings_the_course(prepared, dists, tmp_path):
    folder, report = prepared
    sdist, wheel = dists
    assert report["install_rc"] == 0, report["install_output"]
    python, bin_dir = folder / "venv" / "bin" / "python", folder / "venv" / "bin"
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    env.pop("PYTHONPATH", None)
    course = tmp_path / "my course"

    first = _run([bin_dir / "lrcourse", "notebooks", course], env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"Copied {len(LESSONS) + len(EXERCISES)} notebook(s)" in first.stdout
    assert sorted(p.name for p in (course / "notebooks").glob("*.ipynb")) == LESSONS
    # a learner's edit survives a second copy, and the command says it kept the file
    mine = course / "notebooks" / "01_what_is_a_learning_rate.ipynb"
    edited = json.loads(mine.read_text())
    edited["cells"].append({"cell_type": "markdown", "id": "mine", "metadata": {}, "source": "my own notes"})
    mine.write_text(json.dumps(edited))
    (course / "notebooks" / "02_curvature_newton_line_search.ipynb").unlink()
    second = _run([bin_dir / "lrcourse", "notebooks", course], env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "Copied 1 notebook(s)" in second.stdout and "not overwritten" in second.stdout
    assert "my own notes" in mine.read_text()

    # a copied lesson runs in the installed environment, from its own folder
    lesson = _run([bin_dir / "jupyter", "nbconvert", "--to", "notebook", "--execute", "--output", "ran.ipynb",
                   "00_start_here.ipynb"], env=env, cwd=course / "notebooks")
    assert lesson.returncode == 0, lesson.stderr[-3000:]
    ran = json.loads((course / "notebooks" / "ran.ipynb").read_text())
    printed = "".join("".join(o.get("text", "")) for c in ran["cells"] if c["cell_type"] == "code" for o in c["outputs"])
    assert "lrcourse" in printed and "diverged" in printed
    # a copied exercise's check works there too
    folder = course / "exercises" / "01_what_is_a_learning_rate"
    script = tmp_path / "exercise_check.py"
    script.write_text(EXERCISE_CHECK)
    check = _run([python, script, folder / "01_what_is_a_learning_rate.ipynb", folder], env=env, cwd=folder)
    assert check.returncode == 0, check.stderr[-3000:]
    assert "✓ 01.1" in check.stdout, check.stdout

    # the sdist installs too (pip builds its wheel), and its command finds the course
    done = _run([python, "-m", "pip", "install", "--quiet", "--no-compile", "--no-deps", "--force-reinstall", sdist])
    assert done.returncode == 0, done.stderr[-3000:]
    only = _run([bin_dir / "lrcourse", "exercises", tmp_path / "from sdist"], env=env, cwd=tmp_path)
    assert only.returncode == 0 and f"Copied {len(EXERCISES)} notebook(s)" in only.stdout, only.stdout + only.stderr
    assert not (tmp_path / "from sdist" / "notebooks").exists()


if __name__ == "__main__":
    prepare(Path(sys.argv[1]))
