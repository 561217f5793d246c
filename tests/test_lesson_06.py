"""Lesson 06 (the LR range test): the library pieces its experiments rely on, the checker of
exercise 06.2, and the shape of the lesson's experiments (seeds, verdicts)."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from lrcourse import GD, exercises as E, lr_finder as F
from lrcourse.landscapes import softmax_problem
from lessons import lesson_cells  # noqa: E402  (tests/lessons.py)

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tools" / "notebooks" / "06_lr_range_test.py"


def lesson_code():
    return "\n".join(source for kind, source, _ in lesson_cells(SOURCE) if kind == "code")


# --------------------------------------------------------------------------- library


def blow_up_curve():
    """Flat, a fall, a minimum, then a sharp rise: the shape of a range test that runs away."""
    lrs = np.geomspace(1e-5, 100.0, 100)
    x = np.log10(lrs)
    losses = 2.3 - 1.5 / (1 + np.exp(-3 * (x + 1))) + 0.01 * np.exp(12 * (x - 0.8))
    return lrs, losses


def test_plot_clips_the_blow_up_but_keeps_the_whole_interesting_range():
    lrs, losses = blow_up_curve()
    rt = F.RangeTest(lrs, losses, F.smooth(losses), -1)
    low, high = rt.ylim()
    assert low < losses.min() and low > losses.min() - 0.5     # a little below the minimum
    assert high == pytest.approx(2 * rt.smoothed[0])           # twice the starting loss ...
    assert losses.max() > 10 * high                            # ... far below the blow-up
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    from lrcourse import plotting
    plotting.range_test(ax, rt)
    assert ax.get_ylim() == pytest.approx((low, high))
    plt.close(fig)


def test_smoothing_delays_the_minimum_by_far_less_than_its_memory_when_the_loss_turns_up_sharply():
    lrs, losses = blow_up_curve()
    raw, smoothed = int(np.argmin(losses)), int(np.argmin(F.smooth(losses, 0.98)))
    assert smoothed > raw                                      # a lag ...
    assert smoothed - raw < 0.98 / (1 - 0.98) / 4              # ... far shorter than the memory
    assert F.minimum_over_10(lrs, F.smooth(losses, 0.98)) > F.minimum_over_10(lrs, losses)


def test_valley_on_a_curve_that_falls_from_the_start_is_the_geometric_middle_of_the_range():
    lrs = np.geomspace(1e-6, 10.0, 101)
    losses = 3.0 - 0.001 * np.arange(101) - 2.0 * (np.arange(101) >= 80)   # always falling, minimum at the end
    losses[-1] = 10.0                                                        # then a blow-up
    assert F.valley(lrs, losses) == pytest.approx(np.sqrt(lrs[0] * lrs[-2]), rel=0.15)
    # so it moves with the bottom of the range, while the minimum does not
    assert F.valley(lrs[40:], losses[40:]) > 10 * F.valley(lrs, losses)
    assert F.minimum_over_10(lrs[40:], losses[40:]) == F.minimum_over_10(lrs, losses)


def test_a_loss_that_levels_off_below_four_times_its_minimum_never_stops_the_test():
    # bounded loss in [0.5, 1): however large η gets, the smoothed loss cannot reach 4× its minimum
    def problem(w):
        e = np.exp(-np.sum(w ** 2, axis=-1))
        return 1.0 - 0.5 * e, (w * e[..., None])
    rt = F.range_test(problem, np.array([0.3, -0.2]), GD(), lr_min=1e-4, lr_max=1e3, steps=80)
    assert rt.stopped_at == -1 and len(rt.lrs) == 80
    assert rt.smoothed[-1] > rt.smoothed.min()                 # it went up, but not 4×


def test_the_stop_rule_fires_on_the_softmax_range_test():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 8)), rng.integers(0, 3, size=300)
    rt = F.range_test(softmax_problem(X, y, 32, seed=1), np.zeros(24), GD(), 1e-4, 1e4, 100)
    assert rt.stopped_at >= 0 and rt.smoothed[-1] > 4 * rt.smoothed.min()


@pytest.mark.torch
def test_torch_range_test_without_restore_leaves_the_model_as_the_ramp_ended():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    X, y = torch.randn(64, 6), torch.randint(0, 3, (64,))
    batches = [(X[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]
    before = [p.detach().clone() for p in net.parameters()]

    def test(model, restore):
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        return F.torch_range_test(model, torch.nn.functional.cross_entropy, batches, opt, 1e-5, 1.0, 30,
                                  restore=restore)

    import copy
    copy_of = copy.deepcopy(net)
    kept = test(net, restore=True)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    left = test(copy_of, restore=False)
    assert not all(torch.equal(a, b) for a, b in zip(before, copy_of.parameters()))
    np.testing.assert_array_equal(kept.losses, left.losses)   # the same test either way


# --------------------------------------------------------------------------- exercise 06.2


def ema_started_at_first(losses, beta=0.98):
    out, avg = [], losses[0]
    for x in losses:
        avg = beta * avg + (1 - beta) * x
        out.append(avg)
    return np.array(out)


def test_06_2_accepts_the_reference_and_explains_the_average_started_at_the_first_loss():
    ns = {"np": np}
    exec(E.answer("06.2"), ns)
    assert E.check("06.2", ns["smooth"])
    with pytest.raises(E.Wrong, match=r"starts at losses\[0\] and is not bias-corrected") as info:
        E.check("06.2", ema_started_at_first)
    assert "avg = 0" in str(info.value) and "smoothed[0] == losses[0]" in str(info.value)
    corrected = lambda losses, beta=0.98: ema_started_at_first(losses, beta) / (1 - beta ** np.arange(1, len(losses) + 1))
    with pytest.raises(E.Wrong, match=r"starts at losses\[0\] and is then bias-corrected"):
        E.check("06.2", corrected)


def test_06_2_task_text_says_how_the_average_starts_and_its_hidden_test_tells_the_two_apart():
    text, hidden = E.TASKS["06.2"].statement, E.hidden_tests("06.2")
    assert "Start the average at 0" in text and "smoothed[0] == losses[0]" in text
    ns = {"np": np, "smooth": F.smooth}
    exec(hidden, ns)                                           # the library's smooth passes
    ns["smooth"] = ema_started_at_first
    with pytest.raises(AssertionError):
        exec(hidden, ns)                                       # the variant started at losses[0] fails


# --------------------------------------------------------------------------- the lesson's experiments


def test_lesson_takes_every_seed_from_sweeps_seeds_and_uses_enough_of_them():
    code = lesson_code()
    counts = [int(n) for n in re.findall(r"lrc\.sweeps\.seeds\((\d+)\)", code)]
    assert counts and all(n >= 3 for n in counts if n > 1)
    assert "manual_seed(0)" not in code and "default_rng(0)" not in code
    assert "torch.manual_seed(int(seed))" in code              # the CNN's weights come from a seed
    # the CNN rules are trained once per seed, from that seed's initial weights
    # (a copy of each seed's initial weights per rule, minibatch order from that seed)
    assert "[copy.deepcopy(init) for init in inits for _ in RULES]" in code
    assert "np.repeat(CNN_SEEDS, len(RULES))" in code
    # the softmax rules are compared with a whole sweep over η, not only with each other
    assert "GRID" in code and "rule_loss" in code and "grid_loss" in code


def test_lesson_verdicts_are_words_decided_by_checks():
    code = lesson_code()
    verdicts = [line for line in code.splitlines() if "VERDICT" in line]
    assert len(verdicts) >= 8
    for line in verdicts:
        assert not re.search(r"\{[^}]*:[^}]*\}", line), line    # no formatted numbers in a verdict
    assert code.count("if real(") + code.count("clear = all(real(") >= 3
    # the stop-rule verdict is about tests that did not stop and ended at or above ln 10
    assert "t.stopped_at < 0 and t.smoothed[-1] >= LN10" in code


def test_lesson_checks_each_spread_verdict_against_the_spread_and_labels_what_it_counts():
    code = lesson_code()
    # smoothing vs no smoothing: the ratio of spreads is checked by resampling the seeds, not by a fixed factor
    assert "ratio_low > 1" in code and "1.5 * scatter" not in code
    assert "np.random.default_rng(int(SEEDS[0]))" in code
    # "at chance" counts runs at most twice chance or diverged, and the column says so
    assert "at_chance = ~(acc > 2 * CHANCE)" in code and "runs ≤ 2× chance" in code
    # the β table counts the steps run, stopped or not
    assert "steps before the stop" not in code
    # where the steepest pick sat on its own curve is measured, not asserted
    assert "where = cnn_picks[:, steep]" in code
