# %% [markdown]
# # 00 · Start here
#
# **After this notebook you will be able to**
# - check that your environment has everything the course needs,
# - use the sliders that every later notebook is built on,
# - find your way around the course.
#
# The course is about one number, the **learning rate** η, and everything it touches:
# how fast a run converges, whether it converges at all, and how to choose η for a real
# network. Every idea comes with a plot you can move with a slider, and every claim is
# checked by running the experiment right here.

# %% [markdown]
# ## 1. Environment check
#
# The cell below prints the versions of the packages the course uses. If an import fails,
# run `make lab` again from the course folder: it installs everything.

# %%
import importlib
import os
import platform

import lrcourse as lrc

print(f"Python      {platform.python_version()}")
for name in ["numpy", "matplotlib", "ipywidgets", "torch", "lrcourse"]:
    module = importlib.import_module(name)
    print(f"{name:<11} {module.__version__}")
print(f"compute threads per kernel: {lrc.threads.count()} (of {os.cpu_count()} cores)")

# %% [markdown]
# **One compute thread per kernel.** `import lrcourse` limits numpy, PyTorch and the dashboards
# to one compute thread. The course's problems are small, so one kernel gains little from more,
# while two kernels on a shared machine (a workshop server, or a laptop that is busy with
# something else) that each start a thread per core wait on each other and slow down several
# times. To use more threads in this kernel, run `lrc.threads.use(4)`; to change it for every
# kernel, set `LRCOURSE_THREADS=4` in the environment before starting JupyterLab.

# %% [markdown]
# ## 2. Does a widget render?
#
# Drag the slider. The text next to it should follow. If you see "Error displaying widget"
# or nothing at all, your JupyterLab is missing the widget extension: restart JupyterLab
# from `make lab`.
#
# Learning rates span several decades (1e-4 to 1), so the course puts them on a
# **logarithmic slider**: equal distances on the slider are equal *factors* in η.

# %%
import ipywidgets as widgets

lr_slider = widgets.FloatLogSlider(value=0.01, base=10, min=-4, max=0, step=0.1,
                                   description="η", readout_format=".1e")
echo = widgets.Label()

def show(change=None):
    echo.value = f"one step moves w by η·|∇L| = {lr_slider.value:.2e} × |∇L|"

lr_slider.observe(show, names="value")
show()
widgets.HBox([lr_slider, echo])

# %% [markdown]
# ## 3. Your first run
#
# `lrcourse` (imported as `lrc`) holds everything the notebooks compute with: landscapes,
# optimizers, schedules and one loop, `lrc.run`, that records a whole run. Here is plain
# gradient descent, w ← w − η·∇L(w), on the parabola L(w) = w²/2 for three rates.

# %%
import matplotlib.pyplot as plt
from lrcourse import plotting

parabola = lrc.landscapes.Parabola(curvature=1.0)
fig, ax = plt.subplots(figsize=(6.4, 3.4))
for i, lr in enumerate([0.1, 1.5, 2.5]):
    result = lrc.run(parabola, lrc.GD(lr=lr), x0=[2.0], steps=30)
    print(f"η = {lr:>4}: {result.summary()}")
    plotting.loss_curve(ax, result.losses, label=f"η = {lr}", **plotting.style(i, marker=True))
ax.set_title("loss at each step (a curve stops where its run diverged)")
plotting.legend(ax)
plt.show()

# %% [markdown]
# One rate creeps, one overshoots but still settles (w changes sign at every step, which the
# loss does not show), one blows up. Notebook 01 explains exactly where the line between them
# lies (here: η = 2, from the curvature).
#
# ## 4. Course map
#
# | notebook | what you learn |
# |---|---|
# | [01 what is a learning rate](01_what_is_a_learning_rate.ipynb) | GD step, too small / right / too large, the 2/L limit, zig-zag in a narrow bowl |
# | [02 curvature, Newton, line search](02_curvature_newton_line_search.ipynb) | η as a stand-in for the inverse Hessian, Newton's step, Armijo backtracking |
# | [03 momentum](03_momentum.ipynb) | heavy ball and Nesterov, the (η, β) map (β: momentum), the optimal pair, PyTorch's convention |
# | [04 schedules](04_schedules.ipynb) | decays, cosine, restarts, cyclic, warm-up, one-cycle, reduce-on-plateau |
# | [05 adaptive methods](05_adaptive_methods.ipynb) | Adagrad, Adadelta, RMSprop, Adam, AdamW |
# | [06 LR range test](06_lr_range_test.ipynb) | finding a rate from one short run |
# | [07 search and early stopping](07_search_and_early_stopping.ipynb) | grid vs random search, reading loss curves |
# | [08 PyTorch in practice](08_pytorch_in_practice.ipynb) | a CNN and an LSTM, layer-wise rates, batch size and warm-up |
# | [09 measured tables](09_measured_tables.ipynb) | rates against speed, accuracy, time and robustness |
# | [10 claims put to the test](10_claims_put_to_the_test.ipynb) | popular claims checked by experiment; the edge of stability |
#
# Each lesson from 01 to 08 has an exercise in `exercises/`: functions to write, each with a test cell that
# checks it at once and says what is wrong, `hint(...)` in stages and `solution(...)` when you are stuck.
#
# ## Recap
# - `make lab` opens the course; `make test` checks that everything runs.
# - Learning rates live on log sliders.
# - `lrc.run` runs an optimizer on a landscape and reports where and when a run diverges.
#
# **Next:** [01_what_is_a_learning_rate](01_what_is_a_learning_rate.ipynb).
