"""The public surface, light imports, argument checks and docstring examples."""

import dataclasses
import doctest
import importlib
import re
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


# every optimizer the package exports (a new one is checked here without editing this file)
OPTIMIZERS = [getattr(lrc.optimizers, name) for name in lrc.optimizers.__all__ if name != "Optimizer"]


def test_pytorch_names_and_defaults():
    defaults = {cls.__name__: {f.name: f.default for f in dataclasses.fields(cls)} for cls in OPTIMIZERS}
    assert defaults["Adagrad"]["lr"] == 1e-2 and defaults["Adagrad"]["eps"] == 1e-10
    assert defaults["Adadelta"]["lr"] == 1.0 and defaults["Adadelta"]["rho"] == 0.9 and defaults["Adadelta"]["eps"] == 1e-6
    assert defaults["RMSprop"]["lr"] == 1e-2 and defaults["RMSprop"]["alpha"] == 0.99 and defaults["RMSprop"]["eps"] == 1e-8
    assert defaults["Adam"]["betas"] == (0.9, 0.999) and defaults["Adam"]["eps"] == 1e-8 and defaults["Adam"]["lr"] == 1e-3
    assert defaults["AdamW"]["weight_decay"] == 1e-2 and defaults["Adam"]["weight_decay"] == 0.0
    assert lrc.Adam(betas=(0.8, 0.9)).beta1 == 0.8


BAD = [
    (lrc.GD, dict(lr=0), "lr"),
    (lrc.GD, dict(lr=-1e-3), "lr"),
    (lrc.GD, dict(lr=np.array([0.1, -0.1])), "lr"),
    (lrc.Momentum, dict(momentum=1.0), "momentum"),
    (lrc.Momentum, dict(momentum=-0.1), "momentum"),
    (lrc.Momentum, dict(convention="keras"), "convention"),
    (lrc.Nesterov, dict(lr=float("inf")), "lr"),
    (lrc.Adagrad, dict(eps=0), "eps"),
    (lrc.Adagrad, dict(initial_accumulator_value=-1), "initial_accumulator_value"),
    (lrc.Adadelta, dict(rho=1.0), "rho"),
    (lrc.RMSprop, dict(alpha=1.5), "alpha"),
    (lrc.RMSprop, dict(momentum=1.0), "momentum"),
    (lrc.Adam, dict(betas=(1.0, 0.999)), re.escape("betas[0] (β₁)")),
    (lrc.Adam, dict(betas=(0.9, -0.1)), re.escape("betas[1] (β₂)")),
    (lrc.Adam, dict(eps=-1e-8), "eps"),
    (lrc.AdamW, dict(weight_decay=-0.1), "weight_decay"),
]


@pytest.mark.parametrize("cls,kwargs,name", BAD, ids=lambda v: getattr(v, "__name__", str(v)))
def test_bad_arguments_name_the_argument_and_the_range(cls, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must") as info:
        cls(**kwargs)
    assert re.search(r"[\[(].*, .*[\])]|one of", str(info.value))   # the allowed range is stated


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_state_is_a_named_tuple_and_steps_are_pure(cls):
    opt = cls(lr=0.01)
    x = np.array([1.0, -2.0])
    state = opt.init(x)
    assert state.t == 0 and hasattr(state, "_fields")
    x1, s1 = opt.step(x, 2 * x, state)
    x2, s2 = opt.step(x, 2 * x, state)
    np.testing.assert_array_equal(x1, x2)
    assert s1.t == 1 and np.all(x == [1.0, -2.0])


def test_adam_first_step_has_size_lr_whatever_the_gradient_scale():
    opt = lrc.Adam(lr=0.01)
    x = np.zeros(3)
    x1, _ = opt.step(x, np.array([1e-4, -3.0, 1e4]), opt.init(x))
    np.testing.assert_allclose(np.abs(x1), 0.01, rtol=1e-3)   # until |g| nears eps = 1e-8
    raw = lrc.Adam(lr=0.01, bias_correction=False)
    x1, _ = raw.step(x, np.array([1e-3, -3.0, 1e4]), raw.init(x))
    np.testing.assert_allclose(np.abs(x1), 0.01 * 0.1 / np.sqrt(0.001), rtol=1e-3)   # ≈ 3.2× too large
