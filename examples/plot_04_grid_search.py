"""
Tune a SpiderRanker with GridSearchCV
=====================================

Every skspider ranker scores by the mean weighted tau over tasks, so scikit-learn's model
selection works unchanged: `~sklearn.model_selection.GridSearchCV` over the ranker's
hyper-parameters, ``KFold`` splitting the training tasks. Here a small grid over the width
of the network and the learning rate, with a short training budget, is searched on the
glyph zoo's training records, and the chosen ranker scored on the validation tasks.
"""

# %%
# 1. Training tasks
# -----------------
from skspider.datasets import load_glyph_zoo

data = load_glyph_zoo()
X_train, Y_train = data.train_tokens, data.train_truth

# %%
# 2. The search
# -------------
# Four candidates, three folds of tasks: twelve fits and a refit, each of 50 optimiser
# steps to keep the example to seconds. The score of a fold is the mean tau_w of the
# held-out training tasks against their records: the search never sees a validation or
# test task.
from sklearn.model_selection import GridSearchCV, KFold

from skspider.spider import SpiderRanker

search = GridSearchCV(
    SpiderRanker(max_iter=50, device="cpu", random_state=0),
    {"d_model": [16, 64], "lr": [3e-3, 1e-2]},
    cv=KFold(3, shuffle=True, random_state=0),
)
search.fit(X_train, Y_train)
print(f"best: {search.best_params_}, cross-validated tau_w {search.best_score_:.3f}")

# %%
# 3. Each candidate's cross-validated tau_w
# -----------------------------------------
import matplotlib.pyplot as plt
import pandas as pd

results = pd.DataFrame(search.cv_results_)
labels = [f"d_model={p['d_model']}\nlr={p['lr']:g}" for p in results["params"]]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.bar(labels, results["mean_test_score"], yerr=results["std_test_score"], capsize=4)
ax.set_ylabel("mean tau_w (held-out training tasks)")
ax.set_title("GridSearchCV over SpiderRanker")
fig.tight_layout()

# %%
# 4. The chosen ranker on the validation tasks
# --------------------------------------------
# ``best_estimator_`` was refitted on every training task.
from skspider.base import Task
from skspider.tasks import TaskTokenizer

tasks = data.validation_tasks
X_valid = TaskTokenizer().fit_transform(
    [Task(y=t.y, X=data.encode(t.metadata["images"])) for t in tasks]
)
Y_valid = data.truth.loc[[t.name for t in tasks]]
print(f"validation tasks, mean tau_w against the truth: {search.score(X_valid, Y_valid):.3f}")

# %%
# 5. Beside the baseline
# ----------------------
# A learned ranker is worth its training only above the task-blind ranking of the same
# records: each PTM's mean accuracy over the training tasks.
from skspider.dummy import PriorRanker

prior = PriorRanker().fit(X_train, Y_train)
print(f"leaderboard prior on the same tasks:            {prior.score(X_valid, Y_valid):.3f}")
