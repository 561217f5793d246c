"""The two install routes agree, and README, Makefile and CI tell the same story."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch-cpu": "torch"}   # conda-forge name -> PyPI name


def _name(req):
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower()


def pip_dependencies(leave_out=()):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for name, extra in project["optional-dependencies"].items():
        if name not in leave_out:
            reqs += extra
    return {_name(r) for r in reqs}


def conda_dependencies():
    names, pip_section, pins = set(), [], {}
    text = (ROOT / "environment.yml").read_text()
    lines = text[text.index("dependencies:"):].splitlines()
    in_pip = False
    for line in lines:
        item = re.match(r"^\s*-\s+(.*)$", line)
        if not item:
            continue
        value = item.group(1).strip()
        if value == "pip:" or value.startswith("pip:"):
            in_pip = True
            continue
        if in_pip and line.startswith("      "):
            pip_section.append(value)
            continue
        in_pip = False
        name, _, version = value.partition("=")
        name = CONDA_NAMES.get(name, name)
        names.add(name)
        if version:
            pins[name] = version
    return names - {"python", "pip"}, pip_section, pins


def constraints():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def test_pyproject_and_environment_yml_name_the_same_dependencies():
    names, pip_section, _ = conda_dependencies()
    # environment.yml is the learner's (and Binder's) environment: no instructor or browser tools
    assert names == pip_dependencies(leave_out=("instructor", "browser"))
    assert "nbgrader" not in names
    assert "-e ." in pip_section    # Binder installs the package itself


def test_versions_are_pinned_in_one_place_and_agree():
    pins = constraints()
    assert pins["torch"] == "2.13.0"
    assert set(pins) == pip_dependencies()
    _, _, conda_pins = conda_dependencies()
    for name, version in conda_pins.items():
        if name == "python":
            continue
        assert pins[name] == version, f"environment.yml pins {name}={version}, constraints.txt {pins[name]}"


def test_readme_makefile_and_ci_agree():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "-c constraints.txt" in makefile
    assert "notebooks/00_start_here.ipynb" in makefile and (ROOT / "notebooks" / "00_start_here.ipynb").exists()
