"""The glyph zoo: a real, small model zoo built on a CPU, with fine-tuned ground truth.

`build_glyph_zoo` reproduces it from scratch, stage by stage, each stage cached in a work
folder so that an interrupted build resumes where it stopped; `load_glyph_zoo` reads the
artifacts back (checksums verified). The design and its measured figures are documented in
``docs/glyph_zoo.rst``.

Time plan of the full build (``mode="full"``, ``--jobs 2``) on the 2-core development
machine, idle. Measured here (one torch thread, load average 6-7): one fine-tuning run of
15 epochs on a 19-way, 190-image task costs, in CPU seconds, LeNet-8 1.9, LeNet-16 3.9,
ResNet-16 3.5, ResNet-8 1.8, MobileNet-16 4.0, VGG-16 6.4, MLP-128 0.3, ViT-48 7.5: 89 s
for the whole zoo (wall time 179 s under that load). The evaluation tasks average 12.5
ways (about 59 CPU-s per task and seed for the zoo); CPU time measured under load is
inflated by sharing, so the figures below take it as 1 to 1.5 times the idle cost:

========== ============================================================== ==========
stage      work                                                           minutes
========== ============================================================== ==========
render     6 sources x <=120 classes x 110 images; 32 evaluation tasks    1-2
           (the 32 tasks: 13 s measured)
pretrain   24 PTMs x 600 steps of 64 images (13.5 fine-tuning runs'       12-20
           worth each, SimCLR twice that), one process
encoder    ResNet-24 on the union of the sources, 1200 steps              2-3
features   24 PTMs + encoder over 6 pools (about 30,000 images) and the   3-5
           32 evaluation tasks (forward passes only)
proxy      200 training tasks x 24 PTMs x 4 estimators                    3-6
truth      24 PTMs x 80 (task, seed) passes (8 validation tasks x 3       25-40
           rates x 1 seed, then 32 tasks x 2 seeds at the chosen rate,
           less the seed already run); 2 processes
ranker     SpiderRanker on 200 tasks with PTM-specific tokens; artifacts  1-3
total                                                                     70-110
========== ============================================================== ==========

The upper end comes near the 2 hours allowed: the build prints its progress and an
estimate of the time left, records every stage's seconds, and resumes where it stopped.

Design rules, decided on validation tasks only (``benchmarks/glyph_zoo_probe.py``, 6 PTMs
of equal capacity from different sources, 8 validation tasks, docs/glyph_zoo.rst): two
seeds gave a seed-to-seed ceiling of 0.59-0.70, below the 0.8 asked, and 45 instead of 15
held-out images per class did not help (the seed noise comes from training, not from the
test sample: accuracy s.d. over seeds 0.037 vs 0.039); the mean of two seeds against the
mean of two others reached 0.68-0.76. So the plan had the truth average four seeds. On the
2-core machine pre-training took far longer than planned (VGG and ViT 6-24 minutes each,
under load), and to fit the build's time the plan was cut, before any test task was
fine-tuned: two seeds (the issue's protocol; the report gives their seed-to-seed ceiling,
and the split-half ceiling needs four) and 24 PTMs instead of 26. A fixed ranking (each
PTM's mean accuracy on the other tasks) stayed below the ceiling (0.50-0.55), and the best
PTM differed from its top pick on 50-75% of the tasks: here, the task matters.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import time
import warnings
from collections.abc import Mapping
from importlib import resources
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._progress import progress_bar, track, write_line
from .._sklearn_compat import Interval, StrOptions, validate_params

__all__ = ["build_glyph_zoo", "load_glyph_zoo"]

_MAX_BYTES = 20_000_000  # what the package may ship

ARTIFACTS = (
    "manifest.json",
    "ptms.pt",
    "encoder.pt",
    "tasks.json",
    "tasks.npz",
    "truth_runs.csv",
    "proxy_train.csv",
    "proxy_eval.csv",
    "tokens_train.npz",
    "ranker.joblib",
)

# Downstream (validation and test) domains: held-out scripts, held-out symbol blocks,
# held-out font styles of source scripts, and the two real-image domains.
_HELD_OUT = (
    ("greek", "sans"),
    ("armenian", "sans"),
    ("hebrew", "sans"),
    ("tifinagh", "sans"),
    ("nko", "sans"),
    ("lao", "sans"),
    ("arrows", "sans"),
    ("box", "sans"),
    ("braille", "sans"),
    ("shapes", "sans"),
    ("dingbats", "sans"),
    ("digits", "sans"),
    ("latin", "serif"),
    ("cyrillic", "serif"),
    ("math", "serif"),
    ("handwritten", "real"),
    ("photo", "real"),
)
_VALIDATION = (
    ("greek", "sans"),
    ("tifinagh", "sans"),
    ("arrows", "sans"),
    ("braille", "sans"),
    ("latin", "serif"),
    ("lao", "sans"),
    ("handwritten", "real"),
    ("photo", "real"),
)


def _zoo_full() -> list[dict]:
    sup = "supervised"
    specs = [
        ("lenet", 8, s, sup)
        for s in ("latin", "cyrillic", "georgian", "arabic", "canadian", "math")
    ]
    specs += [("resnet", 16, s, sup) for s in ("latin", "arabic", "canadian", "math")]
    specs += [("mobilenet", 16, s, sup) for s in ("cyrillic", "georgian", "math")]
    specs += [("vgg", 16, s, sup) for s in ("latin", "canadian", "union")]
    specs += [("mlp", 128, s, sup) for s in ("cyrillic", "arabic")]
    specs += [("vit", 48, s, sup) for s in ("georgian", "union")]
    specs += [("resnet", 8, "union", sup), ("lenet", 16, "union", sup)]
    # Unsupervised: no source head. (The plan also had a SimCLR ResNet-16 and an autoencoding
    # VGG-16; pre-training ran slower than planned on 2 cores and they were dropped to fit
    # the build's time, before any of their fine-tuning runs.)
    specs += [
        ("lenet", 8, "union", "simclr"),
        ("mlp", 128, "union", "autoencoder"),
    ]
    return [_spec(*s) for s in specs]


def _spec(family: str, width: int, source: str, objective: str) -> dict:
    tag = {"supervised": "", "simclr": "-simclr", "autoencoder": "-ae"}[objective]
    return {
        "name": f"{family}{width}-{source}{tag}",
        "family": family,
        "width": width,
        "source": source,
        "objective": objective,
    }


#: The build plans. Everything the build does is fixed by its plan and the seed.
PLANS: dict[str, dict] = {
    "full": {
        "sources": ("latin", "cyrillic", "georgian", "arabic", "canadian", "math"),
        "max_source_classes": 120,
        "pretrain_per_class": 60,
        "pool_per_class": 50,
        "zoo": _zoo_full(),
        "pretrain": {"steps": 600, "batch_size": 64, "lr": 2e-3, "augment": 0.5},
        "encoder": {"family": "resnet", "width": 24, "steps": 1200},
        "train_tasks": {"n": 200, "n_way": (5, 50), "n_shot": (10, 50), "n_pools": (1, 3)},
        "held_out": _HELD_OUT,
        "validation": _VALIDATION,
        "n_validation": 8,
        "n_test": 24,
        "eval_tasks": {"n_way": (10, 15), "n_shot": 10, "n_test": 15},
        "finetune": {
            "epochs": 15,
            "batch_size": 50,
            "lrs": (3e-4, 1e-3, 3e-3),
            "grid_seeds": (0,),
            "seeds": (0, 1),
        },
        "ranker": {},  # SpiderRanker's defaults (docs/spider_defaults_study.md)
    },
    "tiny": {
        "sources": ("latin", "math"),
        "max_source_classes": 8,
        "pretrain_per_class": 6,
        "pool_per_class": 6,
        "zoo": [
            _spec("lenet", 2, "latin", "supervised"),
            _spec("mlp", 16, "math", "supervised"),
            _spec("lenet", 2, "union", "autoencoder"),
        ],
        "pretrain": {"steps": 3, "batch_size": 8, "lr": 2e-3, "augment": 0.5},
        "encoder": {"family": "mlp", "width": 16, "steps": 3},
        "train_tasks": {"n": 6, "n_way": (3, 5), "n_shot": (3, 5), "n_pools": (1, 2)},
        "held_out": (("greek", "sans"), ("handwritten", "real")),
        "validation": (("greek", "sans"), ("handwritten", "real")),
        "n_validation": 2,
        "n_test": 2,
        "eval_tasks": {"n_way": (3, 4), "n_shot": 3, "n_test": 3},
        "finetune": {
            "epochs": 1,
            "batch_size": 6,
            "lrs": (1e-3, 3e-3),
            "grid_seeds": (0,),
            "seeds": (0, 1),
        },
        "ranker": {"d_model": 8, "lr": 1e-2, "max_iter": 10, "batch_size": 4},
    },
}


def _default_dir() -> Path:
    return Path(str(resources.files("skspider.datasets").joinpath("data", "glyph_zoo")))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class _Log:
    def __init__(self, verbose: int):
        self.verbose = verbose
        self.start = time.perf_counter()

    def __call__(self, msg: str, level: int = 1) -> None:
        if self.verbose >= level:
            elapsed = (time.perf_counter() - self.start) / 60
            write_line(f"[glyph-zoo {elapsed:6.1f} min] {msg}")


def _atomic_save(obj: Any, path: Path, saver) -> None:
    tmp = path.with_name(path.name + ".tmp")
    saver(obj, tmp)
    os.replace(tmp, path)


def _save_json(obj: Any, path: Path) -> None:
    def dump(o, p):
        with open(p, "w", encoding="utf-8") as fh:
            json.dump(o, fh, indent=1, default=_json_default)

    _atomic_save(obj, path, dump)


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _save_npz(arrays: Mapping[str, np.ndarray], path: Path) -> None:
    def dump(a, p):
        with open(p, "wb") as fh:
            np.savez_compressed(fh, **a)

    _atomic_save(dict(arrays), path, dump)


def _save_torch(obj: Any, path: Path) -> None:
    import torch

    _atomic_save(obj, path, lambda o, p: torch.save(o, p))


# -- stages ------------------------------------------------------------------------------------
class _Builder:
    def __init__(self, plan: dict, work: Path, device, seed: int, log: _Log, n_jobs: int = 1):
        self.plan, self.work, self.device, self.seed, self.log = plan, work, device, seed, log
        self.n_jobs = n_jobs
        self.timings: dict[str, float] = {}
        timings = work / "timings.json"
        if timings.exists():
            self.timings = json.loads(timings.read_text())

    def stage(self, name: str, fn):
        """Run a stage unless its marker exists; record the seconds of the run that finished it
        (pre-training and fine-tuning also record the seconds of each PTM and run, so their
        totals are right after a resume: see ``work_seconds`` in the manifest)."""
        marker = self.work / f"{name}.done"
        if marker.exists():
            self.log(f"{name}: cached")
            return
        self.log(f"{name}: start")
        t0 = time.perf_counter()
        fn()
        seconds = time.perf_counter() - t0
        self.timings[name] = seconds
        _save_json(self.timings, self.work / "timings.json")
        marker.write_text("ok")
        self.log(f"{name}: done in {seconds / 60:.1f} min")

    # render ----------------------------------------------------------------------------
    def render(self) -> None:
        from ._glyphs import _n_classes, glyph_classes, make_glyph_task, render_domain

        plan = self.plan
        arrays, meta = {}, {}
        for i, source in enumerate(plan["sources"]):
            codes = np.asarray(glyph_classes(source, "sans"))
            rng = np.random.RandomState(self.seed + 100 + i)
            if len(codes) > plan["max_source_classes"]:
                codes = np.sort(rng.choice(codes, plan["max_source_classes"], replace=False))
            x, y = render_domain(
                source, plan["pretrain_per_class"], classes=codes, random_state=rng
            )
            arrays[f"pretrain__{source}__x"], arrays[f"pretrain__{source}__y"] = x, y
            x, y = render_domain(source, plan["pool_per_class"], classes=codes, random_state=rng)
            arrays[f"pool__{source}__x"], arrays[f"pool__{source}__y"] = x, y
            meta[source] = codes.tolist()
        _save_npz(arrays, self.work / "sources.npz")

        ev = plan["eval_tasks"]
        rng = np.random.RandomState(self.seed + 7)
        definitions, images = [], {}
        splits = [
            ("validation", plan["validation"], plan["n_validation"]),
            ("test", plan["held_out"], plan["n_test"]),
        ]
        for split, domains, n in splits:
            for t in range(n):
                domain, style = domains[t % len(domains)]
                task_seed = int(rng.randint(2**31 - 1))
                lo, hi = ev["n_way"]
                n_way = int(np.random.RandomState(task_seed).randint(lo, hi + 1))
                n_way = min(n_way, _n_classes(domain, "sans" if style == "real" else style))
                name = f"{split[:4]}{t:02d}-{domain}-{style}"
                task = make_glyph_task(
                    domain,
                    style="sans" if style == "real" else style,
                    n_way=n_way,
                    n_shot=ev["n_shot"],
                    n_test=ev["n_test"],
                    random_state=task_seed,
                    name=name,
                )
                m = task.metadata
                definitions.append(
                    {
                        "name": name,
                        "split": split,
                        "domain": domain,
                        "style": style,
                        "n_way": n_way,
                        "n_shot": ev["n_shot"],
                        "n_test": ev["n_test"],
                        "seed": task_seed,
                        "classes": m["classes"],
                    }
                )
                images[f"{name}__images"] = m["images"]
                images[f"{name}__y"] = np.asarray(task.y, dtype=np.int16)
                images[f"{name}__test_images"] = m["test_images"]
                images[f"{name}__y_test"] = np.asarray(m["y_test"], dtype=np.int16)
        _save_npz(images, self.work / "tasks.npz")
        _save_json({"sources": meta, "tasks": definitions}, self.work / "tasks.json")

    def _sources(self):
        with np.load(self.work / "sources.npz") as data:
            return {k: data[k] for k in data.files}

    def _source_data(self, arrays, kind: str, source: str):
        if source != "union":
            x, y = arrays[f"{kind}__{source}__x"], arrays[f"{kind}__{source}__y"]
            return x, np.searchsorted(np.unique(y), y)
        xs, ys, offset = [], [], 0
        for s in self.plan["sources"]:
            x, y = self._source_data(arrays, kind, s)
            xs.append(x)
            ys.append(y + offset)
            offset += int(y.max()) + 1
        return np.concatenate(xs), np.concatenate(ys)

    # pretrain --------------------------------------------------------------------------
    def pretrain(self) -> None:
        from ._glyph_models import build_glyph_model, pretrain_glyph_model

        arrays = self._sources()
        folder = self.work / "ptms"
        folder.mkdir(exist_ok=True)
        cfg = self.plan["pretrain"]
        zoo = self.plan["zoo"]
        # A bar over the PTMs (finished ones count at once); verbose >= 2 adds a passing
        # bar over each PTM's steps.
        bar = progress_bar(len(zoo), desc="pretrain", verbose=self.log.verbose, unit="PTM")
        with bar:
            for i, spec in enumerate(zoo):
                path = folder / f"{spec['name']}.pt"
                if path.exists():
                    bar.update()
                    continue
                t0 = time.perf_counter()
                x, y = self._source_data(arrays, "pretrain", spec["source"])
                supervised = spec["objective"] == "supervised"
                model = build_glyph_model(
                    spec["family"],
                    spec["width"],
                    int(y.max()) + 1 if supervised else None,
                    seed=self.seed + 1000 + i,
                )
                log = pretrain_glyph_model(
                    model,
                    x,
                    y if supervised else None,
                    objective=spec["objective"],
                    steps=cfg["steps"],
                    batch_size=cfg["batch_size"],
                    lr=cfg["lr"],
                    augment=cfg["augment"],
                    seed=self.seed + 2000 + i,
                    device=self.device,
                    verbose=self.log.verbose - 1,
                )
                _round_to_half(model)
                n_params = int(sum(p.numel() for p in model.parameters()))
                record = {
                    **spec,
                    "n_classes": int(y.max()) + 1 if supervised else None,
                    "n_params": n_params,
                    "final_loss": float(np.mean(log["loss"][-20:])),
                    "seconds": time.perf_counter() - t0,
                    "state": model.state_dict(),
                }
                _save_torch(record, path)
                self.log(
                    f"  PTM {i + 1}/{len(zoo)} {spec['name']}: {n_params} parameters, loss "
                    f"{record['final_loss']:.3f}, {record['seconds']:.0f} s"
                )
                bar.update()

    def encoder(self) -> None:
        from ._glyph_models import build_glyph_model, pretrain_glyph_model

        arrays = self._sources()
        cfg, enc = self.plan["pretrain"], self.plan["encoder"]
        x, y = self._source_data(arrays, "pretrain", "union")
        model = build_glyph_model(
            enc["family"], enc["width"], int(y.max()) + 1, seed=self.seed + 3000
        )
        log = pretrain_glyph_model(
            model,
            x,
            y,
            steps=enc["steps"],
            batch_size=cfg["batch_size"],
            lr=cfg["lr"],
            augment=cfg["augment"],
            seed=self.seed + 3001,
            device=self.device,
            verbose=self.log.verbose,
        )
        from torch import nn

        model.head = nn.Identity()  # the encoder gives features only
        _round_to_half(model)
        record = {
            "family": enc["family"],
            "width": enc["width"],
            "n_classes": None,
            "n_params": int(sum(p.numel() for p in model.parameters())),
            "final_loss": float(np.mean(log["loss"][-20:])),
            "seconds": log["seconds"],
            "state": model.state_dict(),
        }
        _save_torch(record, self.work / "encoder.pt")

    # features, tasks, proxy ranks ----------------------------------------------------------
    def zoo(self):
        from skspider.zoo import ModelZoo

        zoo = ModelZoo()
        for spec in self.plan["zoo"]:
            zoo.add(_entry(_torch_load(self.work / "ptms" / f"{spec['name']}.pt"), spec["name"]))
        return zoo

    def encoder_model(self):
        return _model_from_record(_torch_load(self.work / "encoder.pt"))

    def _general(self, images: np.ndarray) -> np.ndarray:
        from skspider.zoo import extract_features

        return extract_features(
            self.encoder_model(), images, layer="head", device=self.device
        ).features

    def pools(self, progress: bool = False):
        from skspider.zoo import FeatureCache

        arrays = self._sources()
        zoo, cache = self.zoo(), FeatureCache(self.work / "features")
        encoder = self.encoder_model()
        pools = {}
        from skspider.zoo import extract_features, make_task

        verbose = self.log.verbose if progress else 0
        for source in track(self.plan["sources"], desc="features: pools", verbose=verbose):
            x, y = arrays[f"pool__{source}__x"], arrays[f"pool__{source}__y"]
            general = extract_features(
                encoder,
                x,
                layer="head",
                device=self.device,
                cache=cache,
                dataset_key=f"pool-{source}",
                lazy=False,
            ).features
            pools[source] = make_task(
                zoo,
                x,
                y,
                X=np.asarray(general),
                cache=cache,
                dataset_key=f"pool-{source}",
                name=source,
                device=self.device,
            )
        return pools

    def eval_tasks(self, with_models: bool = True, progress: bool = False) -> list:
        from skspider.zoo import FeatureCache, make_task

        definitions = json.loads((self.work / "tasks.json").read_text())["tasks"]
        with np.load(self.work / "tasks.npz") as data:
            arrays = {k: data[k] for k in data.files}
        tasks = _eval_tasks(definitions, arrays)
        if not with_models:
            return tasks
        zoo, cache = self.zoo(), FeatureCache(self.work / "features")
        out = []
        verbose = self.log.verbose if progress else 0
        for task in track(tasks, desc="features: tasks", verbose=verbose, unit="task"):
            images = task.metadata["images"]
            done = make_task(
                zoo,
                images,
                task.y,
                X=self._general(images),
                cache=cache,
                dataset_key=f"eval-{task.name}",
                name=task.name,
                device=self.device,
            )
            out.append(
                dataclasses.replace(
                    task,
                    X=done.X,
                    model_features=done.model_features,
                    model_probas=done.model_probas,
                )
            )
        return out

    def features(self) -> None:
        self.pools(progress=True)
        self.eval_tasks(progress=True)

    def train_tasks(self) -> list:
        from skspider.tasks import sample_tasks

        cfg = self.plan["train_tasks"]
        pools = self.pools()
        rng = np.random.RandomState(self.seed + 11)
        tasks = []
        for i in range(cfg["n"]):
            shot = int(rng.randint(cfg["n_shot"][0], cfg["n_shot"][1] + 1))
            (task,) = sample_tasks(
                pools,
                n_tasks=1,
                n_way=cfg["n_way"],
                n_shot=shot,
                n_pools=cfg["n_pools"],
                random_state=int(rng.randint(2**31 - 1)),
            )
            tasks.append(dataclasses.replace(task, name=f"train{i:03d}"))
        return tasks

    def proxy(self) -> None:
        from skspider.tasks import TaskTokenizer, proxy_ranks

        train = self.train_tasks()
        names = [s["name"] for s in self.plan["zoo"]]
        ranks = proxy_ranks(train, models=names, verbose=self.log.verbose)
        ranks.to_csv(self.work / "proxy_train.csv")
        tok = TaskTokenizer().fit(train)
        tokens = tok.transform(train)
        _save_npz(
            {t.name: np.asarray(k, np.float32) for t, k in zip(train, tokens)},
            self.work / "tokens_train.npz",
        )
        meta = {
            t.name: {
                "n_way": len(np.unique(t.y)),
                "n_shot": int(np.bincount(t.y).max()),
                "pools": t.metadata["pools"],
            }
            for t in train
        }
        _save_json(meta, self.work / "train_tasks.json")
        evals = self.eval_tasks()
        proxy_ranks(evals, models=names, verbose=self.log.verbose).to_csv(
            self.work / "proxy_eval.csv"
        )

    # ground truth ------------------------------------------------------------------------
    def truth(self) -> None:
        cfg = self.plan["finetune"]
        tasks = self.eval_tasks(with_models=False)
        zoo = self.zoo()
        path = self.work / "truth_runs.csv"
        header = "task,split,model,family,lr,seed,accuracy,seconds\n"
        done = set()
        if path.exists():
            runs = pd.read_csv(path)
            done = {(r.task, r.model, float(r.lr), int(r.seed)) for r in runs.itertuples()}
        else:
            path.write_text(header)
        families = {s["name"]: s["family"] for s in self.plan["zoo"]}

        def todo(split, lrs, seeds):
            return [
                (t, m, lr, s)
                for t in tasks
                if t.metadata["split"] == split
                for m in zoo
                for lr in lrs
                for s in seeds
                if (t.name, m, float(lr), int(s)) not in done
            ]

        def run(jobs, label):
            from joblib import Parallel, delayed

            kw = {"epochs": cfg["epochs"], "batch_size": cfg["batch_size"], "device": self.device}
            calls = (
                delayed(_finetune_run)(
                    zoo[model].module, task.metadata, task.y, lr, seed, kw, self.n_jobs > 1
                )
                for task, model, lr, seed in jobs
            )
            # Runs come back in order: the CSV grows run by run, so a stop loses little.
            results = Parallel(n_jobs=self.n_jobs, return_as="generator")(calls)
            # The bar (elapsed, runs per minute, time left) counts the runs as they come back.
            results = track(
                results,
                total=len(jobs),
                desc=f"truth: {label}",
                verbose=self.log.verbose,
                unit="run",
            )
            with open(path, "a", encoding="utf-8") as fh:
                for (task, model, lr, seed), (acc, seconds) in zip(jobs, results):
                    fh.write(
                        f"{task.name},{task.metadata['split']},{model},{families[model]},"
                        f"{lr!r},{seed},{acc:.6f},{seconds:.3f}\n"
                    )
                    fh.flush()

        # The grid: every rate on the validation tasks with the grid seeds; then every seed
        # at each family's best rate, on the validation and the test tasks.
        run(todo("validation", cfg["lrs"], cfg["grid_seeds"]), "validation (learning-rate grid)")
        best = _best_lrs(pd.read_csv(path))
        for split in ("validation", "test"):
            jobs = todo(split, cfg["lrs"], cfg["seeds"])
            run([j for j in jobs if j[2] == best[families[j[1]]]], split)

    # ranker and artifacts ------------------------------------------------------------------
    def ranker(self) -> None:
        import joblib

        from skspider.spider import SpiderRanker
        from skspider.tasks import TaskTokenizer

        proxy = pd.read_csv(self.work / "proxy_train.csv", index_col=0)
        with np.load(self.work / "tokens_train.npz") as data:
            tokens = {name: data[name] for name in data.files}
        # The training tasks again (their features are cached), now with each PTM's own class
        # centroids: trained with them, the ranker can re-rank a new task's top-k PTMs from
        # their forward passes (RerankTransformer), as the authors' released training does.
        tasks = self.train_tasks()
        train = TaskTokenizer(model_tokens=True).fit(tasks).transform(tasks)
        for task in train:  # the shipped general tokens are these tasks' tokens
            if not np.allclose(tokens[task.name], task.tokens, atol=1e-5):
                raise RuntimeError(f"training task {task.name} no longer matches its tokens")
        ranker = SpiderRanker(
            **self.plan["ranker"], random_state=self.seed, verbose=min(self.log.verbose, 1)
        )
        ranker.fit(train, proxy.loc[[t.name for t in train]])
        ranker.set_params(verbose=0)  # the artifact is the same whatever the build's verbose
        _atomic_save(ranker, self.work / "ranker.joblib", lambda o, p: joblib.dump(o, p))

    def artifacts(self, out: Path, mode: str) -> None:
        import torch

        out.mkdir(parents=True, exist_ok=True)
        ptms = {}
        for spec in self.plan["zoo"]:
            rec = _torch_load(self.work / "ptms" / f"{spec['name']}.pt")
            ptms[spec["name"]] = _half(rec)
        _save_torch(ptms, out / "ptms.pt")
        _save_torch(_half(_torch_load(self.work / "encoder.pt")), out / "encoder.pt")
        tasks = json.loads((self.work / "tasks.json").read_text())
        _save_json(tasks, out / "tasks.json")
        for name in (
            "tasks.npz",
            "tokens_train.npz",
            "proxy_train.csv",
            "proxy_eval.csv",
            "truth_runs.csv",
            "ranker.joblib",
        ):
            data = (self.work / name).read_bytes()
            _atomic_save(data, out / name, lambda d, p: Path(p).write_bytes(d))
        runs = pd.read_csv(out / "truth_runs.csv")
        report = glyph_zoo_report(
            runs,
            pd.read_csv(out / "proxy_train.csv", index_col=0),
            pd.read_csv(out / "proxy_eval.csv", index_col=0),
        )
        work_seconds = {
            "pretrain": float(
                sum(
                    _torch_load(self.work / "ptms" / f"{s['name']}.pt")["seconds"]
                    for s in self.plan["zoo"]
                )
            ),
            "truth": float(runs["seconds"].sum()),
            "truth_runs": len(runs),
        }
        manifest = {
            "mode": mode,
            "seed": self.seed,
            "plan": self.plan,
            "best_lr": _best_lrs(runs),
            "timings_s": self.timings,
            "work_seconds": work_seconds,
            "report": report,
            "versions": {"torch": torch.__version__, "numpy": np.__version__},
            "checksums": {n: _sha256(out / n) for n in ARTIFACTS if n != "manifest.json"},
        }
        manifest["size_bytes"] = int(sum((out / n).stat().st_size for n in manifest["checksums"]))
        if manifest["size_bytes"] > _MAX_BYTES:
            warnings.warn(
                f"The glyph zoo's artifacts take {manifest['size_bytes'] / 1e6:.1f} MB, more "
                f"than the {_MAX_BYTES / 1e6:.0f} MB the package may ship.",
                stacklevel=2,
            )
        _save_json(manifest, out / "manifest.json")


def _finetune_run(module, meta, y, lr, seed, kw, one_thread):
    """One ground-truth run (a joblib job): accuracy and seconds."""
    import torch

    from skspider.zoo import finetune_accuracy

    if one_thread:  # a worker process: one thread each, the cores are shared out by joblib
        torch.set_num_threads(1)
    start = time.perf_counter()
    acc = finetune_accuracy(
        module, meta["images"], y, meta["test_images"], meta["y_test"], layer="head", lr=lr,
        random_state=seed, **kw,
    )  # fmt: skip
    return acc, time.perf_counter() - start


def _best_lrs(runs: pd.DataFrame) -> dict[str, float]:
    """Per family, the learning rate of the best mean validation accuracy.

    Only the seeds run at every rate of the family count (the grid seeds: the chosen rate
    later gets more seeds, which must not change the choice).
    """
    val = runs[runs["split"] == "validation"]
    best = {}
    for fam, group in val.groupby("family", sort=False):
        seeds_per_lr = [set(g["seed"]) for _, g in group.groupby("lr")]
        common = set.intersection(*seeds_per_lr)
        mean = group[group["seed"].isin(common)].groupby("lr")["accuracy"].mean()
        best[fam] = float(mean.idxmax())
    return best


def truth_tables(runs: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, pd.DataFrame]]:
    """The truth (mean accuracy over seeds at each family's chosen rate) and per-seed tables.

    Rows are tasks in order of appearance, columns PTMs in order of appearance.
    """
    best = _best_lrs(runs)
    keep = runs[runs["lr"] == runs["family"].map(best)]
    tasks = list(dict.fromkeys(keep["task"]))
    models = list(dict.fromkeys(runs["model"]))
    table = keep.pivot_table(index="task", columns="model", values="accuracy", aggfunc="mean")
    per_seed = {
        int(s): g.pivot_table(index="task", columns="model", values="accuracy").reindex(
            index=tasks, columns=models
        )
        for s, g in keep.groupby("seed")
    }
    return table.reindex(index=tasks, columns=models), per_seed


def glyph_zoo_report(
    runs: pd.DataFrame, proxy_train: pd.DataFrame, proxy_eval: pd.DataFrame
) -> dict:
    """The figures that say whether the zoo can show what a ranker is worth.

    Per split: the seed-to-seed ceiling (mean tau_w of one seed's accuracies as the score
    against another's as the truth, both directions and all pairs of seeds averaged); the
    split-half ceiling (the mean of half of the seeds against the other half's, with four
    seeds or more: how well the truth itself, a mean over seeds, reproduces); the tau_w of
    the prior (the mean proxy rank over the training tasks: a fixed ranking), of a
    leave-one-task-out fixed ranking from the truth itself (each PTM's mean accuracy on the
    split's other tasks: a strong task-blind ranking), and of the task's own proxy ranks;
    and the share of tasks whose best PTM is not the prior's top pick.
    """
    from skspider.metrics import mean_weighted_tau

    truth, per_seed = truth_tables(runs)
    splits = runs.drop_duplicates("task").set_index("task")["split"]
    prior = proxy_train.mean(axis=0).reindex(truth.columns)
    out = {}
    for split in ("validation", "test"):
        names = [t for t in truth.index if splits[t] == split]
        if not names:
            continue
        T = truth.loc[names]
        tables = [per_seed[s].loc[names] for s in sorted(per_seed)]

        def agree(a, b):
            return 0.5 * (mean_weighted_tau(a, b) + mean_weighted_tau(b, a))

        pairs = [(i, j) for i in range(len(tables)) for j in range(i + 1, len(tables))]
        ceiling = np.mean([agree(tables[i], tables[j]) for i, j in pairs]) if pairs else np.nan
        half = len(tables) // 2
        split_half = (
            agree(sum(tables[:half]) / half, sum(tables[half : 2 * half]) / half)
            if half >= 2
            else None
        )
        P = np.tile(prior.to_numpy(), (len(names), 1))
        loo = (
            np.vstack([T.drop(index=n).mean(axis=0).to_numpy() for n in names])
            if len(names) > 1
            else np.full(T.shape, np.nan)
        )
        best = T.to_numpy().argmax(axis=1)
        out[split] = {
            "n_tasks": len(names),
            "ceiling_tau_w": float(ceiling),
            "split_half_tau_w": None if split_half is None else float(split_half),
            "prior_tau_w": float(mean_weighted_tau(T, P)),
            "fixed_loo_tau_w": float(mean_weighted_tau(T, loo)) if len(names) > 1 else None,
            "proxy_tau_w": float(mean_weighted_tau(T, proxy_eval.loc[names, T.columns])),
            "share_best_not_prior_top": float(np.mean(best != int(np.argmax(prior.to_numpy())))),
            "mean_accuracy": float(T.to_numpy().mean()),
            "accuracy_range": [float(T.to_numpy().min()), float(T.to_numpy().max())],
        }
    return out


# -- loading -----------------------------------------------------------------------------------
def _torch_load(path: Path) -> dict:
    import torch

    return torch.load(path, map_location="cpu", weights_only=True)


def _round_to_half(model) -> None:
    """Round the weights to float16 values in place: every later stage (features, truth)
    then uses exactly the weights the artifacts ship in float16."""
    import torch

    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.copy_(t.half().float())


def _half(record: dict) -> dict:
    rec = dict(record)
    rec["state"] = {k: (v.half() if v.is_floating_point() else v) for k, v in rec["state"].items()}
    return rec


def _model_from_record(record: dict):
    from ._glyph_models import GlyphNet

    model = GlyphNet(record["family"], record["width"], record["n_classes"])
    if record["n_classes"] is None:
        state = {k: v for k, v in record["state"].items() if not k.startswith("head.")}
    else:
        state = record["state"]
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return model.eval()


def _entry(record: dict, name: str):
    from skspider.zoo import ZooEntry

    return ZooEntry(
        name,
        _model_from_record(record),
        layer="head",
        family=record["family"],
        source=record["source"],
        version=f"glyph-zoo:{name}:{_state_digest(record['state'])}",
        metadata={"objective": record["objective"], "width": record["width"]},
    )


def _state_digest(state: Mapping) -> str:
    h = hashlib.blake2b(digest_size=8)
    for k, v in state.items():
        h.update(k.encode())
        h.update(
            v.detach().cpu().contiguous().reshape(-1).view(-1).numpy().tobytes()
            if v.dtype.is_floating_point
            else str(v.tolist()).encode()
        )
    return h.hexdigest()


def _eval_tasks(definitions: list[dict], arrays: Mapping[str, np.ndarray]) -> list:
    from ..base import Task

    tasks = []
    for d in definitions:
        n = d["name"]
        tasks.append(
            Task(
                y=arrays[f"{n}__y"].astype(np.int64),
                name=n,
                metadata={
                    "images": arrays[f"{n}__images"],
                    "test_images": arrays[f"{n}__test_images"],
                    "y_test": arrays[f"{n}__y_test"].astype(np.int64),
                    "classes": d["classes"],
                    "domain": d["domain"],
                    "style": d["style"],
                    "split": d["split"],
                    "seed": d["seed"],
                },
            )
        )
    return tasks


@validate_params(
    {
        "out_dir": [str, os.PathLike, None],
        "mode": [StrOptions(set(PLANS))],
        "work_dir": [str, os.PathLike, None],
        "device": [str],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "n_jobs": [Interval(Integral, 1, None, closed="left")],
        "random_state": [Interval(Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def build_glyph_zoo(
    out_dir: str | os.PathLike | None = None,
    *,
    mode: str = "full",
    work_dir: str | os.PathLike | None = None,
    device: str = "auto",
    n_threads: int | None = None,
    n_jobs: int = 1,
    random_state: int = 0,
    verbose: int = 1,
) -> dict:
    """Build the glyph zoo from scratch (resumably) and write its artifacts.

    Stages, each cached in ``work_dir`` (a rerun skips finished stages; pre-training skips
    finished PTMs, fine-tuning finished runs): ``render`` (source pools and the validation
    and test tasks), ``pretrain`` (every PTM), ``encoder`` (the general encoder),
    ``features`` (every PTM and the encoder over the pools and tasks, through
    `skspider.zoo`), ``proxy`` (training tasks sampled from the pools and their proxy ranks
    from `skspider.tasks.proxy_ranks`), ``truth`` (`skspider.zoo.finetune_accuracy` of
    every PTM on every validation task for each learning rate of the grid and seed, then
    on every test task at its family's best validation rate), ``ranker`` (a
    `~skspider.spider.SpiderRanker` on the training tasks' tokens and proxy ranks), then
    the artifacts in ``out_dir`` with a manifest (plan, checksums, stage timings, report).

    Parameters
    ----------
    out_dir : path-like, default=None
        Where the artifacts go; None: the package's ``skspider/datasets/data/glyph_zoo``,
        where `load_glyph_zoo` looks by default.
    mode : {"full", "tiny"}, default="full"
        The plan (`PLANS`): the full zoo (an estimated 70-110 minutes on 2 idle cores
        with ``n_jobs=2``, see the module docstring) or a seconds-long miniature for tests.
    work_dir : path-like, default=None
        Cache of the stages (1-2 GB for the full plan, mostly features); None:
        ``$XDG_CACHE_HOME/skspider/glyph_zoo_<mode>`` (``~/.cache/...``), outside the
        package.
    device : str, default="auto"
        Where torch runs ("auto": CUDA when available).
    n_threads : int, default=None
        torch's CPU threads for the build (None leaves torch's setting). On a machine that
        other jobs load, 1 is much faster than oversubscribed threads.
    n_jobs : int, default=1
        Processes for the ground-truth stage (fine-tuning runs are independent; on CPU,
        ``n_jobs=2`` with one torch thread each uses 2 cores better than one process with
        two threads for these small networks). Ignored on CUDA. A run's accuracy can differ
        in the last bits between thread counts, so record ``n_jobs`` and ``n_threads`` with
        a build you want to reproduce bit for bit.
    random_state : int, default=0
        The build's seed.
    verbose : int, default=1
        0 silent; 1 one line per stage and a progress bar on ``sys.stderr`` over the work
        of the long ones (PTMs, pools and tasks, (task, PTM) pairs, fine-tuning runs, ranker
        steps): tqdm's when installed, else a line at every 10%; 2 also a bar over each
        PTM's pre-training steps with its loss. The artifacts do not depend on it.

    Returns
    -------
    manifest : dict
        What ``manifest.json`` holds: plan, checksums, stage timings (seconds), report.
    """
    import torch

    from .._device import resolve_device

    out = Path(out_dir) if out_dir is not None else _default_dir()
    if work_dir is None:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        work_dir = Path(cache) / "skspider" / f"glyph_zoo_{mode}"
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    plan = copy.deepcopy(PLANS[mode])
    recorded = work / "plan.json"
    plan_json = json.loads(json.dumps({"plan": plan, "seed": random_state}, default=_json_default))
    if recorded.exists() and json.loads(recorded.read_text()) != plan_json:
        raise ValueError(
            f"The work folder {work} holds a build of another plan or seed; use a new work_dir."
        )
    _save_json(plan_json, recorded)
    dev = resolve_device(device)
    old_threads = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(int(n_threads))
    log = _Log(verbose)
    log(f"building the {mode} glyph zoo on {dev} into {out} (work folder {work})")
    b = _Builder(plan, work, dev, int(random_state), log, 1 if dev.type == "cuda" else n_jobs)
    try:
        b.stage("render", b.render)
        b.stage("pretrain", b.pretrain)
        b.stage("encoder", b.encoder)
        b.stage("features", b.features)
        b.stage("proxy", b.proxy)
        b.stage("truth", b.truth)
        b.stage("ranker", b.ranker)
        t0 = time.perf_counter()
        b.artifacts(out, mode)
        b.timings["artifacts"] = time.perf_counter() - t0
        _save_json(b.timings, work / "timings.json")
    finally:
        torch.set_num_threads(old_threads)
    manifest = json.loads((out / "manifest.json").read_text())
    log("stage timings (min): " + ", ".join(f"{k} {v / 60:.1f}" for k, v in b.timings.items()))
    log(f"artifacts: {manifest['size_bytes'] / 1e6:.1f} MB; report: {manifest['report']}")
    return manifest


@validate_params(
    {"data_dir": [str, os.PathLike, None], "with_features": ["boolean"], "device": [str]},
    prefer_skip_nested_validation=True,
)
def load_glyph_zoo(
    data_dir: str | os.PathLike | None = None,
    *,
    with_features: bool = True,
    device: str = "cpu",
) -> Bunch:
    """Load the glyph zoo: PTMs, general encoder, tasks with ground truth, trained ranker.

    Parameters
    ----------
    data_dir : path-like, default=None
        The folder `build_glyph_zoo` wrote; None: the package's built-in copy.
    with_features : bool, default=True
        Give every validation and test task its general-encoder features (``Task.X``, one
        pass of the encoder over its training images).
    device : str, default="cpu"
        Where the encoder runs for ``with_features``.

    Returns
    -------
    zoo : sklearn.utils.Bunch
        ``zoo`` (`~skspider.zoo.ModelZoo`, the PTMs in float32, metadata columns family,
        source, n_params, objective, width), ``encoder`` (the general encoder, a
        `torch.nn.Module` whose ``head`` is an identity: its features are
        ``extract_features(encoder, images, layer="head")``), ``validation_tasks`` and
        ``test_tasks`` (lists of `~skspider.base.Task`: ``y`` the training labels,
        ``metadata`` the uint8 images, held-out images and labels, domain, style),
        ``truth`` (DataFrame task x PTM: mean fine-tuned accuracy over the seeds at each
        family's chosen learning rate), ``truth_seeds`` (dict seed -> such a DataFrame),
        ``truth_runs`` (every fine-tuning run), ``proxy_train`` and ``proxy_eval`` (proxy
        ranks of the training and of the evaluation tasks), ``train_tokens`` (list of the
        training tasks' token arrays, in ``proxy_train`` order), ``ranker`` (the trained
        `~skspider.spider.SpiderRanker`), ``best_lr``, ``report`` and ``manifest``.

    Raises
    ------
    FileNotFoundError
        The artifacts are not built (the message says how to build them).
    ValueError
        A file's checksum does not match the manifest.

    See Also
    --------
    build_glyph_zoo : Builds the artifacts.
    make_glyph_task : Makes further tasks; `skspider.zoo.finetune_accuracy` gives their truth.

    Examples
    --------
    Rank the zoo for a test task with the trained ranker, and compare with the truth:

    >>> from skspider.datasets import load_glyph_zoo
    >>> from skspider.metrics import weighted_tau
    >>> from skspider.tasks import TaskTokenizer
    >>> data = load_glyph_zoo()
    >>> task = data.test_tasks[0]
    >>> scores = data.ranker.predict(TaskTokenizer().fit_transform([task]))
    >>> scores.shape == (1, len(data.ranker.models_))
    True
    >>> tau = weighted_tau(data.truth.loc[task.name, data.ranker.models_], scores[0])
    >>> bool(-1 <= tau <= 1)
    True

    Every PTM's features on it (for LogME and the other estimators):

    >>> from skspider.zoo import make_task
    >>> target = make_task(data.zoo, task.metadata["images"], task.y, device="cpu")
    >>> sorted(target.model_features) == sorted(data.ranker.models_)
    True
    """
    import joblib

    from skspider.zoo import ModelZoo, extract_features

    folder = Path(data_dir) if data_dir is not None else _default_dir()
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(
            f"The glyph zoo is not built: {manifest_path} does not exist. Build it with "
            "`python benchmarks/build_glyph_zoo.py` (an estimated 70-110 minutes on 2 idle CPU "
            "cores, less on a GPU) or `skspider.datasets.build_glyph_zoo(out_dir)`, then pass that "
            "folder as data_dir."
        )
    manifest = json.loads(manifest_path.read_text())
    for name, digest in manifest["checksums"].items():
        path = folder / name
        if not path.exists():
            raise FileNotFoundError(f"Glyph zoo file {path} is missing; rebuild the zoo.")
        if _sha256(path) != digest:
            raise ValueError(
                f"Glyph zoo file {path} does not match its checksum in the manifest: it is "
                "corrupt or from another build; rebuild the zoo."
            )
    ptms = _torch_load(folder / "ptms.pt")
    zoo = ModelZoo([_entry(rec, name) for name, rec in ptms.items()])
    encoder = _model_from_record(_torch_load(folder / "encoder.pt"))
    definitions = json.loads((folder / "tasks.json").read_text())["tasks"]
    with np.load(folder / "tasks.npz") as data:
        arrays = {k: data[k] for k in data.files}
    tasks = _eval_tasks(definitions, arrays)
    if with_features:
        tasks = [
            dataclasses.replace(
                t,
                X=extract_features(
                    encoder, t.metadata["images"], layer="head", device=device
                ).features,
            )
            for t in tasks
        ]
    runs = pd.read_csv(folder / "truth_runs.csv")
    truth, per_seed = truth_tables(runs)
    proxy_train = pd.read_csv(folder / "proxy_train.csv", index_col=0)
    with np.load(folder / "tokens_train.npz") as data:
        tokens = [data[n] for n in proxy_train.index]
    return Bunch(
        zoo=zoo,
        encoder=encoder,
        validation_tasks=[t for t in tasks if t.metadata["split"] == "validation"],
        test_tasks=[t for t in tasks if t.metadata["split"] == "test"],
        truth=truth,
        truth_seeds=per_seed,
        truth_runs=runs,
        proxy_train=proxy_train,
        proxy_eval=pd.read_csv(folder / "proxy_eval.csv", index_col=0),
        train_tokens=tokens,
        ranker=joblib.load(folder / "ranker.joblib"),
        best_lr=manifest["best_lr"],
        report=manifest["report"],
        manifest=manifest,
    )
