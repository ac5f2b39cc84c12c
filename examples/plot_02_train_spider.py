"""
Train a SpiderRanker on fine-tuning records
===========================================

Model Spider learns to rank PTMs from a task's tokens alone (one class centroid per class
in a general encoder's feature space), so that a new task needs one pass of the general
encoder instead of one pass of every PTM. It learns from tasks whose PTM ranking is known:
here the glyph zoo's training records, the accuracy of every PTM fine-tuned on each of its
training tasks (drawn from domains that no PTM was pre-trained on, and none of the test
domains). A `~skspider.spider.SpiderRanker` is trained on them with a short budget, its
training curve drawn, and it is compared with the task-blind ranking of the same records.
"""

# %%
# 1. Training tasks and their records
# -----------------------------------
# ``train_tokens`` holds each training task's token set (classes x encoder width);
# ``train_truth`` the records (tasks x PTMs, fine-tuned accuracy; NaN where a record is
# missing, which the ranker's loss leaves out) in the same order.
from skspider.datasets import load_glyph_zoo

data = load_glyph_zoo()
X_train, Y_train = data.train_tokens, data.train_truth
print(f"{len(X_train)} training tasks, {Y_train.shape[1]} PTMs")
Y_train.iloc[:5, :4].round(3)

# %%
# 2. Fit with early stopping
# --------------------------
# ``max_iter`` counts optimiser steps; 200 keep this example to seconds (the shipped ranker
# ran ``data.ranker.max_iter``). With ``early_stopping=True`` a share of the training tasks is
# held out and the network of the epoch with the best held-out tau_w is kept
# (``best_epoch_`` counts from 0). The ranker starts from the task-blind prior of the
# records (``prior=True``) and learns what depends on the task on top of it.
from skspider.spider import SpiderRanker

spider = SpiderRanker(max_iter=200, early_stopping=True, device="cpu", random_state=0)
spider.fit(X_train, Y_train)
print(f"{spider.n_epochs_} epochs run, the weights of epoch {spider.best_epoch_ + 1} kept")

# %%
# 3. The training curve
# ---------------------
# `~skspider.plotting.TrainingCurveDisplay` draws the loss per epoch and the held-out
# tau_w on a twin axis, the kept epoch marked.
from skspider.plotting import TrainingCurveDisplay

disp = TrainingCurveDisplay.from_estimator(spider)
disp.figure_.tight_layout()

# %%
# 4. Rank the validation tasks from their tokens
# ----------------------------------------------
# A new task's tokens come from the general encoder's features alone (``data.encode``,
# then `~skspider.tasks.TaskTokenizer`). The score is the mean tau_w against the fine-tuned
# truth; the leaderboard prior (each PTM's mean record, the same ranking for every task) and
# the ranker shipped with the zoo are shown beside. (The validation tasks are those the
# zoo's choices were made on; the test tasks are measured in the benchmark.)
from skspider.base import Task
from skspider.dummy import PriorRanker
from skspider.tasks import TaskTokenizer

tasks = data.validation_tasks
X_valid = TaskTokenizer().fit_transform(
    [Task(y=t.y, X=data.encode(t.metadata["images"])) for t in tasks]
)
Y_valid = data.truth.loc[[t.name for t in tasks]]
prior = PriorRanker().fit(X_train, Y_train)
print(f"this ranker:       mean tau_w {spider.score(X_valid, Y_valid):.3f}")
print(f"shipped ranker:    mean tau_w {data.ranker.score(X_valid, Y_valid):.3f}")
print(f"leaderboard prior: mean tau_w {prior.score(X_valid, Y_valid):.3f}")
