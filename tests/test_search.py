"""Random and grid search over a space of settings, and the train/validation split."""

import numpy as np
import pytest

from lrcourse import search


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
