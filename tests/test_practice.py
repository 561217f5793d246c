"""The range test, search and the PyTorch training helper."""

import numpy as np
import pytest

from lrcourse import GD, Momentum, landscapes as L, lr_finder as F, schedules as S, search


# --------------------------------------------------------------------------- range test


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


def test_softmax_problem_gradient_matches_finite_differences(rng):
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 3, size=30)
    prob = F.softmax_problem(X, y, batch_size=30)
    w = rng.normal(size=12) * 0.3
    _, g = prob(w)
    eps = 1e-6
    num = np.array([(prob(w + eps * e)[0] - prob(w - eps * e)[0]) / (2 * eps) for e in np.eye(12)])
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8)


# --------------------------------------------------------------------------- search


def objective(lr, wd=0.0):
    return (np.log10(lr) + 2) ** 2 + 0.01 * wd


def test_random_search_is_seeded_and_covers_each_dimension():
    space = {"lr": (1e-5, 1.0, "log"), "wd": (0.0, 1.0, "linear")}
    a, b = search.random_search(objective, space, 16, seed=3), search.random_search(objective, space, 16, seed=3)
    assert a.trials == b.trials and np.array_equal(a.values, b.values)
    assert search.random_search(objective, space, 16, seed=4).trials != a.trials
    grid = search.grid_search(objective, space, 4)
    assert len(grid.trials) == 16
    assert len(set(grid.column("lr"))) == 4 and len(set(a.column("lr"))) == 16
    lr = a.column("lr")
    assert lr.min() >= 1e-5 and lr.max() <= 1.0
    assert a.best_value == a.values.min() and objective(**a.best) == a.best_value


def test_search_rejects_bad_spaces():
    with pytest.raises(ValueError, match="space\\['lr'\\] must be"):
        search.sample({"lr": (1e-3, 1.0)}, 4)
    with pytest.raises(ValueError, match="lr low must lie in"):
        search.sample({"lr": (0.0, 1.0, "log")}, 4)


def test_train_val_split_is_seeded_and_disjoint():
    X, y = np.arange(100).reshape(50, 2), np.arange(50)
    a = search.train_val_split(X, y, 0.2, seed=1)
    b = search.train_val_split(X, y, 0.2, seed=1)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert len(a[3]) == 10 and not set(a[1]) & set(a[3]) and len(set(a[1]) | set(a[3])) == 50


# --------------------------------------------------------------------------- torch helpers

torch = pytest.importorskip("torch")
from lrcourse import training as T  # noqa: E402


def small_net(seed=0, d=64, k=10):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(d, 32), torch.nn.ReLU(), torch.nn.Linear(32, k))


@pytest.mark.torch
def test_torch_range_test_restores_model_and_optimizer_exactly():
    (Xtr, ytr), _ = T.digits()
    net = small_net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.functional.cross_entropy
    opt.zero_grad(); loss_fn(net(Xtr[:32]), ytr[:32]).backward(); opt.step()   # some optimizer state
    before = {k: v.clone() for k, v in net.state_dict().items()}
    opt_before = {k: v.clone() for k, v in opt.state_dict()["state"][0].items() if torch.is_tensor(v)}
    batches = [(Xtr[i:i + 32], ytr[i:i + 32]) for i in range(0, 640, 32)]
    rt = F.torch_range_test(net, loss_fn, batches, opt, lr_min=1e-5, lr_max=10.0, steps=60)
    assert len(rt.lrs) == len(rt.losses) > 10
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert all(torch.equal(opt_before[k], v) for k, v in opt.state_dict()["state"][0].items() if torch.is_tensor(v))
    assert opt.param_groups[0]["lr"] == 1e-3
    assert 1e-5 < rt.suggest("valley") < rt.lrs[-1]


@pytest.mark.torch
def test_fit_records_the_schedule_and_keeps_group_ratios():
    (Xtr, ytr), val = T.digits()
    net = small_net()
    opt = torch.optim.SGD([{"params": net[0].parameters(), "lr": 0.01}, {"params": net[2].parameters(), "lr": 0.1}])
    schedule = S.step_decay(0.05, 0.5, 7)
    hist = T.fit(net, (Xtr[:320], ytr[:320]), val, opt, schedule, epochs=3, batch_size=32, progress=False,
                 device="cpu")
    steps = len(hist.lrs)
    assert steps == 30
    np.testing.assert_allclose(hist.lrs, schedule(np.arange(steps)), rtol=1e-12)
    assert opt.param_groups[1]["lr"] == pytest.approx(10 * opt.param_groups[0]["lr"])
    assert len(hist.epochs) == 3 and all(0 <= e["val_acc"] <= 1 for e in hist.epochs)
    assert len(hist.grad_norms) == steps and np.all(np.isfinite(hist.grad_norms))


@pytest.mark.torch
def test_fit_stops_early_and_restores_the_best_weights():
    (Xtr, ytr), (Xva, yva) = T.digits()
    shuffled = yva[torch.randperm(len(yva), generator=torch.Generator().manual_seed(0))]   # unlearnable
    net = small_net()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    hist = T.fit(net, (Xtr, ytr), (Xva, shuffled), opt, epochs=40, patience=3, progress=False, device="cpu")
    assert hist.stopped_early and len(hist.epochs) < 40
    assert len(hist.epochs) - 1 - hist.best_epoch == 3
    loss, _ = T.evaluate(net, Xva, shuffled, torch.nn.functional.cross_entropy)
    assert loss == pytest.approx(hist.epochs[hist.best_epoch]["val_loss"], rel=1e-5)


@pytest.mark.torch
def test_fit_reports_divergence_instead_of_raising():
    (Xtr, ytr), val = T.digits()
    torch.manual_seed(0)
    net = torch.nn.Linear(64, 10)
    opt = torch.optim.SGD(net.parameters(), lr=100.0)    # far above 2/L for this loss
    squared = lambda out, y: (out ** 2).mean()
    hist = T.fit(net, (Xtr, ytr), val, opt, epochs=20, loss_fn=squared, progress=False, device="cpu")
    assert hist.diverged_at >= 0 and len(hist.epochs) < 20
    assert not np.isfinite(hist.losses[-1]) and np.isinf(hist.epochs[-1]["val_loss"])


def test_data_ships_with_installed_packages():
    (Xtr, ytr), (Xva, yva) = T.digits(image=True)
    assert Xtr.shape[1:] == (1, 8, 8) and len(Xtr) + len(Xva) == 1797 and float(Xtr.max()) <= 1.0
    (X, y), _ = T.memory_task(n=100, length=5, symbols=4)
    assert torch.equal(X[:, 0].argmax(-1), y)


@pytest.mark.torch
def test_sharpness_is_the_top_hessian_eigenvalue_of_a_quadratic():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(50, 4, generator=gen, dtype=torch.float64)
    y = torch.randn(50, generator=gen, dtype=torch.float64)
    w = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    loss = lambda: 0.5 * ((X @ w - y) ** 2).mean()
    top = float(torch.linalg.eigvalsh(X.T @ X / 50)[-1])
    assert T.sharpness(loss, [w], iters=200) == pytest.approx(top, rel=1e-6)
