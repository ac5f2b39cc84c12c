"""The study that chose `SpiderRanker`'s defaults (d_model, lr, max_iter, the task-blind term)
and the re-ranking default of `RerankTransformer`, on synthetic problems with a known truth.

Every problem comes from `skspider.datasets.make_ranking_problem` with seeds 1000 and up,
never the seeds of ``benchmarks/bench_rankers.py`` (0, 1, 2): the defaults are chosen on
problems the benchmark never reports. Each problem's tasks are split into training tasks
(the ranker is fitted on their noisy proxy ranks) and VALIDATION tasks (scored against their
true performance, mean tau_w, paper convention). For reference, the prior, a per-PTM ridge
on the mean token and the nearest-training-tasks ranker are scored on the same tasks.

Stages (``--stages``):

* ``prior``: the ranker with its task-blind term (``prior=True``), on every setting of
  ``benchmarks/bench_rankers.py`` (no interaction; a weak 0.5 and a strong 1.25 interaction
  of each form), 200 training tasks x 20 PTMs x 64-d: a base configuration (``--config``,
  default: the class defaults) and the variants of ``--variants`` (one change each:
  ``max_iter``, ``lr``, ``d_model``, ``dropout``, ``weight_decay``, ``head``,
  ``validation_fraction``, no shrinkage, no prior). Each row also gives the training tasks'
  tau_w against their proxy ranks (how closely the ranker fits what it learnt from) and the
  shrinkage ``alpha`` chosen.
* ``grid``: 200 training tasks x 20 PTMs x 64-d tokens, strong interaction (1.0) of both
  forms (``linear`` in the mean token, ``set_max`` in the set of class tokens); every
  combination of ``--head``, ``--d-model``, ``--lr`` and ``--max-iter``.
* ``sizes``: one configuration (``--config``, default: the class defaults) on problems of
  other sizes: 50 and 1000 training tasks, 10 and 100 PTMs, token widths 16 and 3072.
* ``rerank``: re-ranking modes (``reorder="all"`` vs ``"top_k"``) and k on a problem with
  PTM-specific signal (``model_specific=1.0``, weak linear interaction).

Run ``python benchmarks/study_spider_defaults.py [--json PATH] [--markdown PATH] [--quick]``.
The figures of the committed study are in ``docs/spider_defaults_study.md`` (and ``.json``).
On a busy 2-core machine a full ``grid`` stage takes hours: restrict it with the options.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
import time

import torch

from skspider.datasets import make_ranking_problem
from skspider.dummy import NearestTasksRanker, PriorRanker, RidgeRanker
from skspider.spider import RerankTransformer, SpiderRanker

SEED0 = 1000  # never a seed of bench_rankers.py


def _problem(seed, n_train, n_valid, **kwargs):
    data = make_ranking_problem(n_tasks=n_train + n_valid, random_state=seed, **kwargs)
    tr, va = slice(0, n_train), slice(n_train, n_train + n_valid)
    return {
        "train": (data.tasks[tr], data.proxy_ranks.iloc[tr]),
        "valid": (data.tasks[va], data.performance.iloc[va]),
        "valid_proxy": data.proxy_ranks.iloc[va],
    }


def _baselines(p):
    X, Y = p["train"]
    Xv, truth = p["valid"]
    out = {}
    for name, ranker in (
        ("prior", PriorRanker()),
        ("ridge", RidgeRanker()),
        ("nearest", NearestTasksRanker()),
    ):
        out[name] = float(ranker.fit(X, Y).score(Xv, truth))
    return out


def _rerank_scores(ranker, p):
    """Re-ranking over the fitted ``ranker``: every PTM re-scored (k = the zoo size), and k
    chosen on the validation tasks' proxy ranks as bench_rankers does (optimistic: the
    same tasks are then scored against their truth)."""
    from sklearn.frozen import FrozenEstimator

    Xv, truth = p["valid"]
    every = RerankTransformer(FrozenEstimator(ranker), k=ranker.n_models_).fit(Xv[:1], None)
    auto = RerankTransformer(FrozenEstimator(ranker), k="auto").fit(Xv, p["valid_proxy"])
    return {
        "rerank_all_tau_w": float(every.score(Xv, truth)),
        "rerank_auto_tau_w": float(auto.score(Xv, truth)),
        "rerank_auto_k": int(auto.k_),
        "specific_shrinkage": getattr(ranker, "specific_shrinkage_", None),
    }


def _spider(p, params, seed, train_score=False, rerank=False):
    X, Y = p["train"]
    Xv, truth = p["valid"]
    tic, cpu = time.perf_counter(), time.process_time()
    try:
        ranker = SpiderRanker(**params, device="cpu", random_state=seed).fit(X, Y)
    except ValueError as exc:  # a diverged configuration is a result too
        return {"tau_w": float("nan"), "error": str(exc)[:120]}
    out = {
        "tau_w": float(ranker.score(Xv, truth)),
        "fit_s": time.perf_counter() - tic,
        "cpu_s": time.process_time() - cpu,
        "n_epochs": ranker.n_epochs_,
    }
    if getattr(ranker, "prior_", None) is not None:
        out["shrinkage"] = ranker.shrinkage_
    if train_score:  # how closely it fits the proxy ranks it learnt from
        out["train_tau_w"] = float(ranker.score(X, Y))
    if rerank:
        out.update(_rerank_scores(ranker, p))
    return out


# The settings of benchmarks/bench_rankers.py: (interaction, its form, PTM-specific signal).
SETTINGS = {
    "none": (0.0, "linear", 0.0),
    "linear weak": (0.5, "linear", 0.0),
    "linear strong": (1.25, "linear", 0.0),
    "set_max weak": (0.5, "set_max", 0.0),
    "set_max strong": (1.25, "set_max", 0.0),
    # PTM-specific signal (weak linear interaction): scored with and without re-ranking.
    "specific": (0.5, "linear", 1.0),
}
# One change each from the base configuration.
VARIANTS = {
    "base": {},
    "max_iter=100": {"max_iter": 100},
    "max_iter=300": {"max_iter": 300},
    "max_iter=500": {"max_iter": 500},
    "max_iter=2000": {"max_iter": 2000},
    "lr=1e-3": {"lr": 1e-3},
    "lr=1e-2": {"lr": 1e-2},
    "d_model=16": {"d_model": 16},
    "d_model=64": {"d_model": 64},
    "dropout=0": {"dropout": 0.0},
    "dropout=0.3": {"dropout": 0.3},
    "weight_decay=1e-3": {"weight_decay": 1e-3},
    "weight_decay=1e-2": {"weight_decay": 1e-2},
    "head=linear": {"head": "linear"},
    "validation_fraction=0.2": {"validation_fraction": 0.2},
    "max_specific_tokens=20": {"max_specific_tokens": 20},
    "shrinkage=1": {"shrinkage": 1.0},
    "prior=False": {"prior": False},
}


def stage_prior(args, log, config):
    rows = []
    base = {**SpiderRanker().get_params(), **config}
    base = {k: v for k, v in base.items() if k not in ("device", "random_state", "verbose")}
    for name in args.settings:
        strength, form, specific = SETTINGS[name]
        p = _problem(args.problem_seed, args.n_train, args.n_valid, n_models=args.n_models,
                     interaction=strength, interaction_form=form,
                     model_specific=specific)  # fmt: skip
        baselines = _baselines(p)
        log(f"prior {name}: baselines {baselines}")
        for variant in args.variants:
            params = {**base, **VARIANTS[variant]}
            r = _spider(p, params, seed=0, train_score=True, rerank=specific > 0)
            rows.append({"setting": name, "variant": variant, "params": params, **r,
                         **baselines})  # fmt: skip
            log(f"prior {name} {variant}: {r}")
    return rows


def stage_grid(args, log):
    rows = []
    for form in args.forms:
        p = _problem(
            SEED0, args.n_train, args.n_valid, n_models=20, interaction=1.0, interaction_form=form
        )
        base = _baselines(p)
        log(f"grid {form}: baselines {base}")
        for head, d, lr, n in itertools.product(args.head, args.d_model, args.lr, args.max_iter):
            r = _spider(p, {"head": head, "d_model": d, "lr": lr, "max_iter": n}, seed=0)
            rows.append(
                {"form": form, "head": head, "d_model": d, "lr": lr, "max_iter": n, **r, **base}
            )
            log(f"grid {form} head={head} d={d} lr={lr:g} max_iter={n}: {r}")
    return rows


SIZES = [
    {"n_train": 50, "n_models": 20, "n_features": 64},
    {"n_train": 1000, "n_models": 20, "n_features": 64},
    {"n_train": 200, "n_models": 10, "n_features": 64},
    {"n_train": 200, "n_models": 100, "n_features": 64},
    {"n_train": 200, "n_models": 20, "n_features": 16},
    {"n_train": 100, "n_models": 42, "n_features": 3072},
]


def stage_sizes(args, log, config):
    rows = []
    for i, size in enumerate(SIZES[: args.n_sizes]):
        size = dict(size)
        n_train = size.pop("n_train")
        for form in args.forms:
            p = _problem(SEED0 + 1 + i, n_train, args.n_valid, interaction=1.0,
                         interaction_form=form, **size)  # fmt: skip
            base = _baselines(p)
            r = _spider(p, config, seed=0)
            rows.append({"form": form, "n_train": n_train, **size, **config, **r, **base})
            log(f"sizes {form} {n_train} tasks {size}: {r} {base}")
    return rows


def stage_rerank(args, log, config):
    p = _problem(SEED0 + 50, args.n_train, args.n_valid, n_models=20, interaction=0.3,
                 interaction_form="linear", model_specific=1.0)  # fmt: skip
    X, Y = p["train"]
    Xv, truth = p["valid"]
    spider = SpiderRanker(**config, device="cpu", random_state=0).fit(X, Y)
    from sklearn.frozen import FrozenEstimator

    rows = []
    for reorder, k in itertools.product(("all", "top_k"), (0, 1, 2, 3, 5, 10, 20)):
        rr = RerankTransformer(FrozenEstimator(spider), k=k, reorder=reorder).fit(X, Y)
        rows.append({"reorder": reorder, "k": k, "tau_w": float(rr.score(Xv, truth))})
        log(f"rerank {reorder} k={k}: {rows[-1]['tau_w']:.4f}")
    return rows


def _prior_markdown(rows) -> list[str]:
    settings = list(dict.fromkeys(r["setting"] for r in rows))
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    cell = {(r["setting"], r["variant"]): r for r in rows}
    lines = ["", "## With the task-blind term: one change at a time, every setting", ""]
    lines.append("Mean tau_w on the validation tasks (the chosen shrinkage alpha in brackets), "
                 "the mean over the settings, and the mean CPU seconds of a fit.")  # fmt: skip
    lines.append("")
    lines.append("| variant | " + " | ".join(settings) + " | mean | CPU s |")
    lines.append("| --- " * (len(settings) + 3) + "|")
    for v in variants:
        cells, taus, cpus = [], [], []
        for name in settings:
            r = cell.get((name, v))
            if r is None or r["tau_w"] != r["tau_w"]:  # NaN: diverged
                cells.append("-")
                continue
            alpha = f" ({r['shrinkage']:g})" if "shrinkage" in r else ""
            cells.append(f"{r['tau_w']:.3f}{alpha}")
            taus.append(r["tau_w"])
            cpus.append(r.get("cpu_s", float("nan")))
        mean = f"{sum(taus) / len(taus):.3f}" if len(taus) == len(settings) else "-"
        cpu = f"{sum(cpus) / len(cpus):.1f}" if cpus else "-"
        lines.append(f"| {v} | " + " | ".join(cells) + f" | {mean} | {cpu} |")
    reranked = [
        name for name in settings if "rerank_all_tau_w" in cell.get((name, variants[0]), {})
    ]
    for name in reranked:
        lines += [
            "",
            f"Re-ranking on the setting {name!r} (PTM-specific signal): tau_w with general tokens "
            "only (k=0), every PTM re-scored with its own tokens (k=all), k chosen on the "
            "validation tasks' proxy ranks (k=auto, optimistic: the same tasks are then scored), "
            "and the shrinkages alpha (general, PTM-specific).",
            "",
            "| variant | k=0 | k=all | k=auto (k) | alpha, specific alpha |",
            "| --- | --- | --- | --- | --- |",
        ]
        for v in variants:
            r = cell.get((name, v))
            if r is None or "rerank_all_tau_w" not in r:
                continue
            alphas = f"{r.get('shrinkage', '-')}, {r.get('specific_shrinkage', '-')}"
            auto = f"{r['rerank_auto_tau_w']:.3f} ({r['rerank_auto_k']})"
            lines.append(
                f"| {v} | {r['tau_w']:.3f} | {r['rerank_all_tau_w']:.3f} | {auto} | {alphas} |"
            )
    for base in ("prior", "ridge", "nearest"):
        values = [cell[(name, variants[0])][base] for name in settings]
        lines.append(f"| *{base}* | " + " | ".join(f"{x:.3f}" for x in values)
                     + f" | {sum(values) / len(values):.3f} | |")  # fmt: skip
    lines += ["", "Training tasks' tau_w against their proxy ranks (the fit to what was learnt):",
              "", "| variant | " + " | ".join(settings) + " |",
              "| --- " * (len(settings) + 1) + "|"]  # fmt: skip
    for v in variants:
        cells = [
            f"{cell[(name, v)]['train_tau_w']:.3f}"
            if "train_tau_w" in cell.get((name, v), {})
            else "-"
            for name in settings
        ]
        lines.append(f"| {v} | " + " | ".join(cells) + " |")
    return lines


def _markdown(results) -> str:
    lines = ["# SpiderRanker defaults: the study", ""]
    lines.append(f"Machine: {results['machine']}. Command: `{results['command']}`.")
    if "prior" in results:
        lines += _prior_markdown(results["prior"])
    if "grid" in results:
        lines += ["", "## Grid (200 training tasks x 20 PTMs x 64-d, strong interaction)", ""]
        lines.append("| form | head | d_model | lr | max_iter | spider tau_w | prior | ridge "
                     "| nearest | fit s | CPU s |")  # fmt: skip
        lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in results["grid"]:
            lines.append(
                f"| {r['form']} | {r.get('head', 'linear')} | {r['d_model']} | {r['lr']:g} | "
                f"{r['max_iter']} | "
                f"{r['tau_w']:.3f} | {r['prior']:.3f} | {r['ridge']:.3f} | {r['nearest']:.3f} "
                f"| {r.get('fit_s', float('nan')):.1f} | {r.get('cpu_s', float('nan')):.1f} |"
            )
    if "sizes" in results:
        lines += ["", "## Other sizes (strong interaction)", ""]
        lines.append("| form | train tasks | PTMs | width | spider tau_w | prior | ridge | "
                     "nearest | fit s | CPU s |")  # fmt: skip
        lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in results["sizes"]:
            lines.append(
                f"| {r['form']} | {r['n_train']} | {r['n_models']} | {r['n_features']} | "
                f"{r['tau_w']:.3f} | {r['prior']:.3f} | {r['ridge']:.3f} | {r['nearest']:.3f} "
                f"| {r.get('fit_s', float('nan')):.1f} | {r.get('cpu_s', float('nan')):.1f} |"
            )
    if "rerank" in results:
        lines += ["", "## Re-ranking (PTM-specific signal 1.0, weak linear interaction)", ""]
        lines.append("| reorder | k | tau_w |")
        lines.append("| --- | --- | --- |")
        for r in results["rerank"]:
            lines.append(f"| {r['reorder']} | {r['k']} | {r['tau_w']:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--markdown", metavar="PATH", help="write the tables as markdown")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--stages", nargs="*", default=["prior", "rerank"],
                        choices=["prior", "grid", "sizes", "rerank"])  # fmt: skip
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS), choices=SETTINGS,
                        help="settings of the prior stage")  # fmt: skip
    parser.add_argument(
        "--variants",
        nargs="*",
        default=list(VARIANTS),
        choices=VARIANTS,
        help="variants of the prior stage (one change from --config each)",
    )
    parser.add_argument("--n-models", type=int, default=20, help="PTMs of the prior stage")
    parser.add_argument("--problem-seed", type=int, default=SEED0,
                        help=f"generator seed of the prior stage (>= {SEED0})")  # fmt: skip
    parser.add_argument("--forms", nargs="*", default=["linear", "set_max"])
    parser.add_argument("--d-model", nargs="*", type=int, default=[32, 64, 128, 256])
    parser.add_argument("--lr", nargs="*", type=float, default=[1e-3, 3e-3, 1e-2])
    parser.add_argument("--max-iter", nargs="*", type=int, default=[500, 1000, 2000])
    parser.add_argument("--head", nargs="*", default=["linear"], choices=["linear", "bilinear"],
                        help="SpiderRanker read-outs of the grid stage (default: linear, "
                             "the head of the first grid of the committed study)")  # fmt: skip
    parser.add_argument("--config", type=json.loads, default={},
                        help="SpiderRanker parameters of the later stages (JSON)")  # fmt: skip
    parser.add_argument("--n-sizes", type=int, default=len(SIZES))
    parser.add_argument("--n-train", type=int, default=200)
    parser.add_argument("--n-valid", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    args = parser.parse_args(argv)
    if args.problem_seed < SEED0:
        parser.error(f"--problem-seed must be >= {SEED0}: lower seeds are bench_rankers.py's")
    torch.set_num_threads(args.threads)
    if args.quick:
        args.d_model, args.lr, args.max_iter = [8], [1e-2], [10]
        args.n_train, args.n_valid, args.n_sizes, args.forms = 16, 8, 1, ["linear"]
        args.config = {"d_model": 8, "max_iter": 10, **args.config}
        args.settings, args.n_models = ["none", "linear strong"], 5
        args.variants = ["base", "max_iter=100", "prior=False"]

    def log(msg):
        print(msg, flush=True)

    results = {
        "machine": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "processor": platform.processor() or platform.machine(),
        },
        "command": " ".join(
            [
                "python benchmarks/study_spider_defaults.py",
                *(sys.argv[1:] if argv is None else argv),
            ]
        ),
    }
    if "prior" in args.stages:
        results["prior"] = stage_prior(args, log, args.config)
    if "grid" in args.stages:
        results["grid"] = stage_grid(args, log)
    if "sizes" in args.stages:
        results["sizes"] = stage_sizes(args, log, args.config)
    if "rerank" in args.stages:
        results["rerank"] = stage_rerank(args, log, args.config)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as fh:
            fh.write(_markdown(results))
    return results


if __name__ == "__main__":
    main()
