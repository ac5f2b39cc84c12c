"""Design probe of the glyph zoo, on validation tasks only: is the ground truth stable
enough (seed-to-seed tau_w, the ceiling of any ranker) and does the task matter (a fixed,
task-blind ranking should stay below the ceiling)?

A small zoo of cheap PTMs (LeNet-8 from four sources, MLP-128 from two, matched
pre-training steps) is pre-trained as the builder does, then fine-tuned with the builder's
protocol (`skspider.zoo.finetune_accuracy`: Adam, 15 epochs, equal batches of at most 50)
on the builder's validation tasks (the same domains, sizes and seeds as
``build_glyph_zoo(mode="full")``), with two seeds. Reported: the ceiling (tau_w of seed 0's
accuracies against seed 1's, both directions averaged), the tau_w of a leave-one-task-out
fixed ranking (the mean accuracy of each PTM on the other validation tasks), the share of
tasks whose best PTM differs from the fixed ranking's top, and the accuracy spread. Test
tasks are never touched.

Usage::

    python benchmarks/glyph_zoo_probe.py --threads 1 --json probe.json
    python benchmarks/glyph_zoo_probe.py --quick
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pandas as pd
import torch

from skspider.datasets._glyph_models import build_glyph_model, pretrain_glyph_model
from skspider.datasets._glyph_zoo import PLANS, _Builder, _Log
from skspider.datasets._glyphs import glyph_classes, render_domain
from skspider.metrics import mean_weighted_tau
from skspider.zoo import finetune_accuracy


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 PTMs, 2 tasks, few steps")
    parser.add_argument("--steps", type=int, default=150, help="pre-training steps per PTM")
    parser.add_argument("--lr", type=float, default=1e-3, help="fine-tuning learning rate")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=2, help="fine-tuning seeds (even)")
    parser.add_argument(
        "--models", default=None, help="folder to save the pre-trained PTMs in, or load them from"
    )
    parser.add_argument(
        "--n-test",
        type=int,
        default=None,
        help="held-out images per class (default: the full plan's)",
    )
    parser.add_argument("--json", default=None)
    parser.add_argument("--out", default=None, help="folder for the rendered tasks (tmp)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    full = PLANS["full"]
    specs = [("lenet", 8, s) for s in ("latin", "cyrillic", "math", "canadian")]
    specs += [("mlp", 128, s) for s in ("latin", "math")]
    n_tasks, steps, epochs = 8, args.steps, full["finetune"]["epochs"]
    if args.quick:
        specs, n_tasks, steps, epochs = specs[:1] + specs[4:5], 2, 3, 1

    t0 = time.perf_counter()
    zoo = {}
    for i, (family, width, source) in enumerate(specs):
        codes = np.asarray(glyph_classes(source))
        rng = np.random.RandomState(100 + i)
        if len(codes) > full["max_source_classes"]:
            codes = np.sort(rng.choice(codes, full["max_source_classes"], replace=False))
        x, y = render_domain(source, full["pretrain_per_class"], classes=codes, random_state=rng)
        y = np.searchsorted(codes, y)
        name = f"{family}{width}-{source}"
        model = build_glyph_model(family, width, len(codes), seed=1000 + i)
        saved = os.path.join(args.models, f"{name}-{steps}.pt") if args.models else None
        if saved and os.path.exists(saved):
            model.load_state_dict(torch.load(saved, weights_only=True))
        else:
            pretrain_glyph_model(model, x, y, steps=steps, batch_size=64, lr=2e-3, seed=i)
            if saved:
                os.makedirs(args.models, exist_ok=True)
                torch.save(model.state_dict(), saved)
        zoo[name] = model
    t_pre = time.perf_counter() - t0

    # The builder's validation tasks (render stage only, into a scratch folder).
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        from pathlib import Path

        plan = dict(full, n_test=0, sources=(), n_validation=n_tasks)
        if args.n_test:
            plan["eval_tasks"] = dict(full["eval_tasks"], n_test=args.n_test)
        b = _Builder(plan, Path(args.out or tmp), torch.device("cpu"), 0, _Log(0))
        b.render()
        tasks = [t for t in b.eval_tasks(with_models=False)][:n_tasks]
    t1 = time.perf_counter()
    rows = []
    for task in tasks:
        m = task.metadata
        for name, model in zoo.items():
            for seed in range(args.seeds):
                acc = finetune_accuracy(
                    model,
                    m["images"],
                    task.y,
                    m["test_images"],
                    m["y_test"],
                    lr=args.lr,
                    epochs=epochs,
                    batch_size=50,
                    random_state=seed,
                    device="cpu",
                )
                rows.append((task.name, name, seed, acc))
    t_ft = time.perf_counter() - t1
    runs = pd.DataFrame(rows, columns=["task", "model", "seed", "accuracy"])
    by_seed = [
        runs[runs.seed == s].pivot(index="task", columns="model", values="accuracy")
        for s in range(args.seeds)
    ]
    truth = sum(by_seed) / len(by_seed)

    def agree(a, b):
        return 0.5 * (mean_weighted_tau(a, b) + mean_weighted_tau(b, a))

    # The ceiling: one seed's ranking against another's (all pairs averaged); with more
    # seeds, also half of the seeds' mean against the other half's.
    pairs = [(i, j) for i in range(args.seeds) for j in range(i + 1, args.seeds)]
    ceiling = float(np.mean([agree(by_seed[i], by_seed[j]) for i, j in pairs]))
    half = args.seeds // 2
    split_half = None
    if half >= 2:
        first = sum(by_seed[:half]) / half
        second = sum(by_seed[half : 2 * half]) / half
        split_half = float(agree(first, second))
    seed_sd = float(runs.groupby(["task", "model"])["accuracy"].std().mean())
    model_sd = float(truth.std(axis=1).mean())
    loo = np.vstack([truth.drop(index=t).mean().to_numpy() for t in truth.index])
    fixed = mean_weighted_tau(truth, loo)
    best_differs = float(np.mean(truth.to_numpy().argmax(1) != loo.argmax(1)))
    result = {
        "load_average_at_start": load,
        "torch_threads": torch.get_num_threads(),
        "n_ptms": len(zoo),
        "n_tasks": len(tasks),
        "pretrain_steps": steps,
        "n_seeds": args.seeds,
        "n_test_per_class": plan["eval_tasks"]["n_test"],
        "ceiling_tau_w": float(ceiling),
        "split_half_tau_w": split_half,
        "seed_sd": seed_sd,
        "between_ptm_sd": model_sd,
        "fixed_loo_tau_w": float(fixed),
        "share_best_not_fixed_top": best_differs,
        "accuracy": truth.round(3).to_dict(),
        "runs": runs.to_dict(orient="list"),
        "seconds": {"pretrain": t_pre, "finetune": t_ft, "runs": len(runs)},
    }
    print(truth.round(3).to_string())
    print(
        f"\nseed sd {seed_sd:.3f}, between-PTM sd {model_sd:.3f}, split-half ({half} vs "
        f"{half} seeds) tau_w {split_half}"
    )
    print(
        f"ceiling tau_w {ceiling:.3f} | fixed (LOO) tau_w {fixed:.3f} | best PTM differs "
        f"from the fixed top on {best_differs:.0%} of tasks"
    )
    print(
        f"pre-training {t_pre:.0f} s, fine-tuning {t_ft:.0f} s for {len(runs)} runs "
        f"(load average {load})"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=1)
    return result


if __name__ == "__main__":
    main()
