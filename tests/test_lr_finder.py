"""The range test: its rising rate, smoothing, suggestion rules, and the run on a problem and on a
PyTorch model."""

import numpy as np
import pytest

from lrcourse import GD, Momentum, landscapes as L, lr_finder as F


def test_ramp_is_exponential_from_min_to_max():
    r = F.ramp(1e-7, 10.0, 100)(np.arange(100))
    np.testing.assert_allclose(r, np.geomspace(1e-7, 10.0, 100), rtol=1e-12)
    with pytest.raises(ValueError, match="lr_max must lie in"):
        F.ramp(1.0, 0.5, 10)


def test_smooth_is_a_debiased_moving_average():
    np.testing.assert_allclose(F.smooth([3.0] * 10, 0.9), 3.0)
    s = F.smooth([1.0, 3.0], 0.5)
    assert s[0] == 1.0 and s[1] == pytest.approx((0.25 + 1.5) / 0.75)   # (β·0.5 + (1 − β)·3)/(1 − β²)


def test_rules_on_a_curve_with_known_shape():
    lrs = np.geomspace(1e-5, 10, 61)
    x = np.log10(lrs)
    losses = 2.3 - 1.6 / (1 + np.exp(-3.0 * (x + 2.5))) + 0.8 * np.exp(3.0 * (x - 0.3))
    assert F.steepest(lrs, losses) == pytest.approx(10 ** -2.5, rel=0.15)   # the logistic's midpoint
    assert F.minimum_over_10(lrs, losses) == pytest.approx(lrs[np.argmin(losses)] / 10)
    assert 1e-4 < F.valley(lrs, losses) < lrs[np.argmin(losses)]
    with pytest.raises(ValueError, match="same length"):
        F.valley(lrs, losses[:-1])


@pytest.mark.parametrize("L_max", [0.5, 1.0, 4.0])
def test_range_test_suggests_a_stable_rate(L_max):
    """On a noisy bowl GD is stable for η < 2/L: every rule must suggest a rate below that,
    and the test must stop once the loss runs away, beyond that limit."""
    bowl = L.Noisy(L.Quadratic.from_condition(10.0, L=L_max), sigma=0.3, seed=0)
    rt = F.range_test(bowl, [3.0, -2.0], GD(), lr_min=1e-5, lr_max=100.0, steps=100)
    limit = 2 / L_max
    assert rt.stopped_at >= 0 and rt.lrs[-1] > limit
    for rule, lr in rt.suggestions().items():
        assert 1e-3 * limit < lr < limit, (rule, lr)


def test_range_test_leaves_the_start_point_alone_and_reports_divergence_as_a_stop():
    x0 = np.array([3.0, -2.0])
    rt = F.range_test(L.Quadratic.from_condition(5.0), x0, Momentum(momentum=0.9), steps=80)
    assert np.array_equal(x0, [3.0, -2.0])
    assert np.all(np.isfinite(rt.smoothed)) and rt.stopped_at == len(rt.lrs) - 1


@pytest.mark.torch
def test_torch_range_test_restores_model_and_optimizer_exactly():
    torch = pytest.importorskip("torch")
    from lrcourse import training as T

    (Xtr, ytr), _ = T.digits()
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.functional.cross_entropy
    opt.zero_grad()
    loss_fn(net(Xtr[:32]), ytr[:32]).backward()
    opt.step()                                       # some optimizer state
    before = {k: v.clone() for k, v in net.state_dict().items()}
    opt_before = {k: v.clone() for k, v in opt.state_dict()["state"][0].items() if torch.is_tensor(v)}
    batches = [(Xtr[i:i + 32], ytr[i:i + 32]) for i in range(0, 640, 32)]
    rt = F.torch_range_test(net, loss_fn, batches, opt, lr_min=1e-5, lr_max=10.0, steps=60)
    assert len(rt.lrs) == len(rt.losses) > 10
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert all(torch.equal(opt_before[k], v) for k, v in opt.state_dict()["state"][0].items() if torch.is_tensor(v))
    assert opt.param_groups[0]["lr"] == 1e-3
    assert 1e-5 < rt.suggest("valley") < rt.lrs[-1]
