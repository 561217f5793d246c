"""Build the course website from the lessons, the exercises and the instructor's guide.

    make site                                   (runs .venv-dev/bin/python tools/website.py)
    python tools/website.py [--only 00 01] [--out build/site] [--jobs 2]

Steps, each timed and reported at the end:

1. **Execute each lesson once**, in a kernel of this environment, from the notebooks/ folder
   (as JupyterLab does), storing the widget state. The executed copy is kept in
   ``OUT/executed`` under a fingerprint of the notebook and of the library's source, so a
   second ``make site`` after an edit elsewhere (a page's text, the theme) reuses it instead of
   running the lesson again. The repository's notebooks stay without outputs.
2. **Freeze the dashboards**: a slider needs a running kernel, which a web page does not have.
   Each dashboard's output is replaced by what it shows at its default settings: the picture
   (from the stored widget state), its captions, the settings, and a note with links to the
   ways of running it. Progress bars are dropped.
3. **Assemble** ``OUT/src``: site/ (conf.py, index.md, run.md), the executed lessons under
   notebooks/, the exercises (learner versions, without solutions; not executed) under
   exercises/, docs/instructor.md; the same layout as the repository, so the notebooks' links
   between lessons and exercises work on the site too.
4. **Sphinx** (myst-nb renders the notebooks as they are, without executing them again;
   sphinx-book-theme) writes ``OUT/html``. Warnings are errors: a broken link between pages
   fails the build.

Nothing is downloaded: the theme ships its styles, fonts and scripts, and no page loads a
script from elsewhere (tests/test_site.py checks every request a page makes).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import os
import re
import shutil
import string
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from reach import COLAB_CELL_ID, LINKS_CELL_ID, binder_url, colab_url, repository  # noqa: E402

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
PROGRESS = {"FloatProgressModel", "IntProgressModel"}
SELECTIONS = {"DropdownModel", "ToggleButtonsModel", "RadioButtonsModel", "SelectModel", "SelectionSliderModel"}
NOTE = ("<p class=\"lrc-frozen-note\"><strong>A dashboard, frozen at its default settings"
        "{settings}.</strong> Its sliders need a running Python kernel: run this notebook "
        "<a href=\"{colab}\">in Colab</a>, <a href=\"{binder}\">on Binder</a> or "
        "<a href=\"{run}\">on your machine</a>.</p>")
# Shown on the site above each exercise (the notebook itself is for doing, not reading).
EXERCISE_NOTE = ("*This page shows the exercise as a learner gets it, to read. To do it, open it "
                 "[in Colab]({colab}) or [on Binder]({binder}), or copy the exercises to your machine with "
                 "`lrcourse exercises DIR` ([how]({run})): each task then checks itself when you run its test cell.*")


def lessons() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def exercises() -> list[Path]:
    return sorted((ROOT / "exercises").glob("*/[0-9][0-9]_*.ipynb"))


def fingerprint(path: Path) -> str:
    """What an executed lesson depends on: its own text and the library's source."""
    digest = hashlib.sha256(path.read_bytes())
    for source in sorted((ROOT / "lrcourse").rglob("*.py")):
        digest.update(source.relative_to(ROOT).as_posix().encode() + source.read_bytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------- 1. execution


def _execute(path: str, target: str, key: str) -> float:
    """Run one lesson in a fresh kernel (in a worker process) and write the executed copy."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    # The kernel's own stderr (Jupyter's notices about its sockets) goes to a log beside the
    # executed copy, not into the build's report; an error in a cell still stops the build.
    log = open(Path(target).with_suffix(".kernel.log"), "w")
    os.dup2(log.fileno(), 2)
    start = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    seconds = time.perf_counter() - start
    nb.metadata["lrcourse_site"] = {"fingerprint": key, "seconds": round(seconds, 1)}
    nbformat.write(nb, target)
    return seconds


def execute_all(paths: list[Path], folder: Path, jobs: int, say=print) -> dict:
    """Executed copies of ``paths`` in ``folder``, reusing the ones whose fingerprint matches.
    Returns {name: (seconds, reused)}."""
    folder.mkdir(parents=True, exist_ok=True)
    report, todo = {}, []
    for path in paths:
        key, target = fingerprint(path), folder / path.name
        if target.exists():
            meta = json.loads(target.read_text())["metadata"].get("lrcourse_site", {})
            if meta.get("fingerprint") == key:
                report[path.name] = (meta.get("seconds", 0.0), True)
                continue
        todo.append((path, target, key))
    if todo:
        say(f"executing {len(todo)} lesson(s), {jobs} at a time (each once; reused next time while unchanged)")
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {p.name: pool.submit(_execute, str(p), str(t), k) for p, t, k in todo}
        for name, future in futures.items():
            report[name] = (future.result(), False)
            say(f"  {name}: {report[name][0]:.1f} s")
    return report


# --------------------------------------------------------------------------- 2. frozen dashboards


def _number(value, fmt: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    match = re.fullmatch(r"\.(\d+)r", fmt or "")      # d3's "r": significant digits, no exponent
    if match:
        return f"{value:.{match.group(1)}g}"
    try:
        return format(value, fmt) if fmt else f"{value:.3g}"
    except ValueError:
        return f"{value:.3g}"


def _parts(model_id: str, state: dict) -> list:
    """The visible pieces of a widget and its children, in order: ("img", png bytes),
    ("html", markup), ("setting", text), ("heading", text). A progress bar gives nothing."""
    entry = state.get(model_id)
    if entry is None:
        return []
    name, s = entry["model_name"], entry["state"]
    if name == "ImageModel":
        data = next((b["data"] for b in entry.get("buffers", []) if b.get("path") == ["value"]), None)
        return [("img", base64.b64decode(data))] if data else []
    if name == "HTMLModel":
        return [("html", s.get("value", ""))] if s.get("value") else []
    if name == "LabelModel":
        return [("html", html.escape(s.get("value", "")))] if s.get("value") else []
    if name in PROGRESS:
        return [("progress", None)]
    if name in SELECTIONS:          # before the sliders: a selection slider's value is an index
        labels, index = s.get("_options_labels", []), s.get("index")
        shown = labels[index] if isinstance(index, int) and index < len(labels) else index
        return [("setting", f"{s.get('description') or 'choice'} = {shown}")]
    if name.endswith("SliderModel") or name in ("CheckboxModel", "ToggleButtonModel"):
        return [("setting", f"{s.get('description') or 'value'} = {_number(s.get('value'), s.get('readout_format', ''))}")]
    parts = []
    children = [c.removeprefix("IPY_MODEL_") for c in s.get("children", [])]
    titles = s.get("titles") or []
    for i, child in enumerate(children):
        inner = _parts(child, state)
        if name in ("TabModel", "AccordionModel", "StackModel") and i < len(titles) and titles[i]:
            inner = [("heading", titles[i])] + inner
        parts += inner
    return parts


def frozen_html(parts: list, links: dict) -> str:
    """One dashboard as static HTML: each group of settings introduces the pictures and
    captions that follow it."""
    blocks, settings = [], []
    for kind, value in parts:
        if kind == "setting":
            settings.append(html.escape(value))
            continue
        if settings:
            blocks.append(f"<p class=\"lrc-frozen-settings\">Settings: {'; '.join(settings)}</p>")
            settings = []
        if kind == "img":
            blocks.append("<img class=\"lrc-frozen-image\" alt=\"the dashboard's picture at its default settings\" "
                          f"src=\"data:image/png;base64,{base64.b64encode(value).decode()}\"/>")
        elif kind == "html":
            blocks.append(f"<div class=\"lrc-frozen-caption\">{value}</div>")
        elif kind == "heading":
            blocks.append(f"<p class=\"lrc-frozen-heading\"><strong>{html.escape(value)}</strong></p>")
    if settings:
        blocks.append(f"<p class=\"lrc-frozen-settings\">Settings: {'; '.join(settings)}</p>")
    has_picture = any(kind == "img" for kind, _ in parts)
    note = NOTE.format(settings="" if has_picture else " (no picture)", **links)
    return "<div class=\"lrc-frozen\">" + note + "".join(blocks) + "</div>"


def _blank(output) -> bool:
    """An output that would show as an empty box: blank printed text, or a display whose only
    content is blank plain text (what a finished progress bar or a cleared line leaves)."""
    if output.get("output_type") == "stream":
        return not "".join(output.get("text", "")).strip()
    data = output.get("data")
    return data is not None and set(data) == {"text/plain"} and not "".join(data["text/plain"]).strip()


def freeze_dashboards(nb, links: dict) -> tuple[int, int]:
    """Replace every widget output of ``nb`` by its frozen HTML; drop progress bars, blank
    outputs and the widget state. Returns (dashboards frozen, progress bars dropped)."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    frozen = dropped = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if _blank(output):
                continue
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                kept.append(output)
                continue
            parts = _parts(view["model_id"], state)
            if not parts or any(kind == "progress" for kind, _ in parts):
                dropped += 1
                continue
            output["data"] = {"text/html": frozen_html(parts, links)}
            frozen += 1
            kept.append(output)
        cell.outputs = kept
    nb.metadata.pop("widgets", None)
    return frozen, dropped


# --------------------------------------------------------------------------- 3. and 4.


def for_the_site(nb, run_page: str, repo: str) -> None:
    """A page installs nothing (the Colab cell goes), and its "install the course" link leads to
    the site's own page on running the course instead of the repository's README."""
    nb.cells = [c for c in nb.cells if c.get("id") != COLAB_CELL_ID]
    for cell in nb.cells:
        if cell.get("id") == LINKS_CELL_ID:
            cell.source = cell.source.replace(f"({repo}#readme)", f"({run_page})")


def assemble(src: Path, executed: Path, names: list[str], say=print) -> dict:
    """Lay out the Sphinx source folder; returns {lesson name: dashboards frozen}."""
    import nbformat

    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(ROOT / "site", src, ignore=shutil.ignore_patterns("__pycache__"))
    repo = repository()
    page = src / "run.md"
    page.write_text(string.Template(page.read_text()).substitute(
        repo=repo, colab=colab_url("notebooks/00_start_here.ipynb", repo),
        binder=binder_url("notebooks/00_start_here.ipynb", repo)))
    shutil.copy(ROOT / "docs" / "instructor.md", src / "instructor.md")
    frozen = {}
    (src / "notebooks").mkdir()
    for name in names:
        nb = nbformat.read(executed / name, as_version=4)
        where = f"notebooks/{name}"
        links = {"colab": colab_url(where, repo), "binder": binder_url(where, repo), "run": "../run.html"}
        frozen[name] = freeze_dashboards(nb, links)[0]
        nb.metadata.pop("lrcourse_site", None)
        for_the_site(nb, "../run.md", repo)
        nbformat.write(nb, src / where)
    numbers = {name[:2] for name in names}
    for path in exercises():     # a partial site (--only) shows the exercises of its lessons
        if path.name[:2] not in numbers:
            continue
        where = path.relative_to(ROOT).as_posix()
        nb = nbformat.read(path, as_version=4)
        for_the_site(nb, "../../run.md", repo)
        note = nbformat.v4.new_markdown_cell(EXERCISE_NOTE.format(
            colab=colab_url(where, repo), binder=binder_url(where, repo), run="../../run.md"))
        note["id"] = "site-note"
        nb.cells.insert(1, note)
        (src / where).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, src / where)
    return frozen


def sphinx(src: Path, html_dir: Path, partial: bool = False) -> subprocess.CompletedProcess:
    """Sphinx with warnings as errors; a partial site (--only) may link to lessons it leaves
    out, so there (only) a link to a missing page is not an error."""
    if html_dir.exists():
        shutil.rmtree(html_dir)
    quiet = ["-D", "suppress_warnings=myst.xref_missing"] if partial else []
    return subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q", *quiet,
                           "-d", str(html_dir.parent / "doctrees"), str(src), str(html_dir)],
                          capture_output=True, text=True, env=dict(os.environ, LRCOURSE_ROOT=str(ROOT)))


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build the course website (make site).")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site",
                        help="folder for the executed notebooks, the Sphinx source and the html (default build/site)")
    parser.add_argument("--only", nargs="+", metavar="NN",
                        help="only these lessons, by number (a quick partial site; the others are left out)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="lessons executed at once (default: 2, or 1 on a one-core machine)")
    args = parser.parse_args(argv)
    paths = lessons()
    if args.only:
        unknown = set(args.only) - {p.name[:2] for p in paths}
        if unknown:
            parser.error(f"--only: no lesson numbered {', '.join(sorted(unknown))} "
                         f"(there are {paths[0].name[:2]} to {paths[-1].name[:2]})")
        paths = [p for p in paths if p.name[:2] in args.only]
    if args.jobs < 1:
        parser.error(f"--jobs must be 1 or more, got {args.jobs}")
    out = args.out.resolve()
    start = time.perf_counter()
    report = execute_all(paths, out / "executed", args.jobs)
    executed_at = time.perf_counter()
    frozen = assemble(out / "src", out / "executed", [p.name for p in paths])
    done = sphinx(out / "src", out / "html", partial=bool(args.only))
    finished = time.perf_counter()
    if done.returncode != 0:
        print(done.stdout + done.stderr, file=sys.stderr)
        print("the site did not build (Sphinx warnings count as errors)", file=sys.stderr)
        return 1
    pages = sorted((out / "html").rglob("*.html"))
    ran = [s for s, reused in report.values() if not reused]
    print(f"site: {out / 'html' / 'index.html'}")
    print(f"  {len(pages)} pages, {folder_size(out / 'html') / 2**20:.1f} MB; "
          f"{sum(frozen.values())} dashboards frozen at their default settings")
    print(f"  lessons executed: {len(ran)} ({sum(ran):.0f} s of kernel time), reused: {len(report) - len(ran)}; "
          f"execution {executed_at - start:.0f} s, assembling and Sphinx {finished - executed_at:.0f} s, "
          f"total {finished - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
