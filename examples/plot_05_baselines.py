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
tasks against the fine-tuned truth, beside the proxy ranks themselves (transferability
estimators), which need no training but a forward pass of every PTM over the new task.
"""

# %%
# 1. Training and test tasks
# --------------------------
# A test task reaches the token-based rankers as its tokens: one pass of the general
# encoder over its images, then one centroid per class. That pass is timed, to be added
# to each such ranker's own time.
from time import perf_counter

from skspider.base import Task
from skspider.datasets import load_glyph_zoo
from skspider.tasks import TaskTokenizer
from skspider.zoo import extract_features

data = load_glyph_zoo(with_features=False)
X_train, Y_train = data.train_tokens, data.proxy_train
test = data.test_tasks
Y_test = data.truth.loc[[t.name for t in test]]

start = perf_counter()
encoded = [
    Task(
        y=t.y,
        X=extract_features(data.encoder, t.metadata["images"], layer="head", device="cpu").features,
    )
    for t in test
]
X_test = TaskTokenizer().fit_transform(encoded)
token_seconds = (perf_counter() - start) / len(test)

# %%
# 2. Fit every ranker, rank the test tasks
# ----------------------------------------
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
    "Spider": data.ranker,  # fitted already
}
reads_the_task = {"ridge", "nearest tasks", "Spider"}
per_task, seconds = {}, {}
for name, ranker in rankers.items():
    if name != "Spider":
        ranker.fit(X_train, Y_train)
    start = perf_counter()
    scores = ranker.predict(X_test)
    seconds[name] = (perf_counter() - start) / len(test)
    seconds[name] += token_seconds if name in reads_the_task else 0.0
    per_task[name] = mean_weighted_tau(Y_test, scores, return_per_task=True)

# %%
# The transferability estimators read the task through every PTM instead: a forward pass
# of each over the task's images (`~skspider.zoo.make_task`), then LogME, LEEP, NCE and
# H-score, aggregated into proxy ranks (`~skspider.tasks.proxy_ranks`). The zoo's build
# computed them for every test task (``proxy_eval``); their cost is measured here on one.
from skspider.tasks import proxy_ranks
from skspider.zoo import make_task

one = test[0]
start = perf_counter()
proxy_ranks([make_task(data.zoo, one.metadata["images"], one.y, name=one.name, device="cpu")])
seconds["proxy ranks"] = perf_counter() - start
per_task["proxy ranks"] = mean_weighted_tau(
    Y_test, data.proxy_eval.loc[Y_test.index], return_per_task=True
)

per_task = pd.DataFrame(per_task, index=Y_test.index)
results = pd.DataFrame(
    {"tau_w": per_task.mean(), "std": per_task.std(), "seconds": pd.Series(seconds)}
)
results.round(4)

# %%
# 3. Per-task tau_w
# -----------------
# Each point is a test task; the bar is the mean. The dashed line is a reference the
# glyph zoo's build reports: how well the ranking of one fine-tuning seed agrees with
# another's.
import matplotlib.pyplot as plt
import numpy as np

ceiling = data.report["test"]["ceiling_tau_w"]
fig, ax = plt.subplots(figsize=(7, 4))
positions = np.arange(per_task.shape[1])
ax.bar(positions, per_task.mean(), color="C0", alpha=0.4)
jitter = np.linspace(-0.2, 0.2, len(per_task))
for i, name in enumerate(per_task.columns):
    ax.plot(i + jitter, per_task[name], "o", color="C0", markersize=3)
ax.axhline(ceiling, color="C3", linestyle="--", label="seed-to-seed agreement")
ax.set_xticks(positions, per_task.columns, rotation=20)
ax.set_ylabel("tau_w against the fine-tuned truth")
ax.legend(loc="lower right")
fig.tight_layout()

# %%
# 4. Quality against cost
# -----------------------
# `~skspider.plotting.TauTimeDisplay` puts each ranker's mean tau_w against its seconds
# per new task (log scale): better is up and to the left. The rankers that ignore the task
# cost nothing; the token-based ones one encoder pass; the proxy ranks a pass of every PTM.
from skspider.plotting import TauTimeDisplay

disp = TauTimeDisplay.from_results(results, ceiling=ceiling)
disp.figure_.tight_layout()
