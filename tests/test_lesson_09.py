"""Lesson 09 (measured tables): the stacked trainer is the same training as ``fit``, epochs count
from 1, speed is counted in steps (not seconds), and a rate that is too high kills the network."""

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from lrcourse import training as T  # noqa: E402
from lrcourse import sweeps  # noqa: E402
from lessons import load_source  # noqa: E402  (tests/lessons.py)

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tools" / "notebooks" / "09_measured_tables.py"


def cells():
    module = load_source(SOURCE)
    return module.CELLS


def helpers(*names):
    """Execute only the code cells that define ``names`` (cells of definitions, no training)."""
    ns = {"np": np, "clearly_above": sweeps.clearly_above}   # the lessons import it from the library
    for kind, src, *_ in cells():
        if kind == "code" and any(f"def {name}(" in src for name in names):
            exec(src, ns)
    return ns


@pytest.fixture(scope="module")
def digits():
    return T.digits()


def mlp(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


@pytest.mark.torch
def test_a_stack_member_trains_exactly_like_fit(digits):
    (Xt, yt), val = digits
    train = (Xt[:320], yt[:320])
    net = mlp(3)
    hist = T.fit(net, train, val, torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9), epochs=2,
                 batch_size=32, seed=3, progress=False, device="cpu")
    stack, sh = T.fit_stack([0.01, 0.05], [5, 3], train, val, epochs=2, batch_size=32, momentum=0.9)
    np.testing.assert_allclose(sh.losses[:, 1], hist.losses, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(sh.grad_norms[:, 1], hist.grad_norms, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(sh.epoch_val_acc[:, 1], hist.column("val_acc"), atol=1e-6)
    np.testing.assert_allclose(sh.epoch_train_loss[:, 1], hist.column("train_loss"), rtol=1e-4)
    for a, b in zip(stack.member(1).parameters(), net.parameters()):
        assert torch.allclose(a, b, atol=1e-5)
    assert not np.allclose(sh.losses[:, 0], sh.losses[:, 1])       # the other member is its own run


def test_epochs_to_a_level_count_from_one():
    first_epoch_at = helpers("first_epoch_at")["first_epoch_at"]
    acc = np.array([[0.50, 0.95, 0.2],     # after epoch 1
                    [0.92, 0.96, 0.3],     # after epoch 2
                    [0.97, 0.99, 0.4]])    # after epoch 3
    out = first_epoch_at(acc, 0.9)
    assert out[0] == 2 and out[1] == 1 and np.isnan(out[2])


def test_clear_differences_need_more_than_the_seed_spread():
    clearly_above = helpers("clearly_above")["clearly_above"]
    assert clearly_above([0.97, 0.975, 0.972], [0.94, 0.945, 0.943])
    assert not clearly_above([0.97, 0.90, 0.99], [0.94, 0.95, 0.96])      # within the spread
    assert not clearly_above([0.94, 0.945, 0.943], [0.97, 0.975, 0.972])


@pytest.mark.torch
def test_steps_to_target_are_checks_of_the_whole_training_loss(digits):
    (Xt, yt), _ = digits
    train = (Xt[:256], yt[:256])
    stack, h = T.fit_stack([0.1, 0.1, 0.001], [0, 1, 0], train, steps=200, batch_size=32, momentum=0.9,
                           check_every=10, target=0.5, stop_at_target=True, grad_norms=False)
    assert h.reached_at[0] > 0 and h.reached_at[0] % 10 == 0 and h.reached_at[2] == -1
    loss, _ = T.evaluate_stack(stack, *train)
    assert loss[0] <= 0.5 and loss[1] <= 0.5 and loss[2] > 0.5     # frozen where it reached the target
    before = h.check_loss[list(h.check_steps).index(h.reached_at[0]) - 1, 0]
    assert before > 0.5                                             # and not one check earlier


@pytest.mark.torch
def test_a_rate_that_is_too_high_kills_the_network(digits):
    # the signature the lesson reports for its largest rate: spike, loss near ln 10, small gradient, dead units
    (Xt, yt), _ = digits
    train = (Xt[:512], yt[:512])
    stack, h = T.fit_stack([1.0, 0.1], [0, 0], train, epochs=4, batch_size=32, momentum=0.9)
    per_epoch = 512 // 32
    assert np.max(h.losses[:per_epoch, 0]) > 1.5 * h.losses[0, 0]          # spike in epoch 1
    with torch.no_grad():
        dead = (stack.hidden(train[0]) <= 0).all(1).float().mean(1).numpy()
    assert dead[0] > 0.9 > dead[1]
    last = np.nanmean(h.losses[-per_epoch:], axis=0)
    assert last[0] > 0.8 * np.log(10) and last[1] < 0.5                  # stuck near chance level


def test_the_lesson_reports_steps_not_seconds_and_takes_seeds_from_the_course():
    source = "\n".join(src for _, src, *_ in cells())
    for phrase in ("perf_counter", "time (s)", "seconds of training", "under a minute", "in seconds"):
        assert phrase not in source
    assert "lrc.sweeps.seeds(" in source and "SEEDS = [" not in source
    assert 'layout="constrained"' in source            # the three panels' labels do not collide


def test_a_fixed_level_has_no_spread():
    clearly_above = helpers("clearly_above")["clearly_above"]
    assert clearly_above([2.2, 2.25, 2.3], 0.8 * np.log(10))
    assert not clearly_above([1.2, 2.3, 2.3], 0.8 * np.log(10))
    assert not clearly_above([2.3], 1.0)                             # one value has no spread to check


def test_the_speed_verdict_does_not_crash_when_no_rate_always_gets_there():
    source = "\n".join(src for _, src, *_ in cells())
    assert "if complete:" in source and "raise EPOCHS or TARGET" in source
