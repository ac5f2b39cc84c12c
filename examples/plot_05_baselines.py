"""
Simple baselines against Spider
===============================

A learned ranker is worth its training only if it beats rankers that cost nothing, and the
transferability estimators that read every PTM. `~skspider.evaluation.make_rankers` builds
them beside the shipped `~skspider.spider.SpiderRanker`, all fitted on the same training
records:

* ``prior``: `~skspider.dummy.PriorRanker`, each PTM's mean record: the same ranking for
  every task (a leaderboard);
* ``metadata``: `~skspider.dummy.MetadataRanker`, bigger is better;
* ``ridge``: `~skspider.dummy.RidgeRanker`, a ridge regression per PTM on the task's mean
  token; ``nearest``: `~skspider.dummy.NearestTasksRanker`, the mean records of the
  training tasks nearest in token space;
* ``spider+rerank``: Spider, its top k re-scored with their own tokens;
* ``LogME``: a transferability estimator on a forward pass of every PTM.

`~skspider.evaluation.evaluate_rankers`, the protocol of the benchmark, runs them on test
tasks: it counts the forward passes each ranker reads and charges it their seconds.
"""

# %%
# 1. The rankers
# --------------
from skspider.datasets import load_glyph_zoo
from skspider.evaluation import evaluate_rankers, make_rankers, summarize_evaluation

data = load_glyph_zoo()
rankers, skipped = make_rankers(
    data.ranker,
    train_tokens=data.train_tokens,
    train_labels=data.train_truth,
    metadata=data.zoo.metadata(),
    rerank_k=data.rerank["k"],
    estimators=("LogME",),
)
print(sorted(rankers))

# %%
# 2. Rank test tasks
# ------------------
# The six smallest test tasks keep this example to seconds (the benchmark runs all of them,
# :doc:`/benchmarks`). Each row of the table is one (task, ranker).
tasks = sorted(data.test_tasks, key=lambda t: t.n_samples)[:6]
truth = data.truth.loc[[t.name for t in tasks]]
table = evaluate_rankers(rankers, tasks, truth, loader=data.feature_loader())
summary = summarize_evaluation(table)
summary[["tau_w", "tau_w_std", "top1_regret", "seconds", "forward_passes"]].round(4)

# %%
# 3. Per-task tau_w
# -----------------
# Each point is a task; the bar is the mean. The dashed line is the noise ceiling of these
# tasks' truth: how well one fine-tuning seed's ranking agrees with the mean of the others.
import matplotlib.pyplot as plt
import numpy as np

from skspider.datasets.glyph_zoo import noise_ceiling

ceiling = noise_ceiling({s: t.loc[truth.index] for s, t in data.truth_seeds.items()})
wide = table.pivot(index="task", columns="ranker", values="tau_w")[summary.index]
fig, ax = plt.subplots(figsize=(7.5, 4))
positions = np.arange(wide.shape[1])
ax.bar(positions, wide.mean(), color="C0", alpha=0.4)
jitter = np.linspace(-0.2, 0.2, len(wide))
for i, name in enumerate(wide.columns):
    ax.plot(i + jitter, wide[name], "o", color="C0", markersize=3)
ax.axhline(ceiling, color="C3", linestyle="--", label="noise ceiling of these tasks")
ax.set_xticks(positions, wide.columns, rotation=20)
ax.set_ylabel("tau_w against the fine-tuned truth\n(higher is better)")
ax.legend(loc="lower right")
fig.tight_layout()

# %%
# 4. Quality against cost
# -----------------------
# `~skspider.plotting.TauTimeDisplay` puts each ranker's mean tau_w against its seconds per
# new task (log scale): better is up and to the left. The task-blind rankers read nothing;
# Spider and the token baselines one encoder pass; the re-ranker k PTM passes more; LogME a
# pass of every PTM.
from skspider.plotting import TauTimeDisplay

frame = summary.assign(seconds=summary["seconds"].clip(lower=1e-4))
disp = TauTimeDisplay.from_results(frame, ceiling=ceiling)
disp.figure_.tight_layout()
