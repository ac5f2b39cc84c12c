"""`FeatureLoader`: lazy, caching, counting forward passes of a zoo over tasks."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from torch import nn

from .._device import resolve_device
from ..base import Task
from ._extract import extract_features
from ._zoo import ModelZoo, ZooEntry

__all__ = ["FeatureLoader", "PassLedger"]

#: The name under which the general encoder's passes are recorded.
ENCODER = "<encoder>"


@dataclass
class PassLedger:
    """The forward passes one piece of work used (see `FeatureLoader.count`).

    Attributes
    ----------
    passes : set of (str, str)
        The (task, network) pairs whose output was read; the encoder is ``"<encoder>"``.
    charged_seconds : ndarray of shape (2,)
        Wall-clock and process-CPU seconds of those passes, each as measured when it ran
        (once per pair, whether this work ran it or found it in the loader's cache).
    inside_seconds : ndarray of shape (2,)
        Wall-clock and CPU seconds actually spent inside the loader during the work (the
        passes it ran, cache look-ups): subtract them and add ``charged_seconds`` to time
        the work as if it had run every pass itself.
    """

    passes: set = field(default_factory=set)
    charged_seconds: np.ndarray = field(default_factory=lambda: np.zeros(2))
    inside_seconds: np.ndarray = field(default_factory=lambda: np.zeros(2))

    def n_passes(self, *, encoder: bool = False) -> int:
        """The number of PTM forward passes (or of encoder passes with ``encoder=True``)."""
        return sum((net == ENCODER) == encoder for _, net in self.passes)


class FeatureLoader:
    """Forward passes of a zoo (and a general encoder) over tasks: on demand, once, counted.

    `task` turns a labelled set of inputs (images, say) into a `~skspider.base.Task` whose
    general features ``X``, per-PTM ``model_features`` and ``model_probas`` are loaders:
    the forward pass of a network runs the first time its output is read, and is kept for
    later readers. Every read is recorded in the ledgers opened by `count`, with the pass's
    own measured seconds, so that several rankers can share the passes while each is charged
    exactly the passes it used: this is how `skspider.evaluation.evaluate_rankers` counts a
    ranker's forward passes (never assumed from its parameters).

    Parameters
    ----------
    zoo : ModelZoo
        The PTMs.
    encoder : torch.nn.Module or ZooEntry, default=None
        The general encoder whose features are ``Task.X`` (None: tasks have no ``X``).
    encoder_layer : str, default=None
        The encoder's hooked layer (see `extract_features`; its input is the feature). None:
        the ``ZooEntry``'s layer, or the last `torch.nn.Linear` (an encoder without one
        needs it named: the glyph zoo's, ``"head"``).
    device : str, default="auto"
        Where the passes run.
    batch_size : int, default=128
        Images per forward batch.

    Attributes
    ----------
    n_runs_ : dict of str to int
        How many passes each network actually ran (a cached output is not run again).

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from torch import nn
    >>> from skspider.zoo import FeatureLoader, ModelZoo
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> zoo = ModelZoo({"a": nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)),
    ...                 "b": nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))})
    >>> loader = FeatureLoader(zoo, device="cpu")
    >>> task = loader.task(np.random.default_rng(0).normal(size=(6, 4)).astype("float32"),
    ...                    y=[0, 1, 0, 1, 0, 1])
    >>> with loader.count() as ledger:
    ...     width = task.get_model_features("b").shape[1]
    >>> width, ledger.n_passes(), loader.n_runs_
    (5, 1, {'b': 1})
    """

    def __init__(
        self,
        zoo: ModelZoo,
        encoder: nn.Module | ZooEntry | None = None,
        *,
        encoder_layer: str | None = None,
        device: str = "auto",
        batch_size: int = 128,
    ):
        if not isinstance(zoo, ModelZoo):
            raise TypeError(f"zoo must be a ModelZoo, got {type(zoo).__name__}.")
        if encoder is not None and not isinstance(encoder, (nn.Module, ZooEntry)):
            raise TypeError(
                f"encoder must be a torch.nn.Module or a ZooEntry, got {type(encoder).__name__}."
            )
        self.zoo = zoo
        self.encoder = encoder
        self.encoder_layer = encoder_layer
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.n_runs_: dict[str, int] = {}
        self._outputs: dict[tuple[int, str], tuple[Any, np.ndarray]] = {}
        self._inputs: dict[int, Any] = {}
        self._names: dict[int, str] = {}
        self._tids: dict[int, int] = {}  # id of a Task made here -> its task id
        self._ledgers: list[PassLedger] = []
        self._heads: dict[str, bool] = {}

    def _has_head(self, name: str) -> bool:
        """Whether PTM ``name`` gives source probabilities (its network loaded only if its
        entry does not say; once, when a task first needs it)."""
        if name not in self._heads:
            self._heads[name] = self.zoo[name].has_source_head()
        return self._heads[name]

    def _run(self, tid: int, network: str):
        """The output of one network on one task: from the cache, or a timed pass."""
        key = (tid, network)
        wall, cpu = time.perf_counter(), time.process_time()
        if key not in self._outputs:
            if tid not in self._inputs:
                raise ValueError(
                    f"task {self._names[tid]!r} was forgotten (FeatureLoader.forget): its "
                    "arrays can no longer be read; make it again with FeatureLoader.task."
                )
            data = self._inputs[tid]
            if network == ENCODER:
                out = extract_features(
                    self.encoder, data, layer=self.encoder_layer,
                    batch_size=self.batch_size, device=self.device,
                )  # fmt: skip
            else:
                out = extract_features(
                    self.zoo[network], data, batch_size=self.batch_size, device=self.device
                )
            seconds = np.array([time.perf_counter() - wall, time.process_time() - cpu])
            self._outputs[key] = (out, seconds)
            self.n_runs_[network] = self.n_runs_.get(network, 0) + 1
        out, seconds = self._outputs[key]
        inside = np.array([time.perf_counter() - wall, time.process_time() - cpu])
        for ledger in self._ledgers:
            if (self._names[tid], network) not in ledger.passes:
                ledger.passes.add((self._names[tid], network))
                ledger.charged_seconds += seconds
            ledger.inside_seconds += inside
        return out

    def task(
        self,
        inputs: Any,
        y: Any = None,
        *,
        name: str | None = None,
        metadata: dict | None = None,
    ) -> Task:
        """A `Task` whose arrays are this loader's lazy passes over ``inputs``.

        Parameters
        ----------
        inputs : array-like or Task
            What the networks take (e.g. uint8 images ``(n, 1, 32, 32)``), or a `Task`
            holding them in ``metadata["images"]`` (or ``metadata["inputs"]``), whose ``y``,
            ``name`` and ``metadata`` are then used.
        y : array-like of shape (n,), default=None
            The labels (required unless ``inputs`` is a Task).
        name : str, default=None
            The task's name (a Task's own by default).
        metadata : dict, default=None
            Kept on the task (a Task's own by default).

        Returns
        -------
        task : Task
            ``X`` (when the loader has an encoder), ``model_features`` (every PTM) and
            ``model_probas`` (every PTM with a source head) are zero-argument loaders.
        """
        if isinstance(inputs, Task):
            source = inputs
            meta = dict(source.metadata)
            data = meta.get("images", meta.get("inputs"))
            if data is None:
                raise ValueError(
                    f"Task {source.name!r} holds no inputs for the networks: its metadata has "
                    "neither 'images' nor 'inputs'."
                )
            y = source.y if y is None else y
            name = source.name if name is None else name
            metadata = meta if metadata is None else metadata
        else:
            data = inputs
        if y is None:
            raise ValueError("y (the task's labels) is required.")
        if len(y) != len(data):
            raise ValueError(f"inputs have {len(data)} samples but y has {len(y)} labels.")
        tid = len(self._inputs)
        self._inputs[tid] = data
        self._names[tid] = name if name is not None else f"task{tid}"

        def features(net: str):
            return lambda: self._run(tid, net).features

        def probas(net: str):
            return lambda: self._run(tid, net).probas

        task = Task(
            y=np.asarray(y),
            X=features(ENCODER) if self.encoder is not None else None,
            model_features={m: features(m) for m in self.zoo.names},
            model_probas={m: probas(m) for m in self.zoo.names if self._has_head(m)} or None,
            name=self._names[tid],
            metadata=dict(metadata or {}),
        )
        self._tids[id(task)] = tid
        return task

    def forget(self, task: Task) -> None:
        """Drop what is kept of a task made by `task`: its inputs and its cached outputs (its
        lazy arrays can no longer be read). An evaluation calls it once a task is done, so
        that memory holds one task's passes, not every task's."""
        tid = self._tids.pop(id(task), None)
        if tid is None:
            raise ValueError(f"task {task.name!r} was not made by this loader (or is forgotten).")
        self._inputs.pop(tid, None)
        for key in [k for k in self._outputs if k[0] == tid]:
            del self._outputs[key]

    @contextlib.contextmanager
    def count(self) -> Iterator[PassLedger]:
        """Record, in a new `PassLedger`, every pass read inside the ``with`` block."""
        ledger = PassLedger()
        self._ledgers.append(ledger)
        try:
            yield ledger
        finally:
            self._ledgers.remove(ledger)

    def warm_up(self, inputs: Any, n: int = 8) -> None:
        """One untimed pass of every network over the first ``n`` inputs, so that first-call
        allocations are charged to no one. Nothing is cached or counted."""
        data = inputs[:n]
        if self.encoder is not None:
            extract_features(self.encoder, data, layer=self.encoder_layer, device=self.device)
        for m in self.zoo.names:
            extract_features(self.zoo[m], data, device=self.device)

    def clear(self) -> None:
        """Forget the cached outputs (the tasks made so far then run their passes again)."""
        self._outputs.clear()
