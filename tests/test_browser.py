"""The course as a learner sees it: every notebook run in JupyterLab in headless Chromium.

Starts JupyterLab on 127.0.0.1 with a token and throwaway settings, workspace and runtime
folders; opens each notebook, runs all cells from the Run menu, and checks that no output is
an error, that every widget rendered (no "Loading widget", no "Error displaying widget"),
and that pressing → on one slider of every dashboard changes its plot. The time from the key
press to the new image is recorded per dashboard. Screenshots and timings go to
test-artifacts/browser/.

Needs Debian's ``chromium`` and the ``playwright`` package (never ``playwright install``);
skipped, with the reason in the summary, where either is missing.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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
    cell stays in the page, so every widget can be found)."""
    for plugin, values in {"@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
                           "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
                           "@jupyterlab/docmanager-extension/plugin": {"autosave": False}}.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    reason = _missing()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    tmp = tmp_path_factory.mktemp("lab")
    _settings(tmp / "settings")
    # The server sees a copy of the notebooks, so nothing it saves can reach the repository.
    served = tmp / "course"
    shutil.copytree(ROOT / "notebooks", served / "notebooks")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               IPYTHONDIR=str(tmp / "ipython"), MPLCONFIGDIR=str(tmp / "mpl"))
    log = open(tmp / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={served}", "--allow-root",
         f"--LabApp.user_settings_dir={tmp / 'settings'}", f"--LabApp.workspaces_dir={tmp / 'workspaces'}"],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start:\n" + (tmp / "lab.log").read_text()[-3000:])
                time.sleep(0.3)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch_persistent_context(
                str(tmp / "chromium"), executable_path=shutil.which("chromium"), headless=True,
                args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000})
            try:
                yield browser, f"http://127.0.0.1:{port}", token
            finally:
                browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)   # the server and the kernels it started
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


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
    """Milliseconds from each key press on the dashboard's first slider to its new image."""
    handle = dash.query_selector(".noUi-handle")
    image = dash.query_selector(":scope > img.widget-image")
    handle.scroll_into_view_if_needed()
    handle.focus()
    times = []
    for key in PRESSES:
        before = image.get_attribute("src")
        t0 = time.perf_counter()
        page.keyboard.press(key)
        page.wait_for_function("([img, old]) => img.getAttribute('src') !== old", arg=[image, before],
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
