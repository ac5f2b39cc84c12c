"""The glyph zoo's truth tables and its report: the figures that say how much a ranker can
show on it (the headroom) and what the cheap labels are worth."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...metrics import mean_weighted_tau, rank_scores
from ...tasks import aggregate_scores
from ._stages import best_lrs

__all__ = ["glyph_zoo_report", "noise_ceiling", "proxy_table", "truth_tables"]


def truth_tables(
    runs: pd.DataFrame,
    split: str | Sequence[str] | None = None,
    *,
    lrs: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, dict[int, pd.DataFrame]]:
    """The truth and its per-seed tables, from the fine-tuning runs.

    The truth of a (task, PTM) is its mean accuracy over the seeds run at the learning rate
    chosen for the PTM's family on the validation tasks (`best_lrs`); the other rates of
    the grid are left out. Rows are tasks and columns PTMs, both in order of appearance.

    Parameters
    ----------
    runs : DataFrame
        One row per run: task, split, model, family, lr, seed, accuracy.
    split : str or sequence of str, default=None
        Keep the tasks of these splits only (None: all).
    lrs : dict of str to float, default=None
        The learning rate of each family (None: chosen from the validation runs).

    Returns
    -------
    truth : DataFrame of shape (n_tasks, n_models)
    per_seed : dict of int to DataFrame
        Seed -> that seed's accuracies (NaN where the seed was not run).
    """
    best = best_lrs(runs) if lrs is None else lrs
    keep = runs[runs["lr"] == runs["family"].map(best)]
    if split is not None:
        keep = keep[keep["split"].isin([split] if isinstance(split, str) else list(split))]
    tasks = list(dict.fromkeys(keep["task"]))
    models = list(dict.fromkeys(runs["model"]))
    table = keep.pivot_table(index="task", columns="model", values="accuracy", aggfunc="mean")
    per_seed = {
        int(s): g.pivot_table(index="task", columns="model", values="accuracy").reindex(
            index=tasks, columns=models
        )
        for s, g in keep.groupby("seed")
    }
    return table.reindex(index=tasks, columns=models), per_seed


def noise_ceiling(per_seed: dict[int, pd.DataFrame]) -> float:
    """How well the truth reproduces itself: the mean tau_w of each seed's accuracies (as
    the score) against the mean of the other seeds' (as the truth), over the seeds and tasks.

    A ranker cannot be expected above it: the truth it is scored against is itself that
    noisy. Needs at least 2 seeds (NaN otherwise); with 3 or more, the mean of the others is
    a steadier truth than one seed.
    """
    seeds = sorted(per_seed)
    if len(seeds) < 2:
        return float("nan")
    values = []
    for s in seeds:
        others = sum(per_seed[o] for o in seeds if o != s) / (len(seeds) - 1)
        values.append(mean_weighted_tau(others, per_seed[s]))
    return float(np.mean(values))


def proxy_table(
    scores: pd.DataFrame, estimators: Sequence[str], tasks: Sequence[str], models: Sequence[str]
) -> pd.DataFrame:
    """Proxy ranks (larger = better) of ``tasks`` x ``models``: the estimators' scores
    aggregated by `skspider.tasks.aggregate_scores` (per-task ranks, their mean)."""
    cube = np.stack(
        [
            scores[scores["estimator"] == est]
            .pivot_table(index="task", columns="model", values="score", dropna=False)
            .reindex(index=list(tasks), columns=list(models))
            .to_numpy(dtype=np.float64)
            for est in estimators
        ]
    )
    return pd.DataFrame(aggregate_scores(cube), index=list(tasks), columns=list(models))


def glyph_zoo_report(
    runs: pd.DataFrame, scores: pd.DataFrame, proxy_estimators: Sequence[str]
) -> dict:
    """The figures that say whether the zoo can show what a ranker is worth.

    For the validation and the test tasks:

    * ``noise_ceiling_tau_w``: `noise_ceiling` of the split's seeds;
    * ``leaderboard_prior_tau_w``: the task-blind ranking of the training records (each
      PTM's mean fine-tuned accuracy over the training tasks) against the truth;
    * ``proxy_prior_tau_w``: the task-blind ranking of the training tasks' proxy ranks
      (their mean, the proxy estimators aggregated);
    * ``headroom_tau_w``: the noise ceiling minus the leaderboard prior;
    * ``share_best_not_leaderboard_top``: the share of tasks whose best PTM (by the truth)
      is not the leaderboard's top pick;
    * ``proxy_tau_w``: each task's own proxy ranks against its truth;
    * ``estimator_tau_w``: each estimator's scores against the truth (the agreement that
      chose the proxy estimators, on the validation tasks);
    * ``fixed_loo_tau_w``: each PTM's mean accuracy on the split's other tasks (a task-blind
      ranking from the split itself);
    * ``mean_accuracy`` and ``accuracy_range``.

    And for the training tasks: their number, the number of records, the leaderboard's
    order, and ``records_vs_proxy_tau_w`` (how well the proxy ranks of the training tasks
    agree with their own fine-tuning records).
    """
    truth_all, _ = truth_tables(runs)
    models = list(truth_all.columns)
    train_truth, _ = truth_tables(runs, "train")
    leaderboard = train_truth.mean(axis=0)
    train_names = list(train_truth.index)
    proxy_train = proxy_table(scores, proxy_estimators, train_names, models)
    proxy_prior = proxy_train.mean(axis=0)
    out: dict = {
        "train": {
            "n_tasks": len(train_names),
            "n_records": int(train_truth.notna().to_numpy().sum()),
            "leaderboard": [str(m) for m in leaderboard.sort_values(ascending=False).index],
            "records_vs_proxy_tau_w": float(mean_weighted_tau(train_truth, proxy_train)),
        }
    }
    estimators = list(dict.fromkeys(scores.loc[scores["split"] != "train", "estimator"]))
    top = int(np.argmax(leaderboard.to_numpy()))
    for split in ("validation", "test"):
        T, per_seed = truth_tables(runs, split)
        if T.empty:
            continue
        names = list(T.index)
        n = len(names)

        def fixed(values: pd.Series, T=T, n=n) -> float:
            return float(mean_weighted_tau(T, np.tile(values.reindex(T.columns), (n, 1))))

        loo = (
            float(mean_weighted_tau(T, np.vstack([T.drop(index=t).mean(axis=0) for t in names])))
            if n > 1
            else None
        )
        per_estimator = {}
        for est in estimators:
            S = (
                scores[scores["estimator"] == est]
                .pivot_table(index="task", columns="model", values="score", dropna=False)
                .reindex(index=names, columns=models)
            )
            # A PTM the estimator cannot score (no source head for LEEP) ranks last, as
            # TransferabilityRanker ranks it.
            ranked = -rank_scores(S.to_numpy(), nan_policy="last")
            per_estimator[est] = float(mean_weighted_tau(T, ranked))
        ceiling = noise_ceiling(per_seed)
        prior_tau = fixed(leaderboard)
        best = T.to_numpy().argmax(axis=1)
        out[split] = {
            "n_tasks": n,
            "n_seeds": len(per_seed),
            "noise_ceiling_tau_w": ceiling,
            "leaderboard_prior_tau_w": prior_tau,
            "proxy_prior_tau_w": fixed(proxy_prior),
            "headroom_tau_w": ceiling - prior_tau,
            "share_best_not_leaderboard_top": float(np.mean(best != top)),
            "proxy_tau_w": float(
                mean_weighted_tau(T, proxy_table(scores, proxy_estimators, names, models))
            ),
            "estimator_tau_w": per_estimator,
            "fixed_loo_tau_w": loo,
            "mean_accuracy": float(np.nanmean(T.to_numpy())),
            "accuracy_range": [float(np.nanmin(T.to_numpy())), float(np.nanmax(T.to_numpy()))],
        }
    return out
