"""The glyph zoo: a real model zoo built on a CPU, with fine-tuned ground truth.

The plan (`PLANS`: PTMs, domain split, task design, protocols), the rendered glyph tasks
(`make_glyph_task`, `glyph_classes`), the build (`build_glyph_zoo`, stage by stage, each
cached by a fingerprint of its inputs), the versioned format (`FORMAT_VERSION`, `SCHEMA`),
the report (`glyph_zoo_report`) and the loader (`load_glyph_zoo`).
"""

from ._build import STAGES, build_glyph_zoo, default_folder
from ._format import FORMAT_VERSION, SCHEMA, GlyphZooVersionWarning, load_ranker, save_ranker
from ._glyphs import DOMAINS, glyph_classes, make_glyph_task
from ._load import GlyphZoo, load_glyph_zoo
from ._plan import DOMAIN_SPLIT, PLANS, task_definitions
from ._report import glyph_zoo_report, noise_ceiling, truth_tables

__all__ = [
    "DOMAINS",
    "DOMAIN_SPLIT",
    "FORMAT_VERSION",
    "PLANS",
    "SCHEMA",
    "STAGES",
    "GlyphZoo",
    "GlyphZooVersionWarning",
    "build_glyph_zoo",
    "default_folder",
    "glyph_classes",
    "glyph_zoo_report",
    "load_glyph_zoo",
    "load_ranker",
    "make_glyph_task",
    "noise_ceiling",
    "save_ranker",
    "task_definitions",
    "truth_tables",
]
