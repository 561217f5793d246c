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

