"""The data sets the lessons train on, as numpy arrays.

``digits()`` is scikit-learn's bundled set of 1797 handwritten digits, 8×8 pixels each (no
download). It reads the file scikit-learn ships without importing scikit-learn, whose import
alone takes longer (about 1.5 s) than the lessons' training on these digits in some cells;
where the file is not found it asks ``sklearn.datasets.load_digits``.
"""

from __future__ import annotations

import gzip
import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["digits"]


@lru_cache(maxsize=1)
def _digits_table() -> np.ndarray:
    spec = importlib.util.find_spec("sklearn")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            with gzip.open(path, "rt") as f:
                table = np.loadtxt(f, delimiter=",")
            if table.shape == (1797, 65):
                return table
    from sklearn.datasets import load_digits         # another layout: let scikit-learn read it

    data = load_digits()
    return np.column_stack([data.data, data.target])


def digits() -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: the 1797 digit images as rows of 64 pixels scaled to [0, 1] (float64, the
    values of ``load_digits().data / 16``) and their labels 0-9 (int). Fresh copies each call."""
    table = _digits_table()
    return table[:, :64] / 16.0, table[:, 64].astype(int)
