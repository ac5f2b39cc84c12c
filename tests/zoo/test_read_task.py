"""read_task: the .npz, .npy and image-folder formats, image conversion, and bad files."""

import numpy as np
import pytest

from skspider.base import Task
from skspider.zoo import read_task

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402


def _folder(root, images, labels, mode="L"):
    """Save uint8 ``(n, H, W)`` gray images as PNGs in one sub-folder per label."""
    for i, (pixels, label) in enumerate(zip(images, labels)):
        folder = root / f"class_{label}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels, mode="L").convert(mode).save(folder / f"{i:03d}.png")
    return root


@pytest.fixture
def gray():
    """12 gray 6x6 uint8 images of 3 classes."""
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(12, 6, 6), dtype=np.uint8), np.repeat([0, 1, 2], 4)


# -- .npz and .npy -------------------------------------------------------------------------
def test_npz_arrays_become_the_task(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        "y": np.array(["b", "a", "b", "a"]),
        "X": rng.integers(0, 255, size=(4, 1, 2, 2), dtype=np.uint8),
        "features/m1": rng.normal(size=(4, 3)),
        "probas/m1": rng.dirichlet(np.ones(5), size=4),
        "encoder": rng.normal(size=(4, 6)),
        "tokens": rng.normal(size=(2, 6)),
    }
    np.savez(tmp_path / "task.npz", **arrays)
    task = read_task(str(tmp_path / "task.npz"))
    assert isinstance(task, Task) and task.name == "task"
    np.testing.assert_array_equal(task.y, arrays["y"])
    np.testing.assert_array_equal(task.X, arrays["encoder"])
    np.testing.assert_array_equal(task.tokens, arrays["tokens"])
    np.testing.assert_array_equal(task.get_model_features("m1"), arrays["features/m1"])
    np.testing.assert_array_equal(task.get_model_probas("m1"), arrays["probas/m1"])
    inputs = task.metadata["inputs"]
    assert inputs.dtype == np.uint8  # as stored: extract_features scales uint8 itself
    np.testing.assert_array_equal(inputs, arrays["X"])
    assert task.metadata["classes"] == ["a", "b"]
    assert task.metadata["source"] == str(tmp_path / "task.npz")
    assert task.metadata["conversion"] is None


def test_npz_with_features_only(tmp_path):
    np.savez(tmp_path / "t.npz", y=np.arange(4) % 2, **{"features/a": np.ones((4, 2))})
    task = read_task(tmp_path / "t.npz")
    assert task.X is None and task.model_probas is None and task.metadata["inputs"] is None
    assert task.models == ["a"]


def test_npy_with_labels_from_a_file_or_an_array(tmp_path):
    X = np.random.default_rng(0).uniform(size=(6, 1, 3, 3)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2])
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    for labels in (tmp_path / "y.npy", str(tmp_path / "y.npy"), y, list(y)):
        task = read_task(tmp_path / "X.npy", labels=labels)
        np.testing.assert_array_equal(task.y, y)
        np.testing.assert_array_equal(task.metadata["inputs"], X)
        assert task.name == "X" and task.model_features is None
    assert read_task(tmp_path / "X.npy", labels=y, input_shape=(1, 3, 3)).n_samples == 6


@pytest.mark.parametrize(
    ("arrays", "match"),
    [
        ({"X": np.zeros((3, 2))}, "must hold an array named 'y'"),
        ({"y": np.arange(4) % 2, "feature/a": np.zeros((4, 2))}, "unexpected array"),
        ({"y": np.zeros(4)}, "single class"),
        ({"y": np.zeros((4, 2))}, "labels y must be 1-D"),
        ({"y": np.arange(4) % 2, "features/a": np.zeros((3, 2))}, "has 3 rows but y has 4"),
        ({"y": np.arange(4) % 2, "features/a": np.zeros((4, 2, 1))}, "must be 2-D"),
        ({"y": np.arange(4) % 2, "features/a": np.full((4, 2), np.nan)}, "NaN"),
        ({"y": np.arange(4) % 2, "X": np.zeros(4)}, "sample axis"),
        ({"y": np.arange(4) % 2, "tokens": np.zeros(3)}, "tokens must be"),
    ],
)
def test_bad_npz(tmp_path, arrays, match):
    np.savez(tmp_path / "t.npz", **arrays)
    with pytest.raises(ValueError, match=match):
        read_task(tmp_path / "t.npz")


def test_bad_paths_and_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        read_task(tmp_path / "absent.npz")
    (tmp_path / "t.txt").write_text("1 2")
    with pytest.raises(ValueError, match=r"expected an \.npz file"):
        read_task(tmp_path / "t.txt")
    (tmp_path / "t.npz").write_text("not a zip")
    with pytest.raises(ValueError, match="cannot read"):
        read_task(tmp_path / "t.npz")
    np.save(tmp_path / "X.npy", np.zeros((4, 2)))
    with pytest.raises(ValueError, match="give its labels"):
        read_task(tmp_path / "X.npy")
    with pytest.raises(FileNotFoundError, match="labels file"):
        read_task(tmp_path / "X.npy", labels=tmp_path / "y.npy")
    with pytest.raises(ValueError, match="input_shape"):
        read_task(tmp_path / "X.npy", labels=[0, 1, 0, 1], input_shape=(1, 2, 2))
    np.savez(tmp_path / "ok.npz", y=np.arange(4) % 2, X=np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"labels= is for an \.npy task"):
        read_task(tmp_path / "ok.npz", labels=[0, 1, 0, 1])
    with pytest.raises(ValueError, match="image folders only"):
        read_task(tmp_path / "ok.npz", color="gray")
    with pytest.raises(ValueError, match="color"):
        read_task(tmp_path / "ok.npz", color="blue")
    with pytest.raises(ValueError, match="input_shape must be three positive ints"):
        read_task(tmp_path / "ok.npz", input_shape=(1, 2))


# -- image folders -------------------------------------------------------------------------
def test_gray_folder_as_unit_floats(tmp_path, gray):
    images, y = gray
    task = read_task(_folder(tmp_path / "imgs", images, y))
    X = task.metadata["inputs"]
    assert X.shape == (12, 1, 6, 6) and X.dtype == np.float32
    # The scale extract_features gives the same images stored as uint8.
    np.testing.assert_allclose(X[:, 0], images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(task.y, y)
    assert task.metadata["classes"] == ["class_0", "class_1", "class_2"]
    assert task.name == "imgs" and task.metadata["conversion"] is None


def test_color_and_size_are_chosen_or_forced(tmp_path, gray):
    images, y = gray
    folder = _folder(tmp_path / "rgb", images, y, mode="RGB")
    assert read_task(folder).metadata["inputs"].shape == (12, 3, 6, 6)  # auto: color
    forced = read_task(folder, color="gray", image_size=(2, 3))
    assert forced.metadata["inputs"].shape == (12, 1, 2, 3)
    assert "12 RGB images to grayscale" in forced.metadata["conversion"]
    assert "resized from 6x6 to 2x3" in forced.metadata["conversion"]
    assert read_task(folder, image_size=4).metadata["inputs"].shape == (12, 3, 4, 4)


def test_rgb_to_gray_is_the_luma_of_the_zoos_scale(tmp_path):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, size=(4, 5, 5, 3), dtype=np.uint8)
    for i, pixels in enumerate(rgb):
        folder = tmp_path / "imgs" / f"c{i % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels, mode="RGB").save(folder / f"{i}.png")
    task = read_task(tmp_path / "imgs", input_shape=(1, 5, 5))
    X = task.metadata["inputs"]
    assert X.shape == (4, 1, 5, 5)
    # ITU-R 601-2: L = 0.299 R + 0.587 G + 0.114 B, rounded to 8 bits, then / 255.
    order = [0, 2, 1, 3]  # files are read class by class: c0 holds images 0 and 2
    luma = rgb[order].astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(X[:, 0] * 255, luma, atol=0.51)
    assert "(ITU-R 601-2 luma)" in task.metadata["conversion"]


def test_gray_repeated_to_rgb_and_resized_to_the_input_shape(tmp_path, gray):
    images, y = gray
    task = read_task(_folder(tmp_path / "imgs", images, y), input_shape=(3, 4, 4))
    X = task.metadata["inputs"]
    assert X.shape == (12, 3, 4, 4)
    np.testing.assert_array_equal(X[:, 0], X[:, 1])
    np.testing.assert_array_equal(X[:, 0], X[:, 2])
    note = task.metadata["conversion"]
    assert "12 L images to RGB (the gray channel repeated)" in note
    assert "12 images resized from 6x6 to 4x4 (bilinear)" in note
    # Explicit choices win over the declared shape.
    kept = read_task(tmp_path / "imgs", input_shape=(3, 4, 4), color="gray", image_size=6)
    assert kept.metadata["inputs"].shape == (12, 1, 6, 6) and kept.metadata["conversion"] is None


def test_transparency_and_palettes(tmp_path, gray):
    images, y = gray
    folder = _folder(tmp_path / "imgs", images[:6], y[:6], mode="RGBA")
    _folder(folder, images[6:], y[6:], mode="P")
    task = read_task(folder)
    assert task.metadata["inputs"].shape == (12, 3, 6, 6)
    assert "6 RGBA images to RGB (transparency dropped)" in task.metadata["conversion"]
    assert "6 P images to RGB" in task.metadata["conversion"]


def test_a_channel_count_that_cannot_be_read(tmp_path, gray):
    folder = _folder(tmp_path / "imgs", *gray)
    with pytest.raises(ValueError, match=r"4-channel images.*color='gray' or color='rgb'"):
        read_task(folder, input_shape=(4, 6, 6))
    assert read_task(folder, input_shape=(4, 6, 6), color="gray").n_samples == 12


def test_files_that_are_not_images_are_named(tmp_path, gray):
    folder = _folder(tmp_path / "imgs", *gray)
    (folder / "class_1" / "notes.txt").write_text("x")
    (folder / "class_2" / "extra").mkdir()
    (folder / "README.md").write_text("x")
    (folder / "class_0" / ".hidden.png").write_bytes(b"")  # hidden: skipped
    with pytest.raises(ValueError, match="holds 3 entries that are not images: ") as info:
        read_task(folder)
    message = str(info.value)
    for name in ("'README.md'", "'class_1/notes.txt'", "'class_2/extra/'"):
        assert name in message
    assert ".hidden" not in message
    for i in range(6):
        (folder / "class_0" / f"junk{i}.csv").write_text("x")
    with pytest.raises(ValueError, match="and 4 more"):
        read_task(folder)


def test_folder_structure_errors(tmp_path, gray):
    images, y = gray
    (tmp_path / "one" / "only").mkdir(parents=True)
    with pytest.raises(ValueError, match="1 class sub-folder"):
        read_task(tmp_path / "one")
    folder = _folder(tmp_path / "imgs", images, y)
    (folder / "class_3").mkdir()
    with pytest.raises(ValueError, match="class 'class_3' holds no image"):
        read_task(folder)
    (folder / "class_3").rmdir()
    Image.new("L", (5, 5)).save(folder / "class_0" / "odd.png")
    with pytest.raises(ValueError, match=r"images differ in size.*image_size="):
        read_task(folder)
    assert read_task(folder, image_size=(6, 6)).n_samples == 13
    (folder / "class_1" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="cannot read image"):
        read_task(folder, image_size=6)


def test_without_pillow(tmp_path, gray, monkeypatch):
    import sys

    folder = _folder(tmp_path / "imgs", *gray)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="needs Pillow"):
        read_task(folder)
