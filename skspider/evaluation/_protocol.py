"""`evaluate_rankers`: the one protocol that ranks tasks, counts passes and scores."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._progress import track
from .._sklearn_compat import validate_params
from ..base import Task
from ..metrics import rank_scores, weighted_tau
from ..zoo import FeatureLoader

__all__ = ["evaluate_rankers", "summarize_evaluation"]

COLUMNS = [
    "task",
    "ranker",
    "tau_w",
    "top1_regret",
    "seconds",
    "cpu_seconds",
    "forward_passes",
    "encoder_passes",
]


def _models_of(ranker: Any) -> list[str] | None:
    """The model names a fitted ranker (or a Pipeline ending in one) scores, in its order."""
    est = ranker
    if hasattr(est, "steps"):
        est = est.steps[-1][1]
    if hasattr(est, "estimator") and not hasattr(est, "models_"):  # FrozenEstimator
        est = est.estimator
    models = getattr(est, "models_", None)
    return None if models is None else [str(m) for m in models]


@validate_params(
    {
        "rankers": [Mapping],
        "tasks": ["array-like"],
        "truth": [pd.DataFrame],
        "loader": [FeatureLoader],
        "warm_up": ["boolean"],
        "return_scores": ["boolean"],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def evaluate_rankers(
    rankers: Mapping[str, Any],
    tasks: Sequence[Task],
    truth: pd.DataFrame,
    *,
    loader: FeatureLoader,
    warm_up: bool = True,
    return_scores: bool = False,
    verbose: int = 0,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Rank each task with each ranker, counting and timing every forward pass it needs.

    Each task becomes a lazy task of ``loader`` (`skspider.zoo.FeatureLoader.task`): the
    general encoder's features and every PTM's features and source probabilities are
    computed the first time a ranker reads them, kept for the next rankers, and charged to
    every ranker that reads them, with their measured seconds. So a ranker's forward passes
    are counted by the code that runs them (LogME reads all PTMs, the prior none, Spider
    the encoder only, a re-ranker the encoder and the top k), and its seconds are those of
    ranking one new task from scratch: its own computation plus the passes it used, whoever
    ran them first.

    Parameters
    ----------
    rankers : mapping of str to fitted ranker
        Name -> a fitted estimator whose ``predict`` takes a list of `~skspider.base.Task`
        (raw tasks: labels and lazy arrays) and returns ``(n_tasks, n_models)`` scores,
        e.g. ``make_pipeline(TaskTokenizer(), FrozenEstimator(spider))``, a
        `~skspider.transferability.TransferabilityRanker`, a `~skspider.dummy.PriorRanker`.
        Its ``models_`` (or its last step's) must name the columns of ``truth``.
    tasks : sequence of Task
        The tasks, each holding the networks' inputs in ``metadata["images"]`` (or
        ``metadata["inputs"]``).
    truth : DataFrame of shape (n_tasks, n_models)
        The true performance (fine-tuned accuracy), indexed by task name, one column per
        PTM of the loader's zoo.
    loader : FeatureLoader
        The zoo, the general encoder and the device of the passes.
    warm_up : bool, default=True
        Before timing, run every network once over a few inputs and every ranker once on the
        first task (untimed and uncounted), so that first-call costs are charged to no one.
    return_scores : bool, default=False
        Also return every ranker's scores.
    verbose : int, default=0
        A progress bar over the tasks on ``sys.stderr`` when > 0.

    Returns
    -------
    results : DataFrame
        One row per (task, ranker): ``tau_w`` (weighted Kendall tau of the scores against
        the truth, paper convention; a PTM a ranker leaves unscored, NaN, ranks last),
        ``top1_regret`` (the truth's best minus the truth of the ranker's top pick),
        ``seconds`` and ``cpu_seconds`` (wall-clock and process-CPU time to rank the task:
        the ranker's own work plus every pass it read), ``forward_passes`` (PTM passes read)
        and ``encoder_passes`` (0 or 1).
    scores : dict of str to DataFrame
        With ``return_scores``: ranker name -> scores (tasks x PTMs, truth's columns).

    See Also
    --------
    summarize_evaluation : Means per ranker.
    skspider.zoo.FeatureLoader : The counting loader.

    Examples
    --------
    >>> import numpy as np, pandas as pd, torch
    >>> from torch import nn
    >>> from skspider.base import Task
    >>> from skspider.dummy import PriorRanker
    >>> from skspider.evaluation import evaluate_rankers
    >>> from skspider.transferability import LogME, TransferabilityRanker
    >>> from skspider.zoo import FeatureLoader, ModelZoo
    >>> _ = torch.manual_seed(0)
    >>> zoo = ModelZoo({m: nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
    ...                 for m in ("a", "b", "c")})
    >>> rng = np.random.default_rng(0)
    >>> task = Task(y=np.arange(20) % 2, name="t0",
    ...             metadata={"inputs": rng.normal(size=(20, 4)).astype("float32")})
    >>> truth = pd.DataFrame([[0.9, 0.5, 0.7]], index=["t0"], columns=["a", "b", "c"])
    >>> prior = PriorRanker().fit([[0.0]] * 2, pd.DataFrame([[3, 1, 2]] * 2, columns=truth.columns))
    >>> logme = TransferabilityRanker(LogME()).fit([task], truth)
    >>> table = evaluate_rankers({"prior": prior, "LogME": logme}, [task], truth,
    ...                          loader=FeatureLoader(zoo, device="cpu"))
    >>> table[["ranker", "tau_w", "forward_passes"]]
      ranker  tau_w  forward_passes
    0  prior    1.0               0
    1  LogME    ...               3
    """
    if not rankers:
        raise ValueError("rankers is empty: give at least one name -> fitted ranker.")
    tasks = list(tasks)
    if not tasks:
        raise ValueError("tasks is empty.")
    models = [str(m) for m in truth.columns]
    zoo_models = [str(m) for m in loader.zoo.names]
    if sorted(models) != sorted(zoo_models):
        raise ValueError(
            f"truth's columns {models[:5]}... are not the PTMs of the loader's zoo "
            f"{zoo_models[:5]}...: the truth and the zoo must name the same PTMs."
        )
    order = {}
    for name, ranker in rankers.items():
        if not hasattr(ranker, "predict"):
            raise TypeError(f"ranker {name!r} has no predict method.")
        own = _models_of(ranker)
        if own is not None:
            if sorted(own) != sorted(models):
                raise ValueError(
                    f"ranker {name!r} ranks {own[:5]}..., not the PTMs of the truth "
                    f"{models[:5]}...: it was fitted on another zoo."
                )
            order[name] = [own.index(m) for m in models]
    lazy = [loader.task(t) for t in tasks]
    missing = [t.name for t in lazy if t.name not in truth.index]
    if missing:
        raise ValueError(f"truth has no row for tasks {missing[:5]}.")

    known = truth.loc[[t.name for t in lazy], models]
    if known.isna().any(axis=None):
        bad = list(known.index[known.isna().any(axis=1)])
        raise ValueError(
            f"truth has unknown (NaN) accuracies for tasks {bad[:5]}: every PTM of an "
            "evaluated task needs its measured accuracy."
        )
    for name, ranker in rankers.items():
        params = ranker.get_params(deep=True) if hasattr(ranker, "get_params") else {}
        parallel = [
            k for k, v in params.items() if k.split("__")[-1] == "n_jobs" and v not in (None, 1)
        ]
        if parallel:
            raise ValueError(
                f"ranker {name!r} sets {parallel[0]}={params[parallel[0]]}: its forward passes "
                "would run in worker processes, where the loader can neither count nor share "
                "them; set it to None or 1 for the evaluation."
            )

    if warm_up:
        loader.warm_up(lazy[0].metadata.get("images", lazy[0].metadata.get("inputs")))
        # Each ranker once, untimed, on the first task: its one-off costs stay out of the
        # figures, and the passes it reads are kept (measured warm) for the timed run.
        for ranker in rankers.values():
            ranker.predict([lazy[0]])

    rows, scores = [], {name: [] for name in rankers}
    for task in track(lazy, desc="evaluate", verbose=verbose, unit="task"):
        T = truth.loc[task.name, models].to_numpy(dtype=np.float64)
        for name, ranker in rankers.items():
            with loader.count() as ledger:
                wall, cpu = time.perf_counter(), time.process_time()
                S = np.asarray(ranker.predict([task]), dtype=np.float64)
                spent = np.array([time.perf_counter() - wall, time.process_time() - cpu])
            if S.shape != (1, len(models)):
                raise ValueError(
                    f"ranker {name!r} returned scores of shape {S.shape} for one task of "
                    f"{len(models)} PTMs."
                )
            s = S[0][order[name]] if name in order else S[0]
            seconds = spent - ledger.inside_seconds + ledger.charged_seconds
            # An unscored PTM (NaN) ranks last, as TransferabilityRanker ranks it.
            ranked = -rank_scores(s[None], nan_policy="last")[0].astype(np.float64)
            pick = int(np.argmax(ranked))
            rows.append(
                (
                    task.name,
                    name,
                    float(weighted_tau(T, ranked)),
                    float(np.nanmax(T) - T[pick]),
                    float(seconds[0]),
                    float(seconds[1]),
                    ledger.n_passes(),
                    ledger.n_passes(encoder=True),
                )
            )
            scores[name].append(s)
        loader.forget(task)  # memory holds one task's passes at a time
    table = pd.DataFrame(rows, columns=COLUMNS)
    if not return_scores:
        return table
    names = [t.name for t in lazy]
    frames = {
        name: pd.DataFrame(np.vstack(values), index=names, columns=models)
        for name, values in scores.items()
    }
    return table, frames


def summarize_evaluation(table: pd.DataFrame) -> pd.DataFrame:
    """Per ranker, over the tasks of `evaluate_rankers`' table: the mean and standard
    deviation of tau_w, the mean top-1 regret, seconds, CPU seconds and passes, sorted by
    mean tau_w (best first).

    Examples
    --------
    >>> import pandas as pd
    >>> from skspider.evaluation import summarize_evaluation
    >>> table = pd.DataFrame({"task": ["t0", "t1", "t0", "t1"], "ranker": ["a", "a", "b", "b"],
    ...                       "tau_w": [0.5, 0.7, 0.9, 0.9], "top1_regret": [0.1, 0.0, 0, 0],
    ...                       "seconds": [1.0, 1.0, 0.1, 0.1], "cpu_seconds": [1, 1, 0.1, 0.1],
    ...                       "forward_passes": [3, 3, 0, 0], "encoder_passes": [0, 0, 1, 1]})
    >>> summarize_evaluation(table)[["tau_w", "forward_passes"]]
            tau_w  forward_passes
    ranker
    b         0.9             0.0
    a         0.6             3.0
    """
    grouped = table.groupby("ranker", sort=False)
    out = grouped[["tau_w", "top1_regret", "seconds", "cpu_seconds", "forward_passes",
                   "encoder_passes"]].mean().astype(float)  # fmt: skip
    out.insert(1, "tau_w_std", grouped["tau_w"].std(ddof=0).astype(float))
    out["n_tasks"] = grouped.size()
    return out.sort_values("tau_w", ascending=False, kind="stable")
