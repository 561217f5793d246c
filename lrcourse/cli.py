"""The ``lrcourse`` command: copy the course's notebooks out of the installed package and open them.

    lrcourse notebooks DIR     the lessons (DIR/notebooks) and the exercises (DIR/exercises)
    lrcourse exercises DIR     only the exercises (DIR/exercises)
    lrcourse lab [DIR]         copy what is missing into DIR (default: lrcourse-course), then
                               start JupyterLab there on the first lesson

A copy never overwrites a file that is already there: a learner's edited notebook is kept, and
the command says which files it kept. To get a fresh copy of one notebook, rename or delete it
and run the command again. The lessons link to their exercises as ``../exercises/...``, so both
folders sit side by side in DIR, as in the course's repository.

Only the standard library is used here, so the command starts quickly and ``import lrcourse``
stays numpy-only.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

START_PAGE = "notebooks/00_start_here.ipynb"
DEFAULT_DIR = "lrcourse-course"
FOLDERS = {"notebooks": ("notebooks", "exercises"), "exercises": ("exercises",), "lab": ("notebooks", "exercises")}


def course_root() -> Path:
    """The folder that holds ``notebooks/`` and ``exercises/``: inside an installed wheel they
    are package data under ``lrcourse/course``; in a source checkout (an editable install) they
    are the repository's own folders."""
    here = Path(__file__).resolve().parent
    for root in (here / "course", here.parent):
        if (root / "notebooks" / Path(START_PAGE).name).is_file() and (root / "exercises").is_dir():
            return root
    raise FileNotFoundError("the course's notebooks are not installed with this copy of lrcourse "
                            f"(looked in {here / 'course'} and {here.parent})")


def notebook_files(root: Path, folder: str) -> list[Path]:
    """The notebooks of one course folder, relative to ``root``, in a stable order."""
    return sorted(p.relative_to(root) for p in (root / folder).rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts)


def copy_course(target: Path, folders=("notebooks", "exercises"), root: Path | None = None,
                say=print) -> tuple[list[Path], list[Path]]:
    """Copy the course's notebooks of ``folders`` into ``target``, keeping the layout, and only
    the files that are not there yet. Returns (copied, kept), both relative to ``target``."""
    root = course_root() if root is None else root
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"DIR must be a folder; {target} is a file")
    copied, kept = [], []
    for folder in folders:
        for relative in notebook_files(root, folder):
            destination = target / relative
            if destination.exists():
                kept.append(relative)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / relative, destination)
            copied.append(relative)
    where = target.resolve()
    if copied:
        say(f"Copied {len(copied)} notebook(s) into {where}.")
    if kept:
        say(f"Kept {len(kept)} notebook(s) that were already there (not overwritten): "
            + ", ".join(str(p) for p in kept))
        say("To get a fresh copy of one, rename or delete yours and run the command again.")
    if not copied and not kept:
        say(f"Nothing to copy into {where}.")
    return copied, kept


def lab_command(target: Path, extra=()) -> list[str]:
    """The JupyterLab command line that serves ``target`` and opens the first lesson (the same
    options as ``make lab``: the lessons' links to ../exercises need the folder as the root)."""
    command = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={Path(target).resolve()}",
               f"--LabApp.default_url=/lab/tree/{START_PAGE}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")   # JupyterLab refuses root (containers) unless told
    return command + list(extra)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="lrcourse", description="Copy the lrcourse notebooks out of the installed package and open them. "
        "Files already in DIR are never overwritten.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("notebooks", help="copy the lessons and exercises into DIR").add_argument("dir", metavar="DIR")
    commands.add_parser("exercises", help="copy only the exercises into DIR").add_argument("dir", metavar="DIR")
    lab = commands.add_parser("lab", help=f"copy what is missing into DIR (default {DEFAULT_DIR}) and start "
                              "JupyterLab there; further options go to JupyterLab")
    lab.add_argument("dir", metavar="DIR", nargs="?", default=DEFAULT_DIR)
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "lab":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        copy_course(Path(args.dir), FOLDERS[args.command])
    except (FileNotFoundError, NotADirectoryError) as error:
        parser.exit(2, f"lrcourse: {error}\n")
    if args.command != "lab":
        return 0
    if importlib.util.find_spec("jupyterlab") is None:
        parser.exit(2, "lrcourse: JupyterLab is not installed here; install the course with it: "
                       "pip install 'lrcourse[lab]'\n")
    try:
        return subprocess.call(lab_command(Path(args.dir), extra))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
