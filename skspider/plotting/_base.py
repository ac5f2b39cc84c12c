"""What every display shares: the lazy matplotlib import and checks of its inputs."""

from __future__ import annotations

from typing import Any

import numpy as np

INSTALL_HINT = 'pip install "skspider[plotting]"'


def import_pyplot(caller: str):
    """``matplotlib.pyplot``, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs matplotlib, an optional dependency of skspider; install it with "
            f"`{INSTALL_HINT}` (or `pip install matplotlib`)."
        ) from exc
    return plt


def check_values(values: Any, name: str, *, allow_nan: bool = False) -> np.ndarray:
    """A 1-D float array of ``values`` (a copy), finite unless ``allow_nan`` allows NaN."""
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numeric, got {values!r:.80}.") from None
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}.")
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if bad.any():
        what = "infinity" if allow_nan else "NaN or infinity"
        raise ValueError(f"{name} contains {what} (first at position {int(np.argmax(bad))}).")
    return arr


def check_names(names: Any, n: int, name: str) -> list[str]:
    """``n`` unique labels as strings."""
    out = [str(v) for v in (names if names is not None else range(n))]
    if len(out) != n:
        raise ValueError(f"{name} has {len(out)} entries but there are {n} values.")
    if len(set(out)) != n:
        raise ValueError(f"{name} has duplicates: {sorted({v for v in out if out.count(v) > 1})}.")
    return out
