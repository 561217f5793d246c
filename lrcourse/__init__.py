"""lrcourse: learning rates in gradient-based optimization, from scratch in numpy.

Notebooks use one alias::

    import lrcourse as lrc
    bowl = lrc.landscapes.Quadratic.from_condition(kappa=10)
    result = lrc.run(bowl, lrc.Momentum(lr=0.1, momentum=0.5), x0=[2.0, 2.0], steps=100)

Importing the package needs numpy only: plotting (matplotlib), dashboards (ipywidgets)
and the PyTorch helpers are imported by their own modules when used.
"""

from . import threads

threads._apply_on_import()     # one compute thread per kernel unless asked otherwise (see threads.py)

from . import datasets, landscapes, schedules, sweeps, theory  # noqa: E402
from .optimizers import GD, Adadelta, Adagrad, Adam, AdamW, Momentum, Nesterov, RMSprop  # noqa: E402
from .run import Run, run  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "GD",
    "Momentum",
    "Nesterov",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "Adam",
    "AdamW",
    "run",
    "Run",
    "landscapes",
    "schedules",
    "sweeps",
    "theory",
    "threads",
    "datasets",
]
