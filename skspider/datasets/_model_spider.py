"""The figures published with the Model Spider paper, shipped as a dataset."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources

import pandas as pd
from sklearn.utils import Bunch

__all__ = ["load_model_spider"]

_DATA = "data/model_spider"

#: The 13 sampled tasks the paper's released script trains on.
TRAIN_TASKS = ("c86", "c59", "c16", "c14", "c38", "c43", "c9", "c12", "c32", "c19", "c31",
               "c57", "c29")  # fmt: skip

#: The 8 classification test sets of the paper's single-source table, in its column order.
TEST_DATASETS = ("Aircraft", "Caltech101", "Cars", "CIFAR10", "CIFAR100", "DTD", "Pet", "SUN397")

#: Column names of the baseline-score file, mapped to the method names of the paper's table.
BASELINE_NAMES = {
    "H-Score": "H-Score",
    "NCE": "NCE",
    "LEEP": "LEEP",
    "NLEEP": "N-LEEP",
    "LogME": "LogME",
    "PACTranDirichlet": "PACTran",
    "OTCE": "OTCE",
    "LFC": "LFC",
    "GBC": "GBC",
}


def _path(name: str):
    return resources.files("skspider.datasets").joinpath(_DATA, name)


def _csv(name: str, **kwargs) -> pd.DataFrame:
    with _path(name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, **kwargs)


@lru_cache(maxsize=1)
def _load() -> dict:
    finetune = _csv("finetune_accuracy_single_source.csv", index_col="dataset")
    models = list(finetune.columns)
    scores = _csv("baseline_scores_single_source.csv")
    scores = scores.rename(columns=BASELINE_NAMES).set_index(["Dataset", "Model"])
    scores.index.names = ["dataset", "model"]
    # Order rows as the figures' dataset and model order, so .unstack() gives aligned tables.
    order = pd.MultiIndex.from_product([TEST_DATASETS, models], names=scores.index.names)
    scores = scores.reindex(order)
    with _path("multi_source_zoo_42.txt").open("r", encoding="utf-8") as fh:
        zoo42 = [line.strip() for line in fh if line.strip()]
    with _path("sampled_task_classes.json").open("r", encoding="utf-8") as fh:
        classes = {k: [(str(d), int(c)) for d, c in v] for k, v in json.load(fh).items()}
    with _path("README.md").open("r", encoding="utf-8") as fh:
        descr = fh.read()
    return {
        "finetune_single_source": finetune,
        "finetune_multi_source": _csv("finetune_accuracy_multi_source_66.csv", index_col=0),
        "multi_source_zoo": zoo42,
        "baseline_scores": scores,
        "proxy_ranks_single_source": _csv("proxy_ranks_single_source.csv", index_col="task"),
        "proxy_ranks_multi_source": _csv("proxy_ranks_multi_source.csv", index_col="task"),
        "paper_tau_w": _csv("paper_table_tau_w.csv", index_col="method"),
        "sampled_task_classes": classes,
        "train_tasks": list(TRAIN_TASKS),
        "test_datasets": list(TEST_DATASETS),
        "models": models,
        "DESCR": descr,
    }


def load_model_spider() -> Bunch:
    """Load the figures published with the Model Spider paper.

    Numbers only (no images, features or weights), as released in the authors' code
    repository (zhangyikaii/Model-Spider, MIT License, Copyright (c) 2023 Yi-Kai Zhang); see
    ``DESCR`` for the attribution and the exact metric convention. Each call returns fresh
    copies, so modifying them never affects a later call.

    Returns
    -------
    data : sklearn.utils.Bunch
        With the keys:

        finetune_single_source : DataFrame (10 datasets x 10 models)
            Fine-tuned accuracy (%) of the 10 ImageNet PTMs (the ground truth); the rows
            dSprites and UTKFace are regression tasks (negated error, higher is better).
        finetune_multi_source : DataFrame (7 datasets x 66 models)
            Ground truth of the 66 fine-tuned multi-source PTMs.
        multi_source_zoo : list of str
            The 42 of those 66 that form the paper's multi-source zoo.
        baseline_scores : DataFrame, index (dataset, model), one column per method
            The 9 baseline transferability scores on the 8 classification test sets
            (``.unstack()`` one column for a dataset x model table).
        proxy_ranks_single_source : DataFrame (96 tasks x 10 models)
            Proxy ranks of the sampled training tasks ``c0..c95``; larger = better.
        proxy_ranks_multi_source : DataFrame (96 tasks x 42 models)
            The same for the multi-source zoo, tasks ``t127..t222``.
        paper_tau_w : DataFrame (methods x test datasets + mean)
            The published tau_w table, Model Spider included.
        sampled_task_classes : dict of str to list of (str, int)
            The (source dataset, class index) pairs each sampled task drew.
        train_tasks : list of str
            The 13 training tasks of the paper.
        test_datasets : list of str
            The 8 test sets, in the table's order.
        models : list of str
            The 10 single-source PTMs, in the order of every single-source table.
        DESCR : str
            The dataset's description and attribution.

    Examples
    --------
    >>> from skspider.datasets import load_model_spider
    >>> data = load_model_spider()
    >>> data.finetune_single_source.loc["CIFAR10", "resnet152"]
    np.float64(97.9)
    >>> data.proxy_ranks_single_source.shape
    (96, 10)
    >>> data.baseline_scores["LogME"].unstack().shape
    (8, 10)
    """
    return Bunch(**copy.deepcopy(_load()))
