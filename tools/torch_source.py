"""Pick the PyTorch build for this machine and print the pip arguments that install it.

    .venv/bin/python tools/torch_source.py        (the Makefile does this before each install)

The course runs on a CPU. PyPI's torch wheel for Linux x86_64, though, is the CUDA build, and
pip fetches about fifteen nvidia-* packages (several GB) along with it. So:

* Linux on x86_64 without an NVIDIA GPU (no ``nvidia-smi`` on PATH): ask for the CPU build,
  ``torch==<pin>+cpu``, which PyTorch publishes on its own index. That index is added only
  when pip cannot already find the CPU wheel in the sources it is configured with (a local
  mirror, a find-links folder, an earlier download): an index that cannot be reached would
  hold every install up for pip's whole timeout.
* Linux x86_64 with an NVIDIA GPU: PyPI's build, which can use the GPU (the course does not
  need it).
* macOS, Windows, other processors: PyPI's build, which is already CPU-only there. Nothing
  is printed.

Set ``LRCOURSE_TORCH=cpu`` to ask for the CPU build even on a machine with a GPU, or
``LRCOURSE_TORCH=pypi`` to leave the choice to pip. The version comes from constraints.txt.
What was decided is said on stderr; stdout carries only the arguments.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CHOICES = ("auto", "cpu", "pypi")


def pinned_version(constraints: Path = ROOT / "constraints.txt") -> str:
    """The torch version constraints.txt pins (without a local label such as +cpu)."""
    for line in constraints.read_text().splitlines():
        match = re.match(r"^\s*torch\s*==\s*([^\s#+;]+)", line)
        if match:
            return match.group(1)
    raise SystemExit(f"{constraints} pins no torch version (expected a line torch==X.Y.Z)")


def decide(system: str, machine: str, has_nvidia_gpu: bool, version: str,
           pip_can_find: Callable[[str], bool], choice: str = "auto") -> tuple[list[str], str]:
    """Return (pip arguments, a sentence for the learner).

    ``pip_can_find(requirement)`` answers whether pip resolves the requirement with the
    sources it is configured with; it is asked only when the CPU build is wanted.
    """
    if choice not in CHOICES:
        raise ValueError(f"LRCOURSE_TORCH must be one of {', '.join(CHOICES)}, got {choice!r}")
    linux_x86 = system == "Linux" and machine.lower() in ("x86_64", "amd64")
    if choice == "pypi":
        return [], "PyTorch: the build pip picks by default (LRCOURSE_TORCH=pypi)."
    if choice == "auto" and not linux_x86:
        return [], f"PyTorch: PyPI's build for {system} {machine} (CPU-only there)."
    if choice == "auto" and has_nvidia_gpu:
        return [], ("PyTorch: PyPI's CUDA build, since nvidia-smi found a GPU "
                    "(LRCOURSE_TORCH=cpu installs the smaller CPU build).")
    wanted = f"torch=={version}+cpu"
    if pip_can_find(wanted):
        return [wanted], f"PyTorch: the CPU build ({wanted}) from the package sources pip already uses."
    return (["--extra-index-url", CPU_INDEX, wanted],
            f"PyTorch: the CPU build ({wanted}) from {CPU_INDEX}.")


def pip_can_find(requirement: str, python: str = sys.executable) -> bool:
    """Whether pip, as configured here (pip.conf, PIP_* variables), resolves ``requirement``.

    A dry run of that one package: no download of a wheel that is not already local, a short
    network timeout and no retries, so an offline machine answers in seconds."""
    cmd = [python, "-m", "pip", "install", "--dry-run", "--no-deps", "--quiet", "--disable-pip-version-check",
           "--timeout", "15", "--retries", "0", requirement]
    try:
        return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                              timeout=180).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def main() -> int:
    args, note = decide(platform.system(), platform.machine(), shutil.which("nvidia-smi") is not None,
                        pinned_version(), pip_can_find, os.environ.get("LRCOURSE_TORCH", "auto") or "auto")
    print(note, file=sys.stderr)
    print(" ".join(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
