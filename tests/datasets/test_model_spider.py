import numpy as np

from skspider.datasets import load_model_spider


def test_contents():
    data = load_model_spider()
    assert data.finetune_single_source.shape == (10, 10)
    assert list(data.finetune_single_source.columns) == data.models
    assert data.models[0] == "googlenet" and data.models[-1] == "mnasnet1_0"
    assert data.finetune_multi_source.shape == (7, 66)
    assert len(data.multi_source_zoo) == 42
    assert set(data.multi_source_zoo) <= set(data.finetune_multi_source.columns)
    assert list(data.proxy_ranks_multi_source.columns) == data.multi_source_zoo
    assert data.baseline_scores.shape == (80, 9)
    assert list(data.baseline_scores.columns) == [
        "H-Score", "LEEP", "LogME", "NCE", "N-LEEP", "OTCE", "PACTran", "GBC", "LFC",
    ]  # fmt: skip
    assert set(data.baseline_scores.columns) <= set(data.paper_tau_w.index)
    assert not data.baseline_scores.isna().any().any()
    assert data.proxy_ranks_single_source.shape == (96, 10)
    assert data.proxy_ranks_multi_source.shape == (96, 42)
    assert len(data.train_tasks) == 13
    assert set(data.train_tasks) <= set(data.proxy_ranks_single_source.index)
    assert data.paper_tau_w.loc["Model Spider", "mean"] == 0.8
    assert list(data.paper_tau_w.columns[:-1]) == data.test_datasets
    assert data.sampled_task_classes["c0"][0] == ("Dogs", 99)
    assert set(data.sampled_task_classes) >= set(data.proxy_ranks_multi_source.index)
    assert "MIT License" in data.DESCR and "Yi-Kai Zhang" in data.DESCR


def test_each_call_returns_independent_copies():
    first = load_model_spider()
    first.finetune_single_source.iloc[0, 0] = -1.0
    first.train_tasks.append("c0")
    first.sampled_task_classes["c0"].clear()
    second = load_model_spider()
    assert second.finetune_single_source.iloc[0, 0] == 82.7
    assert len(second.train_tasks) == 13
    assert len(second.sampled_task_classes["c0"]) > 0


def test_regression_rows_are_negated_errors():
    ft = load_model_spider().finetune_single_source
    assert (ft.loc[["dSprites", "UTKFace"]].to_numpy() < 0).all()
    assert np.all(ft.loc["CIFAR10"] > 90)
