"""Bad input, thrown at every public constructor and at ``run``: each call either works or
raises a ValueError or TypeError whose message names the argument, and never warns.

The constructors come from the modules' ``__all__``, so a new optimizer, schedule or
landscape is covered without editing this file; a new required argument needs a valid value
in VALID below, and the test says so."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrcourse as lrc
from lrcourse import landscapes as L
from lrcourse import optimizers as O
from lrcourse import schedules as S

# a valid value for every argument that has no default
VALID = {"lr": 0.1, "decay": 0.1, "drop": 0.5, "every": 3, "T_max": 10, "T_0": 5, "base_lr": 0.01, "max_lr": 0.1,
         "lr_start": 0.1, "lr_end": 0.01, "steps": 5, "schedule": S.constant(0.1), "total_steps": 20,
         "schedules": [S.constant(0.1), S.constant(0.01)], "boundaries": [5], "eigenvalues": [1.0, 4.0],
         "landscape": L.Quadratic([1.0, 4.0]), "X": np.eye(4), "y": np.array([0, 1, 2, 1])}
NOT_CONSTRUCTORS = {"Optimizer", "Landscape", "Schedule", "describe"}

BAD = st.one_of(
    st.sampled_from(["0.1", "", "abc", None, True, False, [], (), [[]], {}, 2 + 1j, np.nan, np.inf, -np.inf,
                     -1, 0, 1e308, -1e-300, [1.0, "a"], ["a"], object(), np.array([]), np.array(["x"]),
                     [np.nan], (0.9,), (0.9, 0.999, 0.5), -0.5, 1.5, 10 ** 30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10 ** 6, max_value=10 ** 6),
    st.text(max_size=4),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=3),
)


def constructors():
    found = []
    for module in (O, S, L):
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and name not in NOT_CONSTRUCTORS:
                found.append(obj)
    return found


def _arguments(fn) -> dict:
    needed = {}
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or p.default is not p.empty:
            continue
        assert p.name in VALID, f"{fn.__name__}: add a valid value for its argument {p.name!r} to VALID"
        needed[p.name] = VALID[p.name]
    return needed


def _named(error: BaseException, name: str) -> bool:
    return name in str(error)


CASES = [(fn, p) for fn in constructors() for p in inspect.signature(fn).parameters
         if p not in ("args", "kwargs", "params")]


def test_every_constructor_is_covered():
    names = {fn.__name__ for fn, _ in CASES}
    assert {"GD", "AdamW", "cosine", "one_cycle", "ReduceOnPlateau", "Quadratic", "Noisy"} <= names
    for fn in constructors():
        _arguments(fn)                       # every required argument has a valid value


@pytest.mark.parametrize("fn, name", CASES, ids=[f"{fn.__name__}.{p}" for fn, p in CASES])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bad=BAD)
def test_bad_arguments_are_refused_by_name_or_work(fn, name, bad):
    kwargs = {**_arguments(fn), name: bad}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            fn(**kwargs)
        except (ValueError, TypeError) as error:
            assert _named(error, name), f"{fn.__name__}({name}={bad!r}) raised {error!r} without naming {name}"


RUN_ARGS = {"problem": L.Quadratic([1.0, 4.0]), "optimizer": lrc.GD(lr=0.1), "x0": [1.0, 1.0], "steps": 5}
# a valid but long run (steps = 10⁶) proves nothing here and takes seconds: leave those out
BAD_FOR_RUN = BAD.filter(lambda v: not (type(v) is int and v > 1000))


@pytest.mark.parametrize("name", ["problem", "optimizer", "x0", "steps", "record", "max_loss"])
@settings(max_examples=25, deadline=None)
@given(bad=BAD_FOR_RUN)
def test_bad_arguments_to_run_are_refused_by_name_or_work(name, bad):
    kwargs = {**RUN_ARGS, name: bad}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            lrc.run(**kwargs)
        except (ValueError, TypeError) as error:
            assert _named(error, name), f"run({name}={bad!r}) raised {error!r} without naming {name}"


def test_a_huge_step_costs_no_memory_for_time_based_decay():
    import tracemalloc

    schedule = S.time_based(0.1, 1e-9)
    tracemalloc.start()
    try:
        rates = schedule(np.array([0, 1, 10 ** 6, 5 * 10 ** 7, 10 ** 12]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2 ** 20, f"{peak / 2 ** 20:.0f} MB"
    assert rates[0] == rates[1] == 0.1 and 0 < rates[2] < 0.1 and rates[-1] == 0.0
    # the chunked product equals the plain one where both fit in memory
    n = np.arange(200_000)
    plain = np.concatenate([[0.1], 0.1 / np.cumprod(1.0 + 1e-9 * np.arange(n.size - 1))])
    np.testing.assert_allclose(schedule(n), plain, rtol=1e-12)
    np.testing.assert_array_equal(schedule(n[:1000]), plain[:1000])
    # past the exact range, the log-gamma closed form (the docstring's formula)
    from math import exp, lgamma, log
    big = S._EXACT_UP_TO + 10
    closed = exp(log(0.1) + lgamma(1 + 1 / 1e-6) - (big - 1) * log(1e-6) - lgamma(big + 1 / 1e-6))
    assert S.time_based(0.1, 1e-6)(big) == pytest.approx(closed, rel=1e-9, abs=1e-300)
