"""The course as a learner sees it: every notebook run in JupyterLab in headless Chromium.

JupyterLab is started with the very command line `make lab` runs (``make -s lab-command``):
the learner environment's ``jupyter lab``, served from the repository root, as root when the
tests run as root. Only what a test needs goes in on top, through LAB_ARGS: no browser of its
own, 127.0.0.1 and a free port, a token, and throwaway settings, workspace and checkpoint
folders. The settings keep the page quiet and fully rendered (no news pop-up, no windowing)
and turn autosave off, so nothing a test runs is saved into the repository. The test opens
each notebook, runs all cells from the Run menu, and checks that no output is an error, that
every widget rendered (no "Loading widget", no "Error displaying widget"), and that pressing →
on one slider of every dashboard changes its plot. The time from the key press to the new
image is recorded per dashboard. Screenshots and timings go to test-artifacts/browser/.
A lesson that passes here is not executed a second time by nbval in the same run (conftest.py).

tests/test_learner_lab.py follows a learner further: the first page, an exercise link, the
exercise's first check. Both use ``make_lab`` below.

Needs Debian's ``chromium`` and the ``playwright`` package (never ``playwright install``), and
a Makefile with the ``lab-command`` target and the environment it names (``make lab``);
skipped, with the reason in the summary, where any is missing.
"""

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
# Dashboards (slider + image) each notebook shows; a test below keeps this list honest.
DASHBOARDS = {"00_start_here.ipynb": 0, "01_what_is_a_learning_rate.ipynb": 2,
              "02_curvature_newton_line_search.ipynb": 1, "03_momentum.ipynb": 2, "04_schedules.ipynb": 12,
              "05_adaptive_methods.ipynb": 2, "06_lr_range_test.ipynb": 1, "07_search_and_early_stopping.ipynb": 1,
              "08_pytorch_in_practice.ipynb": 0, "09_measured_tables.ipynb": 0, "10_claims_put_to_the_test.ipynb": 0}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LATENCIES: dict = {}

pytestmark = pytest.mark.browser


def _missing():
    if shutil.which("chromium") is None:
        return "Debian's chromium is not installed (as root: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[browser]')"
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(folder: Path):
    """Lab settings for a quiet, fully rendered notebook: no news pop-up, no windowing (every
    cell stays in the page, so every widget can be found), no autosave (the server serves the
    repository itself, and nothing a test runs may be written back)."""
    for plugin, values in {"@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
                           "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
                           "@jupyterlab/docmanager-extension/plugin": {"autosave": False}}.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


# Variables a `make test` run leaves in the environment; a nested make would take over its
# command-line overrides (PYTEST_ARGS=..., LAB_ARGS=...), so the command is asked for without them.
_MAKE_STATE = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GNUMAKEFLAGS")


def lab_command(lab_args=()) -> str:
    """The command line `make lab` runs, with ``lab_args`` in LAB_ARGS, from ``make -s lab-command``.

    Skips (saying why) where make is missing, where the Makefile has no lab-command target, and
    where asking would first install the environment (make may only print here)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed, so the command `make lab` runs cannot be asked for")
    env = {k: v for k, v in os.environ.items() if k not in _MAKE_STATE}
    assign = "LAB_ARGS=" + " ".join(shlex.quote(str(a)) for a in lab_args)

    def make(*flags):
        return subprocess.run(["make", *flags, "--no-print-directory", "lab-command", assign], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)

    dry = make("-n")
    if dry.returncode != 0:
        pytest.skip("the Makefile has no lab-command target yet, so the test cannot start JupyterLab the way "
                    f"`make lab` does (make -n lab-command: {(dry.stderr.strip() or dry.stdout.strip())[-300:]})")
    if re.search(r"pip\b.*\binstall|-m venv", dry.stdout):
        pytest.skip("`make lab-command` would first install or update the environment; run make lab "
                    "(or make env) first")
    done = make("-s")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert done.returncode == 0 and len(lines) == 1, (
        f"make -s lab-command should print one command line, got (exit {done.returncode}):\n"
        f"{done.stdout}{done.stderr}")
    return lines[0]


def lab_python(command: str) -> Path:
    """The Python of the environment whose ``jupyter`` the command runs (.venv for make lab)."""
    program = shlex.split(command)[0]
    found = ROOT / program if "/" in program else Path(shutil.which(program) or program)
    return found.parent / "python"


@contextmanager
def make_lab(tmp: Path, vet=None):
    """Run JupyterLab with `make lab`'s own command line from the repository root, adding through
    LAB_ARGS only --no-browser, a port, a token and throwaway settings, workspaces and checkpoints.
    ``vet``, if given, sees the command and the environment's Python first (and may skip).
    Yields base, token, command, python, runtime (the runtime folder, where the server leaves the
    page a browser would open) and log (the server's output). Stops the server and every kernel
    it started."""
    _settings(tmp / "settings")
    port, token = _free_port(), secrets.token_hex(16)
    command = lab_command(["--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
                           f"--LabApp.user_settings_dir={tmp / 'settings'}",
                           f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
                           # JupyterLab keeps a checkpoint of each file it opens; here not next to
                           # the file (in the repository) but in one throwaway folder
                           f"--FileCheckpoints.checkpoint_dir={tmp / 'checkpoints'}"])
    python = lab_python(command)
    if not python.exists():
        pytest.skip(f"`make lab` runs {shlex.split(command)[0]}, which is not there: run make lab (or make env) first")
    if vet:
        vet(command, python)
    # Private config, data and runtime folders: neither the person's own Jupyter settings,
    # kernels and extensions nor a running lab of theirs can change what the test sees.
    env = {k: v for k, v in os.environ.items() if k not in _MAKE_STATE + ("VIRTUAL_ENV",)}
    env.update(JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_DATA_DIR=str(tmp / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), IPYTHONDIR=str(tmp / "ipython"),
               MPLCONFIGDIR=str(tmp / "mpl"))
    log_path = tmp / "lab.log"
    log = open(log_path, "w")
    log.write(f"$ {command}\n")
    log.flush()
    server = subprocess.Popen(["sh", "-c", command], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start with `{command}`:\n" + log_path.read_text()[-3000:])
                time.sleep(0.3)
        yield SimpleNamespace(base=base, token=token, command=command, python=python,
                              runtime=tmp / "runtime", log=log_path)
    finally:
        _stop_group(server)
        log.close()


def _group_alive(group: int) -> bool:
    """Whether a process of the group is still running (zombies left to be reaped do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _parent, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue
        if int(pgrp) == group and state != "Z":
            return True
    return False


def _stop_group(process, grace=20):
    """End a process started in a session of its own and everything in its group: the shell,
    the server and the kernels it started. The shell ends at once; wait for the others too, and
    kill whatever is left after ``grace`` seconds (a server that ignores SIGTERM included)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + grace
    while _group_alive(process.pid):
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            break
        time.sleep(0.2)
    process.wait()


def chromium(pw, folder: Path):
    return pw.chromium.launch_persistent_context(
        str(folder), executable_path=shutil.which("chromium"), headless=True,
        args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000})


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    reason = _missing()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    tmp = tmp_path_factory.mktemp("lab")
    with make_lab(tmp) as server:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = chromium(pw, tmp / "chromium")
            try:
                yield browser, server.base, server.token
            finally:
                browser.close()


ALL_RUN = """() => {
    const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
    return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent))
        && !!document.querySelector(".jp-Notebook-ExecutionIndicator[data-status='idle']");
}"""
KERNEL_IDLE = """() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]
    .some(e => /\\| Idle/.test(e.textContent))"""


def _run_all(page, base, token, name):
    page.goto(f"{base}/lab/workspaces/{name.split('_')[0]}/tree/notebooks/{name}?reset&token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(KERNEL_IDLE, timeout=90_000)          # the kernel is connected and ready
    for attempt in range(2):
        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click("li.lm-Menu-item[data-command='runmenu:run-all']")
        try:
            # done when every code cell shows an execution count and the kernel is idle again
            page.wait_for_function(ALL_RUN, timeout=90_000)
            break
        except Exception:
            page.screenshot(path=str(ARTIFACTS / name.replace(".ipynb", f".attempt{attempt}.png")))
            if attempt:
                raise
    page.wait_for_function("""() => ![...document.querySelectorAll('.jp-OutputArea-output')]
        .some(o => o.innerText.includes('Loading widget'))""", timeout=30_000)


def _dashboards(page):
    """Visible dashboards: a widget box holding a slider and an image."""
    return page.query_selector_all(
        ".widget-vbox:has(> .widget-hbox .noUi-handle):has(> img.widget-image)")


PRESSES = ["ArrowRight", "ArrowRight", "ArrowRight", "ArrowLeft", "ArrowLeft"]


def _press_and_time(page, dash):
    """Milliseconds from each key press on the dashboard's first slider to its answer: a new
    image, or a new caption where the picture does not change at the pixel level (adam_eps
    moves ε by a twentieth of a decade, which at ε = 1e-8 changes no drawn step)."""
    handle = dash.query_selector(".noUi-handle")
    image = dash.query_selector(":scope > img.widget-image")
    caption = dash.query_selector(":scope > .widget-html")
    handle.scroll_into_view_if_needed()
    handle.focus()
    times = []
    for key in PRESSES:
        before = [image.get_attribute("src"), caption.inner_html() if caption else ""]
        t0 = time.perf_counter()
        page.keyboard.press(key)
        page.wait_for_function("([img, cap, old]) => img.getAttribute('src') !== old[0]"
                               " || (cap !== null && cap.innerHTML !== old[1])", arg=[image, caption, before],
                               timeout=15_000, polling=5)
        times.append((time.perf_counter() - t0) * 1e3)
    name = next((c[len("lrc-dashboard-"):] for c in (dash.get_attribute("class") or "").split()
                 if c.startswith("lrc-dashboard-")), "unnamed")
    return name, times


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_in_jupyterlab(lab, name):
    browser, base, token = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    try:
        _run_all(page, base, token, name)
        text = "\n".join(page.eval_on_selector_all(".jp-OutputArea-output", "els => els.map(e => e.innerText)"))
        assert "Error displaying widget" not in text and "Loading widget" not in text
        errors = page.query_selector_all(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert not errors, f"{name}: error output: {errors[0].inner_text()[:500]}"

        times = {}
        tabs = page.query_selector_all(".widget-tab .lm-TabBar-tab")
        seen = 0
        for i in range(max(len(tabs), 1)):
            if tabs:
                tabs[i].click()
                page.wait_for_timeout(100)
            for dash in _dashboards(page):
                if dash.is_visible() and dash.get_attribute("data-timed") is None:
                    dash.evaluate("el => el.setAttribute('data-timed', '1')")
                    key, ms = _press_and_time(page, dash)
                    times[f"{name[:2]} {key}"] = ms
                    seen += 1
        assert seen == DASHBOARDS[name], f"{name}: {seen} dashboards responded, expected {DASHBOARDS[name]}"
        if name.startswith("00"):
            # a slider echoed into a label by the kernel, no plot: the round trip's own cost
            label = page.query_selector_all(".widget-hbox:has(.noUi-handle) > .widget-label")[-1]
            page.query_selector(".widget-hbox .noUi-handle").focus()
            echo = []
            for key in PRESSES:
                before = label.inner_text()
                t0 = time.perf_counter()
                page.keyboard.press(key)
                page.wait_for_function("([el, old]) => el.innerText !== old", arg=[label, before], timeout=10_000,
                                       polling=5)
                echo.append((time.perf_counter() - t0) * 1e3)
            times["00 slider→label round trip (no plot)"] = echo
        LATENCIES.update(times)
        first = [d for d in _dashboards(page) if d.is_visible()]
        (first[0] if first else page.query_selector(".jp-OutputArea-output")).scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / name.replace(".ipynb", ".png")))
    finally:
        page.close()
    summary = {n: {"median_ms": round(statistics.median(t), 1), "max_ms": round(max(t), 1), "presses": len(t)}
               for n, t in sorted(LATENCIES.items())}
    (ARTIFACTS / "latency.json").write_text(json.dumps(summary, indent=1) + "\n")


def test_dashboard_counts_match_the_notebooks():
    """DASHBOARDS above must follow the notebooks: count the dashboard calls in their sources."""
    src = {p.name.replace(".py", ".ipynb"): p.read_text() for p in (ROOT / "tools" / "notebooks").glob("*.py")}
    from lrcourse.widgets import SCHEDULE_SLIDERS

    import re

    from lrcourse import widgets

    builders = set(widgets.__all__) - {"Dashboard", "log_slider", "schedule_tabs"}
    for name, expected in DASHBOARDS.items():
        # dashboards a notebook shows: built at the top level of a cell, not inside a loop
        # (the call may continue over several lines, with calls nested one deep in its arguments)
        shown = re.findall(r"^(?:\w+ = )?widgets\.(\w+)\((?:[^()]|\([^()]*\))*\)[ \t]*$", src[name], flags=re.M)
        calls = sum(f in builders for f in shown) + len(SCHEDULE_SLIDERS) * shown.count("schedule_tabs")
        assert calls == expected, name
    assert set(DASHBOARDS) == set(NOTEBOOKS)
