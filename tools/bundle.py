"""Build the student bundle: what learners get for graded work.

    python tools/bundle.py [OUT.zip]          (or: make bundle)

It holds the library (without its reference answers, so ``solution()`` is off), the lesson
notebooks, the exercises as nbgrader released them (no solutions, no hidden tests), and the
files to install it. Not included: solutions/, tests/, tools/, the grader.
"""

import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INCLUDE = ["lrcourse", "notebooks", "exercises", "README.md", "pyproject.toml", "constraints.txt",
           "environment.yml", "Makefile"]
LEAVE_OUT = {"lrcourse/_answers.py"}


def files():
    for item in INCLUDE:
        path = ROOT / item
        for f in sorted(path.rglob("*")) if path.is_dir() else [path]:
            rel = f.relative_to(ROOT).as_posix()
            if f.is_file() and rel not in LEAVE_OUT and "__pycache__" not in rel and not rel.endswith(".pyc") \
                    and ".ipynb_checkpoints" not in rel:
                yield f, rel


def build(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f, rel in files():
            text = f.read_bytes()
            if b"### BEGIN SOLUTION" in text or b"### BEGIN HIDDEN TESTS" in text:
                raise SystemExit(f"refusing to bundle {rel}: it contains solutions or hidden tests")
            zf.writestr(f"lrcourse-student/{rel}", text)
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist" / "lrcourse-student.zip"
    print(build(target))
