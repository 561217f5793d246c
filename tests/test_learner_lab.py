"""A learner's path through `make lab`, in headless Chromium.

JupyterLab starts with the exact command line `make lab` runs (``make -s lab-command``) from the
learner environment .venv, and the browser opens the page that command hands to a browser.
Then, as a learner would: the first page must be 00_start_here.ipynb; the first lesson with
an "Exercise:" link is opened from File > Open from Path, next to it; the link is clicked in
the rendered Markdown; the exercise must open in a tab of its own, and running its cells down
to the first ``check(...)`` must say the task is not attempted yet. Where JupyterLab serves
notebooks/ instead of the repository, "../exercises/..." leads above the served folder: a 404,
and nothing visible happens. That is what this catches (the message lists the 404s).

The learner environment has no nbgrader, so none of its interface may show: no "Nbgrader" menu,
no "Validate" button on a notebook's toolbar, no "Create Assignment" side panel.

Skipped, saying why, where chromium or playwright is missing, where the Makefile cannot print
the command, and where .venv is not the learner environment (it imports nbgrader).
Screenshots go to test-artifacts/browser/.
"""

import json
import posixpath
import subprocess

import pytest

from test_browser import ARTIFACTS, KERNEL_IDLE, ROOT, _missing, chromium, make_lab
from test_links import _markdown_sources, links

pytestmark = pytest.mark.browser


def _first_exercise_link():
    """The first lesson whose Markdown has an "Exercise:" link, and where that link leads."""
    for lesson in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for text, _ in _markdown_sources(lesson):
            if "Exercise:" in text:
                for url in links(text):
                    if "exercises/" in url:
                        target = (lesson.parent / url.split("#")[0]).resolve()
                        return lesson.relative_to(ROOT).as_posix(), url, target.relative_to(ROOT).as_posix()
    raise AssertionError("no lesson in notebooks/ has an 'Exercise:' link to exercises/")


LESSON, LINK, EXERCISE = _first_exercise_link()


def _first_check_cell(path: str) -> int:
    cells = json.loads((ROOT / path).read_text())["cells"]
    return next(i for i, c in enumerate(cells)
                if c["cell_type"] == "code" and "check(" in "".join(c["source"]))


def _learner_env_only(command, python):
    """Skip unless the environment `make lab` runs is the learner's (no nbgrader)."""
    rel = python.parent.parent
    rel = rel.relative_to(ROOT) if rel.is_relative_to(ROOT) else rel
    found = subprocess.run([str(python), "-c", "import nbgrader"], capture_output=True, timeout=300)
    if found.returncode == 0:
        pytest.skip(f"the learner venv {rel} has instructor tools (nbgrader imports there); run make lab first "
                    "(an environment from before the learner/developer split: make clean-env, then make lab)")


@pytest.fixture(scope="module")
def learner_lab(tmp_path_factory):
    reason = _missing()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    tmp = tmp_path_factory.mktemp("learner-lab")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with make_lab(tmp, vet=_learner_env_only) as server:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = chromium(pw, tmp / "chromium")
            try:
                yield browser, server
            finally:
                browser.close()


# The panel of the document in the current main-area tab, and the tabs' captions (JupyterLab
# puts "Name: …", "Path: …" in a document tab's title attribute).
CURRENT_PANEL = """() => {
    const tab = document.querySelector('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current');
    return tab && document.getElementById(tab.getAttribute('data-id'));
}"""
TABS = """() => [...document.querySelectorAll('.lm-DockPanel-tabBar .lm-TabBar-tab')].map(t => ({
    label: t.querySelector('.lm-TabBar-tabLabel')?.textContent || '',
    caption: t.getAttribute('title') || '', current: t.classList.contains('lm-mod-current')}))"""
CURRENT_IS = """(path) => {
    const tab = document.querySelector('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current');
    const panel = tab && document.getElementById(tab.getAttribute('data-id'));
    return !!panel && (tab.getAttribute('title') || '').includes('Path: ' + path)
        && !!panel.querySelector('.jp-Notebook .jp-Cell');
}"""


def _wait_current(page, path, what, timeout=90_000):
    try:
        page.wait_for_function(CURRENT_IS, arg=path, timeout=timeout)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "learner_lab.failed.png"))
        tabs = page.evaluate(TABS)
        raise AssertionError(f"{what}: {path} is not the notebook in the current tab; tabs: {tabs}") from None


def _open_from_path(page, path):
    """File > Open from Path…, as a learner who knows the file's path would."""
    page.click(".lm-MenuBar-itemLabel:text-is('File')")
    page.click("li.lm-Menu-item[data-command='filebrowser:open-path']")
    box = page.wait_for_selector(".jp-Dialog input", timeout=10_000)
    box.fill(path)
    box.press("Enter")


def _browser_start_page(runtime):
    """The page `make lab` hands to the browser: the server writes it into its runtime folder
    (a file naming the notebook given on the command line if there is one, else the default)."""
    pages = sorted(runtime.glob("jpserver-file-to-run-*-open.html")) or sorted(runtime.glob("jpserver-*-open.html"))
    assert pages, f"the server left no page for a browser to open in {runtime}"
    return pages[0]


def _current_path(page, name, what):
    """Wait until the current tab is a notebook called ``name``; its path as the server sees it."""
    try:
        handle = page.wait_for_function("""(name) => {
            const tab = document.querySelector('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current');
            const panel = tab && document.getElementById(tab.getAttribute('data-id'));
            const path = /Path: (.*)/.exec((tab && tab.getAttribute('title')) || '');
            return !!tab && tab.querySelector('.lm-TabBar-tabLabel').textContent === name
                && !!panel.querySelector('.jp-Notebook .jp-Cell') && !!path && path[1].trim();
        }""", arg=name, timeout=90_000)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "learner_lab.failed.png"))
        raise AssertionError(f"{what}: {name} is not open in the current tab; tabs: {page.evaluate(TABS)}") from None
    return handle.json_value()


def test_a_learner_opens_an_exercise_from_its_lesson(learner_lab):
    browser, server = learner_lab
    page = browser.new_page()
    try:
        page.goto(_browser_start_page(server.runtime).as_uri())
        start = _current_path(page, "00_start_here.ipynb", "the first page of make lab")
        # Paths from here on are the server's, relative to the folder it serves: the lessons
        # lie next to 00_start_here, and the link resolves from the lesson's folder.
        lesson = posixpath.join(posixpath.dirname(start), posixpath.basename(LESSON))
        exercise = posixpath.normpath(posixpath.join(posixpath.dirname(lesson), LINK.split("#")[0]))

        _open_from_path(page, lesson)
        _wait_current(page, lesson, "File > Open from Path")
        panel = page.evaluate_handle(CURRENT_PANEL)
        # JupyterLab rewrites a local link's href (to the file's download URL); the name stays
        name = posixpath.basename(LINK.split("#")[0])
        link = next((a for a in panel.query_selector_all(".jp-RenderedMarkdown a")
                     if name in (a.get_attribute("href") or "")
                     and "Exercise:" in a.evaluate("a => a.closest('p, li, div').textContent")), None)
        assert link is not None, f"{LESSON}: no rendered 'Exercise:' link to {LINK}"
        link.scroll_into_view_if_needed()
        link.click()
        try:
            _wait_current(page, exercise, f"clicking the Exercise: link ({LINK}) in {lesson}", timeout=30_000)
        except AssertionError as exc:
            not_found = [line.strip() for line in server.log.read_text().splitlines() if " 404 " in line]
            outside = (f"\nThe link leads to {exercise}, above the folder JupyterLab serves (it opened the first "
                       f"page as {start}): serve the repository root." if exercise.startswith("../") else "")
            raise AssertionError(f"{exc}{outside}\nserver 404s: {not_found[-5:]}\n"
                                 f"command: {server.command}") from None
        assert exercise == EXERCISE, (f"the exercise opened as {exercise}, not as {EXERCISE}: "
                                      "JupyterLab serves a folder other than the repository")
        tabs = page.evaluate(TABS)
        assert [t["label"] for t in tabs if t["current"]] == [name], tabs            # the exercise's own tab
        assert sum("Path: " + lesson in t["caption"] for t in tabs) == 1, tabs       # and the lesson's, still open

        # Run from the top down to the first check(...), with Shift+Enter, as the exercise says.
        page.wait_for_function(KERNEL_IDLE, timeout=120_000)
        panel = page.evaluate_handle(CURRENT_PANEL)
        cells = panel.query_selector_all(".jp-Notebook .jp-Cell")
        first_check = _first_check_cell(EXERCISE)
        assert "check(" in cells[first_check].inner_text()
        cells[0].query_selector(".jp-InputPrompt").click()
        for _ in range(first_check + 1):
            page.keyboard.press("Shift+Enter")
        output = cells[first_check].query_selector(".jp-Cell-outputArea")
        try:
            page.wait_for_function("(el) => /not attempted/i.test(el.innerText)", arg=output, timeout=120_000)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "learner_lab.failed.png"))
            shown = [c.query_selector(".jp-Cell-outputArea").inner_text()[:400] if c.query_selector(
                ".jp-Cell-outputArea") else "" for c in cells[:first_check + 1]]
            raise AssertionError(f"{EXERCISE}: the first check cell (cell {first_check}) did not say 'not "
                                 f"attempted'; outputs of the cells run: {shown}") from None
        for cell in cells[:first_check]:           # the setup and the learner's stub ran cleanly
            assert not cell.query_selector(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        output.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "learner_lab.exercise.png"))
    finally:
        page.close()


NBGRADER_UI = """(panel) => {
    const says = (el, re) => [el.textContent, el.getAttribute('title'), el.getAttribute('aria-label'),
                              el.getAttribute('data-id'), el.id].some(s => s && re.test(s));
    const found = [];
    if ([...document.querySelectorAll('.lm-MenuBar-item')].some(e => says(e, /nbgrader/i)))
        found.push('an "Nbgrader" menu in the menu bar');
    if ([...panel.querySelectorAll('.jp-Toolbar-item, .jp-Toolbar-item *')].some(e => says(e, /validate/i)))
        found.push('a "Validate" button on the notebook toolbar');
    const side = [...document.querySelectorAll('.jp-SideBar .lm-TabBar-tab, #jp-right-stack, #jp-right-stack *')];
    if (side.some(e => says(e, /create.assignment|nbgrader/i)) || document.getElementById('nbgrader-create_assignemnt'))
        found.push('a "Create Assignment" panel in the right side bar');
    return found;
}"""
TOOLBAR_READY = """(panel) => panel.querySelectorAll('.jp-NotebookPanel-toolbar .jp-Toolbar-item').length >= 5"""


def _nbgrader_ui(page):
    """What of nbgrader's interface the current notebook page shows (empty in a learner's lab)."""
    panel = page.evaluate_handle(CURRENT_PANEL)
    page.wait_for_function(TOOLBAR_READY, arg=panel, timeout=30_000)
    return page.evaluate(NBGRADER_UI, panel)


def test_the_learner_lab_shows_no_nbgrader(learner_lab):
    browser, server = learner_lab
    page = browser.new_page()
    try:
        page.goto(f"{server.base}/lab/workspaces/nbgrader-check/tree/{EXERCISE}?reset&token={server.token}")
        _wait_current(page, EXERCISE, "opening the exercise")
        page.wait_for_function(KERNEL_IDLE, timeout=120_000)   # by now every extension has loaded
        found = _nbgrader_ui(page)
        page.screenshot(path=str(ARTIFACTS / "learner_lab.no_nbgrader.png"))
        assert not found, f"the learner's lab shows nbgrader: {', '.join(found)} (command: {server.command})"
    finally:
        page.close()
