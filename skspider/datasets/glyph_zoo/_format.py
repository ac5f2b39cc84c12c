"""The glyph zoo's versioned on-disk format: what each artifact holds, how it is written and
how it is checked when read.

A zoo folder holds the files of `SCHEMA` and a ``manifest.json`` that records the format
version (`FORMAT_VERSION`), the plan and seed of the build, the versions of the libraries
that shaped the artifacts, a SHA-256 checksum of every file, the build's timings and its
report. `check_folder` refuses a folder of another format version or with a file that does
not match its checksum, and warns (`GlyphZooVersionWarning`) when the libraries that compute
features here differ from those of the build. The trained ranker is stored as its parameters
and weights (``ranker.pt``, loadable with ``torch.load(weights_only=True)``), not as a
pickle of the estimator, so that it loads whatever the scikit-learn version.
"""

from __future__ import annotations

import io
import json
import lzma
import platform
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._store import atomic_write, save_json, save_npz, sha256_file

__all__ = [
    "FORMAT_VERSION",
    "SCHEMA",
    "GlyphZooVersionWarning",
    "check_folder",
    "library_versions",
    "load_ranker",
    "ranker_from_state",
    "ranker_to_state",
    "save_ranker",
]

#: The version of the format written by this code; `check_folder` reads this version only.
#: 1: the first built-in zoo (pickled ranker, no schema). 2: this layout.
FORMAT_VERSION = 2

#: Every artifact of a zoo folder, its content, keys, dtypes and shapes (``M`` PTMs, ``N``
#: tasks of a split, ``n`` a task's training images, ``C`` its classes).
SCHEMA: dict[str, str] = {
    "manifest.json": (
        "JSON object: format_version (int), mode (plan name), seed (int), plan (the plan, see "
        "skspider.datasets.glyph_zoo.PLANS), versions (library -> version string), checksums "
        "(file -> SHA-256 hex), size_bytes (int), timings_s (stage -> seconds of the last "
        "run), work_seconds (CPU-side seconds of pre-training and fine-tuning summed over "
        "runs), best_lr (family -> learning rate chosen on the validation tasks), ranker "
        "(how the shipped ranker was trained and its re-ranking k), report (see "
        "glyph_zoo_report)."
    ),
    "ptms.pt": (
        "torch.save of a dict PTM name -> record: family (str), width (int), source (str), "
        "objective (str), n_classes (int or None: no source head), n_params (int), "
        "final_loss (float), seconds (float, pre-training), state (state_dict of a GlyphNet, "
        "float16 weights)."
    ),
    "encoder.pt": "torch.save of one record as in ptms.pt: the general encoder (no head).",
    "tasks.json": (
        "JSON object: domains (split -> list of domain names), tasks (list, every task of "
        "the plan: name, split, domain, style, n_way, n_shot, n_test, seed (the rendering "
        "seed of make_glyph_task), digest (of its images and labels, held-out ones "
        "included), classes (code points or class indices, in label order))."
    ),
    "images.npz.xz": (
        "xz-compressed .npz: for each validation and test task, '<name>/images' uint8 "
        "(n, 1, 32, 32) (ink bright on dark) and '<name>/y' int16 (n,) labels 0..C-1. The "
        "held-out images are not shipped: make_glyph_task re-renders them from tasks.json "
        "(GlyphZoo.held_out, checked against the digest)."
    ),
    "runs.csv": (
        "every fine-tuning run: task, split, model, family, lr, seed, accuracy (on the "
        "task's held-out images), seconds (wall clock of the run)."
    ),
    "scores.csv": (
        "transferability scores: task, split, estimator, model, score (higher = better; "
        "empty where the estimator cannot score the PTM)."
    ),
    "tokens.npz": (
        "the training tasks' general task tokens: '<task name>' float32 (C, d), one class "
        "centroid of the encoder's L2-normalised features per class (TaskTokenizer)."
    ),
    "ranker.pt": (
        "torch.save of the trained SpiderRanker as a dict: class (str), params "
        "(get_params()), state (its fitted attributes; arrays as tensors), module "
        "(the network's state_dict)."
    ),
}

ARTIFACTS = tuple(SCHEMA)

_MAX_BYTES = 20_000_000  # what the package may ship

# The libraries whose versions shape the artifacts: the rendering (matplotlib's fonts,
# Pillow's rasteriser, numpy's generators, torch's augmentation), the networks and their
# features (torch, numpy), the estimators and the ranker (scipy, scikit-learn).
_LIBRARIES = ("numpy", "scipy", "scikit-learn", "pandas", "torch", "matplotlib", "Pillow")
# Those whose change can move what a loaded zoo computes here (features, scores): a
# different major.minor is warned about on load.
_CHECKED = ("numpy", "torch", "scikit-learn")


class GlyphZooVersionWarning(UserWarning):
    """The libraries here differ from those that built the glyph zoo."""


def library_versions() -> dict[str, str]:
    """The versions of the libraries that shape a build (None where one is not installed)."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    try:
        out["skspider"] = metadata.version("skspider")
    except metadata.PackageNotFoundError:
        out["skspider"] = None
    return out


def _major_minor(version: str | None) -> tuple[str, ...] | None:
    return None if version is None else tuple(version.split("+")[0].split(".")[:2])


def check_folder(folder: Path) -> dict:
    """The manifest of a zoo folder, after checking its format version, that every file is
    there with its checksum, and the library versions (a warning when they differ)."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(
            f"The glyph zoo is not built: {manifest_path} does not exist. Build it with "
            "`skspider build-zoo` (about 3 hours on 2 CPU cores; `--mode tiny` builds a "
            "miniature in a minute) or skspider.datasets.build_glyph_zoo(out_dir), then "
            "pass that folder as data_dir."
        )
    manifest = json.loads(manifest_path.read_text())
    version = manifest.get("format_version", 1)
    if version != FORMAT_VERSION:
        raise ValueError(
            f"The glyph zoo in {folder} has format version {version}; this version of "
            f"skspider reads format version {FORMAT_VERSION} only. Rebuild it with "
            "`skspider build-zoo`, or use the skspider release that wrote it."
        )
    for name in ARTIFACTS:
        if name == "manifest.json":
            continue
        path = folder / name
        if not path.exists():
            raise FileNotFoundError(f"Glyph zoo file {path} is missing; rebuild the zoo.")
        if sha256_file(path) != manifest["checksums"].get(name):
            raise ValueError(
                f"Glyph zoo file {path} does not match its checksum in the manifest: it is "
                "corrupt or from another build; rebuild the zoo."
            )
    here, built = library_versions(), manifest.get("versions", {})
    differ = {
        lib: (built.get(lib), here.get(lib))
        for lib in _CHECKED
        if _major_minor(built.get(lib)) != _major_minor(here.get(lib))
    }
    if differ:
        warnings.warn(
            "The glyph zoo was built with "
            + ", ".join(f"{lib} {b}" for lib, (b, _) in differ.items())
            + "; here: "
            + ", ".join(f"{lib} {h}" for lib, (_, h) in differ.items())
            + ". Features and scores computed here may differ slightly from those behind the "
            "shipped truth, report and ranker.",
            GlyphZooVersionWarning,
            stacklevel=3,
        )
    return manifest


# -- the ranker as parameters and weights -------------------------------------------------------
def _encode(value: Any) -> Any:
    import torch

    if isinstance(value, np.ndarray):
        if value.dtype == object or value.dtype.kind in "US":
            return {"__strings__": [str(v) for v in value.tolist()]}
        return {"__array__": torch.from_numpy(np.ascontiguousarray(value).copy())}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, torch.device):
        return {"__device__": str(value)}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    import torch

    if isinstance(value, dict):
        if set(value) == {"__strings__"}:
            return np.asarray(value["__strings__"], dtype=object)
        if set(value) == {"__array__"}:
            return value["__array__"].numpy()
        if set(value) == {"__device__"}:
            return torch.device(value["__device__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def ranker_to_state(ranker) -> dict:
    """A fitted `~skspider.spider.SpiderRanker` as plain data: parameters, fitted
    attributes and network weights (loadable with ``torch.load(weights_only=True)``)."""
    state = dict(ranker.__getstate__())
    module = state.pop("_module_state")
    state.pop("_sklearn_version", None)
    params = ranker.get_params()
    fitted = {k: v for k, v in state.items() if k not in params}
    return {
        "class": type(ranker).__name__,
        "params": _encode(params),
        "state": _encode(fitted),
        "module": module,
    }


def ranker_from_state(data: Mapping) -> Any:
    """The `~skspider.spider.SpiderRanker` of `ranker_to_state`'s output."""
    import sklearn

    from ...spider import SpiderRanker

    if data.get("class") != "SpiderRanker":
        raise ValueError(f"ranker.pt holds a {data.get('class')!r}, not a SpiderRanker.")
    ranker = SpiderRanker(**_decode(data["params"]))
    state = {
        **ranker.__getstate__(),
        **_decode(data["state"]),
        "_module_state": data["module"],
        # Weights and parameters are independent of the scikit-learn version.
        "_sklearn_version": sklearn.__version__,
    }
    ranker.__setstate__(state)
    return ranker


def save_ranker(ranker, path: str | Path) -> None:
    """Write a fitted `~skspider.spider.SpiderRanker` as its parameters and weights (the
    zoo's ``ranker.pt``; no pickle of the estimator).

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from skspider.datasets.glyph_zoo import load_ranker, save_ranker
    >>> from skspider.spider import SpiderRanker
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(12, 3)), rng.normal(size=(12, 4))
    >>> ranker = SpiderRanker(d_model=8, max_iter=5, device="cpu", random_state=0).fit(X, Y)
    >>> path = Path(tempfile.mkdtemp()) / "ranker.pt"
    >>> save_ranker(ranker, path)
    >>> bool(np.array_equal(load_ranker(path).predict(X), ranker.predict(X)))
    True
    """
    import torch

    state = ranker_to_state(ranker)
    atomic_write(Path(path), lambda p: torch.save(state, p))


def load_ranker(path: str | Path):
    """The `~skspider.spider.SpiderRanker` that `save_ranker` wrote (read with
    ``torch.load(weights_only=True)``: no code is unpickled)."""
    import torch

    return ranker_from_state(torch.load(path, map_location="cpu", weights_only=True))


# -- images ----------------------------------------------------------------------------------
def save_images(arrays: Mapping[str, np.ndarray], path: Path) -> None:
    """An .npz of ``arrays`` inside an xz stream (noisy glyph images compress about a fifth
    better with LZMA than with the zip deflate of ``np.savez_compressed``)."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write(path, lambda p: Path(p).write_bytes(lzma.compress(buffer.getvalue(), preset=6)))


def load_images(path: Path) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(lzma.decompress(path.read_bytes()))) as data:
        return {k: data[k] for k in data.files}


# -- writing a zoo -----------------------------------------------------------------------------
def _half(record: Mapping) -> dict:
    rec = dict(record)
    rec["state"] = {k: (v.half() if v.is_floating_point() else v) for k, v in rec["state"].items()}
    return rec


def write_artifacts(builder, out: Path, mode: str, timings: Mapping[str, float]) -> dict:
    """Write every artifact of `SCHEMA` from a finished build into ``out``."""
    import torch

    from ._ranking import load_trained
    from ._report import glyph_zoo_report

    plan = builder.plan
    out.mkdir(parents=True, exist_ok=True)
    ptms = {s["name"]: _half(builder.ptm_record(s)) for s in plan["zoo"]}
    atomic_write(out / "ptms.pt", lambda p: torch.save(ptms, p))
    encoder = _half(builder.encoder_record())
    atomic_write(out / "encoder.pt", lambda p: torch.save(encoder, p))

    definitions, images = [], {}
    for d in builder.definitions():
        arrays = builder.task_arrays(d)
        definitions.append({**d, "digest": arrays["digest"], "classes": arrays["classes"].tolist()})
        if d["split"] != "train":
            images[f"{d['name']}/images"] = arrays["images"]
            images[f"{d['name']}/y"] = arrays["y"]
    domains = {split: list(spec["domains"]) for split, spec in plan["tasks"].items()}
    save_json({"domains": domains, "tasks": definitions}, out / "tasks.json")
    save_images(images, out / "images.npz.xz")

    runs = builder.truth_runs()
    atomic_write(out / "runs.csv", lambda p: runs.to_csv(p, index=False, float_format="%.6g"))
    scores = builder.proxy_scores()
    atomic_write(out / "scores.csv", lambda p: scores.to_csv(p, index=False, float_format="%.8g"))
    save_npz(builder.train_tokens(), out / "tokens.npz")
    ranker, info = load_trained(builder)
    save_ranker(ranker, out / "ranker.pt")

    report = glyph_zoo_report(runs, scores, plan["proxy"]["estimators"])
    report.update(info.pop("report", {}))
    pretrain_s = float(sum(builder.ptm_record(s)["seconds"] for s in plan["zoo"]))
    manifest = {
        "format_version": FORMAT_VERSION,
        "mode": mode,
        "seed": builder.seed,
        "plan": plan,
        "versions": library_versions(),
        "best_lr": _best(runs),
        "ranker": info,
        "timings_s": dict(timings),
        "work_seconds": {
            "pretrain": pretrain_s,
            "truth": float(runs["seconds"].sum()),
            "truth_runs": len(runs),
        },
        "report": report,
        "checksums": {n: sha256_file(out / n) for n in ARTIFACTS if n != "manifest.json"},
    }
    manifest["size_bytes"] = int(sum((out / n).stat().st_size for n in manifest["checksums"]))
    if manifest["size_bytes"] > _MAX_BYTES:
        warnings.warn(
            f"The glyph zoo's artifacts take {manifest['size_bytes'] / 1e6:.1f} MB, more than "
            f"the {_MAX_BYTES / 1e6:.0f} MB the package may ship.",
            stacklevel=2,
        )
    save_json(manifest, out / "manifest.json")
    return manifest


def _best(runs: pd.DataFrame) -> dict[str, float]:
    from ._stages import best_lrs

    return best_lrs(runs)
