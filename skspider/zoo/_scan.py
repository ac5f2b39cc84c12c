"""What a task path holds, found without reading its arrays or images.

`skspider.zoo.read_task` starts here, and so does the command line, which checks its
arguments with `scan_task` before it imports torch or scikit-learn: this module imports
only the standard library and numpy.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["IMAGE_SUFFIXES", "TaskContents", "scan_task"]

#: The file suffixes (lower case) of the images of an image folder.
IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
)

# The arrays an .npz task may hold, besides the per-PTM groups "features/<m>", "probas/<m>".
_NPZ_KEYS = ("y", "X", "encoder", "tokens")
_NPZ_GROUPS = ("features", "probas")
# How many names of stray files an error lists before it counts the rest.
_MAX_LISTED = 5


@dataclass(frozen=True)
class TaskContents:
    """What `scan_task` found: the kind of task, and the names of what it holds.

    ``kind`` is ``"npz"``, ``"npy"`` or ``"folder"``; ``keys`` the arrays of an .npz;
    ``classes``, ``files`` and ``labels`` the class sub-folders of an image folder, its
    images class by class and each one's class index.
    """

    path: Path
    kind: str
    keys: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    files: tuple[Path, ...] = ()
    labels: tuple[int, ...] = ()

    @property
    def has_inputs(self) -> bool:
        """Whether the task holds raw inputs (an array X, or images) for a zoo's PTMs."""
        return self.kind != "npz" or "X" in self.keys

    @property
    def has_model_arrays(self) -> bool:
        """Whether the task holds precomputed per-PTM arrays (features/<m>, probas/<m>)."""
        return any(k.partition("/")[0] in _NPZ_GROUPS for k in self.keys)

    @property
    def has_general(self) -> bool:
        """Whether the task holds general-encoder features or its token set."""
        return "encoder" in self.keys or "tokens" in self.keys


def _npz_keys(path: Path) -> tuple[str, ...]:
    where = str(path)
    try:
        # The archive's directory only: no array is read.
        with np.load(path, allow_pickle=False) as data:
            keys = tuple(data.files)
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ValueError(f"cannot read {where!r} as an .npz archive ({exc}).") from None
    if "y" not in keys:
        raise ValueError(f"{where}: no labels; the archive must hold an array named 'y'.")
    for key in keys:
        group, _, model = key.partition("/")
        if key not in _NPZ_KEYS and not (group in _NPZ_GROUPS and model):
            raise ValueError(
                f"{where}: unexpected array {key!r}; the keys are y, X, features/<model>, "
                "probas/<model>, encoder and tokens."
            )
    return keys


def _visible(folder: Path) -> list[Path]:
    # Hidden entries (.DS_Store, .ipynb_checkpoints, ...) are not part of a dataset.
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _listed(paths: list[Path], root: Path) -> str:
    names = [str(p.relative_to(root)) + ("/" if p.is_dir() else "") for p in paths[:_MAX_LISTED]]
    more = f" and {len(paths) - _MAX_LISTED} more" if len(paths) > _MAX_LISTED else ""
    return ", ".join(repr(n) for n in names) + more


def _scan_folder(root: Path) -> TaskContents:
    entries = _visible(root)
    classes = [p for p in entries if p.is_dir()]
    stray = [p for p in entries if not p.is_dir()]
    if len(classes) < 2:
        raise ValueError(
            f"image folder {str(root)!r} has {len(classes)} class sub-folder(s); it needs one "
            "sub-folder per class, at least 2."
        )
    files: list[Path] = []
    labels: list[int] = []
    for label, folder in enumerate(classes):
        found = []
        for p in _visible(folder):
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
                found.append(p)
            else:
                stray.append(p)
        if not found:
            raise ValueError(f"image folder {str(root)!r}: class {folder.name!r} holds no image.")
        files += found
        labels += [label] * len(found)
    if stray:
        what = (
            "1 entry that is not an image"
            if len(stray) == 1
            else (f"{len(stray)} entries that are not images")
        )
        raise ValueError(
            f"image folder {str(root)!r} holds {what}: {_listed(stray, root)}. "
            "It must hold one sub-folder per class and only images in them (suffixes "
            f"{', '.join(sorted(IMAGE_SUFFIXES))}); move the other files out."
        )
    return TaskContents(
        path=root,
        kind="folder",
        classes=tuple(p.name for p in classes),
        files=tuple(files),
        labels=tuple(labels),
    )


def scan_task(path: str | os.PathLike, *, labels: Any = None) -> TaskContents:
    """The kind of task at ``path`` and what it holds, without reading arrays or images.

    Checks what can be checked from names alone: the path exists; an .npz archive holds
    ``y`` and only the known keys; an .npy task has labels (a file that exists, or an
    array); an image folder holds at least two class sub-folders, each with at least one
    image, and nothing that is not an image (hidden entries, starting with ``.``, are
    skipped). Raises `FileNotFoundError` for a missing path, `ValueError` otherwise.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"task {str(path)!r} not found.")
    if p.is_dir():
        return _scan_folder(p)
    if p.suffix == ".npz":
        return TaskContents(path=p, kind="npz", keys=_npz_keys(p))
    if p.suffix == ".npy":
        if labels is None:
            raise ValueError(f"{str(path)!r} is an .npy array of inputs: give its labels.")
        if isinstance(labels, (str, os.PathLike)) and not Path(labels).is_file():
            raise FileNotFoundError(f"labels file {str(labels)!r} not found.")
        return TaskContents(path=p, kind="npy")
    raise ValueError(
        f"task {str(path)!r}: expected an .npz file, an .npy file (with labels) or an image folder."
    )
