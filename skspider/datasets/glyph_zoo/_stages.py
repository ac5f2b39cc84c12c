"""The glyph zoo's build stages, each cached by a fingerprint of its own inputs.

``render`` (task images), ``pretrain`` (each PTM), ``encoder``, ``features`` (every network
over every task: forward passes), ``truth`` (fine-tuning runs), ``proxy`` (estimator scores)
and ``ranker``. A result's key is the fingerprint of what it is computed from: the plan
entries it reads and the content digests of its inputs (a task's images, a PTM's weights),
never their position in the plan. Adding a PTM pre-trains and fine-tunes only that PTM;
adding tasks or a domain renders and fine-tunes only the new tasks; a new ranker
configuration retrains only the ranker; re-rendering that gives the same bytes (a new
library version that draws the same glyphs) keeps every result downstream.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ..._progress import progress_bar, track, write_line
from ...base import Task
from ._plan import SPLITS, fingerprint, task_definitions
from ._store import WorkDir, load_npz, save_npz

__all__ = ["Builder", "best_lrs", "state_digest"]

# Bump when the rendering code changes what a definition draws (cached images then
# re-render; results downstream are keyed by the images' digest, so equal bytes keep them).
RENDER_VERSION = 1


class Log:
    """One line per event on stderr, with the minutes since the build started."""

    def __init__(self, verbose: int):
        self.verbose = verbose
        self.start = time.perf_counter()

    def __call__(self, msg: str, level: int = 1) -> None:
        if self.verbose >= level:
            elapsed = (time.perf_counter() - self.start) / 60
            write_line(f"[glyph-zoo {elapsed:6.1f} min] {msg}")


def state_digest(state: Mapping) -> str:
    """A digest of a state dict's names and values (the identity of a network's weights)."""
    h = hashlib.blake2b(digest_size=8)
    for k, v in state.items():
        h.update(k.encode())
        h.update(
            v.detach().cpu().contiguous().reshape(-1).view(-1).numpy().tobytes()
            if v.dtype.is_floating_point
            else str(v.tolist()).encode()
        )
    return h.hexdigest()


def arrays_digest(arrays: Mapping[str, np.ndarray]) -> str:
    """A digest of named arrays (names, dtypes, shapes and bytes, in name order)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:32]


def render_task(definition: Mapping) -> tuple[Task, dict[str, np.ndarray]]:
    """Render a task from its definition (domain, sizes, seed, name): the `Task` of
    `make_glyph_task` and its arrays as the build stores them (what `arrays_digest` reads)."""
    from ._glyphs import make_glyph_task

    task = make_glyph_task(
        definition["domain"], style="sans", n_way=int(definition["n_way"]),
        n_shot=int(definition["n_shot"]), n_test=int(definition["n_test"]),
        random_state=int(definition["seed"]), name=definition["name"],
    )  # fmt: skip
    m = task.metadata
    arrays = {
        "images": m["images"],
        "y": np.asarray(task.y, dtype=np.int16),
        "test_images": m["test_images"],
        "y_test": np.asarray(m["y_test"], dtype=np.int16),
        "classes": np.asarray(m["classes"], dtype=np.int64),
    }
    return task, arrays


def round_to_half(model) -> None:
    """Round a network's weights to float16 values in place: every later stage then uses
    exactly the weights the artifacts ship in float16."""
    import torch

    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.copy_(t.half().float())


def model_from_record(record: Mapping):
    """The `GlyphNet` of a stored record (float16 or float32 weights, head or not)."""
    from ._models import GlyphNet

    model = GlyphNet(record["family"], record["width"], record["n_classes"])
    state = record["state"]
    if record["n_classes"] is None:
        state = {k: v for k, v in state.items() if not k.startswith("head.")}
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return model.eval()


def zoo_entry(record: Mapping, name: str):
    """The `~skspider.zoo.ZooEntry` of a PTM record (its version: the weights' digest)."""
    from ...zoo import ZooEntry

    return ZooEntry(
        name,
        model_from_record(record),
        layer="head",
        family=record["family"],
        source=record["source"],
        version=f"glyph-zoo:{name}:{state_digest(record['state'])}",
        metadata={"objective": record["objective"], "width": record["width"]},
    )


def best_lrs(runs: pd.DataFrame) -> dict[str, float]:
    """Per family, the learning rate of the best mean accuracy on the validation tasks.

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


def run_key(task_digest: str, ptm_digest: str, config: dict, lr: float, seed: int) -> str:
    """The cache key of one fine-tuning run: the task's images, the PTM's weights, the
    protocol's settings, the learning rate and the seed."""
    return fingerprint("truth", task_digest, ptm_digest, config, lr, seed)


def _finetune_run(module, arrays, lr, seed, kw, one_thread):
    """One ground-truth run (a joblib job): accuracy and seconds."""
    import torch

    from ...zoo import finetune_accuracy

    if one_thread:  # a worker process: one thread each, joblib shares out the cores
        torch.set_num_threads(1)
    start = time.perf_counter()
    acc = finetune_accuracy(
        module, arrays["images"], arrays["y"], arrays["test_images"], arrays["y_test"],
        layer="head", lr=lr, random_state=seed, **kw,
    )  # fmt: skip
    return acc, time.perf_counter() - start


def run_finetunes(jobs, log, kw: dict, *, n_jobs: int, label: str, verbose: int) -> None:
    """Run fine-tuning jobs and add each result to ``log`` as it comes back (in order: a
    stop loses little). A job is ``(module, arrays, lr, seed, key, record)``: ``arrays`` a
    zero-argument function giving the task's arrays (read when the job starts),
    ``record`` what the log keeps beside the accuracy and the seconds."""
    from joblib import Parallel, delayed

    calls = (
        delayed(_finetune_run)(module, arrays(), lr, seed, kw, n_jobs > 1)
        for module, arrays, lr, seed, _, _ in jobs
    )
    results = Parallel(n_jobs=n_jobs, return_as="generator")(calls)
    results = track(results, total=len(jobs), desc=label, verbose=verbose, unit="run")
    for (_, _, _, _, key, record), (acc, seconds) in zip(jobs, results):
        log.add(key, {**record, "accuracy": float(acc), "seconds": float(seconds)})


class Builder:
    """The stages of one build: a plan, a seed, a work folder, a device."""

    def __init__(self, plan: dict, work: WorkDir, device, seed: int, log: Log, n_jobs: int = 1):
        self.plan, self.work, self.device, self.seed, self.log = plan, work, device, seed, log
        self.n_jobs = n_jobs
        self._records: dict[str, dict] = {}
        self._task_cache: dict[str, dict] = {}
        self._tasks: dict[str, object] = {}

    # -- sources (pre-training data) -----------------------------------------------------
    def _source_config(self) -> dict:
        p = self.plan
        return {
            "sources": p["sources"],
            "max_source_classes": p["max_source_classes"],
            "pretrain_per_class": p["pretrain_per_class"],
            "seed": self.seed,
        }

    def source_arrays(self) -> dict[str, np.ndarray]:
        """Pre-training images of every source (rendered once, cached)."""
        from ._glyphs import glyph_classes, render_domain

        path = self.work.file("sources", fingerprint("sources", self._source_config()), "npz")
        if path.exists():
            return load_npz(path)
        p, arrays = self.plan, {}
        for i, source in enumerate(p["sources"]):
            codes = np.asarray(glyph_classes(source, "sans"))
            rng = np.random.RandomState(self.seed + 100 + i)
            if len(codes) > p["max_source_classes"]:
                codes = np.sort(rng.choice(codes, p["max_source_classes"], replace=False))
            x, y = render_domain(source, p["pretrain_per_class"], classes=codes, random_state=rng)
            arrays[f"{source}__x"], arrays[f"{source}__y"] = x, y
        save_npz(arrays, path)
        return arrays

    def _source_data(self, arrays, source: str):
        if source != "union":
            x, y = arrays[f"{source}__x"], arrays[f"{source}__y"]
            return x, np.searchsorted(np.unique(y), y)
        xs, ys, offset = [], [], 0
        for s in self.plan["sources"]:
            x, y = self._source_data(arrays, s)
            xs.append(x)
            ys.append(y + offset)
            offset += int(y.max()) + 1
        return np.concatenate(xs), np.concatenate(ys)

    # -- PTMs and the encoder ----------------------------------------------------------
    def ptm_key(self, spec: dict) -> str:
        return fingerprint("ptm", spec, self.plan["pretrain"], self._source_config())

    def encoder_key(self) -> str:
        return fingerprint(
            "encoder", self.plan["encoder"], self.plan["pretrain"], self._source_config()
        )

    def _load_record(self, path: Path) -> dict:
        import torch

        key = str(path)
        if key not in self._records:
            self._records[key] = torch.load(path, map_location="cpu", weights_only=True)
        return self._records[key]

    def ptm_record(self, spec: dict) -> dict:
        return self._load_record(self.work.file("ptms", self.ptm_key(spec), "pt"))

    def encoder_record(self) -> dict:
        return self._load_record(self.work.file("encoder", self.encoder_key(), "pt"))

    def pretrain(self) -> None:
        """Pre-train every PTM whose weights are not cached."""
        from ._models import build_glyph_model, pretrain_glyph_model

        zoo, cfg = self.plan["zoo"], self.plan["pretrain"]
        missing = [s for s in zoo if not self.work.file("ptms", self.ptm_key(s), "pt").exists()]
        self.log(f"pretrain: {len(zoo) - len(missing)} of {len(zoo)} PTMs cached")
        if not missing:
            return
        arrays = self.source_arrays()
        bar = progress_bar(len(missing), desc="pretrain", verbose=self.log.verbose, unit="PTM")
        with bar:
            for spec in missing:
                t0 = time.perf_counter()
                x, y = self._source_data(arrays, spec["source"])
                supervised = spec["objective"] == "supervised"
                n_classes = int(y.max()) + 1 if supervised else None
                model = build_glyph_model(
                    spec["family"], spec["width"], n_classes, seed=self.seed + spec["init_seed"]
                )
                log = pretrain_glyph_model(
                    model, x, y if supervised else None, objective=spec["objective"],
                    steps=cfg["steps"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                    augment=cfg["augment"], seed=self.seed + spec["train_seed"],
                    device=self.device, verbose=self.log.verbose - 1,
                )  # fmt: skip
                self._save_network(
                    model,
                    spec,
                    n_classes,
                    log,
                    t0,
                    self.work.file("ptms", self.ptm_key(spec), "pt"),
                )
                self.log(f"  PTM {spec['name']}: {time.perf_counter() - t0:.0f} s")
                bar.update()

    def _save_network(self, model, spec, n_classes, log, t0, path) -> None:
        import torch

        from ._store import atomic_write

        round_to_half(model)
        record = {
            **{k: spec[k] for k in ("family", "width")},
            "source": spec.get("source"),
            "objective": spec.get("objective", "supervised"),
            "n_classes": n_classes,
            "n_params": int(sum(p.numel() for p in model.parameters())),
            "final_loss": float(np.mean(log["loss"][-20:])),
            "seconds": time.perf_counter() - t0,
            "state": model.state_dict(),
        }
        atomic_write(path, lambda p: torch.save(record, p))

    def encoder(self) -> None:
        """Pre-train the general encoder (on the union of the sources) unless cached."""
        from ._models import build_glyph_model, pretrain_glyph_model

        path = self.work.file("encoder", self.encoder_key(), "pt")
        if path.exists():
            self.log("encoder: cached")
            return
        t0 = time.perf_counter()
        cfg, enc = self.plan["pretrain"], self.plan["encoder"]
        x, y = self._source_data(self.source_arrays(), "union")
        model = build_glyph_model(
            enc["family"], enc["width"], int(y.max()) + 1, seed=self.seed + 3000
        )
        log = pretrain_glyph_model(
            model, x, y, steps=enc["steps"], batch_size=cfg["batch_size"], lr=cfg["lr"],
            augment=cfg["augment"], seed=self.seed + 3001, device=self.device,
            verbose=self.log.verbose,
        )  # fmt: skip
        from torch import nn

        model.head = nn.Identity()  # the encoder gives features only
        spec = {"family": enc["family"], "width": enc["width"], "source": "union"}
        self._save_network(model, spec, None, log, t0, path)

    def reuse(self, folder: str | Path) -> int:
        """Seed the PTM and encoder caches with the networks of a built zoo whose plan
        pre-trained them exactly as this one would (same spec, sources, pre-training
        settings and seed): the pre-training stage then has nothing to do for them.
        Returns the number of networks taken."""
        import json

        import torch

        from ._store import atomic_write

        folder = Path(folder)
        manifest = json.loads((folder / "manifest.json").read_text())
        old = manifest["plan"]
        same_sources = (
            list(old["sources"]) == list(self.plan["sources"])
            and old["max_source_classes"] == self.plan["max_source_classes"]
            and old["pretrain_per_class"] == self.plan["pretrain_per_class"]
            and int(manifest["seed"]) == self.seed
            and old["pretrain"] == self.plan["pretrain"]
        )
        if not same_sources:
            raise ValueError(
                f"the zoo in {folder} was pre-trained on other sources, settings or seed; its "
                "networks cannot stand for this plan's."
            )
        ptms = torch.load(folder / "ptms.pt", map_location="cpu", weights_only=True)
        taken = 0
        for spec in self.plan["zoo"]:
            for i, o in enumerate(old["zoo"]):
                seeds = (o.get("init_seed", 1000 + i), o.get("train_seed", 2000 + i))
                same = all(
                    o[k] == spec[k] for k in ("name", "family", "width", "source", "objective")
                )
                if same and seeds == (spec["init_seed"], spec["train_seed"]) and o["name"] in ptms:
                    path = self.work.file("ptms", self.ptm_key(spec), "pt")
                    if not path.exists():
                        record = dict(ptms[o["name"]])
                        record["state"] = {
                            k: v.float() if v.is_floating_point() else v
                            for k, v in record["state"].items()
                        }
                        atomic_write(path, lambda p, r=record: torch.save(r, p))
                    taken += 1
        if old["encoder"] == self.plan["encoder"]:
            path = self.work.file("encoder", self.encoder_key(), "pt")
            if not path.exists():
                record = dict(
                    torch.load(folder / "encoder.pt", map_location="cpu", weights_only=True)
                )
                record["state"] = {
                    k: v.float() if v.is_floating_point() else v for k, v in record["state"].items()
                }
                record.setdefault("source", "union")
                record.setdefault("objective", "supervised")
                atomic_write(path, lambda p: torch.save(record, p))
            taken += 1
        self.log(f"reuse: {taken} networks taken from {folder}")
        return taken

    def zoo(self):
        from ...zoo import ModelZoo

        return ModelZoo(
            [zoo_entry(self.ptm_record(s), s["name"]) for s in self.plan["zoo"]],
            input_shape=(1, 32, 32),
        )

    def encoder_model(self):
        return model_from_record(self.encoder_record())

    def ptm_digests(self) -> dict[str, str]:
        return {s["name"]: state_digest(self.ptm_record(s)["state"]) for s in self.plan["zoo"]}

    # -- tasks -------------------------------------------------------------------------
    def definitions(self, splits=SPLITS) -> list[dict]:
        return [d for split in splits for d in task_definitions(self.plan, self.seed, split)]

    def task_arrays(self, definition: dict) -> dict[str, np.ndarray]:
        """The task's images and labels (rendered once, cached), with its digest."""
        key = fingerprint("task", RENDER_VERSION, {k: definition[k] for k in _TASK_FIELDS})
        if key in self._task_cache:
            return self._task_cache[key]
        path = self.work.file("tasks", key, "npz")
        if path.exists():
            arrays = load_npz(path)
        else:
            _, arrays = render_task(definition)
            save_npz(arrays, path)
        arrays = dict(arrays)
        arrays["digest"] = arrays_digest(arrays)
        self._task_cache[key] = arrays
        return arrays

    def render(self) -> None:
        definitions = self.definitions()
        for d in track(definitions, desc="render", verbose=self.log.verbose, unit="task"):
            self.task_arrays(d)

    # -- features ----------------------------------------------------------------------
    def feature_cache(self):
        from ...zoo import FeatureCache

        return FeatureCache(self.work.root / "features")

    def task(self, definition: dict, zoo=None, encoder=None, cache=None):
        """A `Task` of the definition: labels, general features (``X``), every PTM's features
        and source probabilities (lazy, from the feature cache) and its metadata."""
        from ...base import Task
        from ...zoo import extract_features, make_task

        arrays = self.task_arrays(definition)
        zoo = self.zoo() if zoo is None else zoo
        encoder = self.encoder_model() if encoder is None else encoder
        cache = self.feature_cache() if cache is None else cache
        key = f"task-{arrays['digest'][:24]}"
        general = extract_features(
            encoder, arrays["images"], layer="head", device=self.device, cache=cache,
            dataset_key=key, lazy=False,
        ).features  # fmt: skip
        done = make_task(
            zoo, arrays["images"], arrays["y"].astype(np.int64), X=np.asarray(general),
            cache=cache, dataset_key=key, name=definition["name"], device=self.device,
        )  # fmt: skip
        return Task(
            y=arrays["y"].astype(np.int64),
            X=done.X,
            model_features=done.model_features,
            model_probas=done.model_probas,
            name=definition["name"],
            metadata={**definition, "digest": arrays["digest"]},
        )

    def tasks(self, splits=SPLITS, progress: bool = False) -> list:
        """The `task` of every definition of ``splits`` (kept for the build's later stages)."""
        definitions = self.definitions(splits)
        todo = [d for d in definitions if d["name"] not in self._tasks]
        if todo:
            zoo, encoder, cache = self.zoo(), self.encoder_model(), self.feature_cache()
            verbose = self.log.verbose if progress else 0
            for d in track(todo, desc="features", verbose=verbose, unit="task"):
                self._tasks[d["name"]] = self.task(d, zoo, encoder, cache)
        return [self._tasks[d["name"]] for d in definitions]

    def features(self) -> None:
        self.tasks(progress=True)

    # -- ground truth ------------------------------------------------------------------
    def _finetune_config(self) -> dict:
        f = self.plan["finetune"]
        return {"epochs": f["epochs"], "batch_size": f["batch_size"], "max_steps": f["max_steps"]}

    def run_key(self, task_digest: str, ptm_digest: str, lr: float, seed: int) -> str:
        return run_key(task_digest, ptm_digest, self._finetune_config(), lr, seed)

    def truth(self) -> None:
        """Fine-tune every PTM: the validation tasks at every rate of the grid (grid seeds),
        then every task at its family's chosen rate with its split's seeds."""
        f = self.plan["finetune"]
        self._run(
            [(d, lr, s) for d in self.definitions(("validation",)) for lr in f["lrs"]
             for s in f["grid_seeds"]],
            "truth: validation (learning-rate grid)",
        )  # fmt: skip
        best = best_lrs(self.truth_runs())
        self.log(f"truth: learning rates chosen on the validation tasks: {best}")
        families = {s["name"]: s["family"] for s in self.plan["zoo"]}
        # The training records before the test truth: the ranker needs only them and the
        # validation truth, so it can be trained (and studied) while the test truth runs.
        for split in ("validation", "train", "test"):
            jobs = [(d, None, s) for d in self.definitions((split,)) for s in f["seeds"][split]]
            self._run(jobs, f"truth: {split}", best=best, families=families)

    def _run(self, jobs, label, best=None, families=None) -> None:

        log = self.work.log("truth")
        digests = self.ptm_digests()
        todo = []
        for definition, lr, seed in jobs:
            arrays = self.task_arrays(definition)
            for spec in self.plan["zoo"]:
                rate = lr if lr is not None else best[families[spec["name"]]]
                key = self.run_key(arrays["digest"], digests[spec["name"]], rate, seed)
                if key not in log:
                    todo.append((definition, spec, rate, seed, key))
        self.log(f"{label}: {len(todo)} runs to do")
        if not todo:
            return
        zoo = self.zoo()
        kw = {**self._finetune_config(), "device": self.device}
        run_finetunes(
            [
                (zoo[spec["name"]].module, partial(_run_arrays, self.task_arrays(d)), rate, seed,
                 key, {"task": d["name"], "split": d["split"], "model": spec["name"],
                       "family": spec["family"], "lr": rate, "seed": seed})
                for d, spec, rate, seed, key in todo
            ],
            log, kw, n_jobs=self.n_jobs, label=label, verbose=self.log.verbose,
        )  # fmt: skip

    def truth_runs(self) -> pd.DataFrame:
        """Every fine-tuning run of this plan's tasks and PTMs found in the log: the
        learning-rate grid on the validation tasks, then each split's seeds at the chosen
        rates (one row per run; the grid's runs at the chosen rate are not repeated)."""
        log = self.work.log("truth")
        f = self.plan["finetune"]
        digests = self.ptm_digests()
        defs = {split: self.definitions((split,)) for split in SPLITS}

        def found(jobs) -> list[dict]:
            out = []
            for d, spec, lr, seed in jobs:
                key = self.run_key(self.task_arrays(d)["digest"], digests[spec["name"]], lr, seed)
                if key in log:
                    out.append(log[key])
            return out

        zoo = self.plan["zoo"]
        rows = found(
            (d, spec, lr, s) for d in defs["validation"] for spec in zoo for lr in f["lrs"]
            for s in f["grid_seeds"]
        )  # fmt: skip
        if not rows:
            return pd.DataFrame(columns=_RUN_COLUMNS[1:])
        best = best_lrs(pd.DataFrame(rows, columns=_RUN_COLUMNS))
        rows += found(
            (d, spec, best[spec["family"]], s) for split in SPLITS for d in defs[split]
            for spec in zoo if spec["family"] in best for s in f["seeds"][split]
        )  # fmt: skip
        runs = pd.DataFrame(rows, columns=_RUN_COLUMNS).drop_duplicates("key")
        return runs[_RUN_COLUMNS[1:]].reset_index(drop=True)

    # -- proxy scores ------------------------------------------------------------------
    def proxy_scores(self) -> pd.DataFrame:
        """Scores of the estimators on the tasks (tidy: task, split, estimator, model,
        score): the plan's proxy estimators on every task, the report's on the validation
        and test tasks. Cached per (task, estimator, zoo)."""
        from ...transferability import get_estimator, score_zoo

        cfg = self.plan["proxy"]
        names = [s["name"] for s in self.plan["zoo"]]
        zoo_key = fingerprint(sorted(self.ptm_digests().items()))
        log = self.work.log("proxy")
        zoo, encoder, cache = self.zoo(), self.encoder_model(), self.feature_cache()
        rows = []
        work = []
        for d in self.definitions():
            wanted = list(cfg["estimators"])
            if d["split"] != "train":
                wanted += [e for e in cfg["report_estimators"] if e not in wanted]
            digest = self.task_arrays(d)["digest"]
            for est in wanted:
                work.append((d, est, fingerprint("proxy", digest, zoo_key, est, self.seed)))
        todo = [w for w in work if w[2] not in log]
        self.log(f"proxy: {len(work) - len(todo)} of {len(work)} (task, estimator) scores cached")
        for d, est, key in track(todo, desc="proxy", verbose=self.log.verbose, unit="score"):
            task = self.task(d, zoo, encoder, cache)
            t0 = time.perf_counter()
            # The PTMs with the estimator's input (LEEP-like methods need a source head).
            kind = get_estimator(est).input_kind
            have = task.model_features if kind == "features" else task.model_probas
            scored = [m for m in names if m in (have or {})]
            frame = next(iter(score_zoo(
                [task], est, models=scored, missing="nan", error_score=np.nan,
                random_state=self.seed,
            ).values())).reindex(columns=names)  # fmt: skip
            log.add(
                key,
                {
                    "task": d["name"],
                    "estimator": est,
                    "scores": [None if np.isnan(v) else float(v) for v in frame.iloc[0]],
                    "seconds": time.perf_counter() - t0,
                },
            )
        for d, est, key in work:
            record = log[key]
            for name, value in zip(names, record["scores"]):
                rows.append((d["name"], d["split"], est, name, np.nan if value is None else value))
        return pd.DataFrame(rows, columns=["task", "split", "estimator", "model", "score"])

    # -- tokens ------------------------------------------------------------------------
    def train_tokens(self, tasks=None) -> dict[str, np.ndarray]:
        from ...tasks import TaskTokenizer

        tasks = self.tasks(("train",)) if tasks is None else tasks
        tokens = TaskTokenizer().fit(tasks).transform(tasks)
        return {t.name: np.asarray(k, np.float32) for t, k in zip(tasks, tokens)}


_TASK_FIELDS = ("domain", "n_way", "n_shot", "n_test", "seed")
_RUN_COLUMNS = ["key", "task", "split", "model", "family", "lr", "seed", "accuracy", "seconds"]


def _run_arrays(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: arrays[k] for k in ("images", "y", "test_images", "y_test")}
