"""The base class of every transferability estimator."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
from scipy import special
from sklearn.base import BaseEstimator, clone
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from .._sklearn_compat import fit_context

__all__ = ["BaseTransferabilityEstimator"]

InputKind = Literal["features", "probas"]

# Rows of source probabilities may be off 1 by float32 rounding of a softmax; beyond this
# they are not probabilities and are rejected (never silently renormalised).
_PROBA_ATOL = 1e-3
# To recognise the data a transferability estimator was fitted on, in `score`: X is hashed
# whole up to this size (as the zoo's feature cache does), else by evenly spaced rows.
_FINGERPRINT_WHOLE_BYTES = 16 * 2**20
_FINGERPRINT_ROWS = 256


def _fingerprint(X: np.ndarray, y: Any) -> str:
    """A cheap digest of ``(X, y)``: shapes, dtype, all of ``y``, and all of ``X`` up to 16 MiB
    (a fixed sample of rows beyond: hashing costs little next to any estimator's fit)."""
    y = np.asarray(y)
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((X.shape, X.dtype.str, y.shape, y.dtype.str)).encode())
    if X.nbytes > _FINGERPRINT_WHOLE_BYTES:
        X = X[np.unique(np.linspace(0, len(X) - 1, _FINGERPRINT_ROWS).astype(int))]
    h.update(np.ascontiguousarray(X).tobytes())
    if y.dtype.kind == "O":
        h.update(repr(y.tolist()).encode())
    else:
        h.update(np.ascontiguousarray(y).tobytes())
    return h.hexdigest()


class BaseTransferabilityEstimator(BaseEstimator):
    """Base class: scores how well ONE pre-trained model transfers to ONE task.

    A subclass declares what it consumes in the class attribute ``input_kind``:

    - ``"features"``: the PTM's features of the target samples, ``(n_samples, n_features)``
      (LogME, H-score, ...);
    - ``"probas"``: the PTM's source-class probabilities, ``(n_samples, n_source_classes)``,
      rows summing to 1 (LEEP, NCE, ...);

    so that a ranker can route the right array to it. ``supports_regression`` says whether
    ``y`` may be continuous targets ``(n_samples,)`` or ``(n_samples, n_targets)``.

    ``fit(X, y)`` validates the input, calls the subclass's ``_fit(X, y)`` (which returns the
    score and may set fitted attributes) and stores it in ``score_``: higher = better for
    every method, whatever the sign convention of the original paper (documented per class).

    ``score(X, y)`` is the transferability of ``(X, y)`` itself, not an evaluation of a
    fitted model on new data (a transferability estimator has none): on an unfitted
    estimator it is ``clone(self).fit(X, y).score_``; on a fitted one it is ``score_`` for
    the data it was fitted on, and a `ValueError` for any other data. So
    ``cross_val_score(LogME(), X, y)`` or a ``GridSearchCV`` over a transferability estimator,
    which would otherwise silently return each test fold's transferability, raise a clear
    error (see docs/conventions.rst).

    Input handling, common to all methods:

    - NaN or infinity in ``X`` or ``y``: `ValueError`.
    - Integer ``X`` is converted to float64; computations run in float64 (``X`` is never
      modified in place). Methods that set ``_keep_float32`` receive float32 ``X`` as is
      and convert it block by block.
    - Class labels of any type (strings, arbitrary integers) are mapped to ``0 .. C-1`` in
      sorted order (``classes_`` keeps the originals). A single class, or fewer than
      ``_min_samples_per_class`` samples in a class, is a `ValueError`.
    - Source probabilities must be non-negative with rows summing to 1 (within 1e-3);
      otherwise `ValueError`, never a silent renormalisation. Estimators of input kind
      "probas" that have a ``source_output`` hyper-parameter accept logits with
      ``source_output="logits"`` (a row-wise softmax is applied to a copy).

    Attributes
    ----------
    score_ : float
        The transferability, higher = better.
    classes_ : ndarray of shape (n_classes,)
        The original class labels (classification only).
    n_features_in_ : int
        Number of columns of ``X``.
    """

    input_kind: ClassVar[InputKind] = "features"
    supports_regression: ClassVar[bool] = False
    _min_samples_per_class: ClassVar[int] = 1
    #: True when a PTM's score depends on the other PTMs scored with it (see score_models).
    set_level: ClassVar[bool] = False
    #: True when ``_fit`` accepts float32 ``X`` as is (accumulating in float64 itself), so
    #: that validation does not make a float64 copy of large feature matrices.
    _keep_float32: ClassVar[bool] = False
    #: Names of keyword parameters of ``fit`` carrying side data besides the PTM's array and
    #: the labels (e.g. OTCE's source set). Zoo-scoring passes each one a task provides
    #: (``Task.side_data`` / ``Task.model_side_data``).
    _side_inputs: ClassVar[tuple[str, ...]] = ()
    # Subclasses declare their hyper-parameters' constraints (scikit-learn's mechanism).
    _parameter_constraints: dict = {}

    @classmethod
    def side_inputs(cls) -> tuple[str, ...]:
        """The names of the side inputs `fit` takes besides ``X`` and ``y``.

        Data such as OTCE's source set or EMMS's label embeddings, passed as keyword
        arguments of ``fit``; the zoo-scoring engine (`score_zoo`) passes each one that a
        task holds in ``Task.side_data`` or ``Task.model_side_data``. Empty for most
        estimators.

        Returns
        -------
        names : tuple of str

        Examples
        --------
        >>> from skspider.transferability import OTCE, LogME
        >>> LogME.side_inputs()
        ()
        >>> "source_features" in OTCE().side_inputs()
        True
        """
        return tuple(cls._side_inputs)

    # -- to implement -------------------------------------------------------------------------
    def _fit(self, X: np.ndarray, y: np.ndarray) -> float:  # pragma: no cover - abstract
        """Compute the score from validated ``X`` (float64) and ``y`` (0..C-1 labels, or
        float64 targets of shape (n_samples, n_targets) for regression)."""
        raise NotImplementedError

    # -- the contract -------------------------------------------------------------------------
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any, **side: Any) -> BaseTransferabilityEstimator:
        """Compute the transferability of ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_source_classes)
            The PTM's features, or its source-class probabilities (see ``input_kind``).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels, or regression targets where supported.
        **side : dict
            Side data, for estimators that declare it (`side_inputs`), passed to
            ``_fit``; subclasses name these parameters in their own ``fit``.

        Returns
        -------
        self : object
            With ``score_`` set.
        """
        unexpected = sorted(set(side) - set(self._side_inputs))
        if unexpected:
            raise TypeError(
                f"{type(self).__name__}.fit got unexpected keyword arguments {unexpected}; "
                f"it takes {list(self._side_inputs) or 'none'}."
            )
        # A failed refit must not leave an earlier fit's score behind.
        self.__dict__.pop("score_", None)
        X, y = self._validate_input(X, y)
        score = float(self._fit(X, y, **side))
        if not np.isfinite(score):
            raise ValueError(
                f"{type(self).__name__} produced a non-finite score ({score}); the input "
                "is degenerate (e.g. constant features)."
            )
        self.score_ = score
        return self

    def score(self, X: Any, y: Any, **side: Any) -> float:
        """The transferability of ``(X, y)``, higher = better.

        Unlike a predictor's ``score``, this does not evaluate a fitted model on new data:
        a transferability estimator scores the data it is given. On an unfitted estimator
        it returns ``clone(self).fit(X, y, **side).score_`` (the one-liner ``LogME().score(X, y)``);
        on a fitted one, ``score_`` if ``(X, y)`` is the data it was fitted on, and a
        `ValueError` otherwise. That error is what ``cross_val_score``, ``cross_validate``
        and ``GridSearchCV`` meet when handed a transferability estimator (they fit on one
        fold and score another), instead of silently returning each fold's
        transferability.

        Parameters
        ----------
        X : array-like
            As for `fit`.
        y : array-like
            As for `fit`.
        **side : dict
            Side data, as for `fit`.

        Returns
        -------
        score : float
            Higher = better.

        Raises
        ------
        ValueError
            On a fitted estimator, for data other than the data it was fitted on.
        """
        if not (hasattr(self, "_fit_fingerprint") and hasattr(self, "score_")):
            return clone(self).fit(X, y, **side).score_
        check_is_fitted(self)
        name = type(self).__name__
        if y is None:
            raise ValueError(f"{name} requires y to be passed, but the target y is None.")
        # Validated as in fit (the standard n_features_in_ message first), then compared.
        Xv, yv = self._check_arrays(X, y, reset=False)
        if _fingerprint(Xv, yv) != self._fit_fingerprint:
            raise ValueError(
                f"{name}.score(X, y) on a fitted estimator: (X, y) is not the data it was "
                f"fitted on. A transferability estimator scores the data it is given; it has "
                f"no fitted model to evaluate on new data, so cross-validation "
                f"(cross_val_score, GridSearchCV) cannot use it. For the transferability of "
                f"new data use {name}().score(X, y) or clone(est).fit(X, y).score_; for the "
                f"fitted data, est.score_."
            )
        return self.score_

    def score_models(self, Xs: Sequence[Any], y: Any) -> np.ndarray:
        """Scores of several PTMs on one task, one array of ``Xs`` per PTM.

        The entry point rankers use. By default each PTM is scored independently
        (``[self.score(X, y) for X in Xs]``); methods whose score of a PTM depends on the
        whole set (``set_level = True``, e.g. NCTI) override it, and methods with a faster
        batched computation may override it too.

        Parameters
        ----------
        Xs : sequence of array-like
            One input (features or probabilities, see ``input_kind``) per PTM; all with the
            same number of samples as ``y``.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Labels or targets of the task.

        Returns
        -------
        scores : ndarray of shape (len(Xs),)
            Higher = better.
        """
        return np.array([clone(self).fit(X, y).score_ for X in Xs], dtype=np.float64)

    def _scores_whole_task(self) -> bool:
        """Whether callers must hand `score_models` every PTM of a task at once.

        True for set-level methods, and for methods that define their own `score_models`
        (e.g. OTCE with one source set per PTM, in the zoo's order); the others may be
        scored one PTM at a time, in parallel.
        """
        return self.set_level or (
            type(self).score_models is not BaseTransferabilityEstimator.score_models
        )

    # -- validation -----------------------------------------------------------------------------
    def _validate_input(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        name = type(self).__name__
        if y is None:
            raise ValueError(f"{name} requires y to be passed, but the target y is None.")
        X, y = self._check_arrays(X, y, reset=True)
        self._fit_fingerprint = _fingerprint(X, y)
        if self.input_kind == "probas":
            if getattr(self, "source_output", "probas") == "logits":
                # Softmax in a new array (scipy's is stable): X is never modified.
                X = special.softmax(X, axis=1)
            else:
                self._check_probas(X)
        target = type_of_target(y)
        if target in ("continuous", "continuous-multioutput") or (
            self.supports_regression and np.ndim(y) == 2
        ):
            if not self.supports_regression:
                raise ValueError(
                    f"{name} needs class labels; y looks like continuous targets ({target})."
                )
            y = np.asarray(y, dtype=np.float64)
            # Targets have no classes: a refit on them must not keep an earlier fit's.
            self.__dict__.pop("classes_", None)
            if not np.isfinite(y).all():
                raise ValueError(f"{name}: y contains NaN or infinity.")
            return X, y.reshape(len(y), -1)
        if target not in ("binary", "multiclass"):
            # "Unknown label type" is the phrase scikit-learn's checks expect for y of type
            # "unknown" (e.g. an object array of numbers).
            raise ValueError(
                f"{name} needs 1-D class labels; Unknown label type: y is of type {target!r}."
            )
        self.classes_, y = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{name} needs at least 2 classes in y; got only {self.classes_.tolist()}."
            )
        counts = np.bincount(y)
        if counts.min() < self._min_samples_per_class:
            small = self.classes_[counts < self._min_samples_per_class]
            raise ValueError(
                f"{name} needs at least {self._min_samples_per_class} samples per class; "
                f"classes {small[:10].tolist()} have fewer."
            )
        return X, y.astype(np.intp)

    def _check_arrays(self, X: Any, y: Any, *, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        return validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=[np.float64, np.float32] if self._keep_float32 else np.float64,
            multi_output=self.supports_regression,
            y_numeric=False,
            ensure_min_samples=2,
        )

    def _check_probas(self, P: np.ndarray) -> None:
        name = type(self).__name__
        if (P < 0).any():
            raise ValueError(
                f"{name} takes source-class probabilities; X has negative entries (logits?). "
                "Pass softmax(logits, axis=1)."
            )
        err = np.abs(P.sum(axis=1) - 1.0).max()
        if err > _PROBA_ATOL:
            raise ValueError(
                f"{name} takes source-class probabilities whose rows sum to 1; a row of X is "
                f"off by {err:.3g}. Pass softmax(logits, axis=1)."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.non_deterministic = False
        if self.input_kind == "probas" and getattr(self, "source_output", "probas") == "probas":
            tags.input_tags.positive_only = True
        return tags
