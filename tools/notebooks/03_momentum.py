# %% [markdown]
# # 03 · Momentum
#
# **After this notebook you will be able to**
# - write heavy-ball and Nesterov momentum, Nesterov in both of its common forms, and explain
#   them as a ball with mass,
# - read the (η, β) map: where momentum helps, where it overshoots, where it diverges,
# - compute the optimal pair (η*, β*) on a quadratic, check it against a measured map, and say
#   why it sits right next to divergence,
# - say when PyTorch's momentum convention differs from the textbook one,
# - test the popular claim "momentum rolls over small bumps" instead of repeating it.
#
# **Symbols.** β is the momentum coefficient (the `momentum=` argument of `lrc.Momentum` and
# `lrc.Nesterov`, and of PyTorch's `SGD`). The curvatures of a quadratic bowl lie between μ (the
# smallest) and L (the largest); κ = L/μ is its condition number. μ never means momentum here.

# %%
import numpy as np
import matplotlib.pyplot as plt
import lrcourse as lrc
from lrcourse import landscapes, plotting, schedules, theory, widgets

# %% [markdown]
# ## 1. Heavy ball
#
# Heavy ball (Polyak 1964): **Δw ← β·Δw − η·∇L(w); w ← w + Δw.** The velocity Δw
# remembers past gradients: along a direction where they agree it builds up to an effective
# step η/(1 − β); across a zig-zag they cancel. Too much mass (β near 1) and the ball rolls
# past the minimum and circles it.
#
# The dashboard: the path of heavy ball (vermillion, solid, squares) and plain GD at the same η (grey, dotted,
# crosses, drawn on top) on a bowl with
# κ = 50; the loss after 100 steps over a 100 × 100 grid of (η, β), computed in **one** broadcast
# call; and the theory's rate per step over the same grid. The dashed line is the stability
# boundary η = (2 + 2β)/L (section 3), the star the theory's optimum (section 2), the circle
# your slider position.

# %%
dash = widgets.momentum_explorer(kappa=50.0, lr=0.5, momentum=0.6, grid=100)
dash

# %% [markdown]
# ## 2. The optimal pair, by theory and by experiment
#
# On a quadratic with curvatures in [μ, L] the heavy-ball optimum is
# η* = (2/(√L + √μ))², β* = ((√κ − 1)/(√κ + 1))², with rate (√κ − 1)/(√κ + 1) per step,
# against (κ − 1)/(κ + 1) for the best plain GD. Compare with the best cell of the measured map:

# %%
bowl = landscapes.Quadratic.from_condition(50.0, L=1.0, angle=np.pi / 6)
lr_star, beta_star, rate_star = theory.heavy_ball_optimum(bowl.L, bowl.mu)
best = dash.grid.best()
print(f"theory:   η* = {lr_star:.3f}, β* = {beta_star:.3f}, rate {rate_star:.3f} per step")
print(f"measured: best cell η = {best['lr']:.3f}, β = {best['momentum']:.3f} "
      f"(loss {best['loss']:.1e} after {dash.grid.steps} steps)")
print(f"best GD rate for κ = {bowl.kappa:.0f}: {theory.best_gd_rate(bowl.kappa):.3f} per step")
close = abs(np.log(best["lr"] / lr_star)) < 0.2 and abs(best["momentum"] - beta_star) < 0.1
inside = best["lr"] < theory.momentum_stability_limit(bowl.L, best["momentum"])
print("VERDICT: the best measured cell " + ("lies close to" if close else "lies far from")
      + " the theory's optimum, " + ("inside" if inside else "outside") + " the stability boundary")

# %% [markdown]
# The measured cell is the best one for *this* start and a budget of 100 steps, while the theory
# optimises the rate per step, a statement about the long run; so the two agree closely but not
# exactly. The long run is not the whole story either: at (η*, β*) both ends of the spectrum
# are *critically damped* (a double root z), so the error there is (1 + c·t)·zᵗ rather than zᵗ.
# Counting steps to gain a factor 1000 at κ = 100, one eigen-direction at a time:

# %%
bowl100 = landscapes.Quadratic([1.0, 100.0])
lr100, beta100, rate100 = theory.heavy_ball_optimum(100.0, 1.0)
t = np.arange(400)
counts = {}
for axis, lam in enumerate(bowl100.eigenvalues):
    r = lrc.run(bowl100, lrc.Momentum(lr=lr100, momentum=beta100), np.eye(2)[axis], steps=399)
    measured = int(np.argmax(np.abs(r.xs[:, axis]) <= 1e-3))
    exact = int(np.argmax(np.abs(theory.heavy_ball_error(t, lr100, beta100, lam)) <= 1e-3))
    counts[lam] = (measured, exact)
    print(f"λ = {lam:>5}: measured {measured} steps, exact theory {exact}, rate-only estimate "
          f"{theory.iterations_to_reduce(rate100)}")
gd = lrc.run(bowl100, lrc.GD(lr=theory.best_gd_lr(100.0, 1.0)), [1.0, 1.0], steps=1000)
gd_steps = int(np.argmax(np.linalg.norm(gd.xs, axis=-1) <= np.sqrt(2) * 1e-3))
print(f"best plain GD from (1, 1): {gd_steps} steps")
agree = all(m == e for m, e in counts.values())
slower = all(e > theory.iterations_to_reduce(rate100) for _, e in counts.values())
print("VERDICT: measured counts " + ("match" if agree else "do not match") + " the exact theory; the rate alone "
      + ("underestimates" if slower else "does not underestimate") + " them; tuned heavy ball needs "
      + ("several times fewer" if max(m for m, _ in counts.values()) * 3 < gd_steps else "not many fewer")
      + " steps than tuned GD")

# %% [markdown]
# So the step count quoted from the rate alone is an asymptotic statement; the exact count at
# the optimum, printed above, is larger, and still several times smaller than gradient descent's.
#
# ## 3. The stability region, and why the optimum sits on its edge
#
# With 0 ≤ β < 1, heavy ball converges iff 0 < η·λ < 2 + 2β for every curvature λ: momentum
# *widens* the stable range of η. Checked at β = 0.5 on the κ = 50 bowl, just below and just above the limit:

# %%
limit = theory.momentum_stability_limit(bowl.L, 0.5)
ends = {}
for factor in [0.99, 1.01]:
    r = lrc.run(bowl, lrc.Momentum(lr=factor * limit, momentum=0.5), [-2.0, 1.5], steps=5000)
    ends[factor] = r
    print(f"η = {factor} × (2 + 2β)/L: {r.summary()}")
print("VERDICT: " + ("as the theory says, the run just below (2 + 2β)/L converges and the run just above diverges"
                     if not ends[0.99].diverged and ends[1.01].diverged else "the runs contradict the theory's limit"))

# %% [markdown]
# Now put the optimum next to that limit. At β* the limit is (2 + 2β*)/L, and a line of algebra
# (write both over (√κ + 1)²) gives
#
#   η* · L = 4κ/(√κ + 1)²,  (2 + 2β*) = 4(κ + 1)/(√κ + 1)²,  so  η* / limit(β*) = κ/(κ + 1).
#
# The optimal rate is a fraction κ/(κ + 1) of the largest stable one (printed below for a few κ),
# closer to 1 the worse the conditioning. Why: the flat direction wants η as large as possible,
# and η can grow until the steep direction is critically damped, at η*·L = (1 + √β*)². The
# stability limit 2 + 2β* = (1 + √β*)² + (1 − √β*)² lies only (1 − √β*)² = 4/(√κ + 1)² further
# on; over that sliver of η the steep direction's rate climbs from √β* to 1. On the maps above
# the star touches the dashed boundary. What a few percent of η do there, from four random
# starts:

# %%
for kappa in [10, 50, 1000]:
    lr_k, beta_k, _ = theory.heavy_ball_optimum(1.0, 1.0 / kappa)
    print(f"κ = {kappa:>4}: η* / limit(β*) = {lr_k / theory.momentum_stability_limit(1.0, beta_k):.4f}"
          f"  (κ/(κ + 1) = {kappa / (kappa + 1):.4f})")
rng = np.random.default_rng(lrc.sweeps.seeds(1)[0])
starts = rng.standard_normal((4, 2))
factors = np.array([0.5, 0.8, 0.9, 1.0, 1.05])
edge = lrc.run(bowl, lrc.Momentum(lr=lr_star * factors[:, None, None], momentum=beta_star), starts, 3000)
dist = np.linalg.norm(edge.xs, axis=-1)
hit = dist <= 1e-6 * dist[0]
need = np.where(hit.any(0), hit.argmax(0), -1)              # (factor, start); -1: never
for f, n, div in zip(factors, need, edge.diverged):
    rate = theory.heavy_ball_rate(f * lr_star, beta_star, [bowl.mu, bowl.L])
    got = ("diverges from every start" if div.all() else "does not get there within 3000 steps" if (n < 0).any()
           else f"{n.mean():.0f} ± {n.std():.0f} steps to shrink the error 10⁶× (mean ± sd over starts)")
    print(f"η = {f:>4} × η*: rate {rate:.3f} per step, {got}")
small_ok = not edge.diverged[factors < 1].any()
print("VERDICT: " + ("a few percent above η* every run diverges, while rates well below η* still converge, only more slowly"
                     if edge.diverged[factors > 1].all() and small_ok else "the edge is not where the theory puts it"))

# %% [markdown]
# **What this means in practice.** The loss-against-η curve of a tuned method is a cliff on one
# side and a gentle slope on the other: a rate 20 % below the optimum costs a modest number of
# extra steps, a rate 5 % above it costs the whole run. On a real model L is not known exactly,
# it is estimated from noisy mini-batches, and it changes during training. So the "best" value of
# a sweep is best only on the problem it was measured on; use a somewhat smaller η than the
# sweep's winner (or a smaller β), and re-tune when the batch size, the model or the data change.
#
# ## 4. PyTorch's convention
#
# PyTorch keeps a buffer of gradients, b ← β·b + g, and steps w ← w − η·b. With a constant η
# that is the heavy ball with Δw = −η·b. Under a schedule they differ: the heavy-ball velocity
# carries the *old* step sizes, PyTorch's buffer is multiplied by the *new* η. A step schedule
# drops η tenfold after 30 updates (the 31st update is the first at the low rate):

# %%
sched = schedules.step_lr(0.02, gamma=0.1, step_size=30)
paths = {c: lrc.run(bowl, lrc.Momentum(lr=sched, momentum=0.9, convention=c), [-2.0, 1.5], steps=60)
         for c in ("heavy_ball", "pytorch")}
size = {c: np.linalg.norm(np.diff(r.xs, axis=0), axis=-1) for c, r in paths.items()}   # size[c][t]: update t + 1
for t in [28, 29, 30, 31, 32, 40]:
    print(f"update {t + 1:>2} (η = {paths['pytorch'].lrs[t]:.3f}): |Δw| heavy ball {size['heavy_ball'][t]:.2e}, "
          f"PyTorch {size['pytorch'][t]:.2e}")
same_before = np.allclose(size["heavy_ball"][:30], size["pytorch"][:30], rtol=1e-10)
drop = {c: size[c][30] / size[c][29] for c in size}
print("VERDICT: " + ("the two conventions take identical steps while η is constant; " if same_before else
                     "the conventions differ even at a constant η; ")
      + ("after the drop PyTorch's step shrinks about tenfold at once, the heavy ball's only gradually"
         if 0.05 < drop["pytorch"] < 0.2 and drop["heavy_ball"] > 0.5 else "after the drop both shrink alike"))


# %% [markdown]
# ## 5. Nesterov's look-ahead
#
# Sutskever et al. (2013) write Nesterov's method as the heavy ball with the gradient taken where
# the velocity is about to carry the point, not where it is:
#
#   **v ← β·v − η·∇L(x + β·v);  x ← x + v.**
#
# Libraries prefer to evaluate the gradient at the parameters they store, so they store the
# look-ahead point p = x + β·v instead of x. Substituting x = p − β·v into the two lines gives
#
#   v ← β·v − η·∇L(p);  p ← p + β·v − η·∇L(p)   (with the new v),
#
# which is what `lrc.Nesterov` does in its default (heavy-ball) convention, with Δ = v. PyTorch's
# `SGD(momentum=β, nesterov=True)` stores a buffer b of gradients instead (b = −v/η at a constant
# η):
#
#   b ← β·b + ∇L(p);  p ← p − η·(∇L(p) + β·b),
#
# which is `lrc.Nesterov(convention="pytorch")`; `tests/test_torch_parity.py` checks it against
# PyTorch itself. Three ways of writing one method: from rest (v = b = 0, so p = x at the start)
# they must produce the same look-ahead points p_t = x_t + β·v_t at every step. The experiment,
# on the bowl and on Rosenbrock's curved valley (not a quadratic, so nothing here relies on
# linearity):

# %%
def look_ahead(grad, lr, beta, x0, steps):
    # Sutskever et al.'s form; returns x_t and v_t for t = 0 … steps
    x, v = np.array(x0, dtype=float), np.zeros(len(x0))
    xs, vs = [x], [v]
    for _ in range(steps):
        v = beta * v - lr * grad(x + beta * v)
        x = x + v
        xs.append(x)
        vs.append(v)
    return np.array(xs), np.array(vs)


gaps = []
for land, lr, beta, x0 in [(bowl, 0.5, 0.9, [-2.0, 1.5]), (landscapes.Rosenbrock(), 1e-3, 0.9, [-1.5, 2.0])]:
    xs, vs = look_ahead(land.grad, lr, beta, x0, 200)
    ours = lrc.run(land, lrc.Nesterov(lr=lr, momentum=beta), x0, 200).xs
    torch_form = lrc.run(land, lrc.Nesterov(lr=lr, momentum=beta, convention="pytorch"), x0, 200).xs
    gaps.append((np.abs(ours - (xs + beta * vs)).max(), np.abs(torch_form - ours).max(), np.abs(ours - xs).max()))
    print(f"{land.name:>10}: max |p_t − (x_t + β·v_t)| = {gaps[-1][0]:.1e}, max |PyTorch form − lrc.Nesterov| = "
          f"{gaps[-1][1]:.1e}; without the change of variables, max |p_t − x_t| = {gaps[-1][2]:.2f}")
print("VERDICT: " + ("the look-ahead form, lrc.Nesterov and the PyTorch form give the same points up to the change "
                     "of variables p = x + β·v" if all(a < 1e-9 and b < 1e-9 for a, b, _ in gaps)
                     else "the three forms do not agree"))

# %% [markdown]
# ### What the look-ahead changes
#
# On a quadratic the error along a curvature λ obeys, for Nesterov,
# e_{t+1} = (1 + β)(1 − η·λ)·e_t − β(1 − η·λ)·e_{t−1}, against
# e_{t+1} = (1 + β − η·λ)·e_t − β·e_{t−1} for the heavy ball: the momentum term is multiplied by
# (1 − η·λ). In a steep direction, where η·λ is near 1, the gradient at the look-ahead point
# already cancels most of the velocity, so Nesterov brakes where the heavy ball overshoots. The
# price is a smaller stable range: Nesterov converges iff 0 < η·λ < (2 + 2β)/(1 + 2β), a limit
# that *shrinks* from 2 towards 4/3 as β grows, while the heavy ball's 2 + 2β grows.
#
# The dashboard puts both on the κ = 50 bowl. Top left: both paths at your (η, β). Top right:
# each at its own optimum for curvatures in [μ, L] (`theory.heavy_ball_optimum`,
# `theory.nesterov_optimum`, Lessard, Recht & Packard 2016). Bottom left: distance to the minimum
# for all four runs. Bottom right: where each method converges, measured over a 70 × 70 grid of
# (η, β) in one broadcast run per method, with the two theoretical boundaries as lines (dashed:
# heavy ball; dotted: Nesterov). Try β = 0.9 with η from 0.3 to 1.2: across the valley (the steep direction) the heavy ball keeps
# zig-zagging while Nesterov's zig-zag dies out much sooner; along the valley (the flat direction,
# where η·λ is tiny and the look-ahead changes little) both still swing, which gives the slow dips
# of the distance curves. The look-ahead brakes the steep direction only; the second cell below
# the dashboard measures both directions.

# %%
nest = widgets.nesterov_paths(kappa=50.0, lr=0.5, momentum=0.9, grid=70)
nest

# %%
reg = nest.region
print(f"{'β':>5} {'largest converging η: heavy ball':>34} {'(theory)':>9} {'Nesterov':>9} {'(theory)':>9}")
largest = {}
for b in [0.0, 0.5, 0.9]:
    j = int(np.argmin(np.abs(reg["momentum"] - b)))
    beta_j = reg["momentum"][j]
    largest[b] = [reg["lr"][reg[name][:, j]].max() for name in ("heavy ball", "Nesterov")]
    print(f"{beta_j:>5.2f} {largest[b][0]:>34.2f} {theory.momentum_stability_limit(1.0, beta_j):>9.2f} "
          f"{largest[b][1]:>9.2f} {theory.nesterov_stability_limit(1.0, beta_j):>9.2f}")
print(f"grid cells where only Nesterov converges: {int(np.sum(reg['Nesterov'] & ~reg['heavy ball']))}")
widens = largest[0.9][0] > largest[0.0][0]
narrows = largest[0.9][1] < largest[0.0][1]
print("VERDICT: more momentum " + ("widens" if widens else "does not widen") + " the heavy ball's stable range of η and "
      + ("narrows" if narrows else "does not narrow") + " Nesterov's, as measured on the grid")

# %%
# the dashboard's bowl and start at β = 0.9, each path split along the bowl's two axes
flat_axis, steep_axis = np.linalg.eigh(bowl.hessian(np.zeros(2)))[1].T          # smallest curvature first
print("β = 0.9, 100 steps from the dashboard's start")
shrinks, alike = True, True
for lr in [0.3, 0.6, 1.2]:
    across, turns = {}, {}
    for name, cls in [("heavy ball", lrc.Momentum), ("Nesterov", lrc.Nesterov)]:
        xs = lrc.run(bowl, cls(lr=lr, momentum=0.9), [-2.0, 1.5], 100).xs
        steep_part, flat_part = xs @ steep_axis, xs @ flat_axis
        across[name] = np.abs(steep_part[21:31]).max() / np.abs(steep_part[0])
        turns[name] = int(np.sum(np.diff(np.sign(flat_part)) != 0))
    shrinks &= across["Nesterov"] < 0.1 * across["heavy ball"]
    alike &= turns["Nesterov"] == turns["heavy ball"] > 0
    print(f"η = {lr}: largest swing across the valley in steps 21–30, as a share of the start's: heavy ball "
          f"{across['heavy ball']:.1e}, Nesterov {across['Nesterov']:.1e};  sign changes along the valley in "
          f"100 steps: heavy ball {turns['heavy ball']}, Nesterov {turns['Nesterov']}")
print("VERDICT: at β = 0.9 Nesterov's swing across the valley " + ("dies out far sooner than" if shrinks else
      "does not die out far sooner than") + " the heavy ball's at every η tried; along the valley both "
      + ("swing alike" if alike else "do not swing alike"))


# %% [markdown]
# ### Which is faster? Steps to a tolerance against κ
#
# A 2-D bowl flatters Nesterov: with η = 1/L it wipes out the steep direction in one step
# (1 − η·L = 0), a trick that stops working as soon as the curvatures fill an interval. So the
# race runs on a 6-D bowl with curvatures spread evenly (on a log scale) over [1/κ, 1]. Each
# method is tuned on its own: η over the same 20-point grid, β over the same 24-point grid
# (GD has β = 0), and it keeps the pair with the fewest mean steps to shrink the distance to the
# minimum 1000× from four random starts. The tuned pairs then count their steps from 32 *fresh* random
# starts, the same starts for every method. Each grid is one broadcast call.

# %%
def steps_to_shrink(xs, factor=1e-3):
    # first step at which the distance to the minimum (the origin) is below factor × the start's
    dist = np.linalg.norm(xs, axis=-1)
    hit = dist <= factor * dist[0]
    return np.where(hit.any(0), hit.argmax(0), np.inf)


rng = np.random.default_rng(lrc.sweeps.seeds(1)[0])
KAPPAS, D = [10, 100, 1000], 6
grid_lr, grid_beta = np.geomspace(0.3, 4.0, 20), 1 - np.geomspace(1.0, 0.02, 24)   # β from 0 to 0.98
methods = {"GD": (lambda lr, momentum: lrc.GD(lr=lr), np.zeros(1)), "heavy ball": (lrc.Momentum, grid_beta),
           "Nesterov": (lrc.Nesterov, grid_beta)}
race = {}
for kappa in KAPPAS:
    bowl6 = landscapes.Quadratic(np.geomspace(1 / kappa, 1.0, D))
    tune, test = rng.standard_normal((4, D)), rng.standard_normal((32, D))
    for name, (cls, betas) in methods.items():
        cap = int(5 * kappa if name == "GD" else 8 * np.sqrt(kappa))        # a run needing more counts as never
        r = lrc.run(bowl6, cls(lr=grid_lr[:, None, None, None], momentum=betas[None, :, None, None]), tune, cap)
        i, j = np.unravel_index(np.argmin(steps_to_shrink(r.xs).mean(-1)), (grid_lr.size, betas.size))
        n = steps_to_shrink(lrc.run(bowl6, cls(lr=grid_lr[i], momentum=betas[j]), test, cap).xs)
        race[kappa, name] = n
        print(f"κ = {kappa:>4}  {name:<10}  tuned η = {grid_lr[i]:.2f}, β = {betas[j]:.2f}:  "
              f"{n.mean():7.1f} ± {n.std():5.1f} steps (mean ± sd over 32 starts; cap {cap} steps, "
              f"reached by {int(np.isinf(n).sum())} of them)")
    lr_nag, beta_nag, _ = theory.nesterov_optimum(1.0, 1 / kappa)
    lr_hb, beta_hb, _ = theory.heavy_ball_optimum(1.0, 1 / kappa)
    print(f"            theory's optima: heavy ball η = {lr_hb:.2f}, β = {beta_hb:.2f}; "
          f"Nesterov η = {lr_nag:.2f}, β = {beta_nag:.2f}")


# %%
def compare(a, b):
    # paired difference b − a over the same starts: mean, sd, and the words for it
    d = race[b] - race[a]
    se = d.std() / np.sqrt(d.size)
    word = "fewer steps than" if d.mean() > 2 * se else ("more steps than" if d.mean() < -2 * se else "about as many steps as")
    return d.mean(), d.std(), word


words = {}
for kappa in KAPPAS:
    for a, b in [((kappa, "heavy ball"), (kappa, "Nesterov")), ((kappa, "Nesterov"), (kappa, "GD"))]:
        m, s, w = compare(a, b)
        words[a[1], b[1], kappa] = w
        print(f"κ = {kappa:>4}: {b[1]} − {a[1]} = {m:6.1f} ± {s:5.1f} steps "
              f"(mean ± sd of the start-by-start differences, same 32 starts)")
slopes = {name: np.polyfit(np.log(KAPPAS), np.log([race[k, name].mean() for k in KAPPAS]), 1)[0] for name in methods}
print("growth exponent p in steps ∝ κ^p: " + ", ".join(f"{n} {p:.2f}" for n, p in slopes.items()))


def growth(p):
    return "about like κ" if 0.8 < p < 1.2 else ("about like √κ" if 0.35 < p < 0.65 else "with another power of κ")


print(f"VERDICT: tuned GD needs steps growing {growth(slopes['GD'])}; tuned heavy ball's grow "
      f"{growth(slopes['heavy ball'])}, tuned Nesterov's {growth(slopes['Nesterov'])}")


def at_every_kappa(a, b):
    # one phrase if the comparison came out the same at every κ, else say that it depends on κ
    found = {words[a, b, k] for k in KAPPAS}
    return (f"{found.pop()} tuned {b} at every κ tried" if len(found) == 1
            else f"fewer or more steps than tuned {b}, depending on κ")


print(f"VERDICT: on these quadratics tuned heavy ball needs {at_every_kappa('heavy ball', 'Nesterov')}")
print(f"VERDICT: tuned Nesterov needs {at_every_kappa('Nesterov', 'GD')}")


# %% [markdown]
# So on quadratics the tuned heavy ball is the faster of the two, as the theory's rates predict
# ((√κ − 1)/(√κ + 1) against 1 − 2/√(3κ + 1)); both need steps growing like √κ, gradient descent
# like κ. Then why is Nesterov's method the famous one? Because of a proof: with η = 1/L and
# β = (√κ − 1)/(√κ + 1) it converges at a rate of about 1 − 1/√κ per step on **every** function
# whose curvature stays between μ and L (Nesterov 1983; 2004), not only on quadratics. The heavy
# ball's tuning comes from quadratics alone, and Lessard, Recht & Packard (2016) give a
# one-dimensional function with curvature between μ = 1 and L = 25 (piecewise quadratic, so
# strongly convex and smooth) on which the heavy ball, at the pair that is optimal for quadratics
# with those curvatures, never converges from some starts. Run it from 1001 starts spaced evenly
# over [−5, 5], against Nesterov at its quadratic optimum and at the textbook pair:

# %%
def lessard(x):
    # f' = 25u (u < 1), u + 24 (1 ≤ u < 2), 25u − 24 (u ≥ 2): f'' is 25, 1, 25, so μ = 1, L = 25
    u = np.asarray(x, dtype=float)[..., 0]
    grad = np.where(u < 1, 25 * u, np.where(u < 2, u + 24, 25 * u - 24))
    value = np.where(u < 1, 12.5 * u * u, np.where(u < 2, 0.5 * u * u + 24 * u - 12, 12.5 * u * u - 24 * u + 36))
    return value, grad[..., None]


x0s = np.linspace(-5, 5, 1001)[:, None]
hb_pair, nag_pair = theory.heavy_ball_optimum(25.0, 1.0)[:2], theory.nesterov_optimum(25.0, 1.0)[:2]
hb = lrc.run(lessard, lrc.Momentum(lr=hb_pair[0], momentum=hb_pair[1]), x0s, 600)
runs = {"heavy ball, quadratic optimum": hb,
        "Nesterov, quadratic optimum": lrc.run(lessard, lrc.Nesterov(lr=nag_pair[0], momentum=nag_pair[1]), x0s, 600),
        "Nesterov, η = 1/L, β = (√κ − 1)/(√κ + 1)": lrc.run(lessard, lrc.Nesterov(lr=1 / 25, momentum=4 / 6), x0s, 600)}
stuck = {name: np.abs(r.x[:, 0]) > 1e-6 for name, r in runs.items()}
for name, s in stuck.items():
    print(f"{name:>41}: {s.mean():.1%} of the starts not within 1e-6 of the minimum after 600 steps")
stuck["heavy ball"] = stuck["heavy ball, quadratic optimum"]
nesterov_fails = stuck["Nesterov, quadratic optimum"].any() or stuck["Nesterov, η = 1/L, β = (√κ − 1)/(√κ + 1)"].any()
k = int(np.argmax(stuck["heavy ball"]))
print(f"heavy ball from x0 = {x0s[k, 0]:.2f}, last six points: {np.round(hb.xs[-6:, k, 0], 3)}")
cycles = stuck["heavy ball"] & (np.abs(hb.xs[-1, :, 0] - hb.xs[-4, :, 0]) < 1e-9)    # back where it was 3 steps ago
print(f"stuck heavy-ball runs on a cycle of period 3: {cycles.sum()} of {stuck['heavy ball'].sum()}")
print("VERDICT: " + ("on this strongly convex function the heavy ball tuned for quadratics cycles for ever from some "
                     "starts, while Nesterov, at either pair, converges from every start"
                     if cycles.any() and not nesterov_fails else
                     "the heavy ball does not cycle here, or Nesterov fails too"))

# %% [markdown]
# The heavy ball settles into a cycle of three points: its momentum keeps throwing it across the
# kinks at u = 1 and u = 2, where the curvature jumps. The lesson: on a quadratic, a tuned heavy
# ball is faster; on anything else its tuning from quadratic theory carries no guarantee, while
# Nesterov's textbook tuning does.
#
# ## 6. Does momentum "roll over small bumps"?
#
# A common picture: momentum carries the ball through shallow dents that would trap plain
# gradient descent, so it ends in deeper minima. Test it on `landscapes.MultiWell`: a wide bowl
# with three Gaussian dents, the deepest (lower right in the picture below) and two shallower
# ones.
#
# The experiment, in **one** broadcast call: 4 seeds × 48 random starts spread uniformly over the
# window; GD (β = 0) and the heavy ball with β = 0.5 and β = 0.9, each at the same 8 rates from
# 0.03 to 0.6; 300 steps. A run *ended in* a well only if it **settled**: it did not diverge, its last 20
# points lie within 10⁻³ of its final point, the gradient there is below 10⁻³, and that point is
# within 0.1 of the well's minimum. Runs still moving count as "not settled", never as a well.

# %%
wells = landscapes.MultiWell()
print("minima (deepest first):", np.round(wells.minimizers, 2).tolist(), "values", np.round(wells.value(wells.minimizers), 2))
gd_limits = 2 / np.linalg.eigvalsh(wells.hessian(wells.minimizers)).max(-1)     # 2/λ_max at each minimum
print("GD can settle in a minimum only at η below 2/λ_max there (λ_max its largest curvature):",
      np.round(gd_limits, 2).tolist())


def ended_in(r, land, k=20, radius=1e-3, gtol=1e-3, near=0.1):
    # index of the minimum (deepest first) each run settled in; -1 for runs that did not settle there
    last = r.xs[-k:]
    still = np.max(np.linalg.norm(last - r.xs[-1], axis=-1), axis=0) < radius
    flat = np.linalg.norm(land.grad(np.nan_to_num(r.xs[-1])), axis=-1) < gtol
    settled = (r.diverged_at < 0) & still & flat
    d = np.linalg.norm(r.xs[-1][..., None, :] - land.minimizers, axis=-1)
    return np.where(settled & (d.min(-1) < near), d.argmin(-1), -1)


SEEDS = lrc.sweeps.seeds(4)
starts = np.stack([np.random.default_rng(s).uniform(-3, 3, (48, 2)) for s in SEEDS])   # (seed, start, 2)
well_lrs, well_betas = np.geomspace(0.03, 0.6, 8), np.array([0.0, 0.5, 0.9])
r = lrc.run(wells, lrc.Momentum(lr=well_lrs[:, None, None, None, None],
                                momentum=well_betas[None, :, None, None, None]), starts, 300)
end = ended_in(r, wells)                     # (η, β, seed, start)
deep = (end == 0).mean(-1)                   # share ending in the deepest well, per seed
moving = (end == -1).mean(-1)                # share not settled anywhere
print(f"{end.size} runs; share per (η, β) is a mean over {len(SEEDS)} seeds of {starts.shape[1]} starts each")

# %%
fig, (ax_map, ax) = plt.subplots(1, 2, figsize=(13, 3.8), gridspec_kw={"width_ratios": [1, 2.2]})
plotting.contours(ax_map, wells)
for name, m in zip(["deepest", "middle", "shallowest"], wells.minimizers):
    ax_map.annotate(name, m, xytext=(6, 6), textcoords="offset points", fontsize=8)
ax_map.set_title("MultiWell: the three minima", fontsize=9)
settled, unsettled = [], []
for j, (b, color, marker) in enumerate(zip(well_betas, ["0.3", plotting.SERIES[0], plotting.SERIES[1]], "os^")):
    label = "GD (β = 0)" if b == 0 else f"heavy ball, β = {b:g}"
    settled.append(ax.errorbar(well_lrs, deep[:, j].mean(-1), yerr=deep[:, j].std(-1), color=color, marker=marker,
                               capsize=3, label=label + ": settled in deepest well"))
    unsettled += ax.plot(well_lrs, moving[:, j].mean(-1), ls=(0, (1, 1.5 + j)), marker=marker, mfc="none", ms=7,
                         color=color, label=label + ": not settled (open markers)")
ax.set(xscale="log", xlabel="learning rate η", ylabel="share of runs (mean ± sd over seeds)", ylim=(-0.02, 1.02))
ax.set_xticks(well_lrs, [f"{v:.2g}" for v in well_lrs], minor=False)
ax.minorticks_off()
ax.legend(handles=settled + unsettled, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
fig.tight_layout()
plt.show()

# %%
best = deep.mean(-1).argmax(0)               # each method's own best rate
for j, b in enumerate(well_betas):
    i = best[j]
    print(f"β = {b:<3g} best η = {well_lrs[i]:.3f}: deepest well {deep[i, j].mean():.2f} ± {deep[i, j].std():.2f}, "
          f"not settled {moving[i, j].mean():.2f}")
gd_end = end[best[0], 0]
for j in (1, 2):
    diff = deep[best[j], j] - deep[best[0], 0]                       # paired: same starts
    hb_end = end[best[j], j]
    won = ((gd_end > 0) & (hb_end == 0)).sum(-1) / np.maximum((gd_end > 0).sum(-1), 1)
    lost = ((gd_end == 0) & (hb_end != 0)).sum(-1) / np.maximum((gd_end == 0).sum(-1), 1)
    print(f"β = {well_betas[j]:g} minus GD, each at its best η: {diff.mean():+.2f} ± {diff.std():.2f};  of the runs GD "
          f"ends in a shallower well, momentum brings {won.mean():.2f} ± {won.std():.2f} to the deepest; of those GD "
          f"ends in the deepest, momentum loses {lost.mean():.2f} ± {lost.std():.2f}")
    real = abs(diff.mean()) > 2 * diff.std() / np.sqrt(diff.size) and abs(diff.mean()) > 0.02
    verdict = ("more often than" if diff.mean() > 0 else "less often than") if real else "about as often as"
    print(f"VERDICT: heavy ball with β = {well_betas[j]:g}, at its best rate, settles in the deepest well {verdict} GD "
          f"at its best rate")

# %% [markdown]
# **What the experiment says.** GD's share of the deepest well is flat in η for as long as GD
# settles at all; above the largest 2/λ_max printed with the minima it settles nowhere. Momentum changes the answer only **sometimes**: with a little momentum (β = 0.5) the
# runs end where GD's end; with a lot (β = 0.9) and a rate in a middle band, momentum carries a
# good share of the runs that GD leaves in a shallower well on to the deepest one, but it also
# carries some of the runs that GD brings to the deepest well away from it (the lines above give
# both shares), and at the smallest rates it does no better than GD. The reason is not magic: β = 0.9
# multiplies the effective step on a steady slope by 1/(1 − β) = 10 while the stable range in a
# well grows to η·λ < 2 + 2β, so momentum can move far *and* still settle, which GD cannot. On
# another landscape the same mechanism can just as well carry a run past the deepest well; a
# claim like this has to be checked on the problem at hand.
#
# ## Recap
# - Heavy ball: Δw ← βΔw − η∇L, w ← w + Δw; effective step η/(1 − β) along steady slopes.
# - Stable iff η·λ < 2 + 2β; optimum (η*, β*) gives rate (√κ − 1)/(√κ + 1): steps grow like
#   √κ instead of κ. The optimum sits at a fraction κ/(κ + 1) of the stability limit: back off a
#   little from a sweep's winner in practice.
# - The (η, β) map is a valley: too little momentum is slow, too much rings.
# - PyTorch's momentum equals the heavy ball only while η is constant.
# - Nesterov = heavy ball with the gradient at the look-ahead point; the look-ahead form, the
#   library form and PyTorch's form are one method in different variables. It brakes in steep
#   directions, has a *narrower* stable range, is slower than a tuned heavy ball on quadratics,
#   and keeps its guarantee where the heavy ball's fails.
# - "Momentum rolls over small bumps": sometimes, with enough momentum and the right rate,
#   and it can roll out of good wells too. Measure it.
#
# **Exercise:** [exercises/03_momentum](../exercises/03_momentum/03_momentum.ipynb) (the momentum step in both conventions, the optimal (η, β)). Each task checks itself when you run its test cell; `hint("03.1")` helps when you are stuck.
# **Next:** [04_schedules](04_schedules.ipynb).
