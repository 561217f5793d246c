"""Argument checks shared by every public constructor.

Each check raises a ``ValueError`` that names the argument, the allowed range and the
value it got, so a learner who types ``lr=-0.1`` reads what to change.
"""

from __future__ import annotations

import numpy as np


def _describe(value) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return repr(value)
    return f"an array with values in [{arr.min()!r}, {arr.max()!r}]"


def _as_array(name: str, value) -> np.ndarray:
    """``value`` as a float array; text, booleans, complex numbers and empty arrays are refused
    (numpy would take ``"0.1"`` or ``True`` as a number)."""
    wrong = TypeError(f"{name} must be a number or an array of numbers, got {value!r}")
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        raise wrong
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise wrong from None
    if arr.dtype.kind not in "iuf":
        raise wrong
    if arr.size == 0:
        raise ValueError(f"{name} must be a number or a non-empty array of numbers, got {value!r}")
    return arr.astype(float)


def interval(name: str, value, low=None, high=None, *, low_open=False, high_open=False):
    """Check ``low <= value <= high`` elementwise (``<`` where the side is open)."""
    arr = _as_array(name, value)
    ok = np.isfinite(arr)
    if low is not None:
        ok &= arr > low if low_open else arr >= low
    if high is not None:
        ok &= arr < high if high_open else arr <= high
    if not np.all(ok):
        left = "-inf" if low is None else f"{low:g}"
        right = "inf" if high is None else f"{high:g}"
        lb = "(" if (low is None or low_open) else "["
        rb = ")" if (high is None or high_open) else "]"
        raise ValueError(f"{name} must lie in {lb}{left}, {right}{rb}, got {_describe(value)}")
    return value


def positive(name: str, value):
    """Check ``value > 0``."""
    return interval(name, value, 0, None, low_open=True)


def scalar(name: str, value) -> float:
    """Check that ``value`` is one real number (not an array, text or a boolean); return it."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a single number, got {value!r}")
    return float(value)


def bound(name: str, value):
    """Check ``value > 0``, where ``inf`` is allowed (no bound) and NaN is not."""
    arr = _as_array(name, value)
    if np.any(np.isnan(arr) | (arr <= 0)):
        raise ValueError(f"{name} must lie in (0, inf], got {_describe(value)}")
    return value


def non_negative(name: str, value):
    """Check ``value >= 0``."""
    return interval(name, value, 0, None)


def unit(name: str, value):
    """Check ``0 <= value < 1`` (momentum, betas, decay factors of averages)."""
    return interval(name, value, 0, 1, high_open=True)


def positive_int(name: str, value, minimum: int = 1) -> int:
    """Check that ``value`` is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def flag(name: str, value) -> bool:
    """Check that ``value`` is True or False (a string such as "no" would count as True)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def choice(name: str, value, allowed):
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def plain(value):
    """A 0-d result as a plain Python number (cleaner to print); arrays unchanged."""
    arr = np.asarray(value)
    return arr.item() if arr.ndim == 0 else arr
