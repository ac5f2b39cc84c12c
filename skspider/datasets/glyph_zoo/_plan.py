"""The glyph zoo's build plans: the PTMs, the domain split, the task design, the protocols.

Everything a build does is fixed by its plan and its seed. A plan is plain data (JSON-able):
the manifest records it, and each stage's cache key is a fingerprint of the part of the plan
it reads (`fingerprint`), so that changing one part rebuilds only what depends on it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from typing import Any

import numpy as np

__all__ = ["PLANS", "fingerprint", "get_plan", "task_definitions"]

SOURCES = ("latin", "cyrillic", "georgian", "arabic", "canadian", "math")

#: The domain split of the full plan: three disjoint sets of domains, none of them a PTM's
#: pre-training source (nor a style of one). The ranker learns on the training domains only;
#: the validation domains choose hyper-parameters (learning rates of the truth, the
#: re-ranking k, the proxy estimators); the test domains measure. Each set mixes scripts,
#: symbol blocks and (for training and test) a real-image domain, so that every split holds
#: tasks near to and far from the sources.
DOMAIN_SPLIT: dict[str, tuple[str, ...]] = {
    "train": (
        "armenian",
        "tifinagh",
        "lao",
        "olditalic",
        "lisu",
        "ogham",
        "symbols",
        "technical",
        "box",
        "domino",
        "yijing",
        "letterlike",
        "emoticons",
        "photo",
    ),
    "validation": ("nko", "arrows", "taixuan", "cards"),
    "test": ("greek", "hebrew", "braille", "shapes", "dingbats", "digits", "handwritten"),
}


def _spec(family: str, width: int, source: str, objective: str, index: int) -> dict:
    tag = {"supervised": "", "simclr": "-simclr", "autoencoder": "-ae"}[objective]
    return {
        "name": f"{family}{width}-{source}{tag}",
        "family": family,
        "width": width,
        "source": source,
        "objective": objective,
        # Offsets of the build seed for the initial weights and the pre-training draws
        # (the position of the PTM in the first plan: kept, so the weights stay the same).
        "init_seed": 1000 + index,
        "train_seed": 2000 + index,
    }


def _zoo_full() -> list[dict]:
    sup = "supervised"
    specs = [("lenet", 8, s, sup) for s in SOURCES]
    specs += [("resnet", 16, s, sup) for s in ("latin", "arabic", "canadian", "math")]
    specs += [("mobilenet", 16, s, sup) for s in ("cyrillic", "georgian", "math")]
    specs += [("vgg", 16, s, sup) for s in ("latin", "canadian", "union")]
    specs += [("mlp", 128, s, sup) for s in ("cyrillic", "arabic")]
    specs += [("vit", 48, s, sup) for s in ("georgian", "union")]
    specs += [("resnet", 8, "union", sup), ("lenet", 16, "union", sup)]
    # Pre-trained without labels: no source head.
    specs += [("lenet", 8, "union", "simclr"), ("mlp", 128, "union", "autoencoder")]
    return [_spec(*s, index=i) for i, s in enumerate(specs)]


#: The build plans. ``tasks``: per split, the domains and the number of tasks; ``design``:
#: the task sizes, drawn per task (log-uniform ways and shots, within what the domain holds);
#: ``finetune``: the truth's protocol, its learning-rate grid (chosen per family on the
#: validation tasks with ``grid_seeds``) and the seeds of each split; ``proxy``: the
#: estimators of the training tasks' proxy ranks (the cheap labels) and those whose agreement
#: with the truth the report gives; ``ranker``: the shipped ranker's parameters, its labels
#: and what its ``shrinkage="auto"`` holds out (whole training domains: ``"domain"``).
PLANS: dict[str, dict] = {
    "full": {
        "sources": SOURCES,
        "max_source_classes": 120,
        "pretrain_per_class": 60,
        "zoo": _zoo_full(),
        "pretrain": {"steps": 600, "batch_size": 64, "lr": 2e-3, "augment": 0.5},
        "encoder": {"family": "resnet", "width": 24, "steps": 1200},
        "tasks": {
            "train": {"domains": DOMAIN_SPLIT["train"], "n": 160},
            "validation": {"domains": DOMAIN_SPLIT["validation"], "n": 12},
            "test": {"domains": DOMAIN_SPLIT["test"], "n": 24},
        },
        "design": {"n_way": (5, 30), "n_shot": (5, 100), "n_test": 20},
        "finetune": {
            "epochs": 15,
            "batch_size": 50,
            "max_steps": 90,
            "lrs": (1e-3, 3e-3, 1e-2),
            "grid_seeds": (0,),
            "seeds": {"train": (0,), "validation": (0, 1, 2), "test": (0, 1, 2)},
        },
        "proxy": {
            "estimators": ("LogME", "PARC"),
            "report_estimators": ("LogME", "PARC", "LEEP", "NCE", "HScore", "NLEEP", "GBC"),
        },
        "ranker": {"labels": "truth", "hold_out": "domain", "params": {}},
    },
    "tiny": {
        "sources": ("latin", "math"),
        "max_source_classes": 8,
        "pretrain_per_class": 6,
        "zoo": [
            _spec("lenet", 2, "latin", "supervised", 0),
            _spec("mlp", 16, "math", "supervised", 1),
            _spec("lenet", 2, "union", "autoencoder", 2),
        ],
        "pretrain": {"steps": 3, "batch_size": 8, "lr": 2e-3, "augment": 0.5},
        "encoder": {"family": "mlp", "width": 16, "steps": 3},
        "tasks": {
            "train": {"domains": ("armenian", "photo"), "n": 6},
            "validation": {"domains": ("nko",), "n": 2},
            "test": {"domains": ("greek", "handwritten"), "n": 2},
        },
        "design": {"n_way": (3, 4), "n_shot": (3, 5), "n_test": 3},
        "finetune": {
            "epochs": 1,
            "batch_size": 6,
            "max_steps": 3,
            "lrs": (1e-3, 3e-3),
            "grid_seeds": (0,),
            "seeds": {"train": (0,), "validation": (0, 1, 2), "test": (0, 1, 2)},
        },
        "proxy": {"estimators": ("LogME", "PARC"), "report_estimators": ("LogME", "PARC", "LEEP")},
        "ranker": {
            "labels": "truth",
            "hold_out": "domain",
            "params": {"d_model": 8, "lr": 1e-2, "max_iter": 10, "batch_size": 4},
        },
    },
}

SPLITS = ("train", "validation", "test")
_PREFIX = {"train": "train", "validation": "val", "test": "test"}


def get_plan(mode: str) -> dict:
    """A deep copy of the plan ``mode``, normalised to JSON types (tuples become lists)."""
    if mode not in PLANS:
        raise ValueError(f"Unknown glyph zoo plan {mode!r}; plans: {sorted(PLANS)}.")
    return json.loads(json.dumps(copy.deepcopy(PLANS[mode])))


def fingerprint(*parts: Any) -> str:
    """A short hex digest of JSON-able ``parts`` (dict keys sorted): a cache key."""
    text = json.dumps(parts, sort_keys=True, default=_json_default, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _log_uniform_int(rng: np.random.RandomState, lo: int, hi: int) -> int:
    """An integer in [lo, hi], log-uniform (every factor of size equally likely)."""
    return int(min(hi, math.floor(math.exp(rng.uniform(math.log(lo), math.log(hi + 1))))))


def task_definitions(
    plan: dict, seed: int, split: str, *, n: int | None = None, offset: int = 0
) -> list[dict]:
    """The definitions of a split's tasks: name, domain, style, sizes and rendering seed.

    Domains take turns (task ``t`` is on domain ``t mod n_domains``); ways and shots are
    log-uniform within the design's ranges and within what the domain holds (its classes;
    for the handwritten digits, the images of the rarest digit). ``n`` and ``offset`` make
    further tasks of the same design (``offset`` shifts the random stream and the names, so
    new tasks never repeat the plan's own).
    """
    from ._glyphs import IMAGE_DOMAINS, _max_per_class, _n_classes

    spec = plan["tasks"][split]
    design = plan["design"]
    domains = spec["domains"]
    n = spec["n"] if n is None else n
    rng = np.random.RandomState([seed, 11 + SPLITS.index(split), offset])
    out = []
    for i in range(n):
        t = offset + i
        domain = domains[t % len(domains)]
        style = "real" if domain in IMAGE_DOMAINS else "sans"
        classes = _n_classes(domain, "sans")
        n_way = _log_uniform_int(rng, design["n_way"][0], min(design["n_way"][1], classes))
        most = _max_per_class(domain) - design["n_test"]
        n_shot = _log_uniform_int(rng, design["n_shot"][0], min(design["n_shot"][1], most))
        out.append(
            {
                "name": f"{_PREFIX[split]}{t:03d}-{domain}-{style}",
                "split": split,
                "domain": domain,
                "style": style,
                "n_way": n_way,
                "n_shot": n_shot,
                "n_test": design["n_test"],
                "seed": int(rng.randint(2**31 - 1)),
            }
        )
    return out
