"""Glyph rendering, augmentation and make_glyph_task."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from skspider.datasets import glyph_classes, make_glyph_task
from skspider.datasets.glyph_zoo._glyphs import (
    DOMAINS,
    _charmap,
    _classes,
    augment_images,
    render_domain,
)


def test_classes_are_codes_the_fonts_have():
    codes = glyph_classes("hebrew")
    assert 20 <= len(codes) <= 27
    for code, fonts in _classes("hebrew", "sans"):
        assert all(code in _charmap(f) for f in fonts)
    # DejaVu Serif has no Hebrew: no class in that style rather than blank images.
    assert glyph_classes("hebrew", "serif") == []


def test_every_domain_has_classes_in_sans():
    for domain in ("latin", "greek", "tifinagh", "nko"):
        assert 27 <= len(glyph_classes(domain)) <= 410, domain
    assert set(DOMAINS) >= {"arrows", "braille", "dingbats", "canadian", "math", "box"}


def test_render_is_deterministic_and_inked():
    x1, y1 = render_domain("greek", 3, classes=glyph_classes("greek")[:4], random_state=0)
    x2, _ = render_domain("greek", 3, classes=glyph_classes("greek")[:4], random_state=0)
    x3, _ = render_domain("greek", 3, classes=glyph_classes("greek")[:4], random_state=1)
    assert x1.shape == (12, 1, 32, 32) and x1.dtype == np.uint8
    np.testing.assert_array_equal(x1, x2)
    assert (x1 != x3).any()
    assert np.all(x1.reshape(12, -1).max(axis=1) > 100)  # every image has ink
    assert y1.tolist() == np.repeat(glyph_classes("greek")[:4], 3).tolist()


def test_unknown_classes_and_styles_are_refused():
    with pytest.raises(ValueError, match="not classes"):
        render_domain("latin", 1, classes=[0x3B1])
    with pytest.raises(ValueError, match="Unknown style"):
        make_glyph_task("latin", style="comic", random_state=0)
    with pytest.raises(ValueError, match="exceeds"):
        make_glyph_task("handwritten", n_way=11, random_state=0)


def test_augmentation_changes_images_but_zero_strength_does_not():
    x, _ = render_domain("latin", 2, classes=[65, 66], augment=0.0, random_state=0)
    same = augment_images(x, 0, strength=0.0)
    np.testing.assert_allclose(same.numpy() * 255, x, atol=1e-4)
    moved = augment_images(x, 0).numpy()
    assert moved.shape == x.shape and moved.min() >= 0.0 and moved.max() <= 1.0
    assert np.abs(moved * 255 - x).mean() > 5


def test_make_glyph_task_splits_and_labels():
    task = make_glyph_task("cyrillic", style="serif", n_way=6, n_shot=4, n_test=3, random_state=2)
    m = task.metadata
    assert task.y.tolist() == np.repeat(np.arange(6), 4).tolist()
    assert m["images"].shape == (24, 1, 32, 32) and m["test_images"].shape == (18, 1, 32, 32)
    assert m["y_test"].tolist() == np.repeat(np.arange(6), 3).tolist()
    assert len(m["classes"]) == 6 and m["domain"] == "cyrillic" and m["style"] == "serif"
    again = make_glyph_task("cyrillic", style="serif", n_way=6, n_shot=4, n_test=3, random_state=2)
    np.testing.assert_array_equal(again.metadata["test_images"], m["test_images"])


@pytest.mark.parametrize("domain", ["handwritten", "photo"])
def test_real_image_domains(domain):
    task = make_glyph_task(domain, n_way=5, n_shot=3, n_test=2, random_state=0)
    images = task.metadata["images"]
    assert images.shape == (15, 1, 32, 32) and images.dtype == np.uint8
    assert images.std() > 10
    assert task.metadata["style"] == "real"
