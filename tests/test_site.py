"""The course website (tools/website.py, `make site`).

- By default (`make test`): the dashboards' freezing on a made-up widget state, and a small
  site (lessons 00 and 01, their exercise, the run and instructor pages) built offline into a
  temporary folder and opened page by page in headless Chromium.
- `make test-site` (marker ``site``): the same browser check over the whole site that
  `make site` built (it builds it first when missing; executed lessons are reused while
  unchanged).

The browser check fails on: a request that leaves 127.0.0.1 (a script or style from a CDN), a
script error, an image that does not load, a link to a page or anchor of the site that does not
exist, a lesson page without a figure, and a search for "learning rate" that finds nothing.
"""

from __future__ import annotations

import base64
import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE_TOOL = ROOT / "tools" / "website.py"
FULL_SITE = ROOT / "build" / "site" / "html"
LINKS = {"colab": "https://colab.example/x", "binder": "https://binder.example/x", "run": "../run.html"}
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def site_tool():
    sys.path.insert(0, str(ROOT / "tools"))
    import website

    return website


def _missing_browser():
    from test_browser import _missing       # Chromium and Playwright, as the browser test needs them

    if _missing():
        return _missing()
    try:
        import myst_nb  # noqa: F401
        import sphinx_book_theme  # noqa: F401
    except ImportError:
        return "Sphinx, myst-nb or sphinx-book-theme is missing (pip install -e '.[site]')"
    return None


# --------------------------------------------------------------------------- frozen dashboards


def _state(models):
    return {"state": {k: {"model_name": name, "state": s, **({"buffers": b} if b else {})}
                      for k, (name, s, b) in models.items()}, "version_major": 2, "version_minor": 0}


def _widget_notebook(state, root_ids):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("dashboard")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": r, "version_major": 2, "version_minor": 0},
        "text/plain": "VBox(...)"}) for r in root_ids]
    nb.cells.append(cell)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": state}
    return nb


def test_a_dashboard_is_frozen_into_its_picture_captions_and_settings():
    tool = site_tool()
    png = {"data": base64.b64encode(PNG).decode(), "encoding": "base64", "path": ["value"]}
    state = _state({
        "root": ("VBoxModel", {"children": ["IPY_MODEL_row", "IPY_MODEL_img", "IPY_MODEL_cap"]}, None),
        "row": ("HBoxModel", {"children": ["IPY_MODEL_lr", "IPY_MODEL_kappa", "IPY_MODEL_pick", "IPY_MODEL_box"]}, None),
        "lr": ("FloatLogSliderModel", {"description": "learning rate η", "value": 0.3, "readout_format": ".3r"}, None),
        "kappa": ("FloatSliderModel", {"description": "κ", "value": 20.0, "readout_format": ".2f"}, None),
        "pick": ("SelectionSliderModel", {"description": "rate", "index": 1, "_options_labels": ["0.1", "0.173"]}, None),
        "box": ("CheckboxModel", {"description": "bias correction", "value": True}, None),
        "img": ("ImageModel", {"format": "png"}, [png]),
        "cap": ("HTMLModel", {"value": "η = 0.3: <b>monotone</b>"}, None),
        "bar": ("HBoxModel", {"children": ["IPY_MODEL_p", "IPY_MODEL_t"]}, None),
        "p": ("FloatProgressModel", {"value": 1.0}, None),
        "t": ("HTMLModel", {"value": "24/24"}, None),
    })
    nb = _widget_notebook(state, ["root", "bar"])
    nb.cells[0].outputs.insert(0, nbformat.v4.new_output("display_data", data={"text/plain": "\n"}))
    nb.cells[0].outputs.append(nbformat.v4.new_output("stream", name="stdout", text="  \n"))
    frozen, dropped = tool.freeze_dashboards(nb, LINKS)
    assert (frozen, dropped) == (1, 1)
    outputs = nb.cells[0].outputs
    assert len(outputs) == 1 and set(outputs[0].data) == {"text/html"}
    page = outputs[0].data["text/html"]
    assert "learning rate η = 0.3" in page and "κ = 20.00" in page and "rate = 0.173" in page and "bias correction = True" in page
    assert base64.b64encode(PNG).decode() in page and "<b>monotone</b>" in page
    assert 'href="../run.html"' in page and "running Python kernel" in page
    assert 'href="https://colab.example/x"' in page and 'href="https://binder.example/x"' in page
    assert "widgets" not in nb.metadata


def test_tabs_are_frozen_one_after_another_under_their_titles():
    tool = site_tool()
    png = {"data": base64.b64encode(PNG).decode(), "encoding": "base64", "path": ["value"]}
    state = _state({
        "tabs": ("TabModel", {"children": ["IPY_MODEL_a", "IPY_MODEL_b"], "titles": ["step decay", "cosine"]}, None),
        "a": ("ImageModel", {}, [png]),
        "b": ("ImageModel", {}, [png]),
    })
    nb = _widget_notebook(state, ["tabs"])
    tool.freeze_dashboards(nb, LINKS)
    page = nb.cells[0].outputs[0].data["text/html"]
    assert page.index("step decay") < page.index("cosine") and page.count("<img") == 2


def test_site_tool_refuses_a_lesson_that_does_not_exist():
    done = subprocess.run([sys.executable, str(SITE_TOOL), "--only", "42"], capture_output=True, text=True)
    assert done.returncode == 2 and "--only: no lesson numbered 42" in done.stderr


# --------------------------------------------------------------------------- the browser check


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def check_site(html_dir: Path, lessons: list[str], shots: Path | None = None, partial: bool = False) -> dict:
    """Open every page of the built site in headless Chromium; return what was counted. On a
    ``partial`` site, a link to a notebook left out (MyST writes it as "#NN_name.ipynb") is
    not a problem."""
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(html_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    pages = sorted(p.relative_to(html_dir).as_posix() for p in html_dir.rglob("*.html"))
    problems, counts, outside = [], {"pages": len(pages), "images": 0, "links": 0}, set()
    ids_cache: dict = {}

    def ids_of(path: Path) -> set:
        if path not in ids_cache:
            ids_cache[path] = set(re.findall(r'\bid="([^"]+)"', path.read_text(errors="replace")))
        return ids_cache[path]

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"), headless=True)
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.on("request", lambda r: outside.add(r.url) if not r.url.startswith((base, "data:")) else None)
            errors: list = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            for name in pages:
                errors.clear()
                page.goto(base + name, wait_until="load")
                if errors:
                    problems.append(f"{name}: script error {errors[:2]}")
                broken = page.eval_on_selector_all(
                    "img", "els => els.filter(e => !(e.complete && e.naturalWidth > 0)).map(e => e.src.slice(0, 80))")
                if broken:
                    problems.append(f"{name}: images that do not load {broken}")
                counts["images"] += page.eval_on_selector_all("img", "els => els.length")
                for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
                    url = urljoin(base + name, href)
                    if not url.startswith(base):
                        continue
                    counts["links"] += 1
                    parts = urlsplit(url)
                    target = html_dir / unquote(parts.path[len(urlsplit(base).path):])
                    if target.is_dir():
                        target = target / "index.html"
                    if not target.is_file():
                        problems.append(f"{name}: link to a missing page {href}")
                    elif partial and parts.fragment.endswith(".ipynb"):
                        continue
                    elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in ids_of(target):
                        problems.append(f"{name}: link to a missing anchor {href}")
                if name.startswith("notebooks/") and name[len("notebooks/"):-5] in lessons:
                    figures = page.eval_on_selector_all(
                        "main .cell_output img", "els => els.filter(e => e.naturalWidth > 100).length")
                    if figures < 1:
                        problems.append(f"{name}: a lesson page without a figure")
                    if shots is not None:
                        shots.mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=str(shots / (Path(name).stem + ".png")))
            page.goto(base + "search.html?q=learning+rate", wait_until="load")
            page.wait_for_selector("#search-results li, .search-summary", timeout=30_000)
            found = page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.getAttribute('href'))")
            counts["search hits"] = len(found)
            if not any("notebooks/" in h for h in found):
                problems.append(f"search for 'learning rate' found no lesson: {found[:5]}")
            browser.close()
    finally:
        server.shutdown()
    if outside:
        problems.append(f"requests that leave the machine: {sorted(outside)[:5]}")
    assert not problems, "\n".join(problems[:30])
    return counts


@pytest.mark.slow
@pytest.mark.browser
def test_a_small_site_builds_offline_and_every_page_works(tmp_path):
    """Lessons 00 and 01 and the pages around them: built into a temporary folder, then the
    browser check. (The whole site: make test-site.)"""
    missing = _missing_browser()
    if missing:
        pytest.skip(missing)
    done = subprocess.run([sys.executable, str(SITE_TOOL), "--only", "00", "01", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 dashboards frozen" in done.stdout and "lessons executed: 2" in done.stdout, done.stdout   # 00: 1, 01: 2
    html_dir = tmp_path / "html"
    for page in ("index.html", "run.html", "instructor.html", "notebooks/01_what_is_a_learning_rate.html",
                 "exercises/01_what_is_a_learning_rate/01_what_is_a_learning_rate.html"):
        assert (html_dir / page).is_file(), page
    lesson = (html_dir / "notebooks" / "01_what_is_a_learning_rate.html").read_text()
    assert "frozen at its default settings" in lesson and "google.colab" not in lesson
    assert "Open in Colab" in lesson and "Launch on Binder" in lesson
    exercise = (html_dir / "exercises" / "01_what_is_a_learning_rate" / "01_what_is_a_learning_rate.html").read_text()
    assert "YOUR CODE HERE" in exercise and "BEGIN SOLUTION" not in exercise and "HIDDEN TESTS" not in exercise
    assert "shows the exercise as a learner gets it" in exercise and "google.colab" not in exercise
    assert 'href="../run.html"' in lesson and "#readme" not in lesson
    counts = check_site(html_dir, ["00_start_here", "01_what_is_a_learning_rate"], partial=True)
    assert counts["pages"] >= 8 and counts["links"] > 50
    # a second build reuses the executed lessons instead of running them again (Sphinx not rerun here)
    tool = site_tool()
    again = tool.execute_all([p for p in tool.lessons() if p.name[:2] in ("00", "01")], tmp_path / "executed", 1,
                             say=lambda *_: None)
    assert sorted(again) == ["00_start_here.ipynb", "01_what_is_a_learning_rate.ipynb"]
    assert all(reused for _, reused in again.values()), again


@pytest.mark.site
def test_the_whole_site_works_in_a_browser():
    """`make test-site`: the site `make site` built (built here first if missing)."""
    missing = _missing_browser()
    if missing:
        pytest.skip(missing)
    if not (FULL_SITE / "index.html").is_file():
        done = subprocess.run([sys.executable, str(SITE_TOOL)], capture_output=True, text=True, timeout=3600)
        assert done.returncode == 0, done.stdout + done.stderr
    lessons = [p.stem for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
    for stem in lessons:
        assert (FULL_SITE / "notebooks" / f"{stem}.html").is_file(), f"{stem} is not on the site: run make site"
    counts = check_site(FULL_SITE, lessons, shots=ROOT / "test-artifacts" / "site")
    assert counts["pages"] >= len(lessons) + 8 + 3
    print(counts)
