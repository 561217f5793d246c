"""The PyTorch training helpers: fit, its schedule, early stopping and divergence, the data sets
and sharpness."""

import numpy as np
import pytest

from lrcourse import schedules as S

torch = pytest.importorskip("torch")
from lrcourse import training as T  # noqa: E402


def small_net(seed=0, d=64, k=10):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(d, 32), torch.nn.ReLU(), torch.nn.Linear(32, k))


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

    def squared(out, y):
        return (out ** 2).mean()

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

    def loss():
        return 0.5 * ((X @ w - y) ** 2).mean()

    top = float(torch.linalg.eigvalsh(X.T @ X / 50)[-1])
    assert T.sharpness(loss, [w], iters=200) == pytest.approx(top, rel=1e-6)
