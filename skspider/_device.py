"""The ``device`` hyper-parameter of everything that runs torch, resolved in one place."""

from __future__ import annotations

import torch

__all__ = ["resolve_device"]


def resolve_device(device: object) -> torch.device:
    """Turn a ``device`` argument ("cpu", "cuda", "cuda:1", "auto" or a `torch.device`) into a
    `torch.device`, with a clear error for anything else or for CUDA on a machine without it.

    Examples
    --------
    >>> from skspider._device import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be a string such as 'cpu', 'cuda' or 'auto', got {device!r}.")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(
            f"device={device!r} is not a valid torch device ('cpu', 'cuda', 'cuda:1', 'auto'): "
            f"{exc}"
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this machine; use "
            "device='cpu' or device='auto'."
        )
    return dev
