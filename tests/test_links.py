"""Every relative link a learner can click must open something.

`make lab` serves the repository root, so a link in a lesson, an exercise, a solution, the
README or the docs works only if it leads to a file that exists *inside* that root: a path that
climbs above it gives a 404 in JupyterLab and the click seems to do nothing. Links with a
scheme (http, https, mailto, data) and in-page ``#anchor`` links are not checked. A link into a
notebook that names a heading (``lesson.ipynb#Some-heading``) must match one of its headings,
spelled the way JupyterLab makes heading ids: the heading's text with each space turned into
a ``-``.

The self-checks at the bottom build a small fake course in a temporary folder and make sure the
checker does report a link that leaves the root, a missing file and an unknown heading.
"""

import json
import re
import shlex
from pathlib import Path
from urllib.parse import unquote, urlsplit

import mistune
import pytest

ROOT = Path(__file__).resolve().parents[1]
IGNORED_SCHEMES = {"http", "https", "mailto", "data"}
_markdown = mistune.create_markdown(renderer=None, plugins=["table", "strikethrough"])
_HTML_TARGET = re.compile(r"""\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_HTML_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.I | re.S)


def documents(root: Path) -> list[Path]:
    """What a learner or an instructor reads: the notebooks and the Markdown pages."""
    found = []
    for folder in ("notebooks", "exercises", "solutions"):
        found += sorted(p for p in (root / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    found += [p for p in [root / "README.md"] if p.exists()]
    found += sorted((root / "docs").glob("*.md"))
    return found


def _markdown_sources(path: Path) -> list[tuple[str, dict]]:
    """(markdown text, cell attachments) for each Markdown cell, or the whole file for a .md page."""
    if path.suffix == ".md":
        return [(path.read_text(encoding="utf-8"), {})]
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            src = cell.get("source", "")
            out.append(("".join(src) if isinstance(src, list) else src, cell.get("attachments") or {}))
    return out


def _walk(tokens):
    for tok in tokens:
        yield tok
        yield from _walk(tok.get("children") or [])


def _plain(tokens) -> str:
    """The text a rendered piece of Markdown shows (what the browser's textContent gives)."""
    parts = []
    for tok in tokens:
        if tok.get("children"):
            parts.append(_plain(tok["children"]))
        elif tok["type"] in ("softbreak", "linebreak"):
            parts.append(" ")
        elif tok["type"] == "inline_html":
            continue
        else:
            parts.append(tok.get("raw", ""))
    return "".join(parts)


def links(text: str) -> list[str]:
    """Targets of the links and images in a piece of Markdown, including raw HTML ``href``/``src``;
    nothing inside code spans or code blocks."""
    found = []
    for tok in _walk(_markdown(text)):
        if tok["type"] in ("link", "image"):
            found.append(tok["attrs"]["url"])
        elif tok["type"] in ("inline_html", "block_html"):
            found += [a or b for a, b in _HTML_TARGET.findall(tok.get("raw", ""))]
    return found


def heading_ids(path: Path) -> set[str]:
    """The ids JupyterLab gives the headings of a notebook: the text with spaces as '-'."""
    ids = set()
    for text, _ in _markdown_sources(path):
        for tok in _markdown(text):
            if tok["type"] == "heading":
                ids.add(_plain(tok.get("children") or []).strip().replace(" ", "-"))
            elif tok["type"] == "block_html":
                for inner in _HTML_HEADING.findall(tok.get("raw", "")):
                    ids.add(re.sub(r"<[^>]+>", "", inner).strip().replace(" ", "-"))
    return ids


def problems(path: Path, root: Path) -> list[str]:
    """What is wrong with the relative links in one document, one line per bad link."""
    bad = []
    root = root.resolve()
    for text, attachments in _markdown_sources(path):
        for url in links(text):
            parts = urlsplit(url.strip())
            scheme = parts.scheme.lower()
            if scheme in IGNORED_SCHEMES:
                continue
            if scheme == "attachment":
                if unquote(parts.path) not in attachments:
                    bad.append(f"{url}: the cell has no attachment of that name")
                continue
            if scheme or parts.netloc:
                bad.append(f"{url}: a {scheme or 'network'} link does not open in JupyterLab; link a file "
                           "in the course with a relative path")
                continue
            if not parts.path:
                continue                      # "#anchor" within the same document
            rel = unquote(parts.path)
            # JupyterLab resolves "/x" from the root it serves, like GitHub from the repository.
            target = (root / rel.lstrip("/")) if rel.startswith("/") else (path.parent / rel)
            target = target.resolve()
            if not target.is_relative_to(root):
                bad.append(f"{url}: points outside the lab root {root} (to {target}); JupyterLab "
                           "cannot open it and the click does nothing")
            elif not target.exists():
                bad.append(f"{url}: no such file {target.relative_to(root)}")
            elif parts.fragment and target.suffix == ".ipynb":
                anchor = unquote(parts.fragment)
                if anchor not in heading_ids(target):
                    bad.append(f"{url}: {target.relative_to(root)} has no heading with the id {anchor!r}")
    return bad


DOCUMENTS = documents(ROOT)


@pytest.mark.parametrize("path", DOCUMENTS, ids=[str(p.relative_to(ROOT)) for p in DOCUMENTS])
def test_relative_links_resolve_inside_the_lab_root(path):
    bad = problems(path, ROOT)
    assert not bad, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(bad)


def test_the_documents_and_their_links_are_found():
    """Guards the checker itself: if parsing broke, every document would pass with no links."""
    names = {str(p.relative_to(ROOT)) for p in DOCUMENTS}
    assert "notebooks/00_start_here.ipynb" in names and "README.md" in names
    assert any(n.startswith("exercises/") for n in names)
    for lesson in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if "Exercise:" in "".join(t for t, _ in _markdown_sources(lesson)):
            assert any("exercises/" in u for t, _ in _markdown_sources(lesson) for u in links(t)), lesson.name


def test_make_lab_serves_the_repository_root():
    """The links above are checked against the repository root; `make lab` must serve that root.
    (Given only a notebook, JupyterLab serves the notebook's folder, and "../exercises/..." breaks.)"""
    from test_browser import lab_command

    command = lab_command()
    args = shlex.split(command)
    options = dict(a[2:].split("=", 1) for a in args if a.startswith("--") and "=" in a)
    root = next((options[k] for k in ("ServerApp.root_dir", "ServerApp.notebook_dir", "notebook-dir")
                 if k in options), None)
    assert root is not None, f"`make lab` does not set the root JupyterLab serves: {command}"
    assert (ROOT / root).resolve() == ROOT, f"`make lab` serves {root}, not the repository root {ROOT}: {command}"
    start = options.get("LabApp.default_url", "")
    assert start.startswith("/lab/tree/"), f"`make lab` opens no notebook first: {command}"
    assert (ROOT / start[len("/lab/tree/"):]).is_file(), f"`make lab` opens {start}, which does not exist"


# --------------------------------------------------------------------------- self-checks


def _notebook(path: Path, *markdown: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = [{"cell_type": "markdown", "metadata": {}, "source": m} for m in markdown]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


def test_self_check_reports_links_outside_the_root_and_missing_files(tmp_path):
    course = tmp_path / "course"
    (tmp_path / "outside.ipynb").write_text("{}")        # exists, but above the lab root
    _notebook(course / "exercises" / "e1" / "e1.ipynb", "# Task one\n\nWrite `f`.", "## A second part")
    _notebook(course / "notebooks" / "lesson.ipynb",
              "**Exercise:** [fine](../exercises/e1/e1.ipynb) and [fine too](/exercises/e1/e1.ipynb#Task-one)",
              "[escapes the root](../../outside.ipynb) [missing](../exercises/e2/e2.ipynb)",
              "[bad heading](../exercises/e1/e1.ipynb#No-such-task)",
              "[good heading](../exercises/e1/e1.ipynb#A-second-part)",
              "[web](https://example.org/x) [mail](mailto:a@b.c) [here](#Top) `[code](nowhere.ipynb)`",
              '<a href="../nowhere.md">html</a> ![picture](missing.png) [local file](file:///etc/passwd)')
    bad = problems(course / "notebooks" / "lesson.ipynb", course)
    assert len(bad) == 6, "\n".join(bad)
    expected = ["../../outside.ipynb: points outside the lab root", "../exercises/e2/e2.ipynb: no such file",
                "#No-such-task: exercises/e1/e1.ipynb has no heading", "../nowhere.md: no such file",
                "missing.png: no such file", "file:///etc/passwd: a file link"]
    for start in expected:
        assert any(start in line for line in bad), (start, bad)


def test_self_check_markdown_pages_and_links_above_the_repository(tmp_path):
    course = tmp_path / "course"
    (course / "docs").mkdir(parents=True)
    (course / "docs" / "guide.md").write_text("See [the lesson](../notebooks/lesson.ipynb).\n")
    (course / "README.md").write_text("Start with [the guide](docs/guide.md); [old](../course-v1/README.md).\n")
    assert documents(course) == [course / "README.md", course / "docs" / "guide.md"]
    assert problems(course / "README.md", course) == [
        f"../course-v1/README.md: points outside the lab root {course.resolve()} "
        f"(to {(tmp_path / 'course-v1' / 'README.md').resolve()}); JupyterLab cannot open it and the click "
        "does nothing"]
    assert problems(course / "docs" / "guide.md", course) == [
        "../notebooks/lesson.ipynb: no such file notebooks/lesson.ipynb"]
