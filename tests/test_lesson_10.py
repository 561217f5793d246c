"""Lesson 10 (claims put to the test): verdicts use only the runs their claim is about (fitted,
settled), contenders are tuned on the same budget, and the helpers measure what they say."""

import re
from pathlib import Path

import numpy as np
import pytest

import lrcourse as lrc
from lrcourse import landscapes
from lrcourse import sweeps  # noqa: E402
from lessons import load_source  # noqa: E402  (tests/lessons.py)

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tools" / "notebooks" / "10_claims_put_to_the_test.py"


def cells():
    module = load_source(SOURCE)
    return [src for kind, src, *_ in module.CELLS if kind == "code"]


def helpers(*names):
    """Execute only the code cells that define ``names`` (definitions only, no experiment)."""
    ns = {"np": np, "clearly_above": sweeps.clearly_above}   # the lessons import it from the library
    for src in cells():
        if any(re.search(rf"^def {name}\(", src, re.M) for name in names):
            body = "\n".join(line for line in src.splitlines()
                             if not line.startswith(("import ", "from ", "torch.", "(Xt", "SEEDS")))
            exec(body, ns)
    return ns


def source_of(marker):
    return next(src for src in cells() if marker in src)


# --------------------------------------------------------------------------- claim 1: fitted runs only


def test_claim_1_is_judged_on_fitted_runs_only():
    ns = helpers("clearly_above", "judge_fitted")
    rates = [0.01, 0.03, 0.1, 1.0]
    acc = np.array([[0.99, 0.99, 0.99, 0.99, 0.99],      # best of all, but never fitted
                    [0.930, 0.932, 0.931, 0.933, 0.930],
                    [0.940, 0.941, 0.939, 0.942, 0.940],
                    [0.50, 0.94, 0.94, 0.94, 0.94]])      # one unfitted run with a poor accuracy
    fitted = np.ones_like(acc, dtype=bool)
    fitted[0] = False
    fitted[3, 0] = False
    used, beats, beaten_by = ns["judge_fitted"](rates, acc, fitted)
    assert used == [0.03, 0.1, 1.0]                          # the unfitted rate is not judged
    assert beats == [] and beaten_by == [0.1, 1.0]           # the unfitted run of η = 1.0 is not counted
    fitted[3, 1:3] = False                                   # fewer than 3 fitted runs: rate left out
    assert ns["judge_fitted"](rates, acc, fitted)[0] == [0.03, 0.1]


def test_claim_1_lists_what_it_left_out_and_stops_dead_networks():
    src = source_of("judge_fitted(RATES1")
    assert "left out:" in src and "stop_dead=True" in src and "stop_at_target=True" in src


@pytest.mark.torch
def test_a_dead_network_is_stopped_and_cannot_learn():
    torch = pytest.importorskip("torch")
    from lrcourse import training as T

    (Xt, yt), _ = T.digits()
    train = (Xt[:300], yt[:300])
    stack, h = T.fit_stack([3.0, 0.1], [0, 0], train, steps=400, batch_size=32, check_every=25,
                           target=1.0, stop_at_target=True, stop_dead=True, grad_norms=False)
    assert h.dead_at[0] > 0 and h.reached_at[0] == -1 and h.dead_at[1] == -1 and h.reached_at[1] > 0
    assert len(h.losses) < 400                                   # both stopped early
    with torch.no_grad():
        assert bool((stack.hidden(train[0], members=torch.tensor([0])) <= 0).all())
    # every hidden unit is zero: the first layer gets no gradient, so the network can never learn again
    net = stack.member(0)
    torch.nn.functional.cross_entropy(net(train[0]), train[1]).backward()
    assert float(net[0].weight.grad.abs().max()) == 0.0 and float(net[0].bias.grad.abs().max()) == 0.0
    with pytest.raises(ValueError):
        T.fit_stack([0.1], [0], train, steps=10, momentum=0.9, check_every=5, stop_dead=True)


# --------------------------------------------------------------------------- claim 3: settled means stationary


def test_settled_means_stationary_not_merely_near_a_minimum():
    settled_well = helpers("settled_well")["settled_well"]
    minima = np.array([[0.0, 0.0], [2.0, 0.0]])
    k = np.arange(21)[:, None]
    still = np.tile([2.0, 0.003], (21, 1))                              # stationary near minimum 1
    bouncing = np.stack([0.05 * (-1.0) ** k[:, 0], 0 * k[:, 0]], -1)    # a 2-cycle around minimum 0
    arrived = np.stack([np.linspace(0.5, 0.0, 21), 0 * k[:, 0]], -1)    # ends at minimum 0, still moving
    xs = np.stack([still, bouncing, arrived], 1)                         # (K + 1, runs, 2)
    assert settled_well(xs, minima, 0.01).tolist() == [1, -1, -1]
    assert np.linalg.norm(arrived[-1] - minima[0]) < 0.2                  # the old test would have counted it


def test_rates_above_a_wells_limit_do_not_settle_in_it():
    settled_well = helpers("settled_well")["settled_well"]
    land = landscapes.MultiWell()
    lam = np.linalg.eigvalsh(land.hessian(land.minimizers))[:, -1]
    x0 = land.minimizers + 0.05                                          # start next to every minimum
    for lr, expect in [(0.2, True), (0.3, True), (0.5, False), (1.0, False)]:
        assert (lr < 2 / lam.min()) == expect
        r = lrc.run(land, lrc.GD(lr=lr), x0, 400)
        settled = settled_well(r.xs[-21:], land.minimizers, 0.01)
        assert np.all(settled == np.arange(len(x0))) if expect else np.all(settled == -1)


def test_claim_3_sweeps_rates_below_and_above_the_wells_limits():
    src = source_of("RATES3 =")
    rates = eval(re.search(r"RATES3 = np.array\((\[[^\]]*\])\)", src).group(1))
    assert {0.2, 0.3} <= set(rates) and min(rates) < 0.1 and max(rates) > 1.0
    assert "small steps converge to the global minimum" in source_of("settled_small")     # the quoted claim


# --------------------------------------------------------------------------- claim 4: same budget for all


def test_claim_4_tunes_every_method_on_one_grid_and_scores_on_fresh_noise():
    src = source_of("def budget_losses")
    assert "for name, make in methods.items():" in src and "make(e), tune_seed" in src
    assert "make(grid4[best]), test_seed" in src and "tune_seed, test_seed = " in src
    assert '"constant": S.constant' in src                       # the fixed rate is one of the tuned methods


# --------------------------------------------------------------------------- edge of stability


@pytest.mark.torch
def test_stack_sharpness_is_each_members_top_hessian_eigenvalue():
    torch = pytest.importorskip("torch")
    from lrcourse import training as T

    gen = torch.Generator().manual_seed(0)
    X = torch.rand(40, 6, generator=gen)
    Y = torch.nn.functional.one_hot(torch.arange(40) % 3, 3).float()
    stack = T.MLPStack([0, 1, 2], (6, 8, 3), activation="tanh")
    per_member = T.stack_sharpness(lambda: 0.5 * ((stack(X) - Y) ** 2).sum(-1).mean(-1), stack, iters=200)
    for i in range(3):
        net = stack.member(i)
        one = T.sharpness(lambda: 0.5 * ((net(X) - Y) ** 2).sum(-1).mean(), net.parameters(), iters=200)
        assert per_member[i] == pytest.approx(one, rel=1e-3)
    assert len(set(np.round(per_member, 4))) == 3


def test_seeds_come_from_the_course_and_verdicts_are_words():
    text = "\n".join(cells())
    assert "lrc.sweeps.seeds(" in text and "SEEDS = [" not in text and "manual_seed(0)" not in text
    for line in re.findall(r'print\("VERDICT[^\n]*', text):
        assert not re.search(r"\{[^}]*(mean|std|spread|:\.)[^}]*\}", line), line   # no measured numbers


def test_claim_2_counts_never_as_slower_and_survives_a_rate_grid_where_nobody_gets_there():
    src = source_of("RATES2, GOAL, MAX2")
    assert "clearly_above(never_big[0]" in src          # a smallest rate that never gets there is slower, not dropped
    assert "if not complete:" in src                      # no min() over an empty list


def test_claim_3_verdicts_say_only_what_was_measured():
    src = source_of("settled_small")
    assert "basin they start in" not in src               # which basin a start lies in is not measured
    assert "about half" not in src                        # the middle branch covers shares from 0.5 to 0.95


def test_edge_of_stability_plots_the_loss_after_t_updates_at_step_t():
    src = source_of("stack_sharpness(member_losses")
    assert "b.plot(np.arange(STEPS5), losses5" in src     # losses5[t] is the loss before update t + 1
