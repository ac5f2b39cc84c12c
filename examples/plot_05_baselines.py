"""
Simple baselines against Spider
===============================

A learned ranker is worth its training only if it beats rankers that cost nothing. The
baselines of `skspider.dummy` follow the same contract (``fit(X, Y)``, ``predict``,
``score``), so they are compared in one loop:

* `~skspider.dummy.PriorRanker`: every task gets the mean training ranking (no task
  information at all);
* `~skspider.dummy.MetadataRanker`: a metadata column of the zoo, here the number of
  parameters (bigger is better);
* `~skspider.dummy.RidgeRanker`: a ridge regression per PTM on the task's mean token;
* `~skspider.dummy.NearestTasksRanker`: the mean ranking of the training tasks nearest to
  the new one in token space;
* `~skspider.spider.SpiderRanker`: the ranker shipped with the glyph zoo.

All learn from the training tasks' tokens and proxy ranks and are scored on the test
tasks against the fine-tuned truth.
"""

# %%
# 1. Training and test tasks
# --------------------------
from skspider.datasets import load_glyph_zoo
from skspider.tasks import TaskTokenizer

data = load_glyph_zoo()
X_train, Y_train = data.train_tokens, data.proxy_train
X_test = TaskTokenizer().fit_transform(data.test_tasks)
Y_test = data.truth.loc[[t.name for t in data.test_tasks]]

# %%
# 2. Fit and score every ranker
# -----------------------------
# ``mean_weighted_tau(..., return_per_task=True)`` keeps each test task's tau_w, to show
# the spread as well as the mean. The baselines keep their defaults.
import pandas as pd

from skspider.dummy import MetadataRanker, NearestTasksRanker, PriorRanker, RidgeRanker
from skspider.metrics import mean_weighted_tau

rankers = {
    "prior": PriorRanker(),
    "n_params": MetadataRanker(metadata=data.zoo.metadata(), column="n_params"),
    "ridge": RidgeRanker(),
    "nearest tasks": NearestTasksRanker(),
}
per_task = {}
for name, ranker in rankers.items():
    ranker.fit(X_train, Y_train)
    per_task[name] = mean_weighted_tau(Y_test, ranker.predict(X_test), return_per_task=True)
per_task["Spider (shipped)"] = mean_weighted_tau(
    Y_test, data.ranker.predict(X_test), return_per_task=True
)
per_task = pd.DataFrame(per_task, index=Y_test.index)
per_task.agg(["mean", "std"]).T.round(3)

# %%
# 3. Per-task tau_w
# -----------------
# Each point is a test task; the bar is the mean. The dashed line is the ceiling the
# glyph zoo's build reports: how well one fine-tuning seed's ranking agrees with
# another's, the most any ranker can expect.
import matplotlib.pyplot as plt
import numpy as np

fig, ax = plt.subplots(figsize=(7, 4))
positions = np.arange(per_task.shape[1])
ax.bar(positions, per_task.mean(), color="C0", alpha=0.4)
for i, name in enumerate(per_task.columns):
    jitter = np.linspace(-0.2, 0.2, len(per_task))
    ax.plot(i + jitter, per_task[name], "o", color="C0", markersize=3)
ceiling = data.report["test"]["ceiling_tau_w"]
ax.axhline(ceiling, color="C3", linestyle="--", label="seed-to-seed ceiling")
ax.set_xticks(positions, per_task.columns, rotation=20)
ax.set_ylabel("tau_w against the fine-tuned truth")
ax.legend(loc="lower right")
fig.tight_layout()
