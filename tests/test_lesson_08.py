"""Lesson 08 (PyTorch in practice): the helpers its experiments stand on, and exercise 08.2."""

import copy
from pathlib import Path

import numpy as np
import pytest

from lrcourse import exercises as E
from lrcourse import schedules as S

torch = pytest.importorskip("torch")
from lrcourse import training as T  # noqa: E402
from lessons import load_source  # noqa: E402  (tests/lessons.py)

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.torch


def net(seed, d=64, h=16, k=10):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(d, h), torch.nn.ReLU(), torch.nn.Linear(h, k))


@pytest.fixture(scope="module")
def data():
    (Xt, yt), (Xv, yv) = T.digits()
    return (Xt[:256], yt[:256]), (Xv[:128], yv[:128])


def test_fit_many_trains_each_model_exactly_as_fit_does(data):
    train, val = data
    a, b = net(3), net(3)
    schedule = S.exponential(3e-3, 1e-2)
    h = T.fit(a, train, val, torch.optim.Adam(a.parameters(), lr=3e-3), schedule=schedule, epochs=3, batch_size=32,
              seed=7, progress=False, device="cpu")
    runs = T.fit_many([b], [7], train, val, torch.optim.Adam(b.parameters(), lr=3e-3), schedule=schedule, epochs=3,
                      batch_size=32, progress=False, device="cpu")
    np.testing.assert_allclose(runs.val_loss[:, 0], h.column("val_loss"), rtol=1e-5)
    np.testing.assert_allclose(runs.val_acc[:, 0], h.column("val_acc"))
    np.testing.assert_allclose(runs.lrs, h.lrs, rtol=1e-12)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    assert runs.epochs.tolist() == [1, 2, 3]                   # epochs count from 1


def test_fit_many_models_do_not_interact_and_a_diverging_one_is_reported(data):
    train, val = data
    alone = net(1)
    T.fit_many([alone], [1], train, val, torch.optim.SGD(alone.parameters(), lr=0.05), epochs=2, batch_size=32,
               progress=False, device="cpu")
    calm, wild = net(1), net(2)
    opt = torch.optim.SGD([{"params": calm.parameters(), "lr": 0.05}, {"params": wild.parameters(), "lr": 1e4}])
    runs = T.fit_many([calm, wild], [1, 2], train, val, opt, epochs=2, batch_size=32, progress=False, device="cpu",
                      loss_fn=lambda out, y: torch.nn.functional.cross_entropy(out, y) + (out ** 2).mean())
    assert runs.diverged.tolist() == [False, True] and runs.diverged_at[1] >= 0
    assert np.isnan(runs.val_acc[-1, 1]) and np.isinf(runs.val_loss[-1, 1])
    # the calm model is untouched by its diverging neighbour: same weights as when trained alone (with its loss)
    alone = net(1)
    T.fit_many([alone], [1], train, val, torch.optim.SGD(alone.parameters(), lr=0.05), epochs=2, batch_size=32,
               progress=False, device="cpu",
               loss_fn=lambda out, y: torch.nn.functional.cross_entropy(out, y) + (out ** 2).mean())
    for p, q in zip(alone.parameters(), calm.parameters()):
        torch.testing.assert_close(p, q)


def test_fit_many_takes_several_optimizers_and_val_every(data):
    train, val = data
    a, b = net(0), net(0)
    runs = T.fit_many([a, b], [0, 0], train, val,
                      [torch.optim.Adam(a.parameters(), lr=1e-3), torch.optim.SGD(b.parameters(), lr=1e-3)],
                      epochs=3, batch_size=64, val_every=3, progress=False, device="cpu")
    assert np.isnan(runs.val_acc[:2]).all() and np.isfinite(runs.val_acc[2]).all()
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_sweep_rates_gives_every_rate_its_group_and_scales_the_schedule(data):
    train, val = data
    seen = {}

    def make_opt(groups):
        seen["rates"] = [g["lr"] for g in groups]
        seen["sizes"] = [len(g["params"]) for g in groups]
        return torch.optim.SGD(groups)

    rates, seeds = [0.01, 0.1, 1.0], [5, 6]
    runs = T.sweep_rates(net, rates, seeds, train, val, optimizer=make_opt, schedule=lambda lr: S.exponential(lr, 0.1),
                         epochs=1, batch_size=64, progress=False, device="cpu")
    assert seen["rates"] == rates and seen["sizes"] == [4 * len(seeds)] * len(rates)
    assert runs.last("val_acc", (3, 2)).shape == (3, 2)
    np.testing.assert_allclose(runs.lrs, S.exponential(rates[0], 0.1)(np.arange(len(runs.lrs))), rtol=1e-12)


def test_a_frozen_body_stays_put_while_a_slow_body_moves(data):
    """The fine-tuning experiment's groups: head at η, body at η/10 or frozen."""
    train, val = data
    slow, frozen = net(0), net(0)
    before = copy.deepcopy(frozen)
    frozen[:-1].requires_grad_(False)
    groups = [{"params": [*slow[-1].parameters(), *frozen[-1].parameters()], "lr": 1e-2},
              {"params": list(slow[:-1].parameters()), "lr": 1e-3}]
    T.fit_many([slow, frozen], [0, 0], train, val, torch.optim.Adam(groups), epochs=1, batch_size=64,
               progress=False, device="cpu")
    assert all(torch.equal(p, q) for p, q in zip(frozen[0].parameters(), before[0].parameters()))
    assert not torch.equal(frozen[-1].weight, before[-1].weight)
    moved = (slow[0].weight - before[0].weight).abs().max()
    assert 0 < moved <= 1e-3 * 1.01 * 4                        # Adam moves a weight by at most about η per step


def test_paired_gap_checks_the_difference_against_the_seed_spread():
    assert T.paired_gap([1.0, 1.1, 0.9], [0.0, 0.1, -0.1])[2] == 1
    assert T.paired_gap([0.0, 0.1, -0.1], [1.0, 1.1, 0.9])[2] == -1
    mean, se, sign = T.paired_gap([0.5, 0.9, 0.1, 0.7], [0.6, 0.6, 0.6, 0.6])
    assert sign == 0 and mean == pytest.approx(-0.05) and se > abs(mean) / 2
    with pytest.raises(ValueError):
        T.paired_gap([1.0, np.nan], [0.0, 0.0])
    with pytest.raises(ValueError):
        T.paired_gap([1.0], [0.0])


def reference_scaled_lr():
    from lrcourse import _answers
    return _answers.scaled_lr


def test_exercise_08_2_follows_the_lessons_warmup_and_pytorchs_linearlr():
    scaled_lr = reference_scaled_lr()
    assert [scaled_lr(0.1, 100, 400, t, 4) for t in (0, 4, 99)] == pytest.approx([0.1, 0.4, 0.4])
    ramp = S.warmup(S.constant(0.4), 4, start_factor=100 / 400)
    model = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.4)
    linear = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=4)
    for t in range(8):
        assert scaled_lr(0.1, 100, 400, t, 4) == pytest.approx(ramp(t)) == pytest.approx(linear.get_last_lr()[0])
        opt.step()
        linear.step()


def test_exercise_08_2_checker_explains_the_usual_mismatches(capsys):
    assert E.check("08.2", reference_scaled_lr()) is True
    with pytest.raises(E.Wrong, match="one step early"):
        E.check("08.2", lambda b, bb, B, t, w: b * B / bb * min(1.0, (t + 1) / w))
    with pytest.raises(E.Wrong, match="starts from 0"):
        E.check("08.2", lambda b, bb, B, t, w: b * B / bb * min(1.0, t / w))
    with pytest.raises(E.Wrong, match="square-root"):
        E.check("08.2", lambda b, bb, B, t, w: b * np.sqrt(B / bb))


def load_lesson():
    path = ROOT / "tools" / "notebooks" / "08_pytorch_in_practice.py"
    module = load_source(path)
    return module.CELLS


def test_lesson_source_keeps_controls_seeds_and_computed_verdicts():
    cells = load_lesson()
    code = "\n".join(c[1] for c in cells if c[0] == "code")
    prose = "\n".join(c[1] for c in cells if c[0] == "md")
    assert '"constant rate": (None,' in code                          # the decay has a constant-rate control
    assert "RATIOS = {" in code and '"body frozen": 0' in code and '"body at η/100": 0.01' in code
    assert "bodies[source]" in code                                   # fine-tuning starts from pretrained bodies
    assert "manual_seed(0)" not in code and "lrc.sweeps.seeds(" in code
    assert "in seconds" not in prose and "under a minute" not in prose
    for line in code.splitlines():
        if "VERDICT" in line and "print(" in line:
            statement = line + code.split(line, 1)[1][:400]
            assert "{" in statement or " if " in statement, line    # wording chosen in code, not typed
    assert "warmup(S.constant(lr), warm, start_factor=1 / k)" in code  # the convention of exercise 08.2


def cnn(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 3, padding=1), torch.nn.Tanh(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(24, 10))


def test_side_by_side_layers_compute_what_each_model_computes():
    from lrcourse.training import _SequentialStack
    models = [cnn(s) for s in range(3)]
    params = {k: torch.stack([dict(m.named_parameters())[k] for m in models]) for k, _ in models[0].named_parameters()}
    x = torch.randn(3, 5, 1, 8, 8)
    out = _SequentialStack.of(models[0])(params, x)
    assert out.shape == (3, 5, 10)
    for i, m in enumerate(models):
        torch.testing.assert_close(out[i], m(x[i]), rtol=1e-5, atol=1e-6)
    assert _SequentialStack.of(net(0)) is not None                       # an MLP takes the same path
    odd = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.0), torch.nn.Linear(4, 2))
    assert _SequentialStack.of(odd) is None                              # anything else: vmap
    with pytest.raises(ValueError, match="needs images"):
        _SequentialStack.of(models[0])(params, torch.randn(3, 5, 64))


def test_fit_many_trains_a_cnn_as_fit_does():
    (Xt, yt), (Xv, yv) = T.digits(image=True)
    train, val = (Xt[:128], yt[:128]), (Xv[:64], yv[:64])
    a, b = cnn(5), cnn(5)
    h = T.fit(a, train, val, torch.optim.Adam(a.parameters(), lr=1e-2), epochs=2, batch_size=32, seed=4,
              progress=False, device="cpu")
    runs = T.fit_many([cnn(9), b], [1, 4], train, val, torch.optim.Adam(list(b.parameters()), lr=1e-2), epochs=2,
                      batch_size=32, progress=False, device="cpu")
    np.testing.assert_allclose(runs.val_loss[:, 1], h.column("val_loss"), rtol=1e-4)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)
