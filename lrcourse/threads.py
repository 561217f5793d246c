"""How many compute threads the course's kernels use: one, unless the learner asks for more.

numpy's BLAS, PyTorch and the dashboards' PNG encoder each start as many threads as the
machine has cores. One kernel alone gains little from that on the course's small problems,
and two kernels on a shared machine (a workshop server, a laptop busy with something else)
then run more threads than there are cores and wait on each other: measured on a 2-core
machine, lesson 08 took 101 s beside another kernel and 19 s with one thread each.

``import lrcourse`` applies the setting, so every notebook gets it from its first cell:

- ``LRCOURSE_THREADS`` in the environment (before JupyterLab starts) sets the number for every
  kernel; unset, it is 1;
- ``lrc.threads.use(n)`` changes it for the running kernel; ``lrc.threads.count()`` reads it.

The setting reaches numpy's BLAS (through threadpoolctl, when it is installed: it comes with
scikit-learn), PyTorch (at once if it is imported, else through ``OMP_NUM_THREADS``, which
PyTorch reads when it is first imported) and the PNG encoder. Processes the kernel starts
inherit it through the usual variables (``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``,
``OPENBLAS_NUM_THREADS``).
"""

from __future__ import annotations

import os
import sys

__all__ = ["use", "count", "ENV"]

#: The environment variable that sets the number of threads for every kernel.
ENV = "LRCOURSE_THREADS"
_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
_count = 1
_limits = None       # threadpoolctl's limiter, kept so that the limit stays in force


def _from_environment() -> int:
    text = os.environ.get(ENV, "").strip()
    if not text:
        return 1
    try:
        n = int(text)
    except ValueError:
        raise ValueError(f"{ENV} must be a whole number of threads, at least 1 (this machine has "
                         f"{os.cpu_count() or 1} cores), got {text!r}") from None
    return _checked(n, ENV)


def _checked(n, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{name} must be a whole number of threads, at least 1, got {n!r}")
    return n


def use(n: int) -> int:
    """Use ``n`` compute threads in this kernel (numpy's BLAS, PyTorch, the PNG encoder) and
    in the processes it starts. Returns the number that was in force before."""
    global _count, _limits
    n = _checked(n, "n")
    before, _count = _count, n
    for name in _VARIABLES:
        os.environ[name] = str(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:        # numpy's BLAS then keeps the threads it started with
        pass
    else:
        _limits = threadpool_limits(limits=n)
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "set_num_threads"):
        torch.set_num_threads(n)
    return before


def count() -> int:
    """The number of compute threads the course uses in this kernel."""
    return _count


def _apply_on_import() -> None:
    """What ``import lrcourse`` does: the environment's setting (default 1), unless a variable
    such as OMP_NUM_THREADS was set by hand and LRCOURSE_THREADS was not."""
    if ENV not in os.environ and any(name in os.environ for name in _VARIABLES):
        # somebody chose a thread count for the libraries directly: respect it
        chosen = [int(os.environ[name]) for name in _VARIABLES if os.environ.get(name, "").isdigit()]
        if chosen:
            use(max(1, min(chosen)))
            return
    use(_from_environment())
