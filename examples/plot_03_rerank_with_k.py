"""
Re-rank the top k PTMs
======================

Model Spider ranks the whole zoo from the task's general tokens, then re-ranks its top
``k`` PTMs with their own tokens: class centroids in each PTM's feature space, which cost a
forward pass of that PTM over the task's data. ``k`` trades cost for accuracy: ``k = 0``
needs no PTM pass, ``k`` = the zoo size needs them all. Here ``k`` is chosen on the glyph
zoo's validation tasks and the choice checked on its test tasks.
"""

# %%
# 1. Tasks with PTM-specific tokens
# ---------------------------------
# `~skspider.zoo.make_task` extracts every PTM's features on a task's images;
# ``TaskTokenizer(model_tokens=True)`` turns them into the PTM-specific tokens (and the
# general-encoder features into the general tokens).
import numpy as np
import pandas as pd

from skspider.datasets import load_glyph_zoo
from skspider.tasks import TaskTokenizer
from skspider.zoo import make_task

data = load_glyph_zoo()
tokenizer = TaskTokenizer(model_tokens=True)


def with_ptm_tokens(tasks):
    """The tasks, each with its general tokens and every PTM's own tokens."""
    return tokenizer.fit_transform(
        [
            make_task(data.zoo, t.metadata["images"], t.y, X=t.X, name=t.name, device="cpu")
            for t in tasks
        ]
    )


validation = with_ptm_tokens(data.validation_tasks)
test = with_ptm_tokens(data.test_tasks)

# %%
# 2. A ranker that has seen PTM-specific tokens
# ---------------------------------------------
# The network learns one projection per PTM for its specific tokens, from training tasks
# that carry them. The zoo's training tasks ship general tokens only (each token a class
# centroid, so one label per token), so the validation tasks join them, labelled with
# their proxy ranks. The ranker thus sees the validation tasks but never their truth,
# which alone chooses ``k`` below; the test tasks it never sees.
from skspider.base import Task
from skspider.spider import SpiderRanker

train = [Task(y=np.arange(len(tokens)), tokens=tokens) for tokens in data.train_tokens]
Y = pd.concat([data.proxy_train, data.proxy_eval.loc[[t.name for t in validation]]])
spider = SpiderRanker(max_iter=200, device="cpu", random_state=0).fit(train + validation, Y)

# %%
# 3. Choose k on the validation tasks
# -----------------------------------
# `~skspider.spider.RerankTransformer` with ``k="auto"`` re-ranks the validation tasks with
# every candidate ``k`` and keeps the best by mean tau_w against the truth. The fitted
# ranker is wrapped in `~sklearn.frozen.FrozenEstimator`, so only ``k`` is learned.
from sklearn.frozen import FrozenEstimator

from skspider.spider import RerankTransformer

Y_validation = data.truth.loc[[t.name for t in validation], spider.models_]
rerank = RerankTransformer(FrozenEstimator(spider), k="auto").fit(validation, Y_validation)
print(f"k chosen on the validation tasks: {rerank.k_}")

# %%
# 4. tau_w against k
# ------------------
# The same candidates on the test tasks, which played no part in the choice (with a fixed
# ``k`` and a frozen ranker, ``fit`` learns nothing).
import matplotlib.pyplot as plt

Y_test = data.truth.loc[[t.name for t in test], spider.models_]
ks = rerank.k_candidates_
test_tau = [
    RerankTransformer(FrozenEstimator(spider), k=k)
    .fit(validation, Y_validation)
    .score(test, Y_test)
    for k in ks
]
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(ks, [rerank.k_scores_[k] for k in ks], "o-", label="validation tasks")
ax.plot(ks, test_tau, "s-", label="test tasks")
ax.axvline(rerank.k_, color="C7", linestyle=":", label=f"chosen k = {rerank.k_}")
ax.set_xlabel("k (PTMs re-ranked with their own tokens)")
ax.set_ylabel("mean tau_w")
ax.legend()
fig.tight_layout()
