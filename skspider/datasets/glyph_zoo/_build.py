"""`build_glyph_zoo`: the build, stage by stage, and the default folders."""

from __future__ import annotations

import os
import time
from numbers import Integral
from pathlib import Path

from ..._sklearn_compat import Interval, StrOptions, validate_params
from ._plan import PLANS, get_plan
from ._stages import Builder, Log
from ._store import WorkDir, save_json

__all__ = ["STAGES", "build_glyph_zoo", "default_folder"]

#: The stages, in order. Each computes only what its cache lacks.
STAGES = ("render", "pretrain", "encoder", "features", "truth", "proxy", "ranker", "artifacts")


def default_folder(kind: str, mode: str) -> Path:
    """``$XDG_CACHE_HOME/skspider/glyph_zoo/<mode>/<kind>`` (``~/.cache`` without it):
    where a build writes its artifacts (``kind="zoo"``) and its stage cache (``"work"``)
    unless told otherwise. Never inside the installed package."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "skspider" / "glyph_zoo" / mode / kind


@validate_params(
    {
        "out_dir": [str, os.PathLike, None],
        "mode": [StrOptions(set(PLANS))],
        "work_dir": [str, os.PathLike, None],
        "reuse": [str, os.PathLike, None],
        "until": [StrOptions(set(STAGES)), None],
        "device": [str],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "n_jobs": [Interval(Integral, 1, None, closed="left")],
        "random_state": [Interval(Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def build_glyph_zoo(
    out_dir: str | os.PathLike | None = None,
    *,
    mode: str = "full",
    work_dir: str | os.PathLike | None = None,
    reuse: str | os.PathLike | None = None,
    until: str | None = None,
    device: str = "auto",
    n_threads: int | None = None,
    n_jobs: int = 1,
    random_state: int = 0,
    verbose: int = 1,
) -> dict | None:
    """Build the glyph zoo (resumably) and write its artifacts.

    The stages (`STAGES`), each cached in ``work_dir`` under a fingerprint of its own inputs
    (see the module ``_stages``): ``render`` (every task's images: the training, validation
    and test tasks of the plan's domain split), ``pretrain`` (every PTM), ``encoder`` (the
    general encoder), ``features`` (every network's forward pass over every task),
    ``truth`` (`skspider.zoo.finetune_accuracy` of every PTM: the validation tasks at each
    learning rate of the grid, then every task at its family's chosen rate, with each
    split's seeds), ``proxy`` (transferability estimators' scores), ``ranker`` (the
    `~skspider.spider.SpiderRanker` trained on the training tasks' records, and the
    re-ranking k chosen on the validation tasks) and ``artifacts`` (the files of the
    versioned format, with the report, in ``out_dir``). A rerun computes only what is
    missing; a changed plan only what its change reaches.

    Parameters
    ----------
    out_dir : path-like, default=None
        Where the artifacts go; None: ``default_folder("zoo", mode)``, a user cache folder
        (``~/.cache/skspider/glyph_zoo/<mode>/zoo``). Load them with
        ``load_glyph_zoo(out_dir)``.
    mode : {"full", "tiny"}, default="full"
        The plan (`PLANS`): the full zoo (about 3 hours on 2 CPU cores with ``n_jobs=2``,
        most of it fine-tuning; see ``docs/glyph_zoo.rst``) or a miniature for tests.
    work_dir : path-like, default=None
        The stage cache (a few GB for the full plan, mostly features); None:
        ``default_folder("work", mode)``.
    reuse : path-like, default=None
        A built zoo whose PTMs and encoder were pre-trained exactly as this plan would (same
        specs, sources, settings and seed): they are taken instead of pre-trained again.
    until : str, default=None
        Run the stages up to and including this one only (no artifacts unless
        ``"artifacts"``): to run the long stages first, in the background, say.
    device : str, default="auto"
        Where torch runs ("auto": CUDA when available).
    n_threads : int, default=None
        torch's CPU threads for the build (None leaves torch's setting).
    n_jobs : int, default=1
        Processes for the fine-tuning runs (one torch thread each). Ignored on CUDA.
    random_state : int, default=0
        The build's seed.
    verbose : int, default=1
        0 silent; 1 a line per stage and progress bars on ``sys.stderr``; 2 also a bar per
        PTM's pre-training steps.

    Returns
    -------
    manifest : dict or None
        The manifest of the artifacts (None when ``until`` stops before them).
    """
    import torch

    from ..._device import resolve_device

    plan = get_plan(mode)
    out = Path(out_dir) if out_dir is not None else default_folder("zoo", mode)
    work = WorkDir(work_dir if work_dir is not None else default_folder("work", mode))
    dev = resolve_device(device)
    old_threads = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(int(n_threads))
    log = Log(verbose)
    log(f"building the {mode} glyph zoo on {dev} into {out} (work folder {work.root})")
    builder = Builder(plan, work, dev, int(random_state), log, 1 if dev.type == "cuda" else n_jobs)
    timings: dict[str, float] = {}
    manifest = None
    try:
        if reuse is not None:
            builder.reuse(reuse)
        for stage in STAGES:
            t0 = time.perf_counter()
            if stage == "artifacts":
                from ._format import write_artifacts

                manifest = write_artifacts(builder, out, mode, timings)
            elif stage == "ranker":
                from ._ranking import train_ranker

                train_ranker(builder)
            elif stage == "proxy":
                builder.proxy_scores()
            else:
                getattr(builder, stage)()
            timings[stage] = time.perf_counter() - t0
            log(f"{stage}: done in {timings[stage] / 60:.1f} min")
            save_json(timings, work.root / f"timings-{int(log.start)}.json")
            if stage == until:
                break
    finally:
        torch.set_num_threads(old_threads)
    return manifest
