"""Read the task given to `skspider rank`: an .npz, an .npy with labels, or an image folder."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._common import EXIT_DEPENDENCY, CLIError

NPZ_FORMAT = """\
task formats:
  TASK.npz   arrays saved with numpy.savez, keyed by name:
               y                 (n,)            labels (required)
               X                 (n, ...)        raw inputs passed through every PTM of --zoo
                                                 (e.g. images as (n, C, H, W) floats)
               features/<model>  (n, d_model)    a PTM's precomputed features (input of its
                                                 classifier); with these no zoo is needed
               probas/<model>    (n, c_model)    a PTM's source-class probabilities
                                                 (for LEEP, NCE, ...; optional)
               encoder           (n, d)          general-encoder features (for --ranker)
               tokens            (k, d)          the task's token set (for --ranker)
             e.g. numpy.savez("task.npz", y=y, **{"features/resnet": F1,
                                                  "features/vit": F2})
  TASK.npy   raw inputs X (n, ...) for --zoo, with --labels LABELS.npy (n,)
  TASK/      an image folder: one sub-folder per class (the folder names, sorted, are the
             classes), images inside (.png, .jpg, .bmp, .gif, .tif, .webp, .pgm, .ppm).
             Images are read with Pillow and scaled to [0, 1] floats, no other
             normalisation, as (n, C, H, W): C = 1 when every image is grayscale, else 3
             (--color gray|rgb forces one; RGBA and palette images are converted to RGB,
             transparency dropped). All images must share a size unless --image-size
             resizes them (bilinear)."""

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "F"}


@dataclass
class TaskData:
    """A task as read from disk: labels and what was given for the PTMs and the encoder."""

    y: np.ndarray
    source: str
    classes: list = field(default_factory=list)
    X: Any = None
    features: dict = field(default_factory=dict)
    probas: dict = field(default_factory=dict)
    encoder: Any = None
    tokens: Any = None

    @property
    def n_samples(self) -> int:
        return int(self.y.shape[0])


def _check_labels(y: Any, where: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise CLIError(f"{where}: labels y must be 1-D (n,), got shape {y.shape}.")
    if y.dtype == object or y.dtype.kind not in "biufUS":
        raise CLIError(f"{where}: labels y must be numbers or strings, got dtype {y.dtype}.")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise CLIError(f"{where}: labels y contain NaN or infinity.")
    if np.unique(y).shape[0] < 2:
        raise CLIError(f"{where}: labels y hold a single class; ranking needs at least 2.")
    return y


def _check_rows(arr: np.ndarray, n: int, key: str, where: str, *, two_d: bool) -> np.ndarray:
    if arr.dtype.kind not in "biuf":
        raise CLIError(f"{where}: {key} must be numeric, got dtype {arr.dtype}.")
    if two_d and arr.ndim != 2:
        raise CLIError(f"{where}: {key} must be 2-D (n_samples, n_features), got {arr.shape}.")
    if arr.ndim < 2:
        raise CLIError(
            f"{where}: {key} must have a sample axis and input axes, got shape {arr.shape}."
        )
    if arr.shape[0] != n:
        raise CLIError(f"{where}: {key} has {arr.shape[0]} rows but y has {n} labels.")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise CLIError(f"{where}: {key} contains NaN or infinity.")
    return arr


def _load_npy(path: Path, what: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise CLIError(f"cannot read {what} {str(path)!r} as a .npy array ({exc}).") from None


def load_npz(path: Path) -> TaskData:
    """A task from an .npz file in the format of `NPZ_FORMAT`."""
    where = str(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise CLIError(f"cannot read {where!r} as an .npz archive ({exc}).") from None
    if "y" not in arrays:
        raise CLIError(f"{where}: no labels; the archive must hold an array named 'y'.")
    y = _check_labels(arrays.pop("y"), where)
    task = TaskData(y=y, source=where)
    n = task.n_samples
    for key, arr in arrays.items():
        group, _, model = key.partition("/")
        if group in ("features", "probas") and model:
            getattr(task, group)[model] = _check_rows(arr, n, key, where, two_d=True)
        elif key == "X":
            task.X = _check_rows(arr, n, key, where, two_d=False)
        elif key == "encoder":
            task.encoder = _check_rows(arr, n, key, where, two_d=True)
        elif key == "tokens":
            if arr.ndim != 2 or arr.dtype.kind not in "biuf":
                raise CLIError(f"{where}: tokens must be a numeric 2-D (k, d) array.")
            task.tokens = arr
        else:
            raise CLIError(
                f"{where}: unexpected array {key!r}; the keys are y, X, features/<model>, "
                "probas/<model>, encoder and tokens (see skspider rank --help)."
            )
    return task


def load_npy(path: Path, labels: str | None) -> TaskData:
    """Raw inputs from an .npy file with labels from another."""
    if labels is None:
        raise CLIError(f"{str(path)!r} is an .npy array of inputs: give its labels with --labels.")
    label_path = Path(labels)
    if not label_path.is_file():
        raise CLIError(f"labels file {labels!r} not found.")
    y = _check_labels(_load_npy(label_path, "labels"), labels)
    X = _check_rows(_load_npy(path, "inputs"), y.shape[0], "X", str(path), two_d=False)
    return TaskData(y=y, source=str(path), X=X)


def _image_size(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    parts = value.lower().split("x")
    try:
        size = tuple(int(p) for p in parts)
    except ValueError:
        size = ()
    if len(size) not in (1, 2) or min(size) < 1:
        raise CLIError(f"--image-size must be N or HxW (positive), got {value!r}.")
    return (size[0], size[-1])


def load_image_folder(root: Path, image_size: str | None, color: str) -> TaskData:
    """Images in one sub-folder per class, as ``(n, C, H, W)`` floats in [0, 1]."""
    try:
        from PIL import Image
    except ImportError:
        raise CLIError(
            "reading an image folder needs Pillow, which matplotlib installs: pip install "
            '"skspider[plotting]" (or pip install pillow).',
            EXIT_DEPENDENCY,
        ) from None
    size = _image_size(image_size)
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if len(classes) < 2:
        raise CLIError(
            f"image folder {str(root)!r} has {len(classes)} class sub-folder(s); it needs one "
            "sub-folder per class, at least 2."
        )
    files, labels = [], []
    for label, name in enumerate(classes):
        found = sorted(
            f for f in (root / name).iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
        )
        if not found:
            raise CLIError(f"image folder {str(root)!r}: class {name!r} holds no image.")
        files += found
        labels += [label] * len(found)
    images = []
    for f in files:
        try:
            with Image.open(f) as img:
                img.load()
                images.append(img.copy())
        except OSError as exc:
            raise CLIError(f"cannot read image {str(f)!r} ({exc}).") from None
    if color == "auto":
        color = "gray" if all(img.mode in _GRAY_MODES for img in images) else "rgb"
    arrays = []
    for f, img in zip(files, images):
        img = img.convert("L" if color == "gray" else "RGB")
        if size is not None:
            img = img.resize((size[1], size[0]), Image.BILINEAR)
        arr = np.asarray(img, dtype=np.float32) / 255.0
        arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
        if arrays and arr.shape != arrays[0].shape:
            raise CLIError(
                f"images differ in size: {str(files[0])!r} is {arrays[0].shape[1:]}, "
                f"{str(f)!r} is {arr.shape[1:]} (height, width); give --image-size to resize."
            )
        arrays.append(arr)
    return TaskData(y=np.asarray(labels), source=str(root), classes=classes, X=np.stack(arrays))


def load_task(path: str, *, labels: str | None, image_size: str | None, color: str) -> TaskData:
    """The task at ``path``: an .npz, an .npy (with ``labels``), or an image folder."""
    p = Path(path)
    if not p.exists():
        raise CLIError(f"task {path!r} not found.")
    if p.is_dir():
        return load_image_folder(p, image_size, color)
    if p.suffix == ".npz":
        return load_npz(p)
    if p.suffix == ".npy":
        return load_npy(p, labels)
    raise CLIError(
        f"task {path!r}: expected an .npz file, an .npy file (with --labels) or an image folder."
    )
