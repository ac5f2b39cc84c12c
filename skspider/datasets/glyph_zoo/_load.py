"""`load_glyph_zoo`: the built-in zoo (or a built one) as a `GlyphZoo`."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..._sklearn_compat import validate_params
from ._format import check_folder, load_images, load_ranker
from ._report import proxy_table, truth_tables

__all__ = ["GlyphZoo", "builtin_folder", "load_glyph_zoo"]


def builtin_folder() -> Path:
    """The folder of the zoo that ships with the package."""
    return Path(str(resources.files("skspider.datasets").joinpath("data", "glyph_zoo")))


def _descr() -> str:
    return (
        resources.files("skspider.datasets.glyph_zoo")
        .joinpath("descr", "glyph_zoo.rst")
        .read_text(encoding="utf-8")
    )


class GlyphZoo(Bunch):
    """The loaded glyph zoo: a `~sklearn.utils.Bunch` of its parts, with a few methods.

    See `load_glyph_zoo` for the keys. The methods run the zoo's networks: `encode` (the
    general encoder's features of images), `feature_loader` (the counting loader of the
    evaluation protocol) and `held_out` (a task's held-out images, re-rendered).
    """

    def encode(self, images: Any, *, device: str = "cpu") -> np.ndarray:
        """The general encoder's features of ``images`` (uint8 ``(n, 1, 32, 32)``): the
        input of a `~skspider.tasks.TaskTokenizer` (``Task(y=y, X=zoo.encode(images))``).
        """
        from ...zoo import extract_features

        return np.asarray(
            extract_features(self.encoder, images, layer="head", device=device).features
        )

    def feature_loader(self, *, device: str = "cpu"):
        """A `~skspider.zoo.FeatureLoader` of this zoo and its encoder: lazy, cached,
        counted forward passes (what `skspider.evaluation.evaluate_rankers` takes)."""
        from ...zoo import FeatureLoader

        return FeatureLoader(self.zoo, self.encoder, encoder_layer="head", device=device)

    def held_out(self, task: Any) -> tuple[np.ndarray, np.ndarray]:
        """The held-out images and labels of a validation or test task (the images its
        truth was measured on), re-rendered from its definition and checked against the
        digest of the build (a `ValueError` if the rendering here differs)."""
        from ._stages import arrays_digest, render_task

        name = getattr(task, "name", task)
        if name not in self.tasks.index:
            raise ValueError(f"unknown task {name!r}.")
        d = self.tasks.loc[name]
        made, arrays = render_task({**d, "name": name})
        m = made.metadata
        if arrays_digest(arrays) != d["digest"]:
            versions = self.manifest.get("versions", {})
            raise ValueError(
                f"Task {name!r} renders differently here than in the build (matplotlib "
                f"{versions.get('matplotlib')}, Pillow {versions.get('Pillow')} there): its "
                "held-out images cannot be reproduced with these library versions."
            )
        return m["test_images"], np.asarray(m["y_test"], dtype=np.int64)

    def new_tasks(self, n: int, *, split: str = "test", random_state: int = 1) -> list:
        """``n`` new tasks of a split's design (its domains in turn, log-uniform sizes),
        drawn from ``random_state`` (the build drew its own from seed 0: another seed
        gives other tasks). Each `~skspider.base.Task` holds its training images in
        ``metadata["images"]`` and its held-out ones in ``metadata["test_images"]``; its
        truth is `fine_tune`'s."""
        from ._plan import task_definitions
        from ._stages import arrays_digest, render_task

        if int(random_state) == int(self.manifest["seed"]):
            raise ValueError(
                f"random_state={random_state} is the build's own seed: it gives the zoo's own "
                "tasks again; use another seed."
            )
        out = []
        for d in task_definitions(self.manifest["plan"], int(random_state), split, n=n):
            d = {**d, "name": f"new{random_state}-{d['name']}"}
            made, arrays = render_task(d)
            m = made.metadata
            meta = {**d, **m, "digest": arrays_digest(arrays)}
            out.append(made.__class__(y=made.y, name=d["name"], metadata=meta))
        return out

    def fine_tune(
        self,
        tasks: list,
        *,
        seeds: Any = None,
        work_dir: str | os.PathLike | None = None,
        n_jobs: int = 1,
        verbose: int = 0,
    ) -> pd.DataFrame:
        """The truth of new tasks by the build's protocol: every PTM fine-tuned on each task
        (the settings of ``manifest["plan"]["finetune"]``, each family at its learning rate
        chosen on the validation tasks) with each of ``seeds``, scored on the held-out
        images (``task.metadata["test_images"]``, ``["y_test"]``).

        Parameters
        ----------
        tasks : list of Task
            E.g. from `new_tasks`, or `make_glyph_task`.
        seeds : sequence of int, default=None
            The seeds (None: those of the build's test tasks).
        work_dir : path-like, default=None
            Where finished runs are kept (a rerun skips them); None keeps nothing.
        n_jobs : int, default=1
            Processes (one torch thread each).
        verbose : int, default=0
            A progress bar over the runs.

        Returns
        -------
        runs : DataFrame
            One row per run (task, split, model, family, lr, seed, accuracy, seconds), as
            ``runs``: `truth_tables` turns it into the truth.
        """
        import tempfile

        from ._stages import arrays_digest, run_finetunes, run_key, state_digest
        from ._store import RecordLog

        plan = self.manifest["plan"]
        cfg = {k: plan["finetune"][k] for k in ("epochs", "batch_size", "max_steps")}
        seeds = plan["finetune"]["seeds"]["test"] if seeds is None else list(seeds)
        meta = self.zoo.metadata()
        # The digest of the weights as the build hashed them (float32 modules): a run the
        # build made, or one made here before, has the same key.
        digests = {m: state_digest(self.zoo[m].module.state_dict()) for m in self.zoo.names}
        folder = Path(work_dir) if work_dir is not None else Path(tempfile.mkdtemp())
        log = RecordLog(folder / "records" / "truth.jsonl")
        jobs = []
        for task in tasks:
            m = task.metadata
            if "test_images" not in m or "y_test" not in m:
                raise ValueError(f"task {task.name!r} has no held-out images to score on.")
            arrays = {
                "images": m["images"], "y": np.asarray(task.y),
                "test_images": m["test_images"], "y_test": np.asarray(m["y_test"]),
            }  # fmt: skip
            # The content's digest: a task of the same name with other images is another task.
            digest = m.get("digest") or arrays_digest(arrays)
            for model in self.zoo.names:
                family = meta.loc[model, "family"]
                lr = self.best_lr[family]
                for seed in seeds:
                    record = {
                        "task": task.name, "split": m.get("split", "test"), "model": model,
                        "family": family, "lr": lr, "seed": seed,
                    }  # fmt: skip
                    key = run_key(digest, digests[model], cfg, lr, seed)
                    jobs.append((self.zoo[model].module, lambda a=arrays: a, lr, seed, key, record))
        todo = [j for j in jobs if j[4] not in log]
        run_finetunes(
            todo, log, {**cfg, "device": "cpu"}, n_jobs=n_jobs, label="fine-tune", verbose=verbose
        )
        rows = [{k: v for k, v in log[j[4]].items() if k != "key"} for j in jobs]
        return pd.DataFrame(rows)


@validate_params(
    {"data_dir": [str, os.PathLike, None], "with_features": ["boolean"], "device": [str]},
    prefer_skip_nested_validation=True,
)
def load_glyph_zoo(
    data_dir: str | os.PathLike | None = None,
    *,
    with_features: bool = False,
    device: str = "cpu",
) -> GlyphZoo:
    """Load the glyph zoo: PTMs, general encoder, tasks with their truth, trained ranker.

    The files are checked first: their format version, their checksums, and the library
    versions that computed them (see ``GlyphZoo.DESCR`` and ``docs/glyph_zoo.rst``).

    Parameters
    ----------
    data_dir : path-like, default=None
        The folder `build_glyph_zoo` wrote; None: the zoo that ships with the package.
    with_features : bool, default=False
        Give every validation and test task its general-encoder features (``Task.X``, one
        pass of the encoder over its images). Without them, compute them when needed with
        ``zoo.encode(task.metadata["images"])`` or through ``zoo.feature_loader()``.
    device : str, default="cpu"
        Where the encoder runs for ``with_features``.

    Returns
    -------
    zoo : GlyphZoo
        A `~sklearn.utils.Bunch` with:

        * ``zoo``: the PTMs, a `~skspider.zoo.ModelZoo` (float32 weights; metadata
          columns family, source, n_params, objective, width);
        * ``encoder``: the general encoder (a `torch.nn.Module` with an identity
          ``head``; `GlyphZoo.encode` gives its features);
        * ``domains``: split -> its domains (disjoint; none a PTM's pre-training source);
        * ``tasks``: every task's definition (DataFrame indexed by name: split, domain,
          style, n_way, n_shot, n_test, seed, digest);
        * ``validation_tasks``, ``test_tasks``: lists of `~skspider.base.Task` (``y``,
          ``metadata["images"]`` the uint8 training images, and the definition);
        * ``truth``: validation and test tasks x PTMs, the mean fine-tuned accuracy over
          the seeds; ``truth_seeds``: seed -> such a table;
        * ``train_truth``: the training records, training tasks x PTMs (one seed; what the
          shipped ranker learned from); ``runs``: every fine-tuning run;
        * ``train_tokens``: the training tasks' token arrays, in ``train_truth`` order;
        * ``scores``: the transferability estimators' scores (tidy); ``proxy_train``,
          ``proxy_eval``: proxy ranks (the plan's estimators aggregated) of the training
          and of the validation and test tasks;
        * ``ranker``: the trained `~skspider.spider.SpiderRanker`; ``rerank``: the k of
          its re-ranking with PTM-specific tokens, chosen on the validation tasks (with the
          validation tau_w of every candidate); ``rerank_estimator``: the same for LogME
          on its top k (`~skspider.spider.EstimatorReranker`, at most 5 forward passes);
        * ``best_lr``, ``report`` (the headroom figures, see ``DESCR``), ``manifest`` and
          ``DESCR``.

    Raises
    ------
    FileNotFoundError
        The artifacts are not built (the message says how to build them).
    ValueError
        A file does not match its checksum, or the folder has another format version.

    See Also
    --------
    build_glyph_zoo : Builds the artifacts.
    make_glyph_task : Makes further tasks; `skspider.zoo.finetune_accuracy` gives their truth.

    Examples
    --------
    Rank the zoo for a test task with the trained ranker, and compare with the truth:

    >>> from skspider.base import Task
    >>> from skspider.datasets import load_glyph_zoo
    >>> from skspider.metrics import weighted_tau
    >>> from skspider.tasks import TaskTokenizer
    >>> data = load_glyph_zoo()
    >>> task = data.test_tasks[0]
    >>> tokens = TaskTokenizer().fit_transform(
    ...     [Task(y=task.y, X=data.encode(task.metadata["images"]))])
    >>> scores = data.ranker.predict(tokens)
    >>> scores.shape == (1, len(data.zoo))
    True
    >>> tau = weighted_tau(data.truth.loc[task.name, data.ranker.models_], scores[0])
    >>> bool(-1 <= tau <= 1)
    True
    """
    import torch

    from ...base import Task
    from ...zoo import ModelZoo
    from ._stages import model_from_record, zoo_entry

    folder = Path(data_dir) if data_dir is not None else builtin_folder()
    manifest = check_folder(folder)
    ptms = torch.load(folder / "ptms.pt", map_location="cpu", weights_only=True)
    zoo = ModelZoo([zoo_entry(rec, name) for name, rec in ptms.items()], input_shape=(1, 32, 32))
    encoder = model_from_record(
        torch.load(folder / "encoder.pt", map_location="cpu", weights_only=True)
    )
    meta = json.loads((folder / "tasks.json").read_text())
    definitions = pd.DataFrame(meta["tasks"]).set_index("name")
    images = load_images(folder / "images.npz.xz")
    by_split: dict[str, list] = {"validation": [], "test": []}
    for name, d in definitions.iterrows():
        if d["split"] == "train":
            continue
        x = images[f"{name}/images"]
        y = images[f"{name}/y"].astype(np.int64)
        X = None
        if with_features:
            from ...zoo import extract_features

            X = np.asarray(extract_features(encoder, x, layer="head", device=device).features)
        info = {k: (v.item() if hasattr(v, "item") else v) for k, v in d.items()}
        by_split[d["split"]].append(Task(y=y, X=X, name=name, metadata={**info, "images": x}))

    runs = pd.read_csv(folder / "runs.csv")
    truth, per_seed = truth_tables(runs, ("validation", "test"))
    train_truth, _ = truth_tables(runs, "train")
    models = list(zoo.names)
    scores = pd.read_csv(folder / "scores.csv")
    estimators = manifest["plan"]["proxy"]["estimators"]
    eval_names = list(truth.index)
    with np.load(folder / "tokens.npz") as data:
        tokens = [data[n] for n in train_truth.index]
    ranker = load_ranker(folder / "ranker.pt")
    return GlyphZoo(
        zoo=zoo,
        encoder=encoder,
        domains=meta["domains"],
        tasks=definitions,
        validation_tasks=by_split["validation"],
        test_tasks=by_split["test"],
        truth=truth.reindex(columns=models),
        truth_seeds={s: t.reindex(columns=models) for s, t in per_seed.items()},
        train_truth=train_truth.reindex(columns=models),
        runs=runs,
        train_tokens=tokens,
        scores=scores,
        proxy_train=proxy_table(scores, estimators, list(train_truth.index), models),
        proxy_eval=proxy_table(scores, estimators, eval_names, models),
        ranker=ranker,
        rerank=manifest["ranker"].get("rerank_tokens", {}),
        rerank_estimator=manifest["ranker"].get("rerank_estimator", {}),
        best_lr=manifest["best_lr"],
        report=manifest["report"],
        manifest=manifest,
        DESCR=_descr(),
    )
