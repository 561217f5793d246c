"""Schedules: the seed formulas by hand, properties, and argument checks."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from lrcourse import schedules as S


def test_time_based_is_the_recursion_not_the_closed_form():
    d, eta0 = 0.1, 0.5
    eta, expected = eta0, []
    for n in range(60):
        expected.append(eta)
        eta = eta / (1 + d * n)          # η_{n+1} = η_n / (1 + d·n)
    ours = S.time_based(eta0, d)(np.arange(60))
    np.testing.assert_allclose(ours, expected, rtol=1e-13)
    # by hand: η1 = η0/1, η2 = η1/1.1, η3 = η2/1.2
    assert ours[:4] == pytest.approx([0.5, 0.5, 0.5 / 1.1, 0.5 / 1.1 / 1.2])
    closed = S.inverse_time(eta0, d)(np.arange(60))
    assert closed[3] == pytest.approx(0.5 / 1.3)
    assert np.all(ours[3:] < closed[3:])    # the recursion shrinks much faster


def test_step_decay_by_hand():
    s = S.step_decay(0.1, drop=0.5, every=2)
    # η_n = 0.1 · 0.5^⌊(1+n)/2⌋: n=0 → 0.1, n=1 → 0.05, n=2 → 0.05, n=3 → 0.025
    assert s(np.arange(4)).tolist() == pytest.approx([0.1, 0.05, 0.05, 0.025])
    assert S.step_lr(0.1, gamma=0.5, step_size=2)(np.arange(4)).tolist() == pytest.approx([0.1, 0.1, 0.05, 0.05])


def test_exponential_inverse_scaling_and_constant_by_hand():
    assert S.exponential(0.2, 0.5)(4) == pytest.approx(0.2 * math.exp(-2.0))
    assert S.inverse_scaling(1.0, 0.5)(3) == pytest.approx(0.5)   # 1/√(3+1)
    assert S.constant(0.3)(np.arange(5)).tolist() == [0.3] * 5
    assert S.inverse_time(1.0, 0.5, decay_steps=10)(20) == pytest.approx(0.5)


def test_cosine_restarts_rise_again_and_cyclic_triangle():
    s = S.cosine_restarts(1.0, T_0=4, T_mult=2)
    t = np.arange(13)
    assert s(t)[[0, 4, 12]].tolist() == [1.0, 1.0, 1.0]       # restarts at 4 and 4 + 8
    assert s(2) == pytest.approx(0.5) and s(8) == pytest.approx(0.5)
    c = S.cyclic(0.1, 1.0, step_size_up=5)
    assert c(np.array([0, 5, 10, 15])).tolist() == pytest.approx([0.1, 1.0, 0.1, 1.0])
    assert S.cyclic(0.1, 1.0, 5, mode="triangular2")(15) == pytest.approx(0.55)


def test_warmup_join_and_one_cycle_shape():
    w = S.warmup(S.exponential(1.0, 0.1), steps=10, start_factor=0.1)
    assert w(0) == pytest.approx(0.1) and w(5) == pytest.approx(0.55)
    assert w(10) == pytest.approx(1.0) and w(20) == pytest.approx(math.exp(-1.0))
    j = S.join([S.constant(1.0), S.constant(0.5), S.constant(0.1)], [3, 6])
    assert j(np.arange(8)).tolist() == [1.0] * 3 + [0.5] * 3 + [0.1] * 2
    oc = S.one_cycle(1.0, 100)(np.arange(100))
    assert oc[0] == pytest.approx(1 / 25) and oc.argmax() == 29 and oc.max() == pytest.approx(1.0)


def test_schedules_never_change_when_called():
    s = S.time_based(0.1, 0.2)
    first = s(np.arange(30))
    s(1000)
    np.testing.assert_array_equal(s(np.arange(30)), first)
    assert "time_based" in repr(s)


def test_plateau_reduces_after_patience_bad_epochs():
    p = S.ReduceOnPlateau(1.0, factor=0.5, patience=2)
    rates = [p.step(v) for v in [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]]
    # epochs 3, 4 are bad (patience 2), the third bad one (epoch 5) cuts the rate
    assert rates == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    assert p(123) == 0.25


# --------------------------------------------------------------------------- properties

lrs = st.floats(1e-4, 10.0)
steps = st.integers(1, 60)


@st.composite
def schedules(draw):
    kind = draw(st.sampled_from(["constant", "time_based", "inverse_time", "inverse_scaling", "step_decay",
                                 "step_lr", "exponential", "cosine", "cosine_restarts", "cyclic", "warmup",
                                 "one_cycle"]))
    lr = draw(lrs)
    decreasing = True
    if kind == "constant":
        s = S.constant(lr)
    elif kind == "time_based":
        s = S.time_based(lr, draw(st.floats(0, 0.05)))
    elif kind == "inverse_time":
        s = S.inverse_time(lr, draw(st.floats(0, 5)), draw(steps))
    elif kind == "inverse_scaling":
        s = S.inverse_scaling(lr, draw(st.floats(0, 2)))
    elif kind == "step_decay":
        s = S.step_decay(lr, draw(st.floats(0.3, 1.0)), draw(st.integers(5, 60)))
    elif kind == "step_lr":
        s = S.step_lr(lr, draw(st.floats(0.3, 1.0)), draw(st.integers(5, 60)))
    elif kind == "exponential":
        s = S.exponential(lr, draw(st.floats(0, 0.1)))
    elif kind == "cosine":
        s = S.cosine(lr, draw(steps), lr * draw(st.floats(0.01, 1.0)))
    else:
        decreasing = False
        if kind == "cosine_restarts":
            s = S.cosine_restarts(lr, draw(steps), draw(st.integers(1, 3)), lr * draw(st.floats(0.01, 1.0)))
        elif kind == "cyclic":
            s = S.cyclic(lr, lr * draw(st.floats(1, 10)), draw(steps), draw(st.one_of(st.none(), steps)),
                         mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
                         gamma=draw(st.floats(0.9, 1.0)))
        elif kind == "warmup":
            s = S.warmup(S.cosine(lr, draw(steps), lr / 100), draw(steps), draw(st.floats(0.01, 1.0)))
        else:
            s = S.one_cycle(lr, 300, draw(st.floats(0.1, 0.9)))
    return s, decreasing


@settings(max_examples=300, deadline=None)
@given(schedules(), st.lists(st.integers(0, 299), min_size=1, max_size=20))
def test_schedule_properties(pair, ts):
    s, decreasing = pair
    t = np.array(ts)
    values = s(t)
    assert values.shape == t.shape
    assert np.all(np.isfinite(values)) and np.all(values > 0)
    # array call == scalar calls (to the last bit but for SIMD rounding in pow/exp)
    np.testing.assert_allclose(values, [s(int(k)) for k in ts], rtol=1e-15, atol=0)
    if decreasing:
        curve = s(np.arange(300))
        assert np.all(np.diff(curve) <= 1e-12 * curve[0])


def test_time_based_reaches_zero_without_warnings():
    values = S.time_based(1.0, 1.0)(np.arange(400))
    assert np.all(np.isfinite(values)) and values[-1] == 0.0


# --------------------------------------------------------------------------- bad arguments

BAD = [
    (S.constant, dict(lr=0), "lr"),
    (S.constant, dict(lr=-0.1), "lr"),
    (S.time_based, dict(lr=0.1, decay=-1), "decay"),
    (S.inverse_time, dict(lr=0.1, decay=0.1, decay_steps=0), "decay_steps"),
    (S.inverse_scaling, dict(lr=0.1, power=-1), "power"),
    (S.step_decay, dict(lr=0.1, drop=1.5, every=3), "drop"),
    (S.step_decay, dict(lr=0.1, drop=0.5, every=0), "every"),
    (S.step_lr, dict(lr=0.1, gamma=0, step_size=3), "gamma"),
    (S.exponential, dict(lr=0.1, decay=float("nan")), "decay"),
    (S.cosine, dict(lr=0.1, T_max=0), "T_max"),
    (S.cosine, dict(lr=0.1, T_max=10, eta_min=0.2), "eta_min"),
    (S.cosine_restarts, dict(lr=0.1, T_0=10, T_mult=0), "T_mult"),
    (S.cosine_restarts, dict(lr=0.1, T_0=2.5), "T_0"),
    (S.cyclic, dict(base_lr=0.1, max_lr=0.01), "max_lr"),
    (S.cyclic, dict(base_lr=0.01, max_lr=0.1, mode="sawtooth"), "mode"),
    (S.cyclic, dict(base_lr=0.01, max_lr=0.1, step_size_up=-3), "step_size_up"),
    (S.linear, dict(lr_start=0.1, lr_end=0.2, steps=0), "steps"),
    (S.one_cycle, dict(max_lr=0.1, total_steps=100, pct_start=1.2), "pct_start"),
    (S.one_cycle, dict(max_lr=0.1, total_steps=1), "total_steps"),
    (S.one_cycle, dict(max_lr=0.1, total_steps=100, div_factor=0.5), "div_factor"),
    (S.ReduceOnPlateau, dict(lr=0.1, factor=1.0), "factor"),
    (S.ReduceOnPlateau, dict(lr=0.1, patience=-1), "patience"),
    (S.ReduceOnPlateau, dict(lr=0.1, mode="lowest"), "mode"),
]


@pytest.mark.parametrize("factory,kwargs,name", BAD, ids=lambda v: getattr(v, "__name__", str(v)))
def test_bad_arguments_name_the_argument_and_the_range(factory, kwargs, name):
    with pytest.raises((ValueError, TypeError), match=rf"^{name} must"):
        factory(**kwargs)


def test_bad_steps_and_joins():
    s = S.constant(0.1)
    for t in (-1, 1.5, "3", [0, -2], 2 + 0j, True):
        with pytest.raises((ValueError, TypeError), match="t must"):
            s(t)
    with pytest.raises(ValueError, match="boundaries"):
        S.join([s, s], [0])
    with pytest.raises(ValueError, match="join needs"):
        S.join([s, s], [])
    with pytest.raises(ValueError, match="steps"):
        S.warmup(s, 0)
