"""Build the student bundle: what learners get for graded work.

    python tools/bundle.py [OUT.zip]          (or: make bundle)

It holds the library (without its reference answers, so ``solution()`` is off), the lesson
notebooks, the exercises as nbgrader released them (no solutions, no hidden tests), and the
files to install it: pyproject.toml, the pins, the lock, environment.yml, the Makefile and the
one script it runs (tools/torch_source.py). Its README.md is docs/learner-README.md, written
for learners, not the developer README of this repository. Not included: solutions/, tests/,
the rest of tools/, the grader.

Every entry is stored with Unix permissions (files 0644, folders 0755), so the unpacked copy
is readable by its owner's other tools and accounts whatever unzip program is used.
"""

import stat
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP = "lrcourse-student"
INCLUDE = ["lrcourse", "notebooks", "exercises", "pyproject.toml", "constraints.txt", "requirements",
           "environment.yml", "Makefile", "tools/torch_source.py"]
# name in the bundle -> file in this repository
RENAMED = {"README.md": "docs/learner-README.md"}
LEAVE_OUT = {"lrcourse/_answers.py"}
FILE_MODE = 0o644
DIR_MODE = 0o755


def files():
    for item in INCLUDE:
        path = ROOT / item
        for f in sorted(path.rglob("*")) if path.is_dir() else [path]:
            rel = f.relative_to(ROOT).as_posix()
            if f.is_file() and rel not in LEAVE_OUT and "__pycache__" not in rel and not rel.endswith(".pyc") \
                    and ".ipynb_checkpoints" not in rel:
                yield f, rel
    for rel, source in RENAMED.items():
        yield ROOT / source, rel


def _entry(name: str, mode: int, mtime: float) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=time.localtime(max(mtime, 315532800))[:6])   # zip dates start in 1980
    info.create_system = 3                      # Unix, so unzip applies the mode below
    info.external_attr = mode << 16
    if stat.S_ISDIR(mode):
        info.external_attr |= 0x10              # the MS-DOS directory flag, for Windows tools
    else:
        info.compress_type = zipfile.ZIP_DEFLATED
    return info


def build(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    entries = sorted(files(), key=lambda item: item[1])
    folders = {TOP}
    for _, rel in entries:
        parts = rel.split("/")[:-1]
        folders.update("/".join([TOP, *parts[:i]]) for i in range(1, len(parts) + 1))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for folder in sorted(folders):
            zf.writestr(_entry(folder + "/", stat.S_IFDIR | DIR_MODE, time.time()), b"")
        for f, rel in entries:
            text = f.read_bytes()
            if b"### BEGIN SOLUTION" in text or b"### BEGIN HIDDEN TESTS" in text:
                raise SystemExit(f"refusing to bundle {rel}: it contains solutions or hidden tests")
            zf.writestr(_entry(f"{TOP}/{rel}", stat.S_IFREG | FILE_MODE, f.stat().st_mtime), text)
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist" / "lrcourse-student.zip"
    print(build(target))
