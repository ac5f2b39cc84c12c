"""Rankers against strong simple baselines on synthetic problems with a known truth.

Each problem comes from `skspider.datasets.make_ranking_problem` (20 PTMs, 64-d general
features, tasks of 4-16 classes x 10 shots, a shared PTM quality plus a task-PTM
interaction, noisy proxy ranks). Its tasks are split into 200 training tasks, 50
validation tasks and 50 test tasks. Every ranker is fitted on the training tasks' proxy
ranks and scored on the test tasks against their true performance:

* ``oracle``: the true performance without its fine-tuning noise (the best any ranker can do);
* ``prior``: `PriorRanker` (the mean training proxy rank, the same ranking for every task);
* ``metadata``: `MetadataRanker` on the generator's ``n_params`` column (log-normal, its
  logarithm correlated 0.8 with the shared PTM quality: "bigger is better", informative but
  not exact);
* ``ridge``: `RidgeRanker` (per-PTM ridge on the mean task token, alpha by leave-one-out);
* ``nearest``: `NearestTasksRanker` (mean rank over the 10 nearest training tasks, Chamfer
  distance between token sets);
* ``spider``: `SpiderRanker` (general tokens only: re-ranking k=0);
* ``spider+rerank``: the same fitted network, its top-k PTMs re-scored with their own tokens,
  k chosen on the VALIDATION tasks (their proxy ranks) from 0 up to the zoo size; the test
  tasks never choose anything.

Settings: no interaction (the "none" row; the interaction form is then irrelevant), and a
weak (0.5) and strong (1.25) interaction of each form: ``linear`` (in the mean task token:
a mean-token ridge can learn it) and ``set_max`` (driven by the class that suits a PTM best:
no mean-token model can). A last setting, ``specific``, adds signal seen only in the
PTM-specific tokens (``model_specific=1.0``, weak linear interaction): where re-ranking must
help. Figures: mean tau_w (paper convention) and top-1 regret (accuracy points) over the test
tasks, then mean and standard deviation over seeds; fit seconds (wall clock, mean over seeds).

The Spider configuration lives in `make_spider` and `fit_rerank` only, so that changes to
`SpiderRanker`'s API or defaults touch two small functions.

Run ``python benchmarks/bench_rankers.py [--json PATH] [--quick]`` (``--quick``: 3 settings,
1 seed, 5 PTMs, 16 training tasks, a tiny Spider: a smoke test, its figures mean nothing).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import numpy as np
import pandas as pd
import torch
from sklearn.frozen import FrozenEstimator

from skspider.datasets import make_ranking_problem
from skspider.dummy import MetadataRanker, NearestTasksRanker, PriorRanker, RidgeRanker
from skspider.metrics import mean_weighted_tau, top_k_regret
from skspider.spider import RerankTransformer, SpiderRanker
from skspider.utils import progress_bar

STRENGTHS = {"none": 0.0, "weak": 0.5, "strong": 1.25}
RANKERS = ("oracle", "prior", "metadata", "ridge", "nearest", "spider", "spider+rerank")


# -- the Spider configuration: adapt these two functions when SpiderRanker's API changes ------
def make_spider(seed: int, quick: bool, params: dict | None = None) -> SpiderRanker:
    """The learned ranker at its defaults (tiny and fast in ``--quick``), or with ``params``."""
    if quick:
        return SpiderRanker(**{"d_model": 8, "max_iter": 20, "lr": 1e-2, **(params or {})},
                            random_state=seed)  # fmt: skip
    return SpiderRanker(**(params or {}), random_state=seed)


def fit_rerank(spider: SpiderRanker, X_valid, Y_valid) -> RerankTransformer:
    """Re-ranking over the fitted ``spider``, k chosen on validation tasks (their proxy ranks)."""
    # The fitted ranker is frozen (not refitted); k="auto" searches a grid up to the zoo size.
    rerank = RerankTransformer(FrozenEstimator(spider), k="auto")
    return rerank.fit(X_valid, Y_valid)


# -- one setting, one seed ---------------------------------------------------------------------
def _make_rankers(data, seed: int, quick: bool, spider_params: dict | None) -> dict:
    return {
        "prior": PriorRanker(),
        "metadata": MetadataRanker(metadata=data.model_metadata, column="n_params"),
        "ridge": RidgeRanker(),
        "nearest": NearestTasksRanker(),
        "spider": make_spider(seed, quick, spider_params),
    }


def run_one(
    setting: dict,
    seed: int,
    sizes: dict,
    quick: bool,
    rankers: list[str],
    spider_params: dict | None = None,
) -> dict:
    n_train, n_valid, n_test = sizes["n_train"], sizes["n_valid"], sizes["n_test"]
    data = make_ranking_problem(
        n_tasks=n_train + n_valid + n_test,
        n_models=sizes["n_models"],
        n_features=sizes["n_features"],
        interaction=setting["interaction"],
        interaction_form=setting["form"],
        model_specific=setting["model_specific"],
        random_state=seed,
    )
    train, valid = slice(0, n_train), slice(n_train, n_train + n_valid)
    test = slice(n_train + n_valid, None)
    X_train, Y_train = data.tasks[train], data.proxy_ranks.iloc[train]
    X_valid, Y_valid = data.tasks[valid], data.proxy_ranks.iloc[valid]
    X_test, truth = data.tasks[test], data.performance.iloc[test]

    predictions, seconds, extra = {}, {}, {}
    if "oracle" in rankers:
        predictions["oracle"] = data.oracle.iloc[test]
    fitted = {}
    for name, ranker in _make_rankers(data, seed, quick, spider_params).items():
        if name not in rankers and not (name == "spider" and "spider+rerank" in rankers):
            continue
        tic = time.perf_counter()
        ranker.fit(X_train, Y_train)
        seconds[name] = time.perf_counter() - tic
        fitted[name] = ranker
        if name in rankers:
            predictions[name] = pd.DataFrame(
                ranker.predict(X_test), index=truth.index, columns=ranker.models_
            )
    if "spider+rerank" in rankers:
        tic = time.perf_counter()
        rerank = fit_rerank(fitted["spider"], X_valid, Y_valid)
        seconds["spider+rerank"] = seconds["spider"] + time.perf_counter() - tic
        extra["k"] = int(rerank.k_)
        predictions["spider+rerank"] = pd.DataFrame(
            rerank.predict(X_test), index=truth.index, columns=rerank.models_
        )
    out = {"seed": seed, "tau_w": {}, "regret": {}, "fit_s": seconds, **extra}
    for name, scores in predictions.items():
        out["tau_w"][name] = float(mean_weighted_tau(truth, scores))
        out["regret"][name] = float(top_k_regret(truth, scores, k=1))
    return out


def settings(forms: list[str], strengths: list[str], specific: bool) -> list[dict]:
    out = []
    for strength in strengths:
        for form in forms if STRENGTHS[strength] > 0 else forms[:1]:
            out.append({
                "name": f"{strength}" if STRENGTHS[strength] == 0 else f"{form} {strength}",
                "form": form, "interaction": STRENGTHS[strength], "model_specific": 0.0,
            })  # fmt: skip
    if specific:
        out.append({
            "name": "specific (linear weak)", "form": "linear",
            "interaction": STRENGTHS["weak"], "model_specific": 1.0,
        })  # fmt: skip
    return out


# -- report ------------------------------------------------------------------------------------
def _summary(runs: list[dict], key: str, name: str) -> tuple[float, float]:
    values = [run[key][name] for run in runs if name in run[key]]
    return (float(np.mean(values)), float(np.std(values))) if values else (np.nan, np.nan)


def markdown(results: list[dict], rankers: list[str]) -> str:
    lines = []
    for key, title, fmt in (
        ("tau_w", "Mean tau_w on the test tasks (mean +- std over seeds)", "{:.3f} +- {:.3f}"),
        ("regret", "Top-1 regret, accuracy points (mean +- std over seeds)", "{:.2f} +- {:.2f}"),
        ("fit_s", "Fit seconds (mean over seeds)", "{:.2f}"),
    ):
        names = [r for r in rankers if not (key == "fit_s" and r == "oracle")]
        lines += [f"### {title}", "", "| setting | " + " | ".join(names) + " |"]
        lines.append("| --- " * (len(names) + 1) + "|")
        for result in results:
            cells = []
            for name in names:
                mean, std = _summary(result["runs"], key, name)
                cells.append(fmt.format(mean, std) if np.isfinite(mean) else "-")
            lines.append(f"| {result['setting']['name']} | " + " | ".join(cells) + " |")
        lines.append("")
    ks = [
        f"{r['setting']['name']}: {[run['k'] for run in r['runs']]}"
        for r in results
        if r["runs"] and "k" in r["runs"][0]
    ]
    if ks:
        lines += ["k chosen on the validation tasks, per seed: " + "; ".join(ks), ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="default: 0 1 2")
    parser.add_argument("--n-train", type=int, default=200)
    parser.add_argument("--n-valid", type=int, default=50)
    parser.add_argument("--n-test", type=int, default=50)
    parser.add_argument("--n-models", type=int, default=20)
    parser.add_argument("--n-features", type=int, default=64)
    parser.add_argument("--forms", nargs="+", default=["linear", "set_max"],
                        choices=["linear", "set_max", "set_min"])  # fmt: skip
    parser.add_argument("--strengths", nargs="+", default=list(STRENGTHS), choices=STRENGTHS)
    parser.add_argument("--no-specific", action="store_true",
                        help="skip the setting with PTM-specific signal")  # fmt: skip
    parser.add_argument("--rankers", nargs="+", default=list(RANKERS), choices=RANKERS)
    parser.add_argument("--spider-params", type=json.loads, default=None, metavar="JSON",
                        help='SpiderRanker parameters instead of its defaults, e.g. '
                        '\'{"d_model": 64, "lr": 3e-3}\'')  # fmt: skip
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar (on stderr by default)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    forms, strengths = args.forms, args.strengths
    if args.quick:
        # Three settings (none, the strong set form, PTM-specific signal), one seed, tiny.
        sizes = {"n_train": 16, "n_valid": 6, "n_test": 6, "n_models": 5, "n_features": 8}
        seeds = args.seeds or [0]
        forms, strengths = forms[-1:], [s for s in strengths if s != "weak"]
    else:
        sizes = {
            "n_train": args.n_train, "n_valid": args.n_valid, "n_test": args.n_test,
            "n_models": args.n_models, "n_features": args.n_features,
        }  # fmt: skip
        seeds = args.seeds or [0, 1, 2]
    results = [
        {"setting": setting, "runs": []}
        for setting in settings(forms, strengths, not args.no_specific)
    ]
    # Seeds outermost: a long run stopped early has every setting for its first seeds.
    bar = progress_bar(len(seeds) * len(results), desc="bench_rankers", verbose=not args.quiet,
                       unit="setting")  # fmt: skip
    for seed in seeds:
        for result in results:
            bar.set_postfix(setting=result["setting"]["name"], seed=seed)
            run = run_one(
                result["setting"], seed, sizes, args.quick, args.rankers, args.spider_params
            )
            result["runs"].append(run)
            taus = ", ".join(f"{k} {v:.3f}" for k, v in run["tau_w"].items())
            fit = ", ".join(f"{k} {v:.1f}" for k, v in run["fit_s"].items())
            k = f"; k={run['k']}" if "k" in run else ""
            bar.write(f"[{result['setting']['name']}, seed {seed}] tau_w: {taus}; fit s: {fit}{k}",
                      file=sys.stdout)  # fmt: skip
            bar.update()
    bar.close()
    header = (
        f"{sizes['n_models']} PTMs, {sizes['n_features']}-d tokens, {sizes['n_train']} "
        f"training / {sizes['n_valid']} validation / {sizes['n_test']} test tasks, seeds {seeds}"
        + (f", SpiderRanker({args.spider_params})" if args.spider_params else "")
    )
    print(f"\n## Rankers on make_ranking_problem ({header})\n")
    print(markdown(results, args.rankers))
    if args.json:
        payload = {
            "sizes": sizes,
            "seeds": seeds,
            "spider_params": args.spider_params,
            "machine": {
                "python": platform.python_version(),
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "processor": platform.processor() or platform.machine(),
            },
            "results": results,
        }
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2)
    return results


if __name__ == "__main__":
    main()
