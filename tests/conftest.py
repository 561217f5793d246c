import os

# One compute thread per process: the suite starts many kernels (nbval, the browser test) on
# machines that may be busy; more threads than free cores make them spin against each other.
# Kernels inherit this environment. Set before numpy is imported here.
for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def pytest_collection_modifyitems(config, items):
    """Grading runs learner code in bubblewrap's sandbox; without it those tests are skipped, saying why."""
    import shutil

    if shutil.which("bwrap"):
        return
    skip = pytest.mark.skip(reason="bubblewrap is not installed (sudo apt-get install bubblewrap); "
                                   "grading refuses to run learner code without it")
    for item in items:
        if "grading" in item.keywords:
            item.add_marker(skip)



def pytest_collection_finish(session):
    """When the installed-wheel test is selected, start building its fresh environment now, in
    another process, so that the install runs beside the first tests (test_install.py)."""
    import importlib.util
    import tempfile
    from pathlib import Path

    if session.config.option.collectonly or importlib.util.find_spec("build") is None:
        return
    if not any(item.path.name == "test_install.py" and item.name.startswith("test_the_wheel") for item in session.items):
        return
    spec = importlib.util.spec_from_file_location("_lrcourse_test_install", Path(__file__).parent / "test_install.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder = Path(tempfile.mkdtemp(prefix="lrcourse-install-")) / "prepared"
    session.config._lrcourse_install = (module.start_in_background(folder), folder)


def pytest_unconfigure(config):
    import shutil

    started = getattr(config, "_lrcourse_install", None)
    if started is None:
        return
    process, folder = started
    if process.poll() is None:
        process.kill()
        process.wait()
    shutil.rmtree(folder.parent, ignore_errors=True)
