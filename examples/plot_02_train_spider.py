"""
Train a SpiderRanker on proxy ranks
===================================

Model Spider learns to rank PTMs from a task's tokens alone (one class centroid per class
in a general encoder's feature space), so that a new task needs one pass of the general
encoder instead of one pass of every PTM. It is trained on tasks whose PTM ranking is
approximated cheaply: the proxy ranks, an aggregate of transferability estimators. The
glyph zoo ships both for its training tasks; here a `~skspider.spider.SpiderRanker` is
trained on them with a short budget, and its training curve drawn.
"""

# %%
# 1. Training tasks and their proxy ranks
# ---------------------------------------
# ``train_tokens`` holds each training task's token set (classes x encoder width);
# ``proxy_train`` the proxy ranks (tasks x PTMs, larger = better) in the same order.
from skspider.datasets import load_glyph_zoo

data = load_glyph_zoo()
X_train, Y_train = data.train_tokens, data.proxy_train
print(f"{len(X_train)} training tasks, {Y_train.shape[1]} PTMs")
Y_train.iloc[:5, :4]

# %%
# 2. Fit with early stopping
# --------------------------
# ``max_iter`` counts optimiser steps; 200 keep this example to seconds (the shipped ranker
# ran ``data.ranker.max_iter``). With ``early_stopping=True`` a share of the training tasks is
# held out and the network of the epoch with the best validation tau_w is kept
# (``best_epoch_`` counts from 0).
from skspider.spider import SpiderRanker

spider = SpiderRanker(max_iter=200, early_stopping=True, device="cpu", random_state=0)
spider.fit(X_train, Y_train)
print(f"{spider.n_epochs_} epochs run, the weights of epoch {spider.best_epoch_ + 1} kept")
print(f"the shipped ranker: {data.ranker.max_iter} steps")

# %%
# 3. The training curve
# ---------------------
# `~skspider.plotting.TrainingCurveDisplay` draws the loss per epoch and the validation
# tau_w on a twin axis, the kept epoch marked.
from skspider.plotting import TrainingCurveDisplay

disp = TrainingCurveDisplay.from_estimator(spider)
disp.figure_.tight_layout()

# %%
# 4. Rank new tasks from their tokens
# -----------------------------------
# A test task's tokens come from the general encoder's features alone
# (`~skspider.tasks.TaskTokenizer`). The score is the mean tau_w against the fine-tuned
# truth, a different target from the proxy ranks the ranker learned from; the ranker
# shipped with the zoo is shown beside.
from skspider.tasks import TaskTokenizer

X_test = TaskTokenizer().fit_transform(data.test_tasks)
Y_test = data.truth.loc[[t.name for t in data.test_tasks]]
print(f"this ranker:    mean tau_w {spider.score(X_test, Y_test):.3f}")
print(f"shipped ranker: mean tau_w {data.ranker.score(X_test, Y_test):.3f}")
