"""Synthetic ranking problems with a known truth: `make_ranking_problem`."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.utils import Bunch, check_random_state

from .._sklearn_compat import Interval, StrOptions, validate_params
from ..base import Task
from ..base._numeric import class_means

__all__ = ["make_ranking_problem"]

_FORMS = ("linear", "set_max", "set_min")


def _check_n_way(n_way) -> tuple[int, int]:
    pair = (n_way, n_way) if isinstance(n_way, Integral) else tuple(n_way)
    lo, hi = pair if len(pair) == 2 else (None, None)
    if not (isinstance(lo, Integral) and isinstance(hi, Integral) and 2 <= lo <= hi):
        raise ValueError(
            f"n_way must be an int >= 2 or a pair (low, high) of ints with 2 <= low <= high, "
            f"got {n_way!r}."
        )
    return int(lo), int(hi)


def _standardize(values: np.ndarray) -> np.ndarray:
    """Unit standard deviation over the whole matrix (a constant matrix becomes zeros)."""
    centred = values - values.mean()
    sd = centred.std()
    return centred / sd if sd > 0 else np.zeros_like(values)


@validate_params(
    {
        "n_tasks": [Interval(Integral, 1, None, closed="left")],
        "n_models": [Interval(Integral, 2, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "n_way": [Interval(Integral, 2, None, closed="left"), tuple, list],
        "n_shot": [Interval(Integral, 1, None, closed="left")],
        "quality": [Interval(Real, 0, None, closed="left")],
        "interaction": [Interval(Real, 0, None, closed="left")],
        "interaction_form": [StrOptions(set(_FORMS))],
        "model_specific": [Interval(Real, 0, None, closed="left")],
        "n_model_features": [Interval(Integral, 0, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "proxy_noise": [Interval(Real, 0, None, closed="left")],
        "cluster_std": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_ranking_problem(
    *,
    n_tasks: int = 250,
    n_models: int = 20,
    n_features: int = 64,
    n_way: int | tuple[int, int] = (4, 16),
    n_shot: int = 10,
    quality: float = 1.0,
    interaction: float = 0.0,
    interaction_form: Literal["linear", "set_max", "set_min"] = "linear",
    model_specific: float = 0.0,
    n_model_features: int = 16,
    noise: float = 0.15,
    proxy_noise: float = 0.2,
    cluster_std: float = 1.0,
    random_state: int | np.random.RandomState | None = None,
) -> Bunch:
    """Generate a problem of ranking pre-trained models (PTMs), with a known truth.

    Each task is a labelled set of samples seen through a general encoder; each PTM's
    performance on it is drawn from a model whose parts are known, so every ranker can be
    measured against the truth and against what any ranker could reach. Accuracies are

    ``performance[t, m] = 100 * sigmoid(b_t + (quality * q_m + interaction * s[t, m]
    + model_specific * r[t, m] + noise * e[t, m]) / 2)``

    * ``q_m``: the PTM's shared quality, the same on every task (what a prior that ignores
      the task can learn): the ``n_models`` quantiles ``(i + 1/2) / n_models`` of N(0, 1) in
      a random order, so that every problem has the same spread of qualities and the
      other weights mean the same on every seed;
    * ``s[t, m]``: the task-PTM interaction, a function of the task's latent class centres
      (unit standard deviation over the generated matrix); its ``interaction_form``:

      - ``"linear"``: ``<w_m, mean_j mu_tj>``, linear in the mean of the class centres, so
        a per-PTM regression on the mean task token can learn it;
      - ``"set_max"``: ``max_j <w_m, mu_tj - mean_j mu_tj>``, driven by the class that
        suits the PTM most (a PTM that is very good at one class of the task);
      - ``"set_min"``: the same with ``min``: driven by the class that suits it least.

      ``w_m`` is a random unit direction per PTM. The set forms depend only on the class
      centres' deviations from their mean, which (the deviations being Gaussian) are
      independent of the mean: a model of the mean task token cannot learn them, a model of
      the token set can;
    * ``r[t, m] ~ N(0, 1)``: signal seen only in the PTM's own features of the task (its
      ``model_tokens``), never in the general ones;
    * ``e[t, m] ~ N(0, 1)``: fine-tuning noise no ranker can predict;
    * ``b_t ~ N(1, 0.5)``: the task's difficulty (shifts every PTM alike).

    Task ``t`` has ``n_way`` classes with latent centres ``mu_tj = a_t + d_tj`` (a task
    centre and class deviations, all ``N(0, I)``) and ``n_shot`` samples per class,
    ``x = mu_tj + cluster_std * N(0, I)``: the general-encoder features ``Task.X``. The
    tasks' ``tokens`` are their class centroids as `~skspider.tasks.TaskTokenizer` (default
    parameters) computes them from ``X``. The training signal is a noisy proxy: each task's
    PTMs ranked by their latent performance plus ``proxy_noise * N(0, 1)``.

    Parameters
    ----------
    n_tasks : int, default=250
        Number of tasks (split them into training and held-out tasks as needed).
    n_models : int, default=20
        Number of PTMs.
    n_features : int, default=64
        Width of the general-encoder features (and of the task tokens).
    n_way : int or tuple of (int, int), default=(4, 16)
        Number of classes per task, or the inclusive range it is drawn from uniformly.
    n_shot : int, default=10
        Samples per class.
    quality : float, default=1.0
        Weight of the shared PTM quality.
    interaction : float, default=0.0
        Weight of the task-PTM interaction (0: the best ranking is the same on every task).
        With the other defaults (20 PTMs), a fixed (prior) ranking fitted on 200 tasks
        reaches a mean tau_w of about 0.96 at 0 (as good as the oracle), 0.79 at 0.5 and
        0.52 at 1.25 on held-out tasks (either form), while the oracle stays at 0.94-0.96.
    interaction_form : {"linear", "set_max", "set_min"}, default="linear"
        How the interaction depends on the task's classes (see above).
    model_specific : float, default=0.0
        Weight of the signal carried only by the PTM-specific tokens.
    n_model_features : int, default=16
        Width of each PTM's own feature space. Each task gets, in ``model_tokens``, one
        token per class for every PTM: the class deviations under a random projection of
        the PTM, shifted along a PTM's direction by ``r[t, m]``, plus a little noise
        (standard deviation 0.1). 0 gives no PTM-specific tokens.
    noise : float, default=0.15
        Weight of the unpredictable fine-tuning noise.
    proxy_noise : float, default=0.2
        Standard deviation of the extra noise of the proxy ranks (on the latent scale).
    cluster_std : float, default=1.0
        Standard deviation of the samples around their class centre.
    random_state : int, RandomState instance or None, default=None
        Seeds the generation; an int gives the same problem on every call.

    Returns
    -------
    data : `~sklearn.utils.Bunch`
        With the fields:

        tasks : list of `~skspider.base.Task`
            ``n_tasks`` tasks, named ``"task000"``, ...; each with ``X`` (samples x
            ``n_features``), ``y`` (labels ``0 .. n_way_t - 1``), ``tokens`` (one row per
            class) and, if ``n_model_features > 0``, ``model_tokens`` (keyed by model name).
        performance : DataFrame of shape (n_tasks, n_models)
            True accuracies in %: what rankers are scored against.
        oracle : DataFrame of shape (n_tasks, n_models)
            ``performance`` without its noise: the best prediction from everything a
            ranker could see (task tokens and PTM-specific tokens).
        proxy_ranks : DataFrame of shape (n_tasks, n_models)
            Noisy training signal: per task, ranks ``0 .. n_models - 1``, larger = better
            (the convention of the paper's proxy ranks).
        quality : Series of shape (n_models,)
            ``q_m``.
        interaction : DataFrame of shape (n_tasks, n_models)
            ``s[t, m]`` (before its weight).
        model_specific : DataFrame of shape (n_tasks, n_models)
            ``r[t, m]`` (before its weight).
        model_metadata : DataFrame of shape (n_models, 1)
            Like `~skspider.zoo.ModelZoo.metadata`: an ``n_params`` column (millions of
            parameters), log-normal with a correlation of 0.8 between its logarithm and
            ``q_m``: a "bigger is better" metadata ranking that is informative, not exact.

        Rows are the task names, columns the model names ``"ptm00"``, ...

    See Also
    --------
    skspider.tasks.TaskTokenizer : How the tokens are computed from ``X``.
    skspider.dummy.PriorRanker : The fixed ranking the ``interaction`` knob defeats.

    Notes
    -----
    There is no ``return_X_y``: the problem has two targets, the proxy ranks a ranker is
    fitted on and the performances it is scored against, and a pair would hide which is
    which. Generation is vectorised: the defaults take a few tens of milliseconds.

    Examples
    --------
    >>> from skspider.datasets import make_ranking_problem
    >>> from skspider.dummy import PriorRanker
    >>> data = make_ranking_problem(n_tasks=60, n_models=8, interaction=1.5,
    ...                             interaction_form="set_max", random_state=0)
    >>> data.tasks[0]
    Task(name='task000', n_samples=160, X=(160, 64), tokens=(16, 64), models=8)
    >>> data.performance.shape, data.proxy_ranks.shape
    ((60, 8), (60, 8))
    >>> prior = PriorRanker().fit(data.tasks[:40], data.proxy_ranks[:40])
    >>> truth = data.performance[40:]
    >>> round(prior.score(data.tasks[40:], truth), 2)  # a fixed ranking fails here
    0.37
    >>> from skspider.metrics import mean_weighted_tau
    >>> round(mean_weighted_tau(truth, data.oracle[40:]), 2)  # the best any ranker can do
    0.96
    """
    rng = check_random_state(random_state)
    lo, hi = _check_n_way(n_way)
    d, M = n_features, n_models
    models = [f"ptm{m:0{len(str(M - 1))}d}" for m in range(M)]
    names = [f"task{t:0{max(3, len(str(n_tasks - 1)))}d}" for t in range(n_tasks)]

    # Latent class centres: task centre + class deviations.
    ways = rng.randint(lo, hi + 1, size=n_tasks)
    owner = np.repeat(np.arange(n_tasks), ways)  # task of each class, classes stacked
    starts = np.r_[0, np.cumsum(ways)[:-1]]
    deviations = rng.standard_normal((owner.size, d))
    centres = rng.standard_normal((n_tasks, d))[owner] + deviations
    mean_centre = np.add.reduceat(centres, starts) / ways[:, None]

    # PTM parameters.
    q = stats.norm.ppf((np.arange(M) + 0.5) / M)[rng.permutation(M)]
    w = rng.standard_normal((d, M))
    w /= np.linalg.norm(w, axis=0, keepdims=True)

    if interaction_form == "linear":
        raw = mean_centre @ w
    else:
        proj = (centres - mean_centre[owner]) @ w  # (n_classes_total, M)
        reduce = np.maximum if interaction_form == "set_max" else np.minimum
        raw = reduce.reduceat(proj, starts, axis=0)
    s = _standardize(raw)
    r = rng.standard_normal((n_tasks, M))
    e = rng.standard_normal((n_tasks, M))
    difficulty = rng.normal(1.0, 0.5, size=(n_tasks, 1))
    predictable = quality * q + interaction * s + model_specific * r
    latent = predictable + noise * e

    def accuracy(z: np.ndarray) -> np.ndarray:
        return 100.0 / (1.0 + np.exp(-(difficulty + z / 2.0)))

    noisy = latent + proxy_noise * rng.standard_normal((n_tasks, M))
    # Ranks 0 .. M-1 (larger = better); ties have probability zero.
    proxy = np.argsort(np.argsort(noisy, axis=1), axis=1)

    # Samples: n_shot per class around its centre.
    per_sample = np.repeat(np.arange(owner.size), n_shot)
    samples = centres[per_sample] + cluster_std * rng.standard_normal((per_sample.size, d))
    bounds = np.r_[0, np.cumsum(ways * n_shot)]
    labels = np.concatenate([np.repeat(np.arange(c), n_shot) for c in ways])

    specific = None
    if n_model_features:
        k = n_model_features
        proj = rng.standard_normal((d, M, k)) / np.sqrt(d)
        direction = rng.standard_normal((M, k))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        # (n_classes_total, M, k): class deviations in each PTM's space, shifted by r.
        specific = np.einsum("cd,dmk->cmk", deviations, proj)
        specific += r[owner][:, :, None] * direction[None]
        specific += 0.1 * rng.standard_normal(specific.shape)

    # Tokens as TaskTokenizer() computes them (L2-normalised samples, class means; classes
    # are numbered in order, so sorted labels = class order), in one call for all tasks.
    unit = samples / np.linalg.norm(samples, axis=1, keepdims=True)
    tokens = class_means(unit, per_sample, owner.size)[0]

    tasks = []
    for t in range(n_tasks):
        rows, classes = slice(bounds[t], bounds[t + 1]), slice(starts[t], starts[t] + ways[t])
        model_tokens = None
        if specific is not None:
            model_tokens = {name: specific[classes, m] for m, name in enumerate(models)}
        tasks.append(
            Task(
                y=labels[rows],
                X=samples[rows],
                name=names[t],
                tokens=tokens[classes],
                model_tokens=model_tokens,
            )
        )

    z = (q - q.mean()) / (q.std() or 1.0)
    log_size = 1.5 + 0.5 * (0.8 * z + 0.6 * rng.standard_normal(M))

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=names, columns=models)

    return Bunch(
        tasks=tasks,
        performance=frame(accuracy(latent)),
        oracle=frame(accuracy(predictable)),
        proxy_ranks=frame(proxy),
        quality=pd.Series(q, index=models, name="quality"),
        interaction=frame(s),
        model_specific=frame(r),
        model_metadata=pd.DataFrame({"n_params": np.round(10.0**log_size, 1)}, index=models),
    )
