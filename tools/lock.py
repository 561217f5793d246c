"""Make and check requirements/lab-lock.txt, the learner environment at fixed versions.

    python tools/lock.py resolve [PIP ARGS...]   write the lock (the Makefile adds torch's source)
    python tools/lock.py check                   compare the lock with this environment

`make lock` runs both: ``resolve`` asks pip which packages `pip install .[lab]` would install
(a dry run with a JSON report, every package as a wheel) *as if on the oldest Python the
project accepts* (requires-python in pyproject.toml), so no pin needs a newer 3.11.x than a
learner may have (Debian 12 ships 3.11.2). Then the Makefile installs a fresh environment with
the new lock, and ``check`` compares that environment's `pip freeze` with the lock: the lock
must name every package installed, at the installed version.

Local version labels (torch's ``+cpu``) are dropped: ``torch==2.13.0`` accepts the CPU and the
CUDA build alike, so the lock works on every platform; tools/torch_source.py picks the build.
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lab-lock.txt"
LEAVE_OUT = {"lrcourse", "pip"}     # the project itself; pip is the installer, not the environment
VENV_SEEDS = {"setuptools", "wheel"}  # what `python -m venv` may put there before any install


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def minimum_python(pyproject: Path = ROOT / "pyproject.toml") -> str:
    spec = tomllib.loads(pyproject.read_text())["project"]["requires-python"]
    found = re.fullmatch(r">=\s*(\d+\.\d+)", spec.strip())
    if not found:
        raise SystemExit(f"requires-python should read '>=X.Y', got {spec!r}")
    return found.group(1)


def lab_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    return list(project["dependencies"]) + list(project["optional-dependencies"]["lab"])


def pins_from_report(report: dict) -> dict[str, str]:
    """{name: version} of what a pip --report would install, local labels dropped."""
    pins = {}
    for item in report["install"]:
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        if canonical(name) not in LEAVE_OUT:
            pins[name] = version.split("+")[0]
    return pins


def read(lock: Path = LOCK) -> dict[str, str]:
    pins = {}
    for line in lock.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonical(name)] = version.strip()
    return pins


def render(pins: dict[str, str], python: str) -> str:
    head = [
        "# The learner environment, pip install -e '.[lab]': every package it installs, at a fixed version.",
        f"# Made by `make lock` (tools/lock.py) for Python {python} or newer on {platform.system()} "
        f"{platform.machine()}: resolved as if on",
        f"# Python {python}.0, then installed in a fresh venv and compared with its pip freeze.",
        "# make lab hands it to pip with -c: it fixes versions and adds no package, so what only one",
        "# platform needs (or lacks) does no harm elsewhere. Do not edit by hand; run make lock.",
    ]
    body = [f"{name}=={version}" for name, version in sorted(pins.items(), key=lambda kv: canonical(kv[0]))]
    return "\n".join(head + body) + "\n"


def resolve(pip_args: list[str]) -> dict[str, str]:
    python = minimum_python()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
               "--only-binary=:all:", "--python-version", python, "--report", str(report),
               "-c", str(ROOT / "constraints.txt"), *lab_requirements(), *pip_args]
        print("resolving the learner environment for Python", python, "...", file=sys.stderr)
        subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL)
        pins = pins_from_report(json.loads(report.read_text()))
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    LOCK.write_text(render(pins, python))
    print(f"wrote {LOCK.relative_to(ROOT)}: {len(pins)} packages", file=sys.stderr)
    return pins


def differences(lock: dict[str, str], installed: dict[str, str]) -> list[str]:
    """What differs between the lock and an environment (both {name: version})."""
    lock = {canonical(k): v for k, v in lock.items() if canonical(k) not in LEAVE_OUT}
    installed = {canonical(k): v.split("+")[0] for k, v in installed.items() if canonical(k) not in LEAVE_OUT}
    out = [f"installed but not in the lock: {n}=={installed[n]}" for n in sorted(set(installed) - set(lock) - VENV_SEEDS)]
    out += [f"in the lock but not installed: {n}=={lock[n]}" for n in sorted(set(lock) - set(installed))]
    out += [f"{n}: lock {lock[n]}, installed {installed[n]}" for n in sorted(set(lock) & set(installed))
            if lock[n] != installed[n]]
    return out


def check() -> int:
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"], check=True,
                            capture_output=True, text=True).stdout
    installed = dict(line.split("==", 1) for line in frozen.splitlines() if "==" in line)
    problems = differences(read(), installed)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("the lock and a fresh environment made with it disagree", file=sys.stderr)
        return 1
    print(f"{LOCK.relative_to(ROOT)} matches pip freeze of {sys.prefix}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["resolve"]:
        resolve(sys.argv[2:])
    elif sys.argv[1:] == ["check"]:
        sys.exit(check())
    else:
        sys.exit(__doc__)
