"""Lesson 07 (search and early stopping): the experiments' helpers and the claims they rest on."""

import ast
import doctest
from pathlib import Path

import numpy as np
import pytest

import lrcourse as lrc
from lrcourse.landscapes import softmax_problem
from lrcourse import search
from lessons import load_source  # noqa: E402  (tests/lessons.py)

ROOT = Path(__file__).resolve().parents[1]
CHANCE = np.log(10)


def test_search_docstring_example():
    result = doctest.testmod(search)
    assert result.failed == 0 and result.attempted > 0


# --------------------------------------------------------------------------- grid against random


SPACE3 = {"lr": (1e-4, 1.0, "log"), "weight_decay": (1e-6, 1e-2, "log"), "eps": (1e-10, 1e-6, "log")}


def test_shifted_grid_stays_in_range_one_cell_apart_and_is_seeded():
    a = search.shifted_grid_points(SPACE3, 3, seed=5)
    assert a == search.shifted_grid_points(SPACE3, 3, seed=5)
    assert a != search.shifted_grid_points(SPACE3, 3, seed=6)
    assert len(a) == 27
    lrs = np.unique([p["lr"] for p in a])
    assert lrs.size == 3 and lrs.min() >= 1e-4 and lrs.max() <= 1.0
    np.testing.assert_allclose(np.diff(np.log10(lrs)), 4 / 3)          # one cell of the 4 decades
    linear = search.shifted_grid_points({"m": (0.0, 1.0, "linear")}, 4, seed=1)
    np.testing.assert_allclose(np.diff([p["m"] for p in linear]), 0.25)


def test_shifted_grid_offsets_cover_the_range_evenly():
    # over seeds, the lowest grid value is spread evenly over its first cell (not pinned to the end)
    lows = np.array([np.log10(search.shifted_grid_points({"lr": (1e-4, 1.0, "log")}, 4, seed=s)[0]["lr"])
                     for s in range(400)])
    assert lows.min() >= -4 and lows.max() < -3
    assert abs(lows.mean() - (-3.5)) < 0.05


def test_batched_searches_match_one_trial_at_a_time():
    objective = lambda lr, weight_decay, eps: (np.log10(lr) + 1) ** 2 + weight_decay + 1e3 * eps
    for method, kwargs in [(search.grid_search, dict(per_dim=3, seed=2)), (search.random_search, dict(n=27, seed=2))]:
        one = method(objective, SPACE3, **kwargs)
        many = method(objective, SPACE3, batched=True, **kwargs)
        assert one.trials == many.trials
        np.testing.assert_allclose(one.values, many.values)
    # the same budget: 3 × 3 × 3 grid points against 27 random trials, but 3 values of η against 27
    grid = search.grid_search(objective, SPACE3, 3, seed=0, batched=True)
    rand = search.random_search(objective, SPACE3, 27, seed=0, batched=True)
    assert len(grid.trials) == len(rand.trials) == 27
    assert len(set(grid.column("lr"))) == 3 and len(set(rand.column("lr"))) == 27


def test_random_beats_a_shifted_grid_when_only_one_knob_matters():
    # an objective with a narrow optimum in η and two knobs that do nothing: the lesson's setting
    objective = lambda lr, weight_decay, eps: np.minimum((np.log10(lr) + 1.3) ** 2, 1.0)
    grid = [search.grid_search(objective, SPACE3, 3, seed=s, batched=True).best_value for s in range(40)]
    rand = [search.random_search(objective, SPACE3, 27, seed=100 + s, batched=True).best_value for s in range(40)]
    assert search.compare(grid, rand)["sign"] == 1


# --------------------------------------------------------------------------- the objective and the splits


def test_train_val_test_split_is_seeded_disjoint_and_complete():
    X, y = np.arange(200).reshape(100, 2), np.arange(100)
    a = search.train_val_test_split(X, y, 0.2, 0.3, seed=1)
    b = search.train_val_test_split(X, y, 0.2, 0.3, seed=1)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    train, val, test = set(a[1]), set(a[3]), set(a[5])
    assert (len(train), len(val), len(test)) == (50, 20, 30)
    assert not train & val and not train & test and not val & test and len(train | val | test) == 100
    with pytest.raises(ValueError, match="test_fraction"):
        search.train_val_test_split(X, y, 0.5, 0.6)


@pytest.fixture(scope="module")
def digits_splits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return search.train_val_test_split(d.data / 16.0, d.target, 0.2, 0.2, seed=0)


def test_softmax_objective_equals_one_run_at_a_time(digits_splits):
    Xtr, ytr, Xva, yva, Xte, yte = digits_splits
    objective = search.SoftmaxObjective(Xtr, ytr, Xva, yva, steps=30, batch_size=32, seed=3)
    lrs, wds, eps = np.array([1e-3, 0.05, 0.3]), np.array([0.0, 1e-3, 1e-2]), np.array([1e-8, 1e-10, 1e-6])
    batched = objective(lrs, wds, eps)
    val = softmax_problem(Xva, yva, batch_size=len(Xva))
    for lr, wd, e, value in zip(lrs, wds, eps, batched):
        train = softmax_problem(Xtr, ytr, batch_size=32, seed=3)
        r = lrc.run(train, lrc.Adam(lr=lr, weight_decay=wd, eps=e), np.zeros(640), 30, record=False)
        assert value == pytest.approx(float(val(r.x)[0]), rel=1e-9)
    # score agrees with the objective on the validation split, and measures any other split
    w, diverged = objective.fit(lrs, wds, eps)
    assert w.shape == (3, 640) and not diverged.any()
    np.testing.assert_allclose(objective.score(w, Xva, yva)[0], batched)
    loss, acc = objective.score(w[1], Xte, yte)
    assert np.ndim(loss) == 0 and 0.5 < acc <= 1.0


# --------------------------------------------------------------------------- verdict helpers


def test_compare_resolves_only_differences_beyond_the_spread():
    rng = np.random.default_rng(0)
    a = 1.0 + 0.01 * rng.standard_normal(16)
    assert search.compare(a, a + 0.1)["sign"] == -1
    assert search.compare(a + 0.1, a)["sign"] == 1
    assert search.compare(a, a[::-1] + 0.001)["sign"] == 0
    # pairing removes what the two samples share: a shift far below the spread of a, but constant
    wide = rng.standard_normal(16)
    assert search.compare(wide, wide - 0.05)["sign"] == 0
    assert search.compare(wide, wide - 0.05, paired=True)["sign"] == 1
    with pytest.raises(ValueError):
        search.compare([1.0, 2.0], [1.0, 2.0, 3.0], paired=True)


def test_read_curve_tells_too_low_from_too_high_at_chance_level():
    flat = np.full(100, CHANCE) + np.linspace(0.02, 0.0, 100)
    spiked = flat.copy()
    spiked[2:8] = [8.0, 60.0, 20.0, 5.0, 3.0, 9.0]
    erratic = spiked.copy()
    erratic[50:] = 6.0
    falling = np.geomspace(CHANCE, 0.2, 100)
    assert search.read_curve(flat, 10) == "too low: barely moving"
    assert search.read_curve(spiked, 10) == "too high: spiked, then stuck at chance"
    assert search.read_curve(erratic, 10) == "too high: erratic"
    assert search.read_curve(falling, 10) == "learning"
    assert search.read_curve(np.append(falling, np.nan), 10) == "too high: diverged"
    assert set(search.READINGS) >= {search.read_curve(c, 10) for c in (flat, spiked, erratic, falling)}


# --------------------------------------------------------------------------- torch experiments


@pytest.fixture(scope="module")
def torch_data(digits_splits):
    torch = pytest.importorskip("torch")
    Xtr, ytr, Xva, yva, Xte, yte = digits_splits
    t = lambda a, dtype=torch.float32: torch.tensor(a, dtype=dtype)
    return torch, (t(Xtr), t(ytr, torch.long)), (t(Xva), t(yva, torch.long))


def _mlp(torch, seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))


def test_early_stopping_run_really_overfits_and_keeps_the_lowest_val_loss(torch_data):
    # the lesson's setting on one seed: 200 images, 30 % relabelled at random, Adam η = 1e-2
    torch, (Xt, yt), val = torch_data
    from lrcourse import training as T

    rng = np.random.default_rng(0)
    labels = yt[:200].clone()
    swap = torch.from_numpy(rng.random(200) < 0.3)
    labels[swap] = torch.from_numpy(rng.integers(0, 10, int(swap.sum())))
    def fit(patience):
        net = _mlp(torch, 0)
        h = T.fit(net, (Xt[:200], labels), val, torch.optim.Adam(net.parameters(), lr=1e-2), epochs=30,
                  batch_size=50, patience=patience, seed=0, progress=False, device="cpu")
        return h, net

    full, _ = fit(None)
    vl = full.column("val_loss")
    assert vl[-1] > 1.2 * vl.min()                     # the validation loss clearly rises: real overfitting
    stopped, net = fit(10)
    assert stopped.stopped_early and len(stopped.epochs) < 30
    assert stopped.best_epoch == int(np.argmin(vl))    # the epoch of lowest val loss of the full run
    kept_loss, _ = T.evaluate(net, *val, torch.nn.functional.cross_entropy)
    assert kept_loss == pytest.approx(vl.min(), rel=1e-5)   # and its weights were put back


def test_val_loss_ratio_exceeds_one_without_overfitting_so_the_test_split_judges(torch_data, digits_splits):
    # the lesson's race on one seed (40 epochs), with noisy labels and with the clean control: the
    # validation loss at the end ÷ its minimum is above 1 in both (a minimum sits below a noisy curve's
    # typical level), but only the noisy run's held-out test loss rises from the kept epoch to the last
    torch, (Xt, yt), val = torch_data
    from lrcourse import training as T

    Xs, ys = torch.tensor(digits_splits[4], dtype=torch.float32), torch.tensor(digits_splits[5], dtype=torch.long)
    out = {}
    for share in (0.3, 0.0):
        rng = np.random.default_rng(0)
        labels = yt[:200].clone()
        swap = torch.from_numpy(rng.random(200) < share)
        labels[swap] = torch.from_numpy(rng.integers(0, 10, int(swap.sum())))
        test_loss = {}
        for patience in (None, 10):
            net = _mlp(torch, 0)
            h = T.fit(net, (Xt[:200], labels), val, torch.optim.Adam(net.parameters(), lr=1e-2), epochs=40,
                      batch_size=50, patience=patience, seed=0, progress=False, device="cpu")
            test_loss[patience] = T.evaluate(net, Xs, ys, torch.nn.functional.cross_entropy)[0]
            if patience is None:
                vl = h.column("val_loss")
        out[share] = (vl[-1] / vl.min(), test_loss[None] / test_loss[10])
    assert out[0.3][0] > 1.2 and out[0.3][1] > 1.2           # noisy labels: real overfitting
    assert out[0.0][0] > 1.0 and out[0.0][1] < 1.1           # clean labels: the ratio is not evidence


def test_too_high_rate_dies_at_chance_while_too_low_barely_moves(torch_data):
    torch, (Xt, yt), val = torch_data
    from lrcourse import training as T

    out = {}
    for lr in (1e-3, 8.3):
        net = _mlp(torch, 1)
        h = T.fit(net, (Xt, yt), val, torch.optim.SGD(net.parameters(), lr=lr), epochs=6, batch_size=64, seed=1,
                  progress=False, device="cpu")
        with torch.no_grad():
            dead = float((net[1](net[0](Xt)) <= 0).all(0).float().mean())
        out[lr] = (search.read_curve(h.losses, 10), dead, np.mean(h.losses[-10:]))
    assert out[1e-3][0] == "too low: barely moving" and out[1e-3][1] < 0.2
    assert out[8.3][0] == "too high: spiked, then stuck at chance" and out[8.3][1] > 0.9
    assert abs(out[1e-3][2] - CHANCE) < 0.1 and abs(out[8.3][2] - CHANCE) < 0.1


def test_curve_picker_axes_fit_the_chosen_run():
    pytest.importorskip("torch")
    from lrcourse import training as T
    from lrcourse import widgets as W

    def history(losses, val):
        h = T.History(losses=list(losses))
        h.epochs = [{"epoch": i, "train_loss": v * 1.1, "val_loss": v, "val_acc": 0.5, "seconds": 0.0}
                    for i, v in enumerate(val)]
        h.best_epoch = int(np.argmin(val))
        return h

    spike = np.r_[2.3, 5e4, 300.0, np.full(60, 2.35)]
    flat = np.linspace(2.33, 2.30, 63)
    falling = np.geomspace(2.3, 0.2, 63)
    dash = W.curve_picker({30.0: history(spike, [8.0, 3.0]), 1e-3: history(flat, [2.34, 2.33]),
                           0.1: history(falling, [1.0, 0.3])}, chance=CHANCE)
    ax_step, ax_epoch = dash.fig.axes[:2]
    for lr, losses in [(30.0, spike), (1e-3, flat), (0.1, falling)]:
        dash.controls["lr"].value = lr
        low, high = ax_step.get_ylim()
        assert low <= losses.min() and high >= losses.max()
        if ax_step.get_yscale() == "log":            # the data fill most of the axis
            assert np.log(losses.max() / losses.min()) > 0.7 * np.log(high / low)
        else:
            assert losses.max() - losses.min() > 0.7 * (high - low) - 0.03 * high
        assert ax_epoch.lines[1].get_xdata()[0] == 1  # epochs count from 1
    assert "1.0e-03" in ax_step.get_title() or dash.controls["lr"].value == 0.1
    assert any(np.allclose(line.get_ydata(), CHANCE) for line in ax_step.lines[2:])


# --------------------------------------------------------------------------- the lesson's source


def test_lesson_takes_its_seeds_from_sweeps_and_computes_its_verdicts():
    module = load_source(ROOT / "tools/notebooks/07_search_and_early_stopping.py")
    code = "\n".join(src for kind, src, *_ in module.CELLS if kind == "code")
    assert code.count("lrc.sweeps.seeds(") >= 4
    assert "seed=0)" not in code.replace("0.2, 0.2, seed=0)", "")     # only the data split is fixed
    assert "share=0.0" in code                                         # early stopping has a clean-label control
    assert '"loss_last"' in code and '"acc_last"' in code               # judged on the held-out test split
    verdicts = 0
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print" and node.args:
            first = node.args[0]
            text = first.value if isinstance(first, ast.Constant) else ast.unparse(first)
            if isinstance(text, str) and text.lstrip("f'\"").startswith("VERDICT"):
                verdicts += 1
                computed = (ast.IfExp, ast.Subscript, ast.FormattedValue)
                assert any(isinstance(n, computed) for arg in node.args for n in ast.walk(arg)), ast.unparse(node)
    assert verdicts >= 6
