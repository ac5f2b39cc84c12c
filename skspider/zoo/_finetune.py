"""The ground truth of a zoo: a PTM's accuracy after full fine-tuning on a task."""

from __future__ import annotations

import copy
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from sklearn.utils import check_random_state
from torch import nn

from .._device import resolve_device
from .._sklearn_compat import Interval, validate_params
from ._zoo import ZooEntry, _resolve_layer

__all__ = ["finetune_accuracy"]


def _as_input(x: Any, name: str) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        t = x.detach().cpu()
    else:
        arr = np.asarray(x)
        if arr.dtype == object or not (
            np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_
        ):
            raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}.")
        t = torch.from_numpy(np.ascontiguousarray(arr))
    if t.ndim < 2 or t.shape[0] == 0:
        raise ValueError(
            f"{name} must have a non-empty sample axis and input axes, got shape {tuple(t.shape)}."
        )
    if t.is_floating_point() and not torch.isfinite(t).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    return t


def _set_submodule(root: nn.Module, name: str, new: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(root.get_submodule(parent) if parent else root, child, new)


@validate_params(
    {
        "module": [nn.Module, ZooEntry],
        "X_train": ["array-like", torch.Tensor],
        "y_train": ["array-like"],
        "X_test": ["array-like", torch.Tensor],
        "y_test": ["array-like"],
        "layer": [str, None],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "max_steps": [Interval(Integral, 1, None, closed="left"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "device": [str, torch.device],
    },
    prefer_skip_nested_validation=True,
)
def finetune_accuracy(
    module: nn.Module | ZooEntry,
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    *,
    layer: str | None = None,
    lr: float = 1e-3,
    epochs: int = 15,
    max_steps: int | None = None,
    batch_size: int = 50,
    weight_decay: float = 0.0,
    random_state: int | np.random.RandomState | None = 0,
    device: str | torch.device = "auto",
) -> float:
    """Accuracy of a PTM on a task's held-out samples after full fine-tuning.

    The protocol (the ground truth of `skspider.datasets.load_glyph_zoo`): a copy of the
    model gets a new classification head (an `torch.nn.Linear` from the features, the
    input of the final classifier, to the task's classes, in place of the source head or
    the `torch.nn.Identity` of a headless model); every weight is then trained with Adam at
    a constant learning rate ``lr`` for ``epochs`` passes over the training samples, with a
    new shuffle per epoch cut into ``ceil(n / batch_size)`` batches of equal size (to within
    one sample: no small last batch disturbs BatchNorm), or until ``max_steps`` optimiser
    steps when that comes first (a fixed budget: a large task then gets fewer passes). The
    accuracy is measured in eval mode on ``X_test``. The given model is never modified.

    Parameters
    ----------
    module : torch.nn.Module or ZooEntry
        The PTM (a zoo entry's ``layer`` names its classifier).
    X_train : array-like or torch.Tensor of shape (n_train, ...)
        Training inputs, as the model takes them (uint8 glyph images, say).
    y_train : array-like of shape (n_train,)
        Training labels (any hashable values).
    X_test : array-like or torch.Tensor of shape (n_test, ...)
        Held-out inputs.
    y_test : array-like of shape (n_test,)
        Held-out labels, among those of ``y_train``.
    layer : str, default=None
        The classifier to replace (a submodule name); None: the entry's ``layer``, else the
        last `torch.nn.Linear`.
    lr : float, default=1e-3
        Adam's learning rate.
    epochs : int, default=15
        Passes over the training samples.
    max_steps : int, default=None
        At most this many optimiser steps in all (None: no limit, ``epochs`` passes).
    batch_size : int, default=50
        Largest batch; batches are equal-size splits of each epoch's shuffle.
    weight_decay : float, default=0.0
        Adam's L2 penalty.
    random_state : int, RandomState instance or None, default=0
        Seeds the new head, the shuffles and any dropout (a local generator; the global
        torch seed is left untouched).
    device : str or torch.device, default="auto"
        Where to train; "auto" picks CUDA when available.

    Returns
    -------
    accuracy : float
        Share of ``X_test`` classified correctly.

    Examples
    --------
    >>> import numpy as np
    >>> from torch import nn
    >>> from skspider.zoo import finetune_accuracy
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(80, 4)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> acc = finetune_accuracy(net, X[:60], y[:60], X[60:], y[60:], lr=3e-2, epochs=10,
    ...                         device="cpu")
    >>> acc > 0.8
    True
    """
    if isinstance(module, ZooEntry):
        layer = layer if layer is not None else module.layer
        name = module.name
        module = module.load()
    else:
        name = type(module).__name__
    x_tr, x_te = _as_input(X_train, "X_train"), _as_input(X_test, "X_test")
    y_tr, y_te = np.asarray(y_train), np.asarray(y_test)
    if y_tr.ndim != 1 or len(y_tr) != len(x_tr):
        raise ValueError(f"y_train must be 1-D with one label per row of X_train ({len(x_tr)}).")
    if y_te.ndim != 1 or len(y_te) != len(x_te):
        raise ValueError(f"y_test must be 1-D with one label per row of X_test ({len(x_te)}).")
    classes = np.unique(y_tr)
    if len(classes) < 2:
        raise ValueError("y_train must have at least two classes.")
    unseen = np.setdiff1d(np.unique(y_te), classes)
    if unseen.size:
        raise ValueError(f"y_test has labels {unseen[:5].tolist()} that y_train lacks.")
    t_tr = torch.as_tensor(np.searchsorted(classes, y_tr), dtype=torch.long)
    t_te = torch.as_tensor(np.searchsorted(classes, y_te), dtype=torch.long)
    dev = resolve_device(device)
    rng = check_random_state(random_state)
    seed = int(rng.randint(2**31 - 1))

    model = copy.deepcopy(module).cpu()
    head_name = _resolve_layer(model, layer, name)
    # The feature width: the input of the classifier on one training sample.
    seen: list[int] = []
    handle = model.get_submodule(head_name).register_forward_hook(
        lambda _m, args, _o: seen.append(args[0].reshape(args[0].shape[0], -1).shape[1])
    )
    was = model.training
    model.eval()
    with torch.inference_mode():
        model(x_tr[:1])
    handle.remove()
    model.train(was)
    if len(seen) != 1:
        raise ValueError(
            f"Layer {head_name!r} of {name} ran {len(seen)} times in one forward pass."
        )
    with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
        torch.manual_seed(seed)
        head = nn.Linear(seen[0], len(classes))
        _set_submodule(model, head_name, head)
        model.to(dev).train()
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        n = len(x_tr)
        n_batches = -(-n // batch_size)
        params = [p for p in model.parameters() if p.is_floating_point()]
        dtype = params[0].dtype

        def prep(x):
            x = x.to(dev)
            return x.to(dtype) if x.is_floating_point() else x

        steps = epochs * n_batches if max_steps is None else min(epochs * n_batches, max_steps)
        for epoch in range(epochs):
            if epoch * n_batches >= steps:
                break
            batches = np.array_split(rng.permutation(n), n_batches)
            for idx in batches[: max(0, steps - epoch * n_batches)]:
                idx_t = torch.as_tensor(idx)
                out = model(prep(x_tr[idx_t]))
                loss = nn.functional.cross_entropy(out.reshape(len(idx), -1), t_tr[idx_t].to(dev))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        model.eval()
        correct = 0
        with torch.inference_mode():
            for start in range(0, len(x_te), 256):
                out = model(prep(x_te[start : start + 256]))
                pred = out.reshape(out.shape[0], -1).argmax(1).cpu()
                correct += int((pred == t_te[start : start + 256]).sum())
    return correct / len(x_te)
