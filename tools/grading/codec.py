"""Plain data between the sandbox and the grader.

The sandbox turns whatever the learner's functions returned into JSON (``encode``); the
grader, a process that never runs learner code, turns that JSON back into numbers, arrays,
tuples and strings (``decode``). Nothing but these plain values crosses: an object that
claims to equal everything arrives as an ``Opaque`` stand-in, which equals nothing and is no
number. This file is imported on both sides and needs only the standard library and numpy.
"""

from __future__ import annotations

import math

MAX_DEPTH = 12           # nesting of lists, tuples and dicts
MAX_ITEMS = 200_000      # numbers in one value (the course's answers hold at most a few thousand)
TABLE_STEPS = 1001       # a schedule is sent as its rates at steps 0 .. TABLE_STEPS - 1


class TooBig(ValueError):
    pass


# --------------------------------------------------------------------------- sandbox side


def _float(x: float):
    return x if math.isfinite(x) else {"$f": repr(x)}


def encode(value, params=None, depth=0, budget=None):
    """JSON-ready form of ``value``. ``params`` maps id(tensor) -> [argument index, name]
    for the parameters of models passed in, so a returned parameter is named, not copied."""
    import numpy as np

    budget = budget if budget is not None else [MAX_ITEMS]
    if depth > MAX_DEPTH:
        raise TooBig(f"nested deeper than {MAX_DEPTH} levels")
    budget[0] -= 1
    if budget[0] < 0:
        raise TooBig(f"more than {MAX_ITEMS} values")
    if value is None or isinstance(value, (bool, str)) and type(value) in (bool, str):
        if isinstance(value, str) and len(value) > 10_000:
            raise TooBig("a string longer than 10000 characters")
        return value
    if type(value) is int:
        return value if abs(value) < 2 ** 63 else float(value)
    if type(value) is float:
        return _float(value)
    if isinstance(value, np.generic) and type(value).__module__ == "numpy":
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return _float(float(value))
    if type(value) is np.ndarray:
        if value.size > budget[0]:
            raise TooBig(f"an array of {value.size} numbers")
        budget[0] -= value.size
        if value.dtype.kind in "biuf":
            flat = value.reshape(-1).tolist()
            if value.dtype.kind == "f" and not np.isfinite(value).all():
                flat = [_float(x) for x in flat]
            return {"$a": flat, "shape": list(value.shape), "kind": value.dtype.kind}
        return {"$o": f"ndarray of {value.dtype}"}
    if type(value) in (list, tuple):
        items = [encode(v, params, depth + 1, budget) for v in value]
        return items if type(value) is list else {"$t": items}
    if type(value) is dict:
        if not all(type(k) is str for k in value):
            return {"$o": "dict with non-string keys"}
        return {"$d": {k: encode(v, params, depth + 1, budget) for k, v in value.items()}}
    kind = type(value).__module__.split(".")[0]
    if kind == "torch":
        import torch

        if isinstance(value, torch.Tensor):
            if params and id(value) in params:
                return {"$param": params[id(value)]}
            return {"$tensor": encode(value.detach().cpu().double().numpy(), params, depth + 1, budget)}
    if kind == "lrcourse":
        from lrcourse import schedules

        if isinstance(value, schedules.Schedule):
            import numpy as np

            rates = np.asarray(value(np.arange(TABLE_STEPS)), dtype=float)
            safe = {k: v for k, v in value.params.items() if type(v) in (int, float, str, bool)}
            return {"$schedule": encode(rates, None, depth + 1, budget), "name": str(value.name)[:200],
                    "params": encode(safe, None, depth + 1, budget)}
    if hasattr(type(value), "__next__") and hasattr(type(value), "__iter__"):   # a generator or iterator
        items = []
        for item in value:
            items.append(encode(item, params, depth + 1, budget))
        return {"$iter": items}
    return {"$o": type(value).__name__[:80]}


def encode_error(exc: BaseException) -> dict:
    return {"$raise": type(exc).__name__[:80], "message": str(exc)[:2000],
            "not_implemented": isinstance(exc, NotImplementedError)}


# --------------------------------------------------------------------------- grader side


class Opaque:
    """Stands for a returned object that is not plain data: it equals nothing and is no number."""

    def __eq__(self, other):
        return False

    def __ne__(self, other):
        return True

    __hash__ = object.__hash__

    description = ""

    def __repr__(self):
        return f"<{self.description or type(self).__name__ + ' object'}>"


_opaque_types: dict = {}


def opaque(name: str) -> Opaque:
    """A stand-in named after what it replaces: a type name ("Agree") or a description
    ("too big to grade (...)"), which becomes the type name TooBigToGrade and its repr."""
    name = str(name)[:200]
    words = name.split(" (")[0].split()
    clean = "".join(w[:1].upper() + w[1:] if len(words) > 1 else w for w in words)
    clean = "".join(ch for ch in clean if ch.isalnum() or ch == "_")[:80] or "object"
    if clean[0].isdigit():
        clean = "_" + clean
    if clean not in _opaque_types:
        _opaque_types[clean] = type(clean, (Opaque,), {})
    value = _opaque_types[clean]()
    value.description = name
    return value


class LearnerError(Exception):
    """An exception the learner's function raised in the sandbox, by name and message."""


_error_types: dict = {}


def learner_exception(record: dict) -> Exception:
    if record.get("not_implemented"):
        return NotImplementedError(str(record.get("message", ""))[:2000])
    name = "".join(ch for ch in str(record.get("$raise", "")) if ch.isalnum() or ch == "_")[:80] or "Exception"
    if name not in _error_types:
        _error_types[name] = type(name, (LearnerError,), {})
    return _error_types[name](str(record.get("message", ""))[:2000])


def _num(x):
    if isinstance(x, dict) and set(x) == {"$f"} and x["$f"] in ("nan", "inf", "-inf"):
        return float(x["$f"])
    if type(x) in (int, float, bool):
        return x
    raise ValueError("not a number")


def decode(data, args=(), depth=0):
    """The plain value ``encode`` described. ``args`` are the call's own arguments, so that a
    returned model parameter becomes that argument's parameter again."""
    import numpy as np

    if depth > MAX_DEPTH + 2:
        raise ValueError("nested too deep")
    if data is None or type(data) in (bool, int, str):
        return data
    if type(data) is float:
        return data
    if type(data) is list:
        return [decode(v, args, depth + 1) for v in data]
    if type(data) is not dict:
        raise ValueError(f"unexpected {type(data).__name__}")
    if "$f" in data:
        return _num(data)
    if "$a" in data:
        flat = data["$a"]
        shape = data.get("shape", [len(flat) if isinstance(flat, list) else 0])
        if not isinstance(flat, list) or not isinstance(shape, list) or len(shape) > 32 or \
                not all(type(n) is int and 0 <= n <= MAX_ITEMS for n in shape):
            raise ValueError("malformed array")
        if math.prod(shape) != len(flat):
            raise ValueError("array shape does not match its numbers")
        dtype = {"f": np.float64, "i": np.int64, "u": np.int64, "b": np.bool_}.get(data.get("kind"), np.float64)
        try:
            plain = all(type(x) in (int, float, bool) for x in flat)
            arr = np.array(flat if plain else [_num(x) for x in flat], dtype=dtype)
        except (OverflowError, TypeError) as exc:
            raise ValueError(f"malformed array ({type(exc).__name__})") from None
        return arr.reshape(shape)
    if "$t" in data:
        return tuple(decode(v, args, depth + 1) for v in data["$t"])
    if "$d" in data and type(data["$d"]) is dict:
        return {str(k): decode(v, args, depth + 1) for k, v in data["$d"].items()}
    if "$iter" in data:
        return iter([decode(v, args, depth + 1) for v in data["$iter"]])
    if "$tensor" in data:
        import torch

        inner = decode(data["$tensor"], args, depth + 1)
        if not isinstance(inner, np.ndarray):
            raise ValueError("a tensor that is not an array")
        return torch.as_tensor(inner)
    if "$param" in data:
        ref = data["$param"]
        if not (isinstance(ref, list) and len(ref) == 2 and type(ref[0]) is int and isinstance(ref[1], str)
                and 0 <= ref[0] < len(args) and hasattr(args[ref[0]], "named_parameters")):
            raise ValueError("a parameter of no model")
        params = dict(args[ref[0]].named_parameters())
        if ref[1] not in params:
            raise ValueError("a parameter of no model")
        return params[ref[1]]
    if "$schedule" in data:
        from lrcourse import schedules

        table = np.asarray(decode(data["$schedule"], args, depth + 1), dtype=float).reshape(-1)
        params = decode(data.get("params", {"$d": {}}), args, depth + 1)
        params = {k: v for k, v in params.items() if type(v) in (int, float, str, bool)} if isinstance(params, dict) else {}

        def tabulated(t, table=table):
            out = np.full(np.shape(t), np.nan)
            inside = t < len(table)
            out[inside] = table[t[inside]]
            return out

        return schedules.Schedule(tabulated, str(data.get("name", "schedule"))[:200], **params)
    if "$raise" in data:
        return learner_exception(data)
    if "$o" in data:
        return opaque(data["$o"])
    raise ValueError("unknown value tag")
