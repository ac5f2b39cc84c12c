"""`SpiderRanker`: Model Spider's learned ranker of pre-trained models."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from numbers import Integral, Real
from typing import Any, Literal

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._device import resolve_device
from .._progress import ProgressBar, progress_bar
from .._sklearn_compat import Interval, StrOptions, fit_context, validate_params
from ..base import BaseRanker, Task, check_performance_matrix
from ..base._numeric import normalize_rows
from ..base._validation import _is_task_sequence
from ..metrics import mean_weighted_tau
from ._loss import leaderboard_prior, plackett_luce_order, plackett_luce_prior
from ._network import SpiderNetwork
from ._training import (
    TokenBank,
    _load,
    cosine_schedule,
    specific_tokens,
    split_tasks,
    train_steps,
)

__all__ = ["SpiderRanker"]


def _nearest_models(Y: np.ndarray, n_old: int) -> list[int | None]:
    """For each new column of ``Y`` (after ``n_old``), the old column ranked most alike."""
    R = normalize_rows(Y, "rank")
    # A task with one known model says nothing about rank positions.
    R[(~np.isnan(Y)).sum(axis=1) < 2] = np.nan
    out: list[int | None] = []
    for j in range(n_old, Y.shape[1]):
        best, best_score = None, -np.inf
        for m in range(n_old):
            both = ~np.isnan(R[:, j]) & ~np.isnan(R[:, m])
            if not both.any():
                continue
            # Mean absolute gap of rank positions: 0 = always at the same place.
            score = -float(np.mean(np.abs(R[both, j] - R[both, m])))
            if score > best_score:
                best, best_score = m, score
        out.append(best)
    return out


# The shrinkages of the network's part that shrinkage="auto" compares on held-out tasks.
_SHRINKAGE_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)


def _best_alpha(scores: dict[float, float]) -> float:
    """The shrinkage of the best held-out score; among ties, and when none is finite, the
    smallest (the nearest to the prior)."""
    finite = {a: v for a, v in scores.items() if np.isfinite(v)}
    if not finite:
        return min(scores)
    return max(finite, key=lambda a: (finite[a], -a))


def _combine(
    g: np.ndarray,
    model_index: np.ndarray | None,
    prior: np.ndarray | None,
    alpha: float | np.ndarray,
) -> np.ndarray:
    """``prior + alpha * g`` (``g`` alone without a prior), for all models or ``model_index``."""
    if prior is None:
        return g
    b = prior[None, :] if model_index is None else prior[np.asarray(model_index)]
    return b + alpha * g


class _LossReporter:
    """Advance a progress bar by one optimiser step, showing a moving average of the loss
    (and the ``extra`` values, e.g. the last validation score). Local to one training run."""

    def __init__(self, bar: ProgressBar):
        self.bar, self.average, self.extra = bar, None, {}

    def __call__(self, loss: float) -> None:
        self.average = loss if self.average is None else 0.9 * self.average + 0.1 * loss
        self.show()
        self.bar.update()

    def show(self) -> None:
        self.bar.set_postfix(loss=self.average, **self.extra)


class SpiderRanker(BaseRanker):
    """Model Spider: rank pre-trained models (PTMs) for a task from its token set alone.

    Each PTM of the zoo has a learnable token; a task is a set of tokens (one centroid per
    class in a fixed general encoder's feature space). The fitness of PTM ``m`` on a task is
    read out at the PTM token after one attention block over ``[PTM token m; task tokens]``
    (post-LayerNorm, 1 head, no feed-forward), then LayerNorm and a read-out: by default a
    per-PTM bilinear one (``head``), the authors' shared Linear(d, 1) with ``head="linear"``.
    Training maximises the Plackett-Luce likelihood of the training tasks' rankings (proxy
    ranks or performances; NaN marks a missing record and is left out of the loss, never
    imputed), with Adam and a cosine learning-rate schedule, as the authors' released code
    does, for ``max_iter`` optimiser steps whatever the number of tasks (an
    epoch is a pass over the tasks in batches of ``batch_size``; ``n_epochs_`` is derived). The
    defaults were chosen on validation problems of the synthetic generator
    (``benchmarks/study_spider_defaults.py``); `paper_params` gives the authors' own
    configuration. Only the PTM-token row of the block is computed (the task tokens' keys and
    values are shared by all PTMs), so a task costs O(M * C * d), not M full attentions.

    With ``prior=True`` (the default) the score of PTM ``m`` on a task is
    ``b_m + alpha * g(task, m)``: ``b`` is the task-blind ranking of the training labels (each
    PTM's mean label, the leaderboard of `~skspider.dummy.PriorRanker`, scaled by the one
    factor that best fits the Plackett-Luce likelihood of the training rankings, `prior_`),
    ``g`` is the network, whose read-out starts at zero so that training starts
    from ``b`` and learns only what the task adds to it, and ``alpha`` (``shrinkage``) scales
    the learned part, chosen by default on held-out training tasks from 0 (``b`` alone) to 1:
    where the network does not help on tasks it never saw, the ranker stays at the prior.

    When the training tasks are `~skspider.base.Task` objects carrying PTM-specific tokens
    (``model_tokens``), each batch draws ``k ~ U{0..max_specific_tokens}`` and every task
    gets the specific tokens of k random PTMs appended to their sequences (the released
    re-ranking practice); a linear projection per PTM maps them to ``d_model``. Use
    `RerankTransformer` to re-rank the top-k PTMs with these tokens at prediction time.

    Parameters
    ----------
    d_model : int, default=64
        Token width inside the attention block (the authors: 1024).
    dropout : float, default=0.1
        Dropout on the attention weights and on the block's output.
    lr : float, default=3e-3
        Initial learning rate of Adam (the authors: 2.5e-4).
    lr_min : float, default=5e-6
        Final learning rate of the cosine schedule (over ``max_iter`` steps).
    weight_decay : float, default=0.0
        Adam's L2 penalty (the released code sets none).
    max_iter : int, default=1000
        Number of optimiser steps, each on a batch of ``batch_size`` tasks; the cosine
        schedule runs over them. The number of passes over the tasks follows
        (``n_epochs_``): 1000 steps are 84 epochs of 180 tasks (12 batches each: 200
        tasks less the 20 that ``shrinkage="auto"`` holds out), 18 of 900. (The authors:
        1560 steps, 30 epochs of 13 tasks x 64 episodes.)
    batch_size : int, default=16
        Tasks per optimisation step. (``predict`` runs one task at a time, so a task's
        scores never depend on the tasks predicted with it.)
    max_specific_tokens : int or None, default=None
        Largest k of the training-time practice above (0 turns it off). None: the number of
        models, so training sees every k that re-ranking may use (``k="auto"`` of
        `RerankTransformer` searches up to the zoo size); chosen by the study (on a
        20-PTM problem with PTM-specific signal, re-ranking every PTM gave 0.706 and 0.700
        mean tau_w against 0.629 and 0.665 with the authors' 10). Without ``model_tokens``
        in the training tasks it has no effect.
    prior : bool, default=True
        Add the task-blind term ``b`` (`prior_`) to the network's scores and start the
        network's read-out at zero (see above). ``b`` ranks the PTMs as their mean label does
        (so with ``alpha = 0`` the ranker is exactly `~skspider.dummy.PriorRanker`), scaled by
        maximum likelihood (one factor): on the training part of the tasks during training,
        on all of them for `prior_`. (The full Plackett-Luce utilities, each PTM free, were
        lower in mean tau_w on the glyph zoo's validation tasks, by 0.04 with ties broken by
        index and 0.011 with "breslow": fine-tuning records hold many ties near 100%
        accuracy, which the mean weighs by how much they differ.)
        False: the authors' network alone (as in `paper_params`).
    shrinkage : "auto" or float in [0, 1], default="auto"
        The weight ``alpha`` of the learned part, ``b + alpha * g`` (``prior=True`` only;
        ignored otherwise). "auto": hold out ``validation_fraction`` of the training tasks,
        train on the rest, and keep the ``alpha`` of 0, 0.25, 0.5, 0.75 and 1 whose scores
        rank the held-out tasks best (mean tau_w; among ties the smaller), so the learned
        part is used only as far as it helps on tasks it was not trained on (0: the prior
        alone). The network keeps the weights trained on the rest of the tasks; `prior_` is
        refitted on all of them. Scores with PTM-specific tokens (re-ranking) get their own
        ``alpha``, chosen the same way (`specific_shrinkage_`). A float: that ``alpha`` for
        both, with no hold-out.
    ties : {"first", "breslow"}, default="breslow"
        Tied labels in the Plackett-Luce loss: "breslow" treats tied models as exchangeable
        (none gains from its position in the zoo); "first" breaks them by model index (the
        lower index ranks first, a stable sort, as the released code's sort, kept in
        `paper_params`). Fine-tuning records tie often (4.7 PTMs shared the best accuracy
        of a glyph zoo training task on average); "first" then teaches the network the order
        of the zoo. NaN labels (unknown) are always left out.
    head : {"bilinear", "linear"}, default="bilinear"
        The read-out of the block. "linear": the authors' shared ``Linear(d, 1)`` on the
        normalised PTM row ``h_m`` (as in `paper_params`). "bilinear": adds a per-PTM term
        ``(U p_m)^T h_m`` with a learned ``d x d`` matrix ``U`` (zero at the start, so
        training starts from the linear head), so each PTM gets its own linear read-out of
        the attended task tokens; with the shared read-out alone the task tokens contribute
        the same scalar to every PTM, re-weighted only by its attention. Chosen by the
        study: 0.804 against 0.660 mean tau_w on the linear-interaction validation problem,
        0.506 against 0.535 on the set form (``docs/spider_defaults_study.md``).
    standardize : bool, default=True
        Standardise every feature of the task tokens by its mean and standard deviation
        over the training tokens (learned in ``fit``, applied to every input after). The
        network is the same function class either way (the input projection is affine);
        the optimiser then sees unit-scale inputs whatever the encoder's scale. The
        authors feed raw tokens (``False`` in `paper_params`).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training tasks, score them (mean tau_w)
        after each epoch, stop after ``n_iter_no_change`` epochs without an improvement of
        ``tol``, and keep the weights of the best epoch.
    validation_fraction : float, default=0.1
        Share of training tasks held out when ``early_stopping`` or ``shrinkage="auto"``
        (one hold-out serves both: each epoch's score is then that of its best ``alpha``);
        of their groups when `fit` is given ``groups``.
    n_iter_no_change : int, default=5
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Smallest improvement of the validation score that counts.
    warm_start : bool, default=False
        Continue training the existing network on the next ``fit`` (when the inputs, models,
        ``d_model`` and ``head`` are unchanged) for another ``max_iter`` steps instead of starting
        afresh. The optimiser and its schedule restart; the token standardisation is kept.
    device : str or torch.device, default="auto"
        "cpu", "cuda", "cuda:<i>" or "auto" (CUDA when available, else the CPU): the default
        of the whole package (`~skspider.zoo` extraction too). Pass "cpu" for results that
        do not depend on the machine.
    random_state : int, RandomState instance or None, default=None
        Seeds local generators for the initial weights, dropout, shuffling and the
        training-time practice (never the global ones). An int gives bitwise-identical
        results on CPU for a given number of torch threads.
    verbose : int, default=0
        1: a progress bar over the optimiser steps on ``sys.stderr`` with the loss (a
        moving average of the steps') and, with ``early_stopping``, the last validation
        score (tqdm's bar when installed, else a line at every 10%); 2: also a line per
        epoch (loss, validation score, seconds). The bar is never kept on the ranker.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    models_ : ndarray of shape (n_models,)
        Model names: the columns of a DataFrame ``Y``, else ``0 .. n_models - 1``.
        ``Task.model_tokens`` keys are matched to them as strings (``0`` and ``"0"`` both name
        the first model of a plain-array ``Y``).
    n_models_ : int
        Number of models.
    n_features_in_ : int
        Width of the general task tokens.
    specific_widths_ : dict of str to int
        Width of the PTM-specific tokens of each model that has a projection for them.
    token_mean_, token_scale_ : ndarray of shape (n_features,) or None
        The token standardisation (None without ``standardize``).
    prior_ : ndarray of shape (n_models,) or None
        The task-blind term ``b`` (the leaderboard of the training labels, see ``prior``; None
        without ``prior``).
    shrinkage_ : float
        The weight ``alpha`` of the network's scores (1.0 without ``prior``).
    shrinkage_scores_ : dict of float to float
        Mean tau_w of the held-out tasks for each ``alpha`` tried (``shrinkage="auto"``
        only; for the kept epoch with ``early_stopping``).
    specific_shrinkage_ : float
        The ``alpha`` of the scores computed with PTM-specific tokens (`rescore`, hence
        re-ranking). With ``shrinkage="auto"`` and held-out tasks that carry
        ``model_tokens``, chosen apart, on those tasks with every PTM scored with its own
        tokens (the network knows more with them, so it may deserve more weight, e.g. when
        the general tokens say little); else ``shrinkage_``.
    specific_shrinkage_scores_ : dict of float to float
        Mean tau_w of the held-out tasks for each ``alpha`` of ``specific_shrinkage_``
        (empty when it was not chosen apart).
    loss_curve_ : list of float
        Mean training loss of each epoch (the last one may be partial), over all ``fit``
        calls with ``warm_start``.
    validation_scores_ : list of float
        Mean tau_w of the held-out tasks after each epoch (``early_stopping`` only).
    best_epoch_ : int
        Epoch whose weights are kept (the last one without early stopping).
    n_iter_ : int
        Number of optimiser steps run by the last ``fit`` (``max_iter`` unless early
        stopping ended it).
    n_epochs_ : int
        Number of epochs (passes over the training tasks, the last one possibly partial)
        run by the last ``fit``.
    device_ : torch.device
        Where the network was trained.

    Notes
    -----
    PTM-specific tokens given as loaders (``Task.model_tokens`` values that are callables)
    are loaded once per ``fit``, not at every training draw. A ``model_tokens`` key that
    names no model of ``y`` is an error (keys are matched to ``models_`` as strings).

    Training that diverges (a non-finite loss or non-finite weights, e.g. from a far too
    large ``lr`` or tokens far from unit scale) stops with a `ValueError` naming the step,
    the epoch and the learning rate, rather than leaving a network that scores NaN. Tokens
    beyond the float32 range are rejected up front, and ``predict`` raises rather than
    return non-finite scores.

    See Also
    --------
    RerankTransformer : Re-rank the top-k PTMs with their own tokens.
    EstimatorReranker : Re-rank the top-k PTMs with a transferability estimator.
    skspider.dummy.PriorRanker : The task-agnostic baseline.

    References
    ----------
    .. [1] Y.-K. Zhang, T.-J. Huang, Y.-X. Ding, D.-C. Zhan and H.-J. Ye. "Model Spider:
       Learning to Rank Pre-Trained Models Efficiently". NeurIPS 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.spider import SpiderRanker
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 5))            # one token per task
    >>> Y = np.c_[X[:, 0], -X[:, 0], X[:, 1]]   # which model is best depends on the task
    >>> ranker = SpiderRanker(d_model=16, max_iter=120, lr=1e-2, device="cpu", random_state=0)
    >>> ranker = ranker.fit(X, Y)
    >>> ranker.n_iter_, ranker.n_epochs_
    (120, 40)
    >>> ranker.predict(X[:2]).shape
    (2, 3)
    >>> ranker.score(X, Y) > 0.5
    True
    """

    _parameter_constraints: dict = {
        "d_model": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_min": [Interval(Real, 0, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_specific_tokens": [Interval(Integral, 0, None, closed="left"), None],
        "prior": ["boolean"],
        "shrinkage": [Interval(Real, 0, 1, closed="both"), StrOptions({"auto"})],
        "ties": [StrOptions({"first", "breslow"})],
        "head": [StrOptions({"linear", "bilinear"})],
        "standardize": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, None, None, closed="neither")],
        "warm_start": ["boolean"],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        d_model: int = 64,
        dropout: float = 0.1,
        lr: float = 3e-3,
        lr_min: float = 5e-6,
        weight_decay: float = 0.0,
        max_iter: int = 1000,
        batch_size: int = 16,
        max_specific_tokens: int | None = None,
        prior: bool = True,
        shrinkage: float | Literal["auto"] = "auto",
        ties: Literal["first", "breslow"] = "breslow",
        head: Literal["linear", "bilinear"] = "bilinear",
        standardize: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        tol: float = 1e-4,
        warm_start: bool = False,
        device: str | torch.device = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
    ):
        self.d_model = d_model
        self.dropout = dropout
        self.lr = lr
        self.lr_min = lr_min
        self.weight_decay = weight_decay
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.max_specific_tokens = max_specific_tokens
        self.prior = prior
        self.shrinkage = shrinkage
        self.ties = ties
        self.head = head
        self.standardize = standardize
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @classmethod
    def paper_params(cls) -> dict[str, Any]:
        """The authors' released training configuration, as parameters of this class.

        Faithful to the authors' released code: their network alone (``prior=False``: no
        task-blind term, the read-out initialised as theirs, every training task used for
        training), their read-out (``head="linear"``), token width 1024, dropout 0.1, Adam at
        2.5e-4 with a cosine schedule to 5e-6 and no weight decay, batches of 16 tasks, up to
        10 PTM-specific tokens in training, ties broken by the sort, raw (unstandardised)
        tokens. The released script runs 30 epochs
        over 13 tasks x 64 episodes in batches of 16: 52 steps an epoch, 1560 steps in all,
        hence ``max_iter=1560``. Its schedule is stepped once per epoch; here it is stepped
        once per step (the same curve, sampled finer).

        Returns
        -------
        params : dict
            For ``SpiderRanker(**SpiderRanker.paper_params(), random_state=0)``; override
            any entry as usual (``{**SpiderRanker.paper_params(), "device": "cuda"}``).

        Examples
        --------
        >>> from skspider.spider import SpiderRanker
        >>> SpiderRanker.paper_params()["d_model"], SpiderRanker.paper_params()["max_iter"]
        (1024, 1560)
        """
        return {
            "d_model": 1024,
            "dropout": 0.1,
            "lr": 2.5e-4,
            "lr_min": 5e-6,
            "weight_decay": 0.0,
            "max_iter": 1560,
            "batch_size": 16,
            "max_specific_tokens": 10,
            "prior": False,
            "ties": "first",
            "head": "linear",
            "standardize": False,
        }

    # -- inputs -----------------------------------------------------------------------------
    def _inputs(self, X: Any, *, reset: bool) -> tuple[list[np.ndarray], list[Task] | None]:
        """Token sets of ``X``, and the `Task` objects themselves when ``X`` holds them."""
        sets = self._validate_tasks(X, reset=reset)
        if isinstance(sets[0], Task):  # the base class passes token-less tasks through
            raise ValueError("X[0] is a Task without tokens; run a TaskTokenizer first.")
        if (
            isinstance(X, (list, tuple))
            and not _is_task_sequence(X)
            and any(isinstance(t, Task) and t.model_tokens for t in X)
        ):
            # Tasks come through as Tasks only when every element is one: their PTM-specific
            # tokens would be dropped without a word.
            raise ValueError(
                "X mixes Task objects that carry model_tokens with plain token arrays; their "
                "PTM-specific tokens would be ignored. Give every task as a Task "
                "(Task(y=..., tokens=...))."
            )
        if not reset:
            sets = self._scale(sets)
        return sets, (list(X) if _is_task_sequence(X) else None)

    def _scale(self, sets: list[np.ndarray]) -> list[np.ndarray]:
        """Standardise token sets with the statistics learned in ``fit`` (if ``standardize``)."""
        if getattr(self, "token_mean_", None) is None:
            return sets
        return [(s - self.token_mean_) / self.token_scale_ for s in sets]

    def _key_to_model(self) -> dict[str, int]:
        return {str(m): i for i, m in enumerate(self.models_)}

    def _generators(
        self, device: torch.device
    ) -> tuple[np.random.Generator, torch.Generator, torch.Generator]:
        """numpy generator, torch generator on ``device`` (dropout), CPU one (initial weights).

        Weights are drawn on the CPU and then moved, so a seed gives the same initial
        network on every device.
        """
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        return (
            np.random.default_rng(seed),
            torch.Generator(device=device).manual_seed(seed),
            torch.Generator().manual_seed(seed),
        )

    # -- fit --------------------------------------------------------------------------------
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any, groups: Any = None) -> SpiderRanker:
        """Train the ranker on tasks and their rankings of the zoo.

        Parameters
        ----------
        X : array-like of shape (n_tasks, n_features), sequence of token sets or of Task
            One token per task (2-D array), or one ``(n_tokens_i, n_features)`` set per task
            (ragged is fine), or `~skspider.base.Task` objects with ``tokens`` set (and
            optionally ``model_tokens``, keyed by the names of ``models_``).
        y : array-like or DataFrame of shape (n_tasks, n_models)
            ``Y``: proxy ranks or performances, larger = better, NaN = unknown. A DataFrame
            names the models.
        groups : array-like of shape (n_tasks,), default=None
            A group label per task (the task's domain, say). The tasks held out for
            ``shrinkage="auto"`` and ``early_stopping`` are then whole groups, so that the
            choice measures what carries over to groups the network never saw (tasks of one
            domain resemble each other: held out one by one, they reward memorising the
            domain). None: tasks are held out one by one.

        Returns
        -------
        self : SpiderRanker
        """
        device = resolve_device(self.device)
        self._terms_cache = None  # the weights are about to change
        previous = (
            (
                self.n_features_in_,
                list(self.models_),
                self.module_.d_model,
                getattr(self.module_, "head_type", "linear"),
            )
            if self.warm_start and hasattr(self, "module_")
            else None
        )
        sets, tasks = self._inputs(X, reset=True)
        Y = self._validate_targets(y, reset=True)
        self._check_n_tasks(sets, Y)
        if groups is not None:
            groups = np.asarray(groups)
            if groups.shape != (len(sets),):
                raise ValueError(
                    f"groups must have one label per task, shape ({len(sets)},); got shape "
                    f"{groups.shape}."
                )
        empty = np.flatnonzero(np.isnan(Y).all(axis=0))
        if empty.size:
            # Nothing would place them: they would be ranked by an untrained token.
            raise ValueError(
                f"models {self.models_[empty][:10].tolist()} have no known label in y (every "
                "record missing); SpiderRanker cannot rank them. Drop them, or add them later "
                "with add_models."
            )
        rng, generator, init_generator = self._generators(device)
        specific = self._specific_tokens(tasks)

        warm = previous == (self.n_features_in_, list(self.models_), self.d_model, self.head)
        if not (warm and hasattr(self, "token_mean_")):  # a warm start keeps its scaling
            self.token_mean_, self.token_scale_ = None, None
            if self.standardize:
                flat = np.concatenate(sets, axis=0)
                scale = flat.std(axis=0)
                self.token_mean_ = flat.mean(axis=0)
                # A constant feature is only centred (its spread is 0).
                self.token_scale_ = np.where(scale > 0, scale, 1.0)
        sets = self._scale(sets)
        if warm:
            module = self.module_.to(device)
        else:
            widths: dict[int, int] = {}
            for t, found in enumerate(specific):
                for m, tokens in found.items():
                    if widths.setdefault(m, tokens.shape[1]) != tokens.shape[1]:
                        raise ValueError(
                            f"X[{t}]: the PTM-specific tokens of model {self.models_[m]!r} have "
                            f"width {tokens.shape[1]}, but {widths[m]} in an earlier task."
                        )
            module = SpiderNetwork(
                self.n_features_in_,
                self.n_models_,
                self.d_model,
                self.dropout,
                widths,
                init_generator,
                head=self.head,
                zero_readout=self.prior,
            ).to(device)
            self.loss_curve_ = []
        self.specific_widths_ = {
            str(self.models_[m]): w for m, w in sorted(module.specific_widths.items())
        }
        self._net_config = {
            "n_features": self.n_features_in_,
            "n_models": self.n_models_,
            "d_model": self.d_model,
            "dropout": self.dropout,
            "specific_widths": dict(module.specific_widths),
            "head": module.head_type,
        }
        module.dropout = self.dropout
        self.module_ = module
        self.device_ = device

        auto = self.prior and self.shrinkage == "auto"
        train, valid = np.arange(len(sets)), np.array([], dtype=np.int64)
        # A single task (group) cannot be split: auto shrinkage then keeps the prior (warned
        # below).
        splittable = len(sets) >= 2 and (groups is None or len(np.unique(groups)) >= 2)
        if self.early_stopping or (auto and splittable):
            train, valid = split_tasks(
                len(sets),
                self.validation_fraction,
                rng,
                what="early_stopping" if self.early_stopping else "shrinkage='auto'",
                groups=groups,
            )
        # The shrinkages the held-out tasks compare (one: the fixed one, or none to apply).
        alphas = _SHRINKAGE_GRID if auto else (float(self.shrinkage) if self.prior else 1.0,)

        bank = TokenBank([sets[i] for i in train], device)
        labels = tuple(
            torch.from_numpy(a).to(device) for a in plackett_luce_order(Y[train], self.ties)
        )
        # The task-blind term of the training part: the network learns a residual over it.
        prior_train = leaderboard_prior(Y[train], self.ties) if self.prior else None
        offset = (
            torch.from_numpy(prior_train).to(device=device, dtype=torch.float32)
            if prior_train is not None
            else None
        )
        projected = set(module.specific_widths)
        available = [
            {m: a for m, a in specific[i].items() if m in projected} for i in train if specific
        ]
        if not any(available):  # no PTM-specific tokens: the training-time practice is off
            available = []
        optimizer = torch.optim.Adam(
            module.parameters(), lr=self.lr, weight_decay=self.weight_decay
        )
        self.validation_scores_ = []
        best = {"score": -np.inf, "epoch": -1, "state": None, "wait": 0, "scores": {}}
        valid_sets, valid_Y = [sets[i] for i in valid], Y[valid]
        # Progress: a bar over the optimiser steps (a local object, never kept on self) with
        # the loss, and (verbose >= 2) a table of the epochs written above it.
        bar = progress_bar(
            self.max_iter, desc="SpiderRanker.fit", verbose=self.verbose, unit="step"
        )
        if self.verbose >= 2:
            # The validation column only when there is a validation score to show.
            valid_head = f"  {'valid tau_w':>11}" if self.early_stopping else ""
            bar.write(f"{'epoch':>5}  {'train loss':>10}{valid_head}  {'dur (s)':>7}")
        report = _LossReporter(bar)

        def on_epoch_end(epoch: int, loss: float, seconds: float) -> bool:
            stop = False
            valid_col = ""
            if self.early_stopping:
                scores = self._validation_scores(valid_sets, valid_Y, prior_train, alphas)
                score = scores[_best_alpha(scores)]
                self.validation_scores_.append(score)
                valid_col = f"  {score:>11.4f}"
                report.extra["valid_tau_w"] = score
                report.show()
                if score > best["score"] + self.tol or best["state"] is None:
                    best.update(score=max(score, best["score"]), epoch=epoch, wait=0)
                    best.update(scores=scores, state=copy.deepcopy(module.state_dict()))
                else:
                    best["wait"] += 1
                    stop = best["wait"] >= self.n_iter_no_change
            if self.verbose >= 2:
                bar.write(f"{epoch + 1:>5}  {loss:>10.4f}{valid_col}  {seconds:>7.2f}")
            return stop

        with bar:
            losses, n_steps = train_steps(
                module,
                bank,
                labels,
                n_steps=self.max_iter,
                batch_size=self.batch_size,
                optimizer=optimizer,
                lr_at=cosine_schedule(self.lr, self.lr_min, self.max_iter),
                rng=rng,
                generator=generator,
                available=available,
                max_specific_tokens=(
                    self.n_models_ if self.max_specific_tokens is None else self.max_specific_tokens
                ),
                offset=offset,
                on_epoch_end=on_epoch_end,
                on_step=report if self.verbose else None,
            )
        self.loss_curve_ = [*self.loss_curve_, *losses]
        self.n_iter_ = n_steps
        self.n_epochs_ = len(losses)
        self.best_epoch_ = len(losses) - 1
        scores = best["scores"]
        if self.early_stopping and best["state"] is not None:
            module.load_state_dict(best["state"])
            self.best_epoch_ = best["epoch"]
        elif auto:
            # With nothing held out (one task or group) every alpha scores NaN.
            scores = self._validation_scores(valid_sets, valid_Y, prior_train, alphas)
        module.eval()
        self._cache_terms()  # the weights changed
        self.prior_, self.shrinkage_, self.shrinkage_scores_ = None, 1.0, {}
        self.specific_shrinkage_scores_ = {}
        if self.prior:
            self.prior_ = leaderboard_prior(Y, self.ties) if len(valid) else prior_train
            self.shrinkage_ = float(self.shrinkage) if not auto else _best_alpha(scores)
            if auto:
                self.shrinkage_scores_ = scores
                if not np.isfinite(list(scores.values())).any():
                    warnings.warn(
                        "shrinkage='auto': no held-out task has two known labels to compare "
                        "the shrinkages on (one training task, or group, cannot be split); the "
                        "network's part is set to 0 (the prior alone).",
                        UserWarning,
                        stacklevel=3,
                    )
        self.specific_shrinkage_ = self.shrinkage_
        valid_specific = [
            {m: a for m, a in specific[i].items() if m in projected} for i in valid if specific
        ]
        if auto and any(valid_specific):
            # Told each PTM's own tokens, the network knows more than from general tokens
            # alone: how far to trust it then is judged apart, with every PTM re-scored.
            spec = self._validation_scores(
                valid_sets, valid_Y, prior_train, alphas, specific=valid_specific
            )
            if np.isfinite(list(spec.values())).any():
                self.specific_shrinkage_ = _best_alpha(spec)
                self.specific_shrinkage_scores_ = spec
        return self

    def _specific_tokens(self, tasks: list[Task] | None) -> list[dict[int, np.ndarray]]:
        """Per task: model index -> its PTM-specific tokens, loaded once (lazy ones too).

        A key of ``Task.model_tokens`` that names no model of ``models_`` is an error: it
        would be ignored, and re-ranking would silently do nothing.
        """
        return [self._task_specific(task, t) for t, task in enumerate(tasks or [])]

    def _task_specific(
        self, task: Task, t: int, models: Sequence[int] | None = None
    ) -> dict[int, np.ndarray]:
        """The PTM-specific tokens of one task (all models, or only ``models``), checked."""
        key_to_model = self._key_to_model()
        mt = task.model_tokens or {}
        unknown = [key for key in mt if str(key) not in key_to_model]
        if unknown:
            raise ValueError(
                f"X[{t}].model_tokens has keys {unknown[:5]} that name no model of y: the "
                f"models are {[str(m) for m in self.models_[:10]]}"
                f"{' ...' if self.n_models_ > 10 else ''} (keys are matched as strings)."
            )
        wanted = None if models is None else set(models)
        return {
            key_to_model[str(key)]: _load(value)
            for key, value in mt.items()
            if wanted is None or key_to_model[str(key)] in wanted
        }

    def _validation_scores(
        self,
        sets: list[np.ndarray],
        Y: np.ndarray,
        prior: np.ndarray | None,
        alphas: Sequence[float],
        specific: list[dict[int, np.ndarray]] | None = None,
    ) -> dict[float, float]:
        """Mean tau_w of held-out tasks for each shrinkage ``alpha`` (NaN: none comparable).

        With ``specific`` (per task: model index -> PTM-specific tokens), every PTM that has
        tokens is scored with them, as re-ranking every PTM would.
        """
        keep = (~np.isnan(Y)).sum(axis=1) >= 2
        if not keep.any():
            return {a: float("nan") for a in alphas}
        kept = np.flatnonzero(keep)
        pairs = None
        if specific is not None:

            def pairs(batch: np.ndarray) -> list:
                return [
                    (row, m, m, tokens)
                    for row, t in enumerate(batch)
                    for m, tokens in sorted(specific[kept[t]].items())
                ]

        # Mid-training weights: their PTM terms are computed for this call, never cached.
        with torch.no_grad():
            terms = self.module_.model_terms()
        g = self._network_scores([sets[t] for t in kept], pairs=pairs, terms=terms)
        return {
            a: float(mean_weighted_tau(Y[keep], _combine(g, None, prior, a), nan_policy="omit"))
            for a in alphas
        }

    # -- prediction -------------------------------------------------------------------------
    def _cache_terms(self) -> None:
        """Compute the `model_terms` of the trained weights once, for every prediction.

        Called where the weights change: the end of ``fit`` and ``add_models``, and
        unpickling (``module_`` belongs to the ranker: do not edit it in place).
        """
        with torch.no_grad():
            self._terms_cache = self.module_.eval().model_terms()

    def _decision(
        self,
        sets: Sequence[np.ndarray],
        model_index: np.ndarray | None = None,
        pairs: Callable[[np.ndarray], list] | None = None,
    ) -> np.ndarray:
        """The ranker's scores: the network's, with the task-blind term and the shrinkage
        (``specific_shrinkage_`` for the (task, PTM) pairs scored with their own tokens)."""
        prior = getattr(self, "prior_", None)
        alpha = getattr(self, "shrinkage_", 1.0)
        if pairs is None or prior is None:
            return _combine(
                self._network_scores(sets, model_index, pairs), model_index, prior, alpha
            )
        n_slots = self.n_models_ if model_index is None else np.shape(model_index)[1]
        specific = np.zeros((len(sets), n_slots), dtype=bool)

        def recorded(batch: np.ndarray) -> list:
            out = pairs(batch)
            for row, slot, _, _ in out:
                specific[batch[row], slot] = True
            return out

        g = self._network_scores(sets, model_index, recorded)
        alphas = np.where(specific, getattr(self, "specific_shrinkage_", alpha), alpha)
        return _combine(g, model_index, prior, alphas)

    def _network_scores(
        self,
        sets: Sequence[np.ndarray],
        model_index: np.ndarray | None = None,
        pairs: Callable[[np.ndarray], list] | None = None,
        terms: tuple[torch.Tensor, ...] | None = None,
    ) -> np.ndarray:
        """The network's scores ``(n_tasks, n_models)``, or ``(n_tasks, K)`` of ``model_index``.

        ``pairs(index)`` gives the PTM-specific ``(row, slot, model, tokens)`` of a batch;
        ``terms`` the `model_terms` to use (default: those cached for the trained weights).
        """
        module = self.module_
        module.eval()
        device = next(module.parameters()).device
        bank = TokenBank(sets, device)
        out = []
        with torch.no_grad():
            terms = self._terms_cache if terms is None else terms
            # One task at a time: no padding, and the floating-point result of a task never
            # depends on which other tasks are predicted with it.
            for t in range(len(sets)):
                index = np.array([t])
                x, mask = bank.batch(index)
                mi = (
                    torch.from_numpy(np.asarray(model_index[index], dtype=np.int64)).to(device)
                    if model_index is not None
                    else None
                )
                spec = specific_tokens(pairs(index), device) if pairs is not None else None
                out.append(module(x, mask, mi, spec, terms=terms).double().cpu().numpy())
        scores = np.concatenate(out, axis=0)
        bad = np.flatnonzero(~np.isfinite(scores).all(axis=1))
        if bad.size:
            # Never hand out NaN scores (they would rank as garbage): say which tasks.
            raise ValueError(
                f"the network gives non-finite scores on tasks {bad[:10].tolist()}: their "
                "tokens are too far from the scale seen in fit for float32."
            )
        return scores

    def predict(self, X: Any) -> np.ndarray:
        """Score every model of the zoo on each task, from the general tokens only.

        Parameters
        ----------
        X : array-like of shape (n_tasks, n_features), sequence of token sets or of Task
            As in ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_tasks, n_models)
            Larger = better.
        """
        check_is_fitted(self)
        sets, _ = self._inputs(X, reset=False)
        return self._decision(sets)

    def rescore(self, X: Any, models: Any) -> np.ndarray:
        """Score chosen PTMs of each task again, with their own tokens in their sequences.

        The re-scoring step of re-ranking (`RerankTransformer`): PTM ``models[t][j]`` of task
        ``t`` is scored with its PTM-specific tokens (``X[t].model_tokens``) appended to the
        task's general tokens. Only those PTMs' tokens are loaded (lazy ones too). A PTM
        without tokens in the task, or without a projection in the network (its tokens were
        absent from the training tasks), is scored from the general tokens only, as in
        `predict`. The scores are on the scale of `predict` (``prior_`` included; the
        network's part weighted by ``specific_shrinkage_`` where the PTM's own tokens were
        used, by ``shrinkage_`` elsewhere), so the two can be compared and merged.

        Parameters
        ----------
        X : sequence of Task, or as in `predict`
            Tasks with ``tokens`` and ``model_tokens``; token arrays have no PTM-specific
            tokens (the scores are then those of `predict`).
        models : array-like of shape (n_tasks, K)
            Per task, the names of the PTMs to score (elements of ``models_``, matched as
            strings), e.g. `RerankTransformer.select`'s output.

        Returns
        -------
        scores : ndarray of shape (n_tasks, K)
            Larger = better; ``scores[t, j]`` is that of ``models[t][j]``.

        Examples
        --------
        >>> import numpy as np
        >>> from skspider.base import Task
        >>> from skspider.spider import SpiderRanker
        >>> rng = np.random.default_rng(0)
        >>> Y = rng.normal(size=(20, 3))
        >>> tasks = [Task(y=[0, 1], tokens=rng.normal(size=(2, 4)),
        ...               model_tokens={m: np.full((2, 2), row[m]) for m in range(3)})
        ...          for row in Y]
        >>> ranker = SpiderRanker(d_model=8, max_iter=20, device="cpu", random_state=0)
        >>> ranker = ranker.fit(tasks, Y)
        >>> ranker.rescore(tasks[:2], [[2, 0], [1, 2]]).shape
        (2, 2)
        """
        check_is_fitted(self)
        sets, tasks = self._inputs(X, reset=False)
        index = self._model_index(models, len(sets))
        if index.shape[1] == 0:
            return np.zeros((len(sets), 0))
        pairs = None
        if tasks is not None:
            widths = self.module_.specific_widths

            def pairs(batch: np.ndarray) -> list:
                out = []
                for row, t in enumerate(batch):
                    # Loads only these PTMs' tokens; unknown keys of the task are an error.
                    found = self._task_specific(tasks[t], t, models=index[t])
                    for slot, m in enumerate(index[t]):
                        if m not in widths or m not in found:
                            continue
                        if found[m].shape[1] != widths[m]:
                            raise ValueError(
                                f"X[{t}]: the PTM-specific tokens of model {self.models_[m]!r} "
                                f"have width {found[m].shape[1]}, but {widths[m]} in fit."
                            )
                        out.append((row, slot, int(m), found[m]))
                return out

        return self._decision(sets, model_index=index, pairs=pairs)

    def _model_index(self, models: Any, n_tasks: int) -> np.ndarray:
        """``(n_tasks, K)`` model indices of ``models`` (names of ``models_``, as strings)."""
        names = np.asarray(models, dtype=object)
        if names.ndim != 2 or names.shape[0] != n_tasks:
            raise ValueError(
                f"models must be (n_tasks, K) model names, one row per task of X ({n_tasks}); "
                f"got shape {names.shape}."
            )
        key_to_model = self._key_to_model()
        unknown = sorted({str(n) for n in names.ravel()} - set(key_to_model))
        if unknown:
            raise ValueError(
                f"models names {unknown[:5]} that are not models of this ranker "
                f"({[str(m) for m in self.models_[:10]]}{' ...' if self.n_models_ > 10 else ''})."
            )
        return np.vectorize(lambda n: key_to_model[str(n)], otypes=[np.int64])(names)

    # -- new models -------------------------------------------------------------------------
    @validate_params(
        {
            "X": "no_validation",
            "y": "no_validation",
            "max_iter": [Interval(Integral, 1, None, closed="left"), None],
            "lr": [Interval(Real, 0, None, closed="neither"), None],
            "init": [StrOptions({"nearest", "random"})],
        },
        prefer_skip_nested_validation=True,
    )
    def add_models(
        self,
        X: Any,
        y: Any,
        *,
        max_iter: int | None = None,
        lr: float | None = None,
        init: Literal["nearest", "random"] = "nearest",
    ) -> SpiderRanker:
        """Add PTMs to the zoo by learning their tokens only, the rest of the network frozen.

        Parameters
        ----------
        X : array-like of shape (n_tasks, n_features), sequence of token sets or of Task
            A few tasks on which the new models were evaluated (as in ``fit``).
        y : DataFrame or array-like of shape (n_tasks, n_columns)
            Performances or proxy ranks on these tasks, larger = better, NaN = unknown. A
            DataFrame names its columns: names not in ``models_`` are the new models, the
            others (optional, any subset) are fitted models whose known values anchor the new
            ones in the ranking. A plain array (only for a ranker fitted on a plain array)
            has ``n_models_`` columns for the fitted models followed by the new ones, named
            ``n_models_, n_models_ + 1, ...``.
        max_iter : int, default=None
            Optimiser steps (batches of ``batch_size`` tasks); defaults to ``max_iter``.
        lr : float, default=None
            Learning rate (cosine schedule to ``lr_min``); defaults to ``lr``.
        init : {"nearest", "random"}, default="nearest"
            Starting token of each new model. "nearest": a copy of the token of the fitted
            model whose within-task rank positions (on the tasks of ``y`` where both are
            known) correlate most with the new one's; random N(0, 1) when ``y`` holds no
            fitted model to compare with. "random": N(0, 1), as in ``fit``. A good start
            matters: only a few tasks constrain the new token.

        Returns
        -------
        self : SpiderRanker
            With ``models_``, ``n_models_`` and ``module_`` extended. The new models have no
            PTM-specific projection (they are ranked from the general tokens). With
            ``prior``, ``prior_`` is extended too: the new models' task-blind utilities are
            the Plackett-Luce utilities that best explain ``y`` with the fitted models'
            values held, so a new model is placed by how it compares with the others on the
            same tasks (its mean over other tasks would not be comparable); their tokens
            learn the network's part on top; ``shrinkage_`` is kept. So after
            ``add_models`` the task-blind ranking is no longer exactly `PriorRanker`'s.
        """
        check_is_fitted(self)
        sets, _ = self._inputs(X, reset=False)
        arr, names = check_performance_matrix(y, name="y")
        self._check_n_tasks(sets, arr)
        known = self._key_to_model()
        if names is None:
            if self.models_.dtype == object:
                raise ValueError(
                    "y must be a DataFrame naming its columns: this ranker's models are named."
                )
            if arr.shape[1] <= self.n_models_:
                raise ValueError(
                    f"y has {arr.shape[1]} columns; a plain array must hold the {self.n_models_} "
                    "fitted models followed by at least one new model."
                )
            names = np.arange(arr.shape[1])
        new = [n for n in names if str(n) not in known]
        if not new:
            raise ValueError(f"y names no new model: all its columns are in models_ {names}.")
        if len(set(map(str, names))) != len(names):
            raise ValueError("y has duplicate column names.")
        M, M_new = self.n_models_, len(new)
        Y = np.full((arr.shape[0], M + M_new), np.nan)
        new_pos = {str(n): M + i for i, n in enumerate(new)}
        for j, n in enumerate(names):
            Y[:, known.get(str(n), new_pos.get(str(n)))] = arr[:, j]
        if np.isnan(Y[:, M:]).all(axis=0).any():
            raise ValueError("every new model needs at least one known value in y.")

        module = self.module_
        device = next(module.parameters()).device
        rng, generator, init_generator = self._generators(device)
        old_tokens = module.model_tokens.detach()
        start = torch.randn(M_new, module.d_model, generator=init_generator).to(device)
        if init == "nearest":
            for j, m in enumerate(_nearest_models(Y, M)):
                if m is not None:
                    start[j] = old_tokens[m]
        new_tokens = torch.nn.Parameter(start)
        flags = [p.requires_grad for p in module.parameters()]
        for p in module.parameters():
            p.requires_grad_(False)
        n_steps = self.max_iter if max_iter is None else int(max_iter)
        lr = self.lr if lr is None else float(lr)
        prior, offset = getattr(self, "prior_", None), None
        if prior is not None:
            # The new models' task-blind utilities, the fitted ones held: the same convex
            # problem as in fit, on these tasks. Their tokens then learn the residual.
            prior = plackett_luce_prior(Y, self.ties, fixed=np.r_[prior, np.full(M_new, np.nan)])
            offset = torch.from_numpy(prior).to(device=device, dtype=torch.float32)
        bar = progress_bar(
            n_steps, desc="SpiderRanker.add_models", verbose=self.verbose, unit="step"
        )
        try:
            with bar:
                losses, _ = train_steps(
                    module,
                    TokenBank(sets, device),
                    tuple(
                        torch.from_numpy(a).to(device) for a in plackett_luce_order(Y, self.ties)
                    ),
                    n_steps=n_steps,
                    batch_size=self.batch_size,
                    optimizer=torch.optim.Adam([new_tokens], lr=lr),
                    lr_at=cosine_schedule(lr, self.lr_min, n_steps),
                    rng=rng,
                    generator=generator,
                    available=[],
                    max_specific_tokens=0,
                    model_tokens=lambda: torch.cat([old_tokens, new_tokens]),
                    offset=offset,
                    on_step=_LossReporter(bar) if self.verbose else None,
                )
        finally:
            for p, flag in zip(module.parameters(), flags):
                p.requires_grad_(flag)
        module.model_tokens = torch.nn.Parameter(torch.cat([old_tokens, new_tokens.detach()]))
        self._cache_terms()
        if prior is not None:
            self.prior_ = prior
        names_out = list(self.models_) + list(new)
        dtype = object if any(isinstance(n, str) for n in names_out) else None
        self.models_ = np.asarray(
            names_out if dtype is None else [str(n) for n in names_out], dtype=dtype
        )
        self.n_models_ = M + M_new
        self._net_config["n_models"] = self.n_models_
        self.add_models_loss_curve_ = losses
        return self

    # -- persistence ------------------------------------------------------------------------
    def __getstate__(self) -> dict:
        # A copy: object.__getstate__ may return the live __dict__ itself.
        state = dict(super().__getstate__())
        state.pop("_terms_cache", None)
        module = state.pop("module_", None)
        if module is not None:
            # Tensors on the CPU: the pickle loads on a machine without CUDA.
            state["_module_state"] = {
                k: v.detach().cpu().clone() for k, v in module.state_dict().items()
            }
        return state

    def __setstate__(self, state: dict) -> None:
        module_state = state.pop("_module_state", None)
        # Saved before the task-blind term existed: the network alone, as it was trained.
        state.setdefault("prior", False)
        state.setdefault("shrinkage", "auto")
        if module_state is not None:
            state.setdefault("prior_", None)
            state.setdefault("shrinkage_", 1.0)
            state.setdefault("shrinkage_scores_", {})
            state.setdefault("specific_shrinkage_", 1.0)
            state.setdefault("specific_shrinkage_scores_", {})
        super().__setstate__(state)
        if module_state is None:
            return
        # A throwaway generator: building must not touch torch's global one.
        module = SpiderNetwork(**self._net_config, generator=torch.Generator().manual_seed(0))
        module.load_state_dict(module_state)
        device = torch.device("cpu")
        try:
            device = resolve_device(self.device)
        except (TypeError, ValueError):
            warnings.warn(
                f"SpiderRanker was saved with device={self.device!r}, which is not available "
                "here; the network is loaded on the CPU.",
                UserWarning,
                stacklevel=2,
            )
        self.module_ = module.to(device).eval()
        self._cache_terms()
