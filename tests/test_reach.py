"""Reaching the course without a clone: the Colab cell and the Colab/Binder links of every
lesson and exercise (tools/reach.py), and the `lrcourse` command (lrcourse/cli.py) in-process.
The installed wheel is tested in test_install.py, the website in test_site.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from lrcourse import cli

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import reach as builder  # noqa: E402  (tools/reach.py)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "exercises").glob("*/*.ipynb")) \
    + sorted((ROOT / "solutions").glob("*/*.ipynb"))


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _repo_path(path: Path) -> str:
    """Where the notebook is in the repository; a solution's links point at its exercise."""
    relative = path.relative_to(ROOT).as_posix()
    return "exercises/" + relative.removeprefix("solutions/") if relative.startswith("solutions/") else relative


def test_the_repository_is_named_in_one_place_and_must_be_a_github_address(tmp_path):
    assert builder.repository() == "https://github.com/lrcourse/lrcourse"
    bad = tmp_path / "pyproject.toml"
    bad.write_text('[project.urls]\nRepository = "https://example.org/x"\n')
    with pytest.raises(ValueError, match="Repository must be https://github.com/OWNER/NAME"):
        builder.repository(bad)
    # README.md names it in its badges, and the test below keeps those in step with pyproject.toml
    files = [ROOT / "site" / "run.md", ROOT / "tools" / "website.py", ROOT / "site" / "conf.py",
             *sorted((ROOT / "tools" / "notebooks").glob("*.py")), ROOT / "tools" / "exercises.py"]
    for path in files:
        assert "github.com/lrcourse" not in path.read_text(), f"{path.name} names the repository itself"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name if p.parent.name != "notebooks" else p.stem)
def test_every_notebook_links_to_colab_and_binder_and_installs_on_colab_first(path):
    cells = _cells(path)
    ids = [c["id"] for c in cells]
    assert ids[1:3] == [builder.LINKS_CELL_ID, builder.COLAB_CELL_ID], "the links and the Colab cell follow the title"
    links = "".join(cells[1]["source"])
    where = _repo_path(path)
    assert f"(https://colab.research.google.com/github/lrcourse/lrcourse/blob/main/{where})" in links
    assert f"(https://mybinder.org/v2/gh/lrcourse/lrcourse/main?urlpath=lab/tree/{where})" in links
    first_code = next(c for c in cells if c["cell_type"] == "code")
    assert first_code["id"] == builder.COLAB_CELL_ID and first_code["outputs"] == []
    assert "".join(first_code["source"]) == builder.colab_source()


def _run_colab_cell(monkeypatch, on_colab: bool) -> list:
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: calls.append((args, kw)))
    if on_colab:
        monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(builder.colab_source(), "colab-setup", "exec"), {})
    return calls


def test_the_colab_cell_installs_only_the_course_library_and_only_on_colab(monkeypatch):
    calls = _run_colab_cell(monkeypatch, on_colab=True)
    assert len(calls) == 1
    args, kw = calls[0]
    assert args[:4] == [sys.executable, "-m", "pip", "install"] and kw == {"check": True}
    packages = [a for a in args[4:] if not a.startswith("-")]
    # the library from the repository, and nothing Colab already has (--no-deps: not even numpy)
    assert packages == ["lrcourse @ git+https://github.com/lrcourse/lrcourse@main"] and "--no-deps" in args
    assert _run_colab_cell(monkeypatch, on_colab=False) == []


def test_the_colab_cell_is_a_no_op_in_a_real_kernel_here():
    done = subprocess.run([sys.executable, "-c", builder.colab_source() + "\nprint('ran', 'subprocess' in dir())"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ran False" and done.stderr == ""


def test_readme_offers_binder_on_the_first_lesson_and_colab():
    readme = (ROOT / "README.md").read_text()
    binder = builder.binder_url("notebooks/00_start_here.ipynb")
    assert binder.endswith("?urlpath=lab/tree/notebooks/00_start_here.ipynb") and binder in readme
    assert builder.colab_url("notebooks/00_start_here.ipynb") in readme
    assert "lrcourse notebooks" in readme and "make site" in readme and "make test-site" in readme


# --------------------------------------------------------------------------- the command, in-process


def test_copy_course_copies_the_layout_then_keeps_what_is_there(tmp_path):
    said = []
    copied, kept = cli.copy_course(tmp_path / "c", say=said.append)
    lessons = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in (tmp_path / "c" / "notebooks").iterdir()) == lessons
    assert (tmp_path / "c" / "exercises" / "04_schedules" / "04_schedules.ipynb").is_file()
    assert kept == [] and len(copied) == len(lessons) + 8
    # a lesson's link to its exercise resolves inside the copy
    text = (tmp_path / "c" / "notebooks" / "04_schedules.ipynb").read_text()
    link = re.search(r"\]\((\.\./exercises/[^)]+)\)", text).group(1)
    assert (tmp_path / "c" / "notebooks" / link).resolve().is_file()
    mine = tmp_path / "c" / "notebooks" / "03_momentum.ipynb"
    mine.write_text("my edits")
    said.clear()
    copied, kept = cli.copy_course(tmp_path / "c", say=said.append)
    assert copied == [] and len(kept) == len(lessons) + 8 and mine.read_text() == "my edits"
    assert any("not overwritten" in line and "03_momentum.ipynb" in line for line in said)


def test_the_command_refuses_a_file_as_dir_and_unknown_options(tmp_path, capsys):
    a_file = tmp_path / "f"
    a_file.write_text("")
    with pytest.raises(SystemExit) as stop:
        cli.main(["notebooks", str(a_file)])
    assert stop.value.code == 2 and "DIR must be a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        cli.main(["exercises", str(tmp_path / "x"), "--port=1"])
    assert stop.value.code == 2 and "unrecognized arguments: --port=1" in capsys.readouterr().err
    assert cli.main(["exercises", str(tmp_path / "x")]) == 0
    assert not (tmp_path / "x" / "notebooks").exists() and (tmp_path / "x" / "exercises").is_dir()


def test_lrcourse_lab_serves_the_copy_and_opens_the_first_lesson(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(cli.subprocess, "call", lambda args: started.append(args) or 0)
    assert cli.main(["lab", str(tmp_path / "course"), "--no-browser"]) == 0
    (args,) = started
    assert args[:4] == [sys.executable, "-m", "jupyter", "lab"]
    assert f"--ServerApp.root_dir={(tmp_path / 'course').resolve()}" in args
    assert "--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb" in args and args[-1] == "--no-browser"
    assert (tmp_path / "course" / cli.START_PAGE).is_file()
