"""The install routes agree, and README, Makefile, lock, bundle and CI tell the same story.

Covers what a learner meets in the first hour: which Python is needed, which environment
`make lab` builds (and that it is not the instructor's), where JupyterLab is rooted, which
PyTorch build is chosen, that the lock pins everything the `lab` extra installs, that the
package builds without setuptools warnings, and what the student bundle holds.
"""

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import lock as locktool  # noqa: E402  (tools/lock.py)
import torch_source  # noqa: E402  (tools/torch_source.py)

CONDA_NAMES = {"pytorch-cpu": "torch", "matplotlib-base": "matplotlib"}   # conda-forge name -> PyPI name
LOCK = ROOT / "requirements" / "lab-lock.txt"
LEARNER_README = ROOT / "docs" / "learner-README.md"
START_PAGE = "notebooks/00_start_here.ipynb"
# A `make test` run leaves these in the environment; a nested make would inherit its overrides.
MAKE_STATE = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GNUMAKEFLAGS")


def _name(req):
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower()


def _canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def pip_dependencies(leave_out=()):
    project = pyproject()["project"]
    reqs = list(project["dependencies"])
    for name, extra in project["optional-dependencies"].items():
        if name not in leave_out:
            reqs += extra
    return {_name(r) for r in reqs}


def environment_yml():
    """environment.yml read by a real YAML parser, as conda and Binder read it."""
    import yaml

    return yaml.safe_load((ROOT / "environment.yml").read_text())


def conda_dependencies():
    """(names as PyPI calls them, the pip: section, {name: lower bound}) of environment.yml."""
    names, pip_section, floors = set(), [], {}
    for item in environment_yml()["dependencies"]:
        if isinstance(item, dict):
            assert set(item) == {"pip"}, f"environment.yml: unexpected section {item}"
            pip_section += item["pip"]
            continue
        found = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(?:(>=|=)\s*([\d.]+))?", item.strip())
        assert found, f"environment.yml: cannot read the dependency {item!r}"
        name, op, version = found.groups()
        name = CONDA_NAMES.get(name, name)
        names.add(name)
        if op == ">=":
            floors[name] = version
    return names - {"python", "pip"}, pip_section, floors


def constraints():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def lock():
    """requirements/lab-lock.txt as {canonical name: version}."""
    pins = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and version, f"lock line without an exact version: {line!r}"
            pins[_canonical(name)] = version.strip()
    return pins


def minimum_python():
    spec = pyproject()["project"]["requires-python"]
    found = re.fullmatch(r">=\s*(\d+)\.(\d+)", spec.strip())
    assert found, f"requires-python should be a plain minimum like '>=3.11', got {spec!r}"
    return int(found.group(1)), int(found.group(2))


def make(*args, cwd=ROOT):
    """Run make with the Makefile in ``cwd``, without the state of a make we may run under."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if k not in MAKE_STATE}
    done = subprocess.run(["make", "--no-print-directory", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"make {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


# --------------------------------------------------------------------------- the two install routes


def test_pyproject_and_environment_yml_name_the_same_dependencies():
    names, pip_section, _ = conda_dependencies()
    # environment.yml is the learner's (and Binder's) environment: the lab extra, nothing else
    assert names == pip_dependencies(leave_out=("test", "instructor", "browser", "hub", "site"))
    assert "nbgrader" not in names and "pytest" not in names
    assert pip_section == ["-e ."]    # Binder installs the package itself, from the repository root


def test_environment_yml_is_what_conda_forge_can_solve():
    env = environment_yml()
    assert env["name"] == "lrcourse" and env["channels"] == ["conda-forge"]
    items = [i for i in env["dependencies"] if isinstance(i, str)]
    # conda-forge's names: matplotlib-base (no Qt GUI toolkit), pytorch-cpu (no CUDA)
    assert "matplotlib-base" in " ".join(items) and not any(re.match(r"matplotlib\b(?!-)", i) for i in items)
    assert any(i.startswith("pytorch-cpu") for i in items) and not any(re.match(r"(torch|pytorch)\b(?!-)", i) for i in items)
    # lower bounds only (the ones pyproject.toml gives), so the solver picks versions that exist together
    _, _, floors = conda_dependencies()
    lab = {_name(r): re.search(r">=\s*([\d.]+)", r).group(1) for r in pyproject()["project"]["optional-dependencies"]["lab"]}
    lab["numpy"] = re.search(r">=\s*([\d.]+)", pyproject()["project"]["dependencies"][0]).group(1)
    assert floors == lab
    assert not [i for i in items if re.search(r"[^>]=\d", i) and not i.startswith("python=")], "exact pins"


def test_versions_are_pinned_in_one_place():
    pins = constraints()
    assert pins["torch"] == "2.13.0"
    assert set(pins) == pip_dependencies()


def test_readme_makefile_and_ci_agree():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "-c constraints.txt" in makefile and "requirements/lab-lock.txt" in makefile
    assert START_PAGE in makefile and (ROOT / START_PAGE).exists()
    for target in ("lab", "env", "test", "instructor", "exercises", "grade", "bundle", "bench", "lock",
                   "lab-command"):
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), f"the Makefile has no {target} target"
        assert re.search(rf"make (-s )?{re.escape(target)}\b", readme), f"README.md does not mention make {target}"


# --------------------------------------------------------------------------- Python and the build


def test_the_minimum_python_is_the_same_everywhere():
    major, minor = minimum_python()
    assert (major, minor) >= (3, 11), "numpy 2.4 and the tests (tomllib) need Python 3.11"
    wanted = f"{major}.{minor}"
    for path in (ROOT / "README.md", LEARNER_README):
        text = path.read_text()
        said = set(re.findall(r"Python (\d+\.\d+) or newer", text))
        assert said == {wanted}, f"{path.name} says Python {said or 'nothing'} or newer; pyproject.toml >={wanted}"
        assert "3.10" not in text, f"{path.name} still mentions Python 3.10"
    conda_python = re.search(r"^\s*-\s*python\s*([=<>]=?)\s*([\d.]+)", (ROOT / "environment.yml").read_text(), re.M)
    assert conda_python, "environment.yml names no python version"
    assert tuple(int(p) for p in conda_python.group(2).split(".")[:2]) == (major, minor), (
        f"environment.yml asks for python {conda_python.group(2)}; the minimum is {wanted}")
    assert f"Python {wanted} or newer" in LOCK.read_text(), "the lock was made for another Python"
    assert locktool.minimum_python() == wanted


def test_the_pinned_packages_install_on_the_minimum_python():
    """Every package of the lock that is installed here at the locked version accepts the
    declared minimum Python (numpy 2.4 would not have accepted the former '>=3.10')."""
    from packaging.specifiers import SpecifierSet

    major, minor = minimum_python()
    checked, refused = 0, []
    for name, version in lock().items():
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if dist.version.split("+")[0] != version:
            continue
        checked += 1
        needs = dist.metadata.get("Requires-Python")
        if needs and not SpecifierSet(needs).contains(f"{major}.{minor}.0"):
            refused.append(f"{name}=={version} (Requires-Python {needs})")
    assert checked >= 5, "too few locked packages are installed here to check"
    assert not refused, f"these need a newer Python than {major}.{minor}: {refused}"


def test_license_is_an_spdx_expression_and_setuptools_reads_it():
    data = pyproject()
    assert data["project"]["license"] == "MIT"
    setuptools = next(r for r in data["build-system"]["requires"] if _name(r) == "setuptools")
    low = re.search(r">=\s*(\d+)", setuptools)
    assert low and int(low.group(1)) >= 77, f"license = 'MIT' needs setuptools>=77, build-system asks {setuptools!r}"


# --------------------------------------------------------------------------- PyTorch's build


class Probe:
    def __init__(self, answer):
        self.answer, self.asked = answer, []

    def __call__(self, requirement):
        self.asked.append(requirement)
        return self.answer


@pytest.mark.parametrize("system, machine", [("Darwin", "arm64"), ("Darwin", "x86_64"), ("Windows", "AMD64"),
                                             ("Linux", "aarch64")])
def test_torch_from_pypi_where_it_is_already_the_cpu_build(system, machine):
    probe = Probe(True)
    args, note = torch_source.decide(system, machine, False, "2.13.0", probe)
    assert args == [] and probe.asked == []
    assert system in note


def test_torch_on_linux_with_a_gpu_is_pypis_unless_cpu_is_asked_for():
    probe = Probe(False)
    assert torch_source.decide("Linux", "x86_64", True, "2.13.0", probe)[0] == []
    assert probe.asked == []
    args, _ = torch_source.decide("Linux", "x86_64", True, "2.13.0", probe, choice="cpu")
    assert args == ["--extra-index-url", torch_source.CPU_INDEX, "torch==2.13.0+cpu"]


def test_torch_cpu_build_from_the_configured_sources_when_they_have_it():
    """An offline mirror or find-links folder with the CPU wheel: no extra index, which pip
    could not reach and would wait for."""
    probe = Probe(True)
    args, note = torch_source.decide("Linux", "x86_64", False, "2.13.0", probe)
    assert args == ["torch==2.13.0+cpu"]
    assert probe.asked == ["torch==2.13.0+cpu"]
    assert "already uses" in note


def test_torch_cpu_build_from_pytorchs_index_otherwise():
    probe = Probe(False)
    args, note = torch_source.decide("Linux", "x86_64", False, "2.13.0", probe)
    assert args == ["--extra-index-url", "https://download.pytorch.org/whl/cpu", "torch==2.13.0+cpu"]
    assert probe.asked == ["torch==2.13.0+cpu"]
    assert torch_source.CPU_INDEX in note


def test_torch_choice_can_be_overridden():
    probe = Probe(False)
    assert torch_source.decide("Linux", "x86_64", False, "2.13.0", probe, choice="pypi")[0] == []
    assert probe.asked == []
    with pytest.raises(ValueError, match="LRCOURSE_TORCH"):
        torch_source.decide("Linux", "x86_64", False, "2.13.0", probe, choice="cuda")


def test_torch_version_comes_from_constraints(tmp_path):
    assert torch_source.pinned_version() == constraints()["torch"]
    other = tmp_path / "c.txt"
    other.write_text("# torch==0.1 in a comment\nnumpy==2.0\ntorch == 2.99.1+cpu  # a note\n")
    assert torch_source.pinned_version(other) == "2.99.1"
    other.write_text("numpy==2.0\n")
    with pytest.raises(SystemExit):
        torch_source.pinned_version(other)


def test_torch_probe_is_a_quick_dry_run(tmp_path):
    """The probe asks pip for a dry run of torch alone, with a short timeout and no retries,
    and reads pip's exit status (here a stand-in for python that records its arguments)."""
    record = tmp_path / "args"
    fake = tmp_path / "python"
    for status, expected in ((0, True), (1, False)):
        fake.write_text(f'#!/bin/sh\necho "$@" > {record}\nexit {status}\n')
        fake.chmod(0o755)
        assert torch_source.pip_can_find("torch==2.13.0+cpu", python=str(fake)) is expected
        words = record.read_text().split()
        assert words[:3] == ["-m", "pip", "install"] and words[-1] == "torch==2.13.0+cpu"
        assert {"--dry-run", "--no-deps", "--retries"} <= set(words)
        assert words[words.index("--retries") + 1] == "0"
    assert torch_source.pip_can_find("torch", python=str(tmp_path / "missing")) is False


def test_torch_source_prints_only_pip_arguments():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "torch_source.py")], capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, LRCOURSE_TORCH="pypi"))
    assert done.returncode == 0 and done.stdout.strip() == "" and "PyTorch" in done.stderr


# --------------------------------------------------------------------------- the lock


def _lab_closure():
    """Every distribution `pip install .[lab]` brings in, from the installed metadata (markers
    evaluated for this machine), without the package itself."""
    from packaging.requirements import Requirement

    seen, todo = set(), [("lrcourse", ("lab",))]
    while todo:
        name, extras = todo.pop()
        key = (_canonical(name), tuple(sorted(extras)))
        if key in seen:
            continue
        seen.add(key)
        dist = metadata.distribution(name)
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in (extras or ("",))):
                continue
            todo.append((req.name, tuple(req.extras)))
    return {name for name, _ in seen} - {"lrcourse"}


def test_lock_covers_every_package_the_lab_extra_installs():
    try:
        metadata.distribution("lrcourse")
    except metadata.PackageNotFoundError:
        pytest.skip("lrcourse is not installed in this environment (make test installs it)")
    pins = lock()
    missing = sorted(_lab_closure() - set(pins))
    assert not missing, f"requirements/lab-lock.txt lacks {missing}: run make lock"


def test_lock_agrees_with_constraints_and_holds_on_every_platform():
    pins, direct = lock(), constraints()
    lab = {_canonical(_name(r)) for r in pyproject()["project"]["optional-dependencies"]["lab"]}
    for name in lab | {"numpy"}:
        assert name in pins, f"the lock has no {name}"
        assert pins[name] == direct[name], f"constraints.txt pins {name}=={direct[name]}, the lock {pins[name]}"
    for name, version in direct.items():
        if name in pins:
            assert pins[name] == version, f"constraints.txt pins {name}=={version}, the lock {pins[name]}"
    # learner environment only, no local labels (+cpu), nothing only a CUDA build needs
    assert not {"lrcourse", "pip", "nbgrader", "playwright", "pytest", "hypothesis", "nbval"} & set(pins)
    assert not [v for v in pins.values() if "+" in v]
    assert not [n for n in pins if n.startswith(("nvidia-", "triton"))]


def test_lock_tool_reads_pips_report():
    report = {"install": [
        {"metadata": {"name": "torch", "version": "2.13.0+cpu"}},
        {"metadata": {"name": "lrcourse", "version": "0.1.0"}},
        {"metadata": {"name": "pip", "version": "26.0"}},
        {"metadata": {"name": "Jinja2", "version": "3.1.6"}},
        {"metadata": {"name": "typing_extensions", "version": "4.16.0"}}]}
    pins = locktool.pins_from_report(report)
    assert pins == {"torch": "2.13.0", "Jinja2": "3.1.6", "typing_extensions": "4.16.0"}


def test_lock_tool_writes_what_it_reads(tmp_path):
    text = locktool.render({"zlib-thing": "1.0", "Jinja2": "3.1.6", "anyio": "4.0"}, "3.11")
    assert "Python 3.11 or newer" in text and text.endswith("\n")
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert body == ["anyio==4.0", "Jinja2==3.1.6", "zlib-thing==1.0"]
    path = tmp_path / "lock.txt"
    path.write_text(text)
    assert locktool.read(path) == {"anyio": "4.0", "jinja2": "3.1.6", "zlib-thing": "1.0"}


def test_lock_tool_compares_a_lock_with_an_environment():
    lock_pins = {"numpy": "2.4.6", "torch": "2.13.0", "setuptools": "84.2.1"}
    same = {"numpy": "2.4.6", "torch": "2.13.0+cpu", "setuptools": "84.2.1", "pip": "26.3", "lrcourse": "0.1.0"}
    assert locktool.differences(lock_pins, same) == []
    assert locktool.differences({"numpy": "2.4.6", "torch": "2.13.0"}, same) == []   # venv's own setuptools
    other = dict(same, numpy="2.4.5", rich="14.0")
    del other["torch"]
    assert locktool.differences(lock_pins, other) == [
        "installed but not in the lock: rich==14.0", "in the lock but not installed: torch==2.13.0",
        "numpy: lock 2.4.6, installed 2.4.5"]


def test_lock_tool_asks_for_the_lab_extra_on_the_oldest_python():
    assert locktool.lab_requirements() == (pyproject()["project"]["dependencies"]
                                           + pyproject()["project"]["optional-dependencies"]["lab"])
    assert locktool.minimum_python() == "%d.%d" % minimum_python()


# --------------------------------------------------------------------------- the Makefile


def test_make_lab_serves_the_repository_and_opens_the_first_lesson():
    printed = make("-s", "lab-command").strip().splitlines()
    assert len(printed) == 1, printed
    words = shlex.split(printed[0])
    assert words[:2] == [".venv/bin/jupyter", "lab"]
    assert f"--ServerApp.root_dir={ROOT}" in words
    assert f"--LabApp.default_url=/lab/tree/{START_PAGE}" in words
    assert (ROOT / START_PAGE).exists()
    # `make lab` runs exactly that line (-o: take the environment as made, -n: only print)
    ran = make("-n", "-o", ".venv/.installed", "lab").strip().splitlines()
    assert ran == printed
    # LAB_ARGS travel in the line, quoted the way the shell reads them
    odd = make("-s", "lab-command", "LAB_ARGS=--port=8899 --ServerApp.token=it\\'s").strip()
    assert shlex.split(odd)[-2:] == ["--port=8899", "--ServerApp.token=it's"]


def test_every_exercise_link_of_the_lessons_lies_inside_the_served_folder():
    links = 0
    for lesson in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(lesson.read_text())["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            for url in re.findall(r"\]\(([^)\s]*exercises/[^)\s]*)\)", "".join(cell["source"])):
                target = (lesson.parent / url.split("#")[0]).resolve()
                assert target.is_relative_to(ROOT) and target.exists(), f"{lesson.name}: {url}"
                links += 1
    assert links >= 8


def test_instructor_lab_is_the_same_lab_from_the_developer_environment():
    lab = shlex.split(make("-s", "lab-command").strip())
    ran = make("-n", "-o", ".venv-dev/.installed", "instructor").strip().splitlines()
    assert len(ran) == 1
    words = shlex.split(ran[0])
    assert words[0] == ".venv-dev/bin/jupyter" and words[1:] == lab[1:]


def _dry_run(*args):
    """What make would run, one command a line (continued lines joined)."""
    return make("-n", *args).replace("\\\n", " ")


def _install_lines(output, venv):
    return [line for line in output.splitlines()
            if re.search(rf"{re.escape(venv)}/bin/python (-W \"[^\"]*\" )?-m pip install", line)]


def test_learner_environment_has_only_the_lab_extra_and_says_what_it_installs(tmp_path):
    venv = str(tmp_path / "learner")
    out = _dry_run("-B", "env", f"VENV={venv}", f"DEV_VENV={tmp_path / 'dev'}")
    upgrade, install = _install_lines(out, venv)
    assert "--quiet" in upgrade and "--upgrade pip" in upgrade
    assert "--quiet" not in install and "--progress-bar on" in install
    assert '-W "ignore:Editable installation:UserWarning"' in install   # no boxed notice that reads like an error
    assert "-e '.[lab]'" in install
    assert "-c constraints.txt -c requirements/lab-lock.txt" in install
    assert "tools/torch_source.py" in install
    assert str(tmp_path / "dev") not in out
    # a .venv from before the split (nbgrader inside) is made afresh: pip never removes packages
    (check,) = [line for line in out.splitlines() if 'find_spec("nbgrader")' in line]
    assert f"rm -rf {venv}" in check
    # one line before the long install: what, how big, how long
    lines = out.splitlines()
    note = lines[lines.index(install) - 1]
    assert note.startswith("echo ") and all(w in note for w in ("JupyterLab", "PyTorch", "GB", "minutes"))


def test_make_test_builds_both_environments_and_runs_pytest_from_the_developer_one(tmp_path):
    learner, dev = str(tmp_path / "learner"), str(tmp_path / "dev")
    out = _dry_run("-B", "test", f"VENV={learner}", f"DEV_VENV={dev}")
    (learner_install,) = _install_lines(out, learner)[1:]
    (dev_install,) = _install_lines(out, dev)[1:]
    assert "-e '.[lab]'" in learner_install
    assert "-e '.[lab,test,instructor,browser,hub,site]'" in dev_install
    assert f"{dev}/bin/python -m pytest" in out and f"{learner}/bin/python -m pytest" not in out
    for target in ("exercises", "grade SUBMISSIONS=x", "bundle", "bench"):
        tools = make("-n", "-o", f"{dev}/.installed", *target.split(), f"VENV={learner}", f"DEV_VENV={dev}")
        assert f"{dev}/bin/" in tools and f"{learner}/bin/" not in tools, target


def test_each_environment_reinstalls_when_the_pins_change():
    makefile = (ROOT / "Makefile").read_text()
    for stamp in ("$(STAMP)", "$(DEV_STAMP)"):
        rule = re.search(rf"^{re.escape(stamp)}:(.*)$", makefile, re.M)
        assert rule, f"no rule for {stamp}"
        assert {"pyproject.toml", "constraints.txt", "$(LOCK)"} <= set(rule.group(1).split())


# --------------------------------------------------------------------------- the student bundle


def test_student_bundle_has_a_learner_readme_and_readable_files(tmp_path):
    import bundle

    zip_path = bundle.build(tmp_path / "student.zip")
    with zipfile.ZipFile(zip_path) as zf:
        infos = zf.infolist()
        readme = zf.read("lrcourse-student/README.md")
        names = {i.filename for i in infos}
    assert readme == LEARNER_README.read_bytes()
    text = readme.decode()
    for needed in ("python3 -m venv .venv", "conda env create -f environment.yml", "py -3.11 -m venv .venv",
                   ".venv\\Scripts\\activate", "jupyter lab", "notebooks/00_start_here.ipynb", "exercises/",
                   'check("', 'hint("', "solution(", "requirements/lab-lock.txt",
                   f"torch=={constraints()['torch']}+cpu"):
        assert needed in text, f"the learner README does not say {needed!r}"
    for developer_only in ("make test", "make grade", "make bundle", "chromium", "Playwright", "nbgrader",
                           ".venv-dev"):
        assert developer_only not in text, f"the learner README mentions {developer_only!r}"
    # what make lab needs inside the bundle
    for needed in ("Makefile", "tools/torch_source.py", "requirements/lab-lock.txt", "constraints.txt",
                   "environment.yml", "pyproject.toml", START_PAGE):
        assert f"lrcourse-student/{needed}" in names
    for info in infos:
        mode = info.external_attr >> 16
        assert info.create_system == 3, info.filename
        if info.is_dir():
            assert mode == stat.S_IFDIR | 0o755, (info.filename, oct(mode))
        else:
            assert mode == stat.S_IFREG | 0o644, (info.filename, oct(mode))
    if shutil.which("unzip"):
        subprocess.run(["unzip", "-q", str(zip_path), "-d", str(tmp_path / "x")], check=True, timeout=120)
        top = tmp_path / "x" / "lrcourse-student"
        for path in [top, *top.rglob("*")]:
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == (0o755 if path.is_dir() else 0o644), (path, oct(mode))
        # the bundle's own Makefile serves the bundle's folder
        words = shlex.split(make("-s", "lab-command", cwd=top).strip())
        assert f"--ServerApp.root_dir={top}" in words
