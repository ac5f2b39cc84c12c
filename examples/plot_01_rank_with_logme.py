"""
Rank a zoo with LogME
=====================

A transferability estimator such as LogME scores how well a pre-trained model's (PTM's)
features fit a target task's labels, one forward pass of every PTM over the task's data
and no fine-tuning. Here LogME ranks the PTMs of the built-in glyph zoo for one of its
test tasks, and the ranking is compared with the truth: each PTM's accuracy after
fine-tuning on the task.
"""

# %%
# 1. The built-in zoo
# -------------------
# `~skspider.datasets.load_glyph_zoo` returns the PTMs as a `~skspider.zoo.ModelZoo`, the
# validation and test tasks (their images in ``metadata``) and the truth, a task x PTM
# table of fine-tuned accuracies.
from skspider.datasets import load_glyph_zoo

data = load_glyph_zoo(with_features=False)  # the general encoder is not needed here
data.zoo.metadata()[["family", "source", "objective", "n_params"]]

# %%
# 2. One test task, seen through every PTM
# ----------------------------------------
# `~skspider.zoo.make_task` passes the task's training images through every PTM of the zoo
# and packs the features (and, for PTMs with a source head, the source-class
# probabilities) into a `~skspider.base.Task`.
from time import perf_counter

from skspider.zoo import make_task

task = data.test_tasks[0]
start = perf_counter()
target = make_task(data.zoo, task.metadata["images"], task.y, name=task.name, device="cpu")
print(f"{task.name}: {len(task.y)} images, {len(set(task.y))} classes")
print(f"{len(data.zoo)} PTMs passed over it in {perf_counter() - start:.1f} s")

# %%
# 3. Rank with LogME
# ------------------
# `~skspider.transferability.TransferabilityRanker` applies one estimator to every PTM. It
# is a ranker like the learned ones: ``predict`` gives one score per PTM (larger =
# better) and ``score`` the weighted Kendall tau against the truth (paper convention:
# 1 is the true order, the best PTMs weigh most).
from skspider.transferability import LogME, TransferabilityRanker

ranker = TransferabilityRanker(LogME()).fit([target])
truth = data.truth.loc[[task.name], ranker.models_]
print(f"tau_w of LogME on {task.name}: {ranker.score([target], truth):.3f}")

# %%
# 4. The ranking beside the truth
# -------------------------------
# `~skspider.plotting.RankingDisplay` orders the PTMs by their LogME score (best at the
# top) and shows their fine-tuned accuracy beside, the truly best PTM highlighted.
from skspider.plotting import RankingDisplay

disp = RankingDisplay.from_estimator(
    ranker, [target], truth, score_name="LogME", truth_name="fine-tuned accuracy"
)
disp.figure_.set_size_inches(8, 0.25 * len(ranker.models_) + 1.5)
disp.figure_.tight_layout()

# %%
# 5. Beyond one task
# ------------------
# One task says little, and every new task costs a forward pass of every PTM (here the
# few seconds above; hours for a zoo of large models on large data). The mean over the
# test tasks, beside the rankers that need no PTM pass, is in
# :ref:`sphx_glr_auto_examples_plot_05_baselines.py`.
