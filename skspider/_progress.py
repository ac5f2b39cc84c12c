"""Progress bars for the long jobs that take ``verbose``, in one place.

Every long loop of the package (extraction over a zoo, scoring (task, PTM) pairs, ranker
training, the glyph-zoo build, the benchmarks) reports through `progress_bar`:

* a `tqdm <https://tqdm.github.io>`_ bar on ``sys.stderr`` when tqdm is installed (an
  optional dependency: the ``progress`` extra), else a plain line on ``sys.stderr`` at every
  10% of the work (and at the end), so the output never depends on an optional package for
  its content, only for its look;
* nothing at all when ``verbose`` is 0 (tqdm is then not even imported);
* never on standard output, which belongs to results (the command line's tables and JSON).

A bar is a local object of the loop that reports: never keep one on an estimator (an
estimator must stay picklable and clonable) and never send one to a joblib worker. With
``Parallel(return_as="generator")`` the bar stays in the parent and is advanced as results
come back::

    with progress_bar(total=len(jobs), desc="score_zoo", verbose=verbose) as bar:
        for result in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
            ...
            bar.update()

This module imports no skspider package: every layer may use it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from numbers import Integral, Real
from typing import Any, TypeVar

__all__ = ["ProgressBar", "progress_bar", "track", "write_line"]

T = TypeVar("T")

# Display refresh of tqdm bars (seconds): frequent enough to see it move, rare enough that
# a loop of fast steps (ranker training) spends no time drawing.
_MININTERVAL = 0.5
# The plain fallback prints a line each time the work crosses a multiple of this fraction.
_FALLBACK_STEP = 0.1
# ... and, when the total is unknown, at most one line per this many seconds.
_FALLBACK_SECONDS = 5.0


def _tqdm_class():
    """tqdm's class, or None when tqdm is not importable (it is an optional dependency)."""
    try:
        from tqdm import tqdm  # the console bar: tqdm.auto's notebook widget ignores file=
    except ImportError:
        return None
    return tqdm


class _Silent:
    """The bar of ``verbose=0``: every method does nothing."""

    def update(self, n: float = 1) -> None:
        pass

    def set_postfix(self, **values: Any) -> None:
        pass

    def write(self, message: str, file: Any = None) -> None:
        if file is not None:  # a result, not progress: printed even when quiet
            print(message, file=file, flush=True)

    def close(self) -> None:
        pass


class _Lines:
    """The fallback without tqdm: a line on stderr at every 10% of the work and at the end."""

    def __init__(self, total: float | None, desc: str, unit: str):
        self.total, self.desc, self.unit = total, desc, unit
        self.n = 0.0
        self.start = self.last = time.perf_counter()
        self.next = _FALLBACK_STEP
        self.postfix = ""
        self.printed_at: float | None = None
        self.closed = False

    def _line(self) -> None:
        elapsed = time.perf_counter() - self.start
        done = f"{self.n:g}/{self.total:g}" if self.total else f"{self.n:g}"
        pct = f" ({100 * self.n / self.total:.0f}%)" if self.total else ""
        post = f", {self.postfix}" if self.postfix else ""
        print(
            f"[{self.desc}] {done} {self.unit}{pct}, {elapsed:.1f} s{post}",
            file=sys.stderr,
            flush=True,
        )
        self.printed_at = self.n
        self.last = time.perf_counter()

    def update(self, n: float = 1) -> None:
        self.n += n
        if self.total:
            frac = self.n / self.total
            if frac + 1e-12 >= self.next:
                # The next multiple of the step above this fraction (several may be skipped).
                self.next = (int(frac / _FALLBACK_STEP + 1e-9) + 1) * _FALLBACK_STEP
                self._line()
        elif time.perf_counter() - self.last >= _FALLBACK_SECONDS:
            self._line()

    def set_postfix(self, **values: Any) -> None:
        self.postfix = ", ".join(f"{k}={_fmt(v)}" for k, v in values.items())

    def write(self, message: str, file: Any = None) -> None:
        print(message, file=sys.stderr if file is None else file, flush=True)

    def close(self) -> None:
        if not self.closed and self.n and self.printed_at != self.n:
            self._line()  # the last state, when no 10% mark printed it
        self.closed = True


def _fmt(value: Any) -> str:
    real = isinstance(value, Real) and not isinstance(value, (Integral, bool))
    return f"{value:.4g}" if real else str(value)  # numpy floats too


class ProgressBar:
    """A progress bar on ``sys.stderr`` (see the module docstring); use `progress_bar`.

    Methods: ``update(n=1)`` advances it, ``set_postfix(**values)`` sets the values shown
    after it (floats with 4 significant digits), ``write(message, file=None)`` prints a
    line above it without breaking it (on stderr, and only when the bar is not silent; a
    ``file`` such as ``sys.stdout`` is always written to: results printed during the loop),
    ``close()`` ends it (a ``with`` block closes it too).
    """

    def __init__(self, backend: Any):
        self._backend = backend

    def update(self, n: float = 1) -> None:
        self._backend.update(n)

    def set_postfix(self, **values: Any) -> None:
        if isinstance(self._backend, (_Silent, _Lines)):
            self._backend.set_postfix(**values)
        else:  # drawn at the next refresh of the bar, not now (cheap in a fast loop)
            self._backend.set_postfix({k: _fmt(v) for k, v in values.items()}, refresh=False)

    def write(self, message: str, file: Any = None) -> None:
        if isinstance(self._backend, (_Silent, _Lines)):
            self._backend.write(message, file)
        else:  # tqdm clears its bars, prints the line and draws them again
            self._backend.write(message, file=sys.stderr if file is None else file)

    def close(self) -> None:
        self._backend.close()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __reduce__(self):
        raise TypeError(
            "A progress bar lives in the process that reports: it is never pickled (keep it "
            "off estimators and out of joblib jobs)."
        )


def progress_bar(
    total: float | None = None,
    *,
    desc: str,
    verbose: int | bool,
    unit: str = "it",
    leave: bool = True,
) -> ProgressBar:
    """A progress bar on ``sys.stderr``: tqdm's when installed, else plain lines; silent at
    ``verbose=0``.

    The bar of every long loop of skspider, public as `skspider.utils.progress_bar` for
    scripts that loop over skspider's work themselves (the benchmarks do).

    Parameters
    ----------
    total : float, default=None
        The amount of work (None: unknown).
    desc : str
        What is running (shown before the bar).
    verbose : int or bool
        0 (or False): the bar does nothing and tqdm is not imported.
    unit : str, default="it"
        The unit of the work (``"PTM"``, ``"pair"``, ``"step"``, ...).
    leave : bool, default=True
        Keep the finished bar on screen (False for inner bars of nested loops); the plain
        fallback always prints its last line.

    Returns
    -------
    bar : ProgressBar
        With ``update``, ``set_postfix``, ``write`` and ``close``; a context manager.

    Examples
    --------
    >>> from skspider.utils import progress_bar
    >>> with progress_bar(total=3, desc="demo", verbose=0) as bar:
    ...     for _ in range(3):
    ...         bar.update()
    """
    if not verbose:
        return ProgressBar(_Silent())
    tqdm = _tqdm_class()
    if tqdm is None:
        return ProgressBar(_Lines(total, desc, unit))
    return ProgressBar(
        tqdm(
            total=total,
            desc=desc,
            unit=unit,
            leave=leave,
            file=sys.stderr,
            mininterval=_MININTERVAL,
            dynamic_ncols=True,
        )
    )


def track(
    iterable: Iterable[T],
    *,
    desc: str,
    verbose: int | bool,
    total: float | None = None,
    unit: str = "it",
    leave: bool = True,
) -> Iterator[T]:
    """Yield the items of ``iterable``, advancing a `progress_bar` by one after each.

    ``total`` defaults to ``len(iterable)`` when it has one. The bar counts an item when
    it arrives (before the loop body runs on it), so a joblib generator
    (``Parallel(return_as="generator")``) is counted as its results come back, and the
    count is complete even when the loop stops right after the last item (``zip`` with a
    shorter sequence). The bar is closed when the loop ends, breaks or raises.

    Examples
    --------
    >>> from skspider._progress import track
    >>> [x * x for x in track(range(4), desc="squares", verbose=0)]
    [0, 1, 4, 9]
    """
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    with progress_bar(total, desc=desc, verbose=verbose, unit=unit, leave=leave) as bar:
        for item in iterable:
            bar.update()
            yield item


def write_line(message: str) -> None:
    """Print ``message`` on ``sys.stderr`` without breaking the tqdm bars open at the time
    (tqdm clears them, prints the line and draws them again below it).

    For the messages that are not progress (stage lines, summaries) of a loop that also
    shows bars. Uses tqdm only when it is already imported (a bar may then be open).

    Examples
    --------
    >>> from skspider._progress import write_line
    >>> write_line("stage 1: done")  # on stderr
    """
    tqdm = sys.modules.get("tqdm")
    if tqdm is not None and hasattr(tqdm, "tqdm"):
        tqdm.tqdm.write(message, file=sys.stderr)
    else:
        print(message, file=sys.stderr, flush=True)
