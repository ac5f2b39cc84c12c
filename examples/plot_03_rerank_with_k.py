"""
Re-rank the top k PTMs
======================

Model Spider ranks the whole zoo from the task's general tokens; a re-ranker then spends
forward passes on its top ``k`` PTMs only: `~skspider.spider.RerankTransformer` re-scores
them with their own tokens (class centroids in each PTM's feature space, as the authors
do), `~skspider.spider.EstimatorReranker` re-orders them by a transferability estimator
(LogME here). ``k`` trades cost for accuracy: ``k = 0`` needs no PTM pass, ``k`` = the zoo
size needs them all. Here ``k`` is chosen on the glyph zoo's validation tasks, and the
candidates are then measured on its test tasks with the evaluation protocol, which counts
every forward pass the code runs.
"""

# %%
# 1. Lazy tasks
# -------------
# The zoo's `~skspider.zoo.FeatureLoader` turns a task into a `~skspider.base.Task` whose
# arrays are lazy forward passes: the general encoder's features, and each PTM's features,
# computed the first time something reads them and kept. ``TaskTokenizer(model_tokens=True)``
# keeps them lazy: a PTM runs over a task only when a re-ranker reads its tokens.
from skspider.datasets import load_glyph_zoo
from skspider.tasks import TaskTokenizer

data = load_glyph_zoo()
loader = data.feature_loader()
tokenizer = TaskTokenizer(model_tokens=True)
validation = tokenizer.fit_transform([loader.task(t) for t in data.validation_tasks])
spider = data.ranker
Y_validation = data.truth.loc[[t.name for t in validation], spider.models_]

# %%
# 2. Choose k on the validation tasks
# -----------------------------------
# With ``k="auto"``, each re-ranker scores every candidate ``k`` on the validation tasks
# (mean tau_w against their truth) and keeps the best. The shipped ranker is wrapped in
# `~sklearn.frozen.FrozenEstimator`, so only ``k`` is learned. The candidates stop at 5:
# beyond, re-ranking costs a large share of a pass of the whole zoo.
import numpy as np
from sklearn.frozen import FrozenEstimator

from skspider.spider import EstimatorReranker, RerankTransformer

candidates = [0, 1, 3, 5]
own = RerankTransformer(FrozenEstimator(spider), k="auto", k_candidates=candidates)
own.fit(validation, Y_validation)
logme = EstimatorReranker(
    FrozenEstimator(spider), estimator="LogME", k="auto", k_candidates=candidates,
    missing="nan", error_score=np.nan,
).fit(validation, Y_validation)  # fmt: skip
print(f"k chosen on the validation tasks: {own.k_} (own tokens), {logme.k_} (LogME)")

# %%
# 3. Every candidate on the test tasks
# ------------------------------------
# `~skspider.evaluation.evaluate_rankers` ranks each test task with each candidate from
# scratch and counts the PTM passes each one read. The test tasks play no part in the
# choice above.
from sklearn.pipeline import make_pipeline

from skspider.evaluation import evaluate_rankers, summarize_evaluation

# ``tokenizer`` was fitted above (it only records the general features' width).
rankers = {}
for k in candidates:
    rankers[f"own tokens, k={k}"] = make_pipeline(
        tokenizer,
        RerankTransformer(FrozenEstimator(spider), k=k).fit(validation, Y_validation),
    )
    rankers[f"LogME, k={k}"] = make_pipeline(
        tokenizer,
        EstimatorReranker(FrozenEstimator(spider), estimator="LogME", k=k, missing="nan",
                          error_score=np.nan).fit(validation, Y_validation),
    )  # fmt: skip
test = sorted(data.test_tasks, key=lambda t: t.n_samples)[:4]  # the quickest four
truth = data.truth.loc[[t.name for t in test], spider.models_]
table = evaluate_rankers(rankers, test, truth, loader=loader)
summary = summarize_evaluation(table)
summary[["tau_w", "forward_passes", "seconds"]]

# %%
# 4. tau_w against k
# ------------------
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6.4, 4))
for i, (label, fitted) in enumerate([("own tokens", own), ("LogME", logme)]):
    ax.plot(candidates, [fitted.k_scores_[k] for k in candidates], "o-", color=f"C{i}",
            label=f"{label}: validation tasks")  # fmt: skip
    ax.plot(candidates, [summary.loc[f"{label}, k={k}", "tau_w"] for k in candidates], "s--",
            color=f"C{i}", label=f"{label}: {len(test)} test tasks")  # fmt: skip
ax.set_xlabel("k (PTMs given a forward pass)")
ax.set_ylabel("mean tau_w (higher is better)")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# On this zoo the shipped ranker keeps the leaderboard of its training records (its learned
# part did not carry over to new domains, :doc:`/glyph_zoo`), and re-ordering its top PTMs
# did not help on the validation tasks: the leaderboard's top PTMs are close in accuracy,
# closer than the estimators can tell apart. The counts above are what each candidate
# cost: ``k`` PTM passes per task, never more.
