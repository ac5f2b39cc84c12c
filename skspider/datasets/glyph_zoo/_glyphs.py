"""Glyph images: 32x32 grayscale characters rendered from the fonts matplotlib ships.

Domains are Unicode scripts and symbol blocks; a class is one code point (glyphs that render
identically in the domain's reference font are merged), a sample is one rendering of it in a
font of the chosen style with a random affine jitter, stroke weight, blur and noise. Two
real-image domains complete them: scikit-learn's handwritten digits and patches of its two
sample photographs. Everything is deterministic given a seed and needs no download.
"""

from __future__ import annotations

import os
from functools import cache, lru_cache
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from ..._sklearn_compat import Interval, StrOptions, validate_params
from ...base import Task

__all__ = [
    "DOMAINS",
    "STYLES",
    "augment_images",
    "glyph_classes",
    "make_glyph_task",
    "render_domain",
]

SIZE = 32  # output side in pixels
_EM = 26  # font size in pixels: a capital Latin letter is about 19 px high
_FIT = 30  # a glyph larger than this (in either direction) is scaled down to fit

#: Unicode ranges (inclusive) of each glyph domain. Only code points the fonts really have
#: become classes (see `glyph_classes`).
DOMAINS: dict[str, tuple[tuple[int, int], ...]] = {
    "latin": ((0x41, 0x5A), (0x61, 0x7A)),
    "greek": ((0x391, 0x3A9), (0x3B1, 0x3C9)),
    "cyrillic": ((0x400, 0x45F),),
    "armenian": ((0x531, 0x556), (0x561, 0x587)),
    "georgian": ((0x10A0, 0x10FF),),
    "hebrew": ((0x5D0, 0x5EA),),
    "arabic": ((0x621, 0x64A), (0xFE80, 0xFEFC)),
    "tifinagh": ((0x2D30, 0x2D7F),),
    "nko": ((0x7C0, 0x7FF),),
    "lao": ((0xE80, 0xEFF),),
    "canadian": ((0x1400, 0x167F),),
    "digits": ((0x30, 0x39), (0x2070, 0x2089), (0x2150, 0x2188), (0x2460, 0x24FF)),
    "math": ((0x2200, 0x22FF),),
    "arrows": ((0x2190, 0x21FF),),
    "box": ((0x2500, 0x257F),),
    "braille": ((0x2801, 0x28FF),),
    "shapes": ((0x25A0, 0x25FF),),
    "dingbats": ((0x2700, 0x27BF),),
    "ogham": ((0x1681, 0x169A),),
    "olditalic": ((0x10300, 0x1032F),),
    "lisu": ((0xA4D0, 0xA4FF),),
    "symbols": ((0x2600, 0x26FF),),
    "technical": ((0x2300, 0x23FF),),
    "domino": ((0x1F030, 0x1F09F),),
    "yijing": ((0x4DC0, 0x4DFF),),
    "taixuan": ((0x1D300, 0x1D356),),
    "cards": ((0x1F0A0, 0x1F0FF),),
    "emoticons": ((0x1F600, 0x1F64F),),
    "letterlike": ((0x2100, 0x214F),),
}

#: Real-image domains (not rendered): scikit-learn's handwritten digits, photo patches.
IMAGE_DOMAINS = ("handwritten", "photo")

#: Font files of each style (in matplotlib's ``fonts/ttf`` folder). Computer Modern files
#: use TeX's encoding, so they render only ASCII letters and digits.
STYLES: dict[str, tuple[str, ...]] = {
    "sans": (
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "DejaVuSans-Oblique.ttf",
        "DejaVuSans-BoldOblique.ttf",
        "DejaVuSansMono.ttf",
        "DejaVuSansMono-Bold.ttf",
        "DejaVuSansMono-Oblique.ttf",
        "DejaVuSansMono-BoldOblique.ttf",
    ),
    "serif": (
        "DejaVuSerif.ttf",
        "DejaVuSerif-Bold.ttf",
        "DejaVuSerif-Italic.ttf",
        "DejaVuSerif-BoldItalic.ttf",
        "STIXGeneral.ttf",
        "STIXGeneralBol.ttf",
        "STIXGeneralItalic.ttf",
        "STIXGeneralBolIta.ttf",
        "cmr10.ttf",
        "cmb10.ttf",
        "cmti10.ttf",
        "cmss10.ttf",
        "cmtt10.ttf",
    ),
}
_REFERENCE_FONT = "DejaVuSans.ttf"
_ASCII_ALNUM = (
    frozenset(range(0x30, 0x3A)) | frozenset(range(0x41, 0x5B)) | frozenset(range(0x61, 0x7B))
)


def _font_dir() -> str:
    import matplotlib

    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf")


def _style_fonts(style: str) -> tuple[str, ...]:
    if style == "all":
        return STYLES["sans"] + STYLES["serif"]
    if style in STYLES:
        return STYLES[style]
    fname = style if style.endswith(".ttf") else style + ".ttf"
    if os.path.exists(os.path.join(_font_dir(), fname)):
        return (fname,)
    raise ValueError(
        f"Unknown style {style!r}: use one of {[*sorted(STYLES), 'all']} or the name of a font "
        f"file in matplotlib's font folder ({_font_dir()})."
    )


@lru_cache(maxsize=64)
def _font(fname: str):
    from matplotlib import ft2font

    return ft2font.FT2Font(os.path.join(_font_dir(), fname))


@lru_cache(maxsize=64)
def _charmap(fname: str) -> frozenset:
    codes = frozenset(_font(fname).get_charmap())
    if fname.startswith("cm"):
        codes = codes & _ASCII_ALNUM
    return codes


@lru_cache(maxsize=256)
def _pil_font(fname: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(os.path.join(_font_dir(), fname), size)


def _draw(fname: str, code: int, size: int) -> np.ndarray:
    from PIL import Image, ImageDraw

    font = _pil_font(fname, size)
    ascent, descent = font.getmetrics()
    canvas = Image.new("L", (2 * SIZE, 2 * SIZE), 0)
    # Horizontally centred on its advance, the em box vertically centred: a glyph keeps its
    # place in the em (a full stop sits low, Braille dots keep their cells).
    ImageDraw.Draw(canvas).text(
        (SIZE, SIZE + (ascent - descent) / 2), chr(code), fill=255, font=font, anchor="ms"
    )
    return np.asarray(canvas)


@cache
def _render(fname: str, code: int) -> np.ndarray | None:
    """The clean glyph in a SIZE x SIZE uint8 canvas; None if it has no ink."""
    size = _EM
    for _ in range(4):
        img = _draw(fname, code, size)
        rows, cols = np.nonzero(img > 24)
        if rows.size < 3:
            return None
        extent = max(
            SIZE - rows.min(), rows.max() + 1 - SIZE, SIZE - cols.min(), cols.max() + 1 - SIZE
        )
        if extent <= _FIT // 2:
            break
        # Too large for the canvas: render smaller.
        size = max(6, int(size * (_FIT // 2) / extent))
    else:  # still too large: crop around the ink instead of the em
        rows, cols = np.nonzero(img > 24)
        cy, cx = (rows.min() + rows.max()) // 2, (cols.min() + cols.max()) // 2
        lo_r, lo_c = np.clip([cy - SIZE // 2, cx - SIZE // 2], 0, SIZE)
        return np.ascontiguousarray(img[lo_r : lo_r + SIZE, lo_c : lo_c + SIZE])
    return np.ascontiguousarray(img[SIZE // 2 : SIZE // 2 + SIZE, SIZE // 2 : SIZE // 2 + SIZE])


def _check_domain(domain: str) -> None:
    if domain not in DOMAINS and domain not in IMAGE_DOMAINS:
        raise ValueError(
            f"Unknown domain {domain!r}; glyph domains are {sorted(DOMAINS)}, image domains "
            f"{list(IMAGE_DOMAINS)}."
        )


@cache
def _classes(domain: str, style: str) -> tuple[tuple[int, tuple[str, ...]], ...]:
    fonts = _style_fonts(style)
    seen: set[bytes] = set()
    out = []
    for lo, hi in DOMAINS[domain]:
        for code in range(lo, hi + 1):
            have = tuple(f for f in fonts if code in _charmap(f) and _render(f, code) is not None)
            if not have:
                continue
            # Merge code points that look identical (in the reference font when it has
            # them): their labels could not be told apart.
            ref = _REFERENCE_FONT if code in _charmap(_REFERENCE_FONT) else have[0]
            img = _render(ref, code)
            if img is None:
                img = _render(have[0], code)
            key = (img > 96).tobytes()
            if key in seen:
                continue
            seen.add(key)
            out.append((code, have))
    return tuple(out)


@validate_params(
    {"domain": [str], "style": [str]},
    prefer_skip_nested_validation=True,
)
def glyph_classes(domain: str, style: str = "sans") -> list[int]:
    """The code points that are classes of a glyph domain in a style.

    A code point is a class when at least one font of the style has it (its charmap maps it
    and the glyph has ink); code points whose glyphs look the same in the reference font
    (DejaVu Sans) are kept once.

    Parameters
    ----------
    domain : str
        A key of `DOMAINS`.
    style : str, default="sans"
        ``"sans"``, ``"serif"``, ``"all"`` or a font file name of matplotlib's.

    Returns
    -------
    codes : list of int

    Examples
    --------
    >>> from skspider.datasets import glyph_classes
    >>> len(glyph_classes("latin")), chr(glyph_classes("greek")[0])
    (52, 'Α')
    """
    if domain not in DOMAINS:
        raise ValueError(f"Unknown glyph domain {domain!r}; use one of {sorted(DOMAINS)}.")
    return [code for code, _ in _classes(domain, style)]


# -- augmentation ------------------------------------------------------------------------------
def augment_images(
    images: Any, random_state: Any = None, *, strength: float = 1.0, device: Any = "cpu"
):
    """Random affine jitter, stroke weight, blur and noise of a batch of glyph images.

    The random parameters come from a NumPy generator (so a seed gives the same images on
    any device); the transforms run in torch on the whole batch at once.

    Parameters
    ----------
    images : uint8 ndarray or tensor of shape (n, 1, 32, 32)
    random_state : int, RandomState instance or None, default=None
    strength : float, default=1.0
        Scales every jitter (0: the images unchanged).
    device : str or torch.device, default="cpu"

    Returns
    -------
    out : torch.Tensor of shape (n, 1, 32, 32), float32 in [0, 1], on ``device``
    """
    import torch
    import torch.nn.functional as F

    rng = check_random_state(random_state)
    x = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    x = x.to(device=device, dtype=torch.float32) / 255.0
    n = x.shape[0]
    if strength <= 0 or n == 0:
        return x
    angle = np.deg2rad(rng.uniform(-10, 10, n) * strength)
    scale = np.exp(rng.uniform(-0.12, 0.12, n) * strength)
    shear = rng.uniform(-0.15, 0.15, n) * strength
    shift = rng.uniform(-2, 2, (n, 2)) * strength / (SIZE / 2)
    weight = rng.randint(-1, 2, n) if strength >= 0.5 else np.zeros(n, int)
    blur = rng.uniform(0, 1, n) * strength
    noise = rng.uniform(0, 0.08, n) * strength
    eps = rng.normal(size=x.shape).astype(np.float32)

    cos, sin = np.cos(angle), np.sin(angle)
    # Output->input map of affine_grid: the inverse of rotate @ shear @ scale, then shift.
    A = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    A = A @ np.stack(
        [np.stack([np.ones(n), shear], -1), np.stack([np.zeros(n), np.ones(n)], -1)], -2
    )
    A = A * scale[:, None, None]
    inv = np.linalg.inv(A)
    theta = np.concatenate([inv, -(inv @ shift[:, :, None])], axis=2)
    grid = F.affine_grid(
        torch.as_tensor(theta, dtype=torch.float32, device=x.device),
        list(x.shape),
        align_corners=False,
    )
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # Stroke weight: dilate (bolder) or half-erode (thinner) some glyphs.
    w = torch.as_tensor(weight, device=x.device)[:, None, None, None]
    dil = F.max_pool2d(x, 3, stride=1, padding=1)
    ero = -F.max_pool2d(-x, 3, stride=1, padding=1)
    x = torch.where(w > 0, 0.5 * x + 0.5 * dil, torch.where(w < 0, 0.5 * x + 0.5 * ero, x))
    # Blur: blend towards a Gaussian blur (sigma 0.8) by a random amount.
    k = np.exp(-0.5 * (np.arange(-2, 3) / 0.8) ** 2)
    k = torch.as_tensor(k / k.sum(), dtype=torch.float32, device=x.device)
    blurred = F.conv2d(F.pad(x, (2, 2, 2, 2), mode="replicate"), (k[:, None] * k[None])[None, None])
    b = torch.as_tensor(blur, dtype=torch.float32, device=x.device)[:, None, None, None]
    x = x + b * (blurred - x)
    s = torch.as_tensor(noise, dtype=torch.float32, device=x.device)[:, None, None, None]
    x = x + s * torch.as_tensor(eps, device=x.device)
    return x.clamp_(0.0, 1.0)


def _to_uint8(x) -> np.ndarray:
    return (x * 255).round_().to("cpu").numpy().astype(np.uint8)


def render_domain(
    domain: str,
    n_per_class: int,
    *,
    style: str = "sans",
    classes: Any = None,
    augment: float = 1.0,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Images of a domain: ``n_per_class`` samples of each class.

    Parameters
    ----------
    domain : str
        A glyph domain (`DOMAINS`), ``"handwritten"`` or ``"photo"``.
    n_per_class : int
        Samples per class.
    style : str, default="sans"
        Font style of a glyph domain (ignored for the image domains).
    classes : sequence of int, default=None
        The classes to render (code points; for the image domains, class indices); None: all.
    augment : float, default=1.0
        Strength of the augmentation (0: clean renderings).
    random_state : int, RandomState instance or None, default=None
        Seeds the fonts drawn and the augmentation.

    Returns
    -------
    images : ndarray of shape (n_classes * n_per_class, 1, 32, 32), dtype uint8
        Ink is bright (255) on a dark background.
    labels : ndarray of shape (n_classes * n_per_class,)
        The class (code point, or class index) of each image, grouped by class.
    """
    _check_domain(domain)
    rng = check_random_state(random_state)
    if domain == "handwritten":
        return _handwritten(n_per_class, classes, rng)
    if domain == "photo":
        return _photo(n_per_class, classes, rng)
    table = dict(_classes(domain, style))
    codes = list(table) if classes is None else [int(c) for c in classes]
    missing = [c for c in codes if c not in table]
    if missing:
        raise ValueError(
            f"Code points {[hex(c) for c in missing[:5]]} are not classes of domain "
            f"{domain!r} in style {style!r}."
        )
    clean = np.empty((len(codes) * n_per_class, 1, SIZE, SIZE), np.uint8)
    i = 0
    for code in codes:
        fonts = table[code]
        for f in rng.randint(len(fonts), size=n_per_class):
            clean[i, 0] = _render(fonts[f], code)
            i += 1
    images = _to_uint8(augment_images(clean, rng, strength=augment)) if augment > 0 else clean
    return images, np.repeat(np.asarray(codes, dtype=np.int64), n_per_class)


# -- real images -------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from scipy import ndimage
    from sklearn.datasets import load_digits

    data = load_digits()
    up = ndimage.zoom(
        data.images / 16.0, (1, SIZE / 8, SIZE / 8), order=1, grid_mode=True, mode="nearest"
    )
    return np.clip(np.round(up * 255), 0, 255).astype(np.uint8), data.target.astype(np.int64)


def _handwritten(n_per_class, classes, rng):
    images, target = _digits()
    labels = np.arange(10) if classes is None else np.asarray(classes, dtype=np.int64)
    out_x, out_y = [], []
    for c in labels:
        members = np.flatnonzero(target == c)
        if members.size == 0:
            raise ValueError(f"Handwritten digits have classes 0..9, not {c}.")
        if n_per_class > members.size:
            raise ValueError(
                f"Digit {c} has {members.size} images; n_per_class={n_per_class} is too many."
            )
        pick = rng.choice(members, size=n_per_class, replace=False)
        out_x.append(images[pick])
        out_y.append(np.full(n_per_class, c))
    return np.concatenate(out_x)[:, None], np.concatenate(out_y)


#: Photo patches: each sample photo is cut into a 4x5 grid of cells; a class is one cell with
#: texture (pixel standard deviation at least 12: the flat sky and dark background cells,
#: which look alike, are left out), a sample a random crop inside it drawn at a random scale
#: between 1 and 1.5 and resized to 32x32.
_PHOTO_GRID = (4, 5)
_PHOTO_MIN_STD = 12.0


@lru_cache(maxsize=1)
def _photos() -> list[np.ndarray]:
    from sklearn.datasets import load_sample_images

    return [
        (img.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32))
        for img in load_sample_images().images
    ]


@lru_cache(maxsize=1)
def _photo_cells() -> tuple[tuple[int, int, int, int, int, int, int], ...]:
    """(photo, top, left, height, width) of each class cell, with its grid position."""
    rows, cols = _PHOTO_GRID
    cells = []
    for p, img in enumerate(_photos()):
        ch, cw = img.shape[0] // rows, img.shape[1] // cols
        for r in range(rows):
            for q in range(cols):
                if img[r * ch : (r + 1) * ch, q * cw : (q + 1) * cw].std() >= _PHOTO_MIN_STD:
                    cells.append((p, r * ch, q * cw, ch, cw, r, q))
    return tuple(cells)


def _photo(n_per_class, classes, rng):
    from scipy import ndimage

    photos, cells = _photos(), _photo_cells()
    n_classes = len(cells)
    labels = np.arange(n_classes) if classes is None else np.asarray(classes, dtype=np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"Photo patches have classes 0..{n_classes - 1}.")
    images = np.empty((labels.size * n_per_class, 1, SIZE, SIZE), np.uint8)
    i = 0
    for c in labels:
        p, top0, left0, ch, cw, _, _ = cells[c]
        img = photos[p]
        for _ in range(n_per_class):
            side = round(SIZE * rng.uniform(1.0, 1.5))
            top = top0 + rng.randint(0, max(1, ch - side + 1))
            left = left0 + rng.randint(0, max(1, cw - side + 1))
            crop = img[top : top + side, left : left + side]
            patch = ndimage.zoom(crop, SIZE / side, order=1, grid_mode=True, mode="nearest")
            images[i, 0] = np.clip(np.round(patch[:SIZE, :SIZE]), 0, 255).astype(np.uint8)
            i += 1
    return images, np.repeat(labels, n_per_class)


def _max_per_class(domain: str) -> int:
    """How many distinct images a class of ``domain`` can give (the handwritten digits are a
    fixed set; glyphs and photo crops are drawn afresh, without limit)."""
    if domain == "handwritten":
        return int(np.bincount(_digits()[1]).min())
    return 10**9


def _n_classes(domain: str, style: str) -> int:
    if domain == "handwritten":
        return 10
    if domain == "photo":
        return len(_photo_cells())
    return len(_classes(domain, style))


@validate_params(
    {
        "domain": [StrOptions(set(DOMAINS) | set(IMAGE_DOMAINS))],
        "style": [str],
        "n_way": [Interval(Integral, 2, None, closed="left")],
        "n_shot": [Interval(Integral, 1, None, closed="left")],
        "n_test": [Interval(Integral, 1, None, closed="left")],
        "augment": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "name": [str, None],
    },
    prefer_skip_nested_validation=True,
)
def make_glyph_task(
    domain: str,
    *,
    style: str = "sans",
    n_way: int = 5,
    n_shot: int = 10,
    n_test: int = 10,
    augment: float = 1.0,
    random_state: int | np.random.RandomState | None = None,
    name: str | None = None,
) -> Task:
    """A classification task on glyphs (or handwritten digits, or photo patches).

    Draws ``n_way`` classes of the domain and renders ``n_shot`` training and ``n_test``
    held-out images of each. The training images are the task a ranker sees; the held-out
    ones measure a fine-tuned model (`skspider.zoo.finetune_accuracy`).

    Parameters
    ----------
    domain : str
        A glyph domain of `DOMAINS` (``"latin"``, ``"greek"``, ``"math"``, ...),
        ``"handwritten"`` (scikit-learn's 8x8 digits upsampled to 32x32) or ``"photo"``
        (32x32 patches of scikit-learn's two sample photographs; a class is a textured cell
        of a 4x5 grid over a photograph: 29 classes).
    style : str, default="sans"
        Fonts to render with: ``"sans"`` (DejaVu Sans and Sans Mono, four weights and
        slants each), ``"serif"`` (DejaVu Serif, STIX, Computer Modern), ``"all"``, or one
        font file name of matplotlib's (e.g. ``"DejaVuSerif-Bold"``).
    n_way : int, default=5
        Number of classes.
    n_shot : int, default=10
        Training images per class.
    n_test : int, default=10
        Held-out images per class.
    augment : float, default=1.0
        Strength of the augmentation (affine jitter, stroke weight, blur, noise); 0 gives
        clean renderings. Not applied to the image domains.
    random_state : int, RandomState instance or None, default=None
        Seeds the classes, fonts and augmentations drawn.
    name : str, default=None
        The task's name; None builds one from the domain, style, sizes and seed.

    Returns
    -------
    task : skspider.base.Task
        ``y`` holds the labels ``0 .. n_way - 1`` of the training images, grouped by class.
        ``metadata`` holds ``"images"`` (uint8 ``(n_way * n_shot, 1, 32, 32)``, ink bright on
        dark), ``"test_images"`` and ``"y_test"`` (the held-out images and labels),
        ``"classes"`` (the code point, or class index, of each label), ``"domain"`` and
        ``"style"``. Feed ``metadata["images"]`` to `skspider.zoo.ModelZoo.make_task` (or
        `skspider.zoo.extract_features`) for the PTMs' features.

    Examples
    --------
    >>> from skspider.datasets import make_glyph_task
    >>> task = make_glyph_task("greek", n_way=4, n_shot=3, n_test=2, random_state=0)
    >>> task.metadata["images"].shape, task.metadata["images"].dtype, task.y.tolist()
    ((12, 1, 32, 32), dtype('uint8'), [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
    >>> task.metadata["test_images"].shape
    (8, 1, 32, 32)
    """
    rng = check_random_state(random_state)
    seed_label = random_state if isinstance(random_state, Integral) else "rng"
    if domain in DOMAINS:
        _style_fonts(style)
    available = _n_classes(domain, style)
    if n_way > available:
        raise ValueError(
            f"n_way={n_way} exceeds the {available} classes of domain {domain!r} (style {style!r})."
        )
    codes = np.asarray(glyph_classes(domain, style)) if domain in DOMAINS else np.arange(available)
    chosen = np.sort(rng.choice(codes, size=n_way, replace=False))
    images, labels = render_domain(
        domain,
        n_shot + n_test,
        style=style,
        classes=chosen,
        augment=augment if domain in DOMAINS else 0.0,
        random_state=rng,
    )
    y = np.searchsorted(chosen, labels)
    per = n_shot + n_test
    within = np.tile(np.arange(per), n_way)
    train, test = within < n_shot, within >= n_shot
    style_label = style if domain in DOMAINS else "real"
    return Task(
        y=y[train],
        name=name or f"{domain}-{style_label}-{n_way}w{n_shot}s-{seed_label}",
        metadata={
            "images": images[train],
            "test_images": images[test],
            "y_test": y[test],
            "classes": chosen.tolist(),
            "domain": domain,
            "style": style_label,
        },
    )
