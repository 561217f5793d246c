"""Hooks for the whole suite (tests/ and the notebooks nbval runs); tests/conftest.py holds the rest."""

from pathlib import Path

import pytest


# Each lesson is executed once per run of the suite where it can be: tests/test_browser.py runs
# every lesson in JupyterLab (the learner's path, stricter than nbval: no stderr output at all),
# and runs first; a lesson it passed is not executed again by nbval. Where the browser test
# failed, was skipped (no Chromium) or was not selected, nbval executes the lesson as before.
_RAN_IN_THE_BROWSER: set = set()


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed and "::test_notebook_in_jupyterlab[" in report.nodeid:
        _RAN_IN_THE_BROWSER.add(report.nodeid.rsplit("[", 1)[1].rstrip("]"))


def pytest_runtest_setup(item):
    path = Path(str(item.fspath))
    if path.suffix == ".ipynb" and path.parent.name == "notebooks" and path.name in _RAN_IN_THE_BROWSER:
        pytest.skip("ran without error in JupyterLab in this session (tests/test_browser.py)")
