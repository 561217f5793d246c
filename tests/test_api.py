"""The public surface, light imports and docstring examples."""

import doctest
import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lrcourse as lrc

FROZEN_ALL = ["GD", "Momentum", "Nesterov", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW",
              "run", "Run", "landscapes", "schedules", "sweeps", "theory", "threads", "datasets"]


def test_all_is_frozen():
    # Changing the public surface is a decision: update this list on purpose.
    assert lrc.__all__ == FROZEN_ALL
    for name in FROZEN_ALL:
        assert hasattr(lrc, name)


def test_digits_are_scikit_learns_digits_read_without_importing_it():
    code = ("import sys, lrcourse as lrc; X, y = lrc.datasets.digits(); "
            "print(X.shape, y.shape, 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["(1797,", "64)", "(1797,)", "False"]
    from sklearn.datasets import load_digits

    data = load_digits()
    X, y = lrc.datasets.digits()
    np.testing.assert_array_equal(X, data.data / 16.0)
    np.testing.assert_array_equal(y, data.target)
    X[0, 0] = 99.0                                             # a fresh copy each call
    assert lrc.datasets.digits()[0][0, 0] == 0.0


def test_import_is_light():
    code = ("import sys, lrcourse; heavy = [m for m in ('torch', 'matplotlib', 'ipywidgets', 'scipy', 'sklearn') "
            "if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# every module of the package, found on disk: a new module's examples run without editing this list
MODULES = sorted(f"lrcourse.{p.stem}" for p in (Path(lrc.__file__).parent).glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module):
    if module in ("lrcourse.widgets", "lrcourse.training"):
        pytest.importorskip("ipywidgets" if module == "lrcourse.widgets" else "torch")
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
