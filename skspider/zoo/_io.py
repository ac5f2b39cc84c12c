"""Read a task from disk: an .npz of arrays, an .npy of inputs with labels, an image folder."""

from __future__ import annotations

import os
from collections import Counter
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np

from .._sklearn_compat import Interval, StrOptions, validate_params
from ..base import Task
from ._scan import TaskContents, scan_task

__all__ = ["check_input_shape", "read_task"]

# Pillow modes read as grayscale when the channels are chosen automatically.
_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "F"}
# Pillow modes whose conversion to "L" weighs color channels (ITU-R 601-2 luma).
_COLOR_MODES = {"RGB", "RGBA", "RGBX", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV"}


def _pair(value: Any, name: str) -> tuple[int, int] | None:
    """``image_size`` as (height, width): an int N is N x N."""
    if value is None:
        return None
    size = (value, value) if isinstance(value, Integral) else tuple(value)
    if len(size) != 2 or not all(isinstance(s, Integral) and s >= 1 for s in size):
        raise ValueError(f"{name} must be a positive int or (height, width), got {value!r}.")
    return int(size[0]), int(size[1])


def _shape(value: Any) -> tuple[int, int, int] | None:
    if value is None:
        return None
    shape = tuple(value)
    if len(shape) != 3 or not all(isinstance(s, Integral) and s >= 1 for s in shape):
        raise ValueError(
            f"input_shape must be three positive ints (channels, height, width), got {value!r}."
        )
    return int(shape[0]), int(shape[1]), int(shape[2])


def _check_labels(y: Any, where: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{where}: labels y must be 1-D (n,), got shape {y.shape}.")
    if y.dtype == object or y.dtype.kind not in "biufUS":
        raise ValueError(f"{where}: labels y must be numbers or strings, got dtype {y.dtype}.")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"{where}: labels y contain NaN or infinity.")
    if np.unique(y).shape[0] < 2:
        raise ValueError(f"{where}: labels y hold a single class; ranking needs at least 2.")
    return y


def _check_rows(arr: np.ndarray, n: int, key: str, where: str, *, two_d: bool) -> np.ndarray:
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{where}: {key} must be numeric, got dtype {arr.dtype}.")
    if two_d and arr.ndim != 2:
        raise ValueError(f"{where}: {key} must be 2-D (n_samples, n_features), got {arr.shape}.")
    if arr.ndim < 2:
        raise ValueError(
            f"{where}: {key} must have a sample axis and input axes, got shape {arr.shape}."
        )
    if arr.shape[0] != n:
        raise ValueError(f"{where}: {key} has {arr.shape[0]} rows but y has {n} labels.")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{where}: {key} contains NaN or infinity.")
    return arr


def _load_npy(path: Path, what: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ValueError(f"cannot read {what} {str(path)!r} as a .npy array ({exc}).") from None


def _read_npz(contents: TaskContents) -> dict:
    where = str(contents.path)
    with np.load(contents.path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in contents.keys}
    y = _check_labels(arrays.pop("y"), where)
    n = y.shape[0]
    out: dict = {"y": y, "features": {}, "probas": {}}
    for key, arr in arrays.items():
        group, _, model = key.partition("/")
        if model:  # features/<model> or probas/<model> (scan_task allows no other "/" key)
            out[group][model] = _check_rows(arr, n, key, where, two_d=True)
        elif key == "X":
            out["inputs"] = _check_rows(arr, n, key, where, two_d=False)
        elif key == "encoder":
            out["encoder"] = _check_rows(arr, n, key, where, two_d=True)
        elif arr.ndim != 2 or arr.dtype.kind not in "biuf":  # tokens
            raise ValueError(f"{where}: tokens must be a numeric 2-D (k, d) array.")
        else:
            out["tokens"] = arr
    return out


def _read_npy(contents: TaskContents, labels: Any) -> dict:
    if isinstance(labels, (str, os.PathLike)):
        y = _check_labels(_load_npy(Path(labels), "labels"), str(labels))
    else:
        y = _check_labels(labels, "labels")
    X = _load_npy(contents.path, "inputs")
    return {"y": y, "inputs": _check_rows(X, y.shape[0], "X", str(contents.path), two_d=False)}


def check_input_shape(inputs: Any, input_shape: tuple | None, where: str) -> None:
    """A ValueError when the raw inputs of an .npz or .npy task (None: none) do not have
    the ``input_shape`` a zoo declares (None: nothing declared) per sample."""
    if input_shape is None or inputs is None:
        return
    if tuple(inputs.shape[1:]) != tuple(input_shape):
        raise ValueError(
            f"{where}: X holds samples of shape {tuple(inputs.shape[1:])}, but the PTMs take "
            f"{tuple(input_shape)} (input_shape): convert them to it, or save the images in an "
            "image folder, which is converted when read."
        )


def _mode_note(mode: str, target: str, count: int) -> str:
    if target == "L":
        how = "grayscale (ITU-R 601-2 luma)" if mode in _COLOR_MODES else "8-bit grayscale"
    elif mode in ("L", "1", "I", "I;16", "F"):
        how = "RGB (the gray channel repeated)"
    elif mode in ("RGBA", "LA", "PA"):
        how = "RGB (transparency dropped)"
    else:
        how = "RGB"
    return f"{count} {mode} image{'s' if count > 1 else ''} to {how}"


def _read_images(
    contents: TaskContents,
    color: str | None,
    size: tuple[int, int] | None,
    shape: tuple[int, int, int] | None,
) -> tuple[np.ndarray, str | None]:
    """The images as ``(n, C, H, W)`` float32 in [0, 1], and what was converted (or None)."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "reading an image folder needs Pillow, which matplotlib installs: pip install "
            '"skspider[plotting]" (or pip install pillow).'
        ) from None
    root = str(contents.path)
    if color is None and shape is not None:
        if shape[0] not in (1, 3):
            raise ValueError(
                f"input_shape {shape} asks for {shape[0]}-channel images, but an image folder "
                "is read as grayscale (1 channel) or RGB (3): pass color='gray' or "
                "color='rgb' to choose, or save the images as an .npz array X of that shape."
            )
        color = "gray" if shape[0] == 1 else "rgb"
    if size is None and shape is not None:
        size = shape[1:]
    images = []
    for f in contents.files:
        try:
            with Image.open(f) as img:
                img.load()
                images.append(img.copy())
        except OSError as exc:
            raise ValueError(f"cannot read image {str(f)!r} ({exc}).") from None
    if color is None:
        color = "gray" if all(img.mode in _GRAY_MODES for img in images) else "rgb"
    target = "L" if color == "gray" else "RGB"
    modes: Counter = Counter()
    resized: Counter = Counter()
    arrays = []
    for f, img in zip(contents.files, images):
        if img.mode != target:
            modes[img.mode] += 1
            img = img.convert(target)  # "L" from color: L = (299 R + 587 G + 114 B) / 1000
        if size is not None and (img.height, img.width) != size:
            resized[(img.height, img.width)] += 1
            img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        arr = np.asarray(img, dtype=np.float32) / 255.0
        arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
        if arrays and arr.shape != arrays[0].shape:
            raise ValueError(
                f"images differ in size: {str(contents.files[0])!r} is "
                f"{arrays[0].shape[1]}x{arrays[0].shape[2]}, {str(f)!r} is "
                f"{arr.shape[1]}x{arr.shape[2]} (height x width); pass image_size=(height, "
                "width) to resize them."
            )
        arrays.append(arr)
    notes = [_mode_note(m, target, n) for m, n in sorted(modes.items())]
    notes += [
        f"{n} image{'s' if n > 1 else ''} resized from {h}x{w} to {size[0]}x{size[1]} (bilinear)"
        for (h, w), n in sorted(resized.items())
    ]
    if not arrays:  # scan_task guarantees images; kept for a clear error if that changes
        raise ValueError(f"image folder {root!r} holds no image.")
    return np.stack(arrays), "; ".join(notes) or None


@validate_params(
    {
        "path": [str, os.PathLike],
        "labels": [str, os.PathLike, "array-like", None],
        "color": [StrOptions({"gray", "rgb"}), None],
        "image_size": [Interval(Integral, 1, None, closed="left"), tuple, list, None],
        "input_shape": [tuple, list, None],
    },
    prefer_skip_nested_validation=True,
)
def read_task(
    path: str | os.PathLike,
    *,
    labels: str | os.PathLike | Any = None,
    color: str | None = None,
    image_size: int | tuple[int, int] | None = None,
    input_shape: tuple[int, int, int] | None = None,
) -> Task:
    """Read a task from disk: an .npz of arrays, an .npy of inputs, or an image folder.

    The one reader of task files, behind ``skspider rank``. Three formats:

    * ``TASK.npz``, arrays saved with `numpy.savez` under these names (any other name is
      an error, so that a misspelt key is caught):

      ====================  ================  ==============================================
      key                   shape             meaning
      ====================  ================  ==============================================
      ``y``                 ``(n,)``          labels (required)
      ``X``                 ``(n, ...)``      raw inputs for the PTMs of a zoo, e.g. images
                                              ``(n, C, H, W)`` (floats, or ``uint8`` that
                                              `extract_features` scales to [0, 1])
      ``features/<model>``  ``(n, d_model)``  a PTM's precomputed features (the input of
                                              its classifier)
      ``probas/<model>``    ``(n, c_model)``  a PTM's source-class probabilities
      ``encoder``           ``(n, d)``        general-encoder features
      ``tokens``            ``(k, d)``        the task's token set
      ====================  ================  ==============================================

    * ``TASK.npy``: raw inputs ``X`` ``(n, ...)``, with ``labels``.
    * an image folder: one sub-folder per class (the sorted folder names are the classes),
      holding images only (``.png``, ``.jpg``, ``.jpeg``, ``.bmp``, ``.gif``, ``.tif``,
      ``.tiff``, ``.webp``, ``.pgm``, ``.ppm``); any other file or folder in it is an error
      that names it (hidden entries, starting with ``.``, are skipped). Images are read with
      Pillow (which matplotlib installs) as ``(n, C, H, W)`` float32 in [0, 1] (the 8-bit
      values divided by 255, the scale `extract_features` gives ``uint8`` images), with no
      other normalisation (a zoo that needs one does it in its modules).

    Parameters
    ----------
    path : str or os.PathLike
        The .npz or .npy file, or the image folder.
    labels : str, os.PathLike or array-like of shape (n,), default=None
        The labels of an .npy task: a .npy file, or the array. Required for an .npy task,
        not allowed for the others (they hold their labels).
    color : {"gray", "rgb"}, default=None
        The channels of an image folder's images: ``"gray"`` (C = 1; color images by the
        ITU-R 601-2 luma, ``L = 0.299 R + 0.587 G + 0.114 B``) or ``"rgb"`` (C = 3; gray
        images repeated, transparency dropped, palettes expanded). None: from
        ``input_shape`` when given, else 1 when every image is grayscale, else 3.
    image_size : int or (int, int), default=None
        Resize an image folder's images (bilinear) to ``(height, width)`` (an int N: N x N).
        None: ``input_shape``'s size when given, else the images' own size, which must then
        be the same for every image.
    input_shape : (int, int, int), default=None
        The ``(channels, height, width)`` a zoo's PTMs take, e.g. `ModelZoo.input_shape`.
        An image folder's images are converted to it (the channels with 1 or 3; ``color``
        and ``image_size`` override it); the raw inputs ``X`` of an .npz or .npy must have
        that shape per sample.

    Returns
    -------
    task : skspider.base.Task
        ``y``; ``X``: the general-encoder features (the ``encoder`` array) or None;
        ``model_features`` and ``model_probas`` from ``features/<model>`` and
        ``probas/<model>`` (None when absent); ``tokens``; ``name``: the file's stem or the
        folder's name; ``metadata``: ``"inputs"`` (the raw inputs: the images, or ``X`` of
        an .npz or .npy, as stored; None without), ``"classes"`` (the class sub-folders'
        names, else the sorted distinct labels), ``"source"`` (``path`` as a string) and
        ``"conversion"`` (what was done to an image folder's images to read them with the
        channels and size asked: a sentence, or None when nothing was).

    Raises
    ------
    FileNotFoundError
        ``path`` (or the ``labels`` file) does not exist.
    ValueError
        An unknown format or .npz key, missing or bad labels, arrays of the wrong shape or
        with NaN, a file in an image folder that is not an image or cannot be read, images
        of different sizes without ``image_size``, inputs of another shape than
        ``input_shape``.
    ImportError
        An image folder without Pillow installed.

    See Also
    --------
    extract_features : The PTMs' features of ``task.metadata["inputs"]``.
    make_task : A task of a zoo's features on given inputs.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from skspider.zoo import read_task
    >>> rng = np.random.default_rng(0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "task.npz"
    ...     np.savez(path, y=np.repeat([0, 1], 5),
    ...              **{"features/resnet": rng.normal(size=(10, 4))})
    ...     task = read_task(path)
    >>> task
    Task(name='task', n_samples=10, models=1)
    >>> task.get_model_features("resnet").shape, task.metadata["classes"]
    ((10, 4), [0, 1])
    """
    contents = scan_task(path, labels=labels)
    size = _pair(image_size, "image_size")
    shape = _shape(input_shape)
    if contents.kind != "npy" and labels is not None:
        raise ValueError(f"task {str(path)!r} holds its labels; labels= is for an .npy task.")
    if contents.kind != "folder" and (color is not None or image_size is not None):
        raise ValueError(
            f"task {str(path)!r} is not an image folder; color= and image_size= apply to "
            "image folders only."
        )
    conversion = None
    if contents.kind == "folder":
        images, conversion = _read_images(contents, color, size, shape)
        data = {"y": np.asarray(contents.labels, dtype=np.int64), "inputs": images}
        classes = list(contents.classes)
    else:
        data = _read_npz(contents) if contents.kind == "npz" else _read_npy(contents, labels)
        classes = np.unique(data["y"]).tolist()
        check_input_shape(data.get("inputs"), shape, str(path))
    p = Path(path)
    return Task(
        y=data["y"],
        X=data.get("encoder"),
        model_features=data.get("features") or None,
        model_probas=data.get("probas") or None,
        tokens=data.get("tokens"),
        name=p.name if contents.kind == "folder" else p.stem,
        metadata={
            "inputs": data.get("inputs"),
            "classes": classes,
            "source": str(path),
            "conversion": conversion,
        },
    )
