"""`skspider rank`: the ranking equals the library's, from every task format and scorer."""

import csv
import json

import joblib
import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator

from skspider.base import Task
from skspider.cli import main
from skspider.spider import RerankTransformer, SpiderRanker
from skspider.tasks import TaskTokenizer
from skspider.transferability import LEEP, LogME, TransferabilityRanker
from skspider.zoo import make_task, read_task

from .conftest import run_json


def _scores(payload):
    return {r["model"]: r["score"] for r in payload["ranking"]}


def _import(path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("zoo_for_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _npy_argv(tmp_path, X, y=None):
    """Save ``X`` (and ``y``) as .npy files; the start of a ``skspider rank`` line for them."""
    np.save(tmp_path / "X.npy", X)
    argv = ["rank", str(tmp_path / "X.npy")]
    if y is not None:
        np.save(tmp_path / "y.npy", y)
        argv += ["--labels", str(tmp_path / "y.npy")]
    return argv


def _save_images(root, X, y, mode="L"):
    from PIL import Image

    for i, (img, label) in enumerate(zip(X, y)):
        folder = root / f"class_{label}"
        folder.mkdir(parents=True, exist_ok=True)
        pixels = np.round(img[0] * 255).astype(np.uint8)
        Image.fromarray(pixels, mode="L").convert(mode).save(folder / f"{i:03d}.png")


# -- precomputed features ------------------------------------------------------------------
def test_npz_features_rank_with_logme(feature_task, capsys):
    path, arrays = feature_task
    code, payload, _ = run_json(main, ["rank", str(path)], capsys)
    assert code == 0
    task = Task(
        y=arrays["y"], model_features={m: arrays[f"features/{m}"] for m in ("weak", "strong")}
    )
    expected = TransferabilityRanker(LogME()).fit([task]).predict([task])[0]
    assert [r["model"] for r in payload["ranking"]] == ["strong", "weak"]
    assert _scores(payload) == pytest.approx({"weak": expected[0], "strong": expected[1]})
    assert payload["scorer"] == "LogME" and payload["n_samples"] == 60
    assert payload["n_classes"] == 3 and payload["ptm_forward_passes"] == 0


def test_table_output_and_files(feature_task, tmp_path, capsys):
    path, _ = feature_task
    out_json, out_csv, fig = tmp_path / "r.json", tmp_path / "sub" / "r.csv", tmp_path / "r.png"
    assert main(["rank", str(path), "-o", str(out_json), "--plot", str(fig)]) == 0
    assert main(["rank", str(path), "--output", str(out_csv), "--top", "1"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert lines[1].split() == ["rank", "model", "score"]
    assert lines[2].split()[:2] == ["1", "strong"] and lines[3].split()[:2] == ["2", "weak"]
    # --top 1: the second table has only the best PTM.
    second = text.split("scored by")[2]
    assert "strong" in second and "weak" not in second
    written = json.loads(out_json.read_text())
    with out_csv.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["model"] for r in rows] == [r["model"] for r in written["ranking"]]
    assert float(rows[0]["score"]) == pytest.approx(written["ranking"][0]["score"])
    assert fig.read_bytes()[:4] == b"\x89PNG"


def test_probas_method_reports_unscored_ptms(feature_task, capsys):
    path, arrays = feature_task
    code, payload, _ = run_json(main, ["rank", str(path), "--method", "leep"], capsys)
    assert code == 0
    assert payload["scorer"] == "LEEP" and payload["unscored"] == ["weak"]
    expected = LEEP().fit(arrays["probas/strong"], arrays["y"]).score_
    assert _scores(payload) == pytest.approx({"strong": expected})


def test_ptm_with_probas_only_is_unscored_by_a_features_method(feature_task, tmp_path, capsys):
    _, arrays = feature_task
    extra = {"probas/headless": arrays["probas/strong"]}
    np.savez(tmp_path / "t.npz", **arrays, **extra)
    code, payload, _ = run_json(main, ["rank", str(tmp_path / "t.npz")], capsys)
    assert code == 0 and payload["unscored"] == ["headless"]
    assert [r["model"] for r in payload["ranking"]] == ["strong", "weak"]


# -- a zoo over raw inputs -----------------------------------------------------------------
def test_npy_with_zoo_matches_extraction(raw_task, zoo_file, tmp_path, capsys):
    X, y = raw_task
    argv = [*_npy_argv(tmp_path, X, y), "--zoo", f"{zoo_file}:make_zoo", "--device", "cpu"]
    code, payload, _ = run_json(main, argv, capsys)
    assert code == 0
    task = make_task(_import(zoo_file).make_zoo(), X, y, device="cpu")
    expected = TransferabilityRanker(LogME()).fit([task]).predict([task])[0]
    assert _scores(payload) == pytest.approx(dict(zip(task.model_features, expected)))
    assert payload["ranking"][0]["model"] == "keeps"
    assert payload["ptm_forward_passes"] == 3


def test_image_folder_ranks_its_images(raw_task, zoo_file, tmp_path, capsys):
    X, y = raw_task
    _save_images(tmp_path / "gray", X, y)
    argv = ["rank", str(tmp_path / "gray"), "--zoo", f"{zoo_file}:make_zoo", "--device", "cpu"]
    code, payload, err = run_json(main, argv, capsys)
    assert code == 0 and payload["ranking"][0]["model"] == "keeps"
    assert payload["classes"] == ["class_0", "class_1", "class_2"]
    assert "note:" not in err  # nothing converted: the zoo declares no input shape
    # The library's scores on the images as skspider.zoo.read_task reads them.
    images = read_task(tmp_path / "gray").metadata["inputs"]
    task = make_task(_import(zoo_file).make_zoo(), images, y, device="cpu")
    expected = TransferabilityRanker(LogME()).fit([task]).predict([task])[0]
    assert _scores(payload) == pytest.approx(dict(zip(task.model_features, expected)))


def test_images_are_converted_to_the_zoos_input_shape(glyph_folders, zoo_file, capsys):
    # RGB 64x64 images for PTMs of 1x32x32 inputs: converted (luma, bilinear), with a note.
    gray, rgb = glyph_folders
    argv = ["--zoo", f"{zoo_file}:glyph_zoo", "--device", "cpu"]
    code, direct, err = run_json(main, ["rank", str(gray), *argv], capsys)
    assert code == 0 and "note:" not in err
    code, converted, err = run_json(main, ["rank", str(rgb), *argv], capsys)
    assert code == 0, err
    note = [line for line in err.splitlines() if line.startswith("note:")]
    assert len(note) == 1
    assert "(1, 32, 32)" in note[0] and "24 RGB images to grayscale" in note[0]
    assert "resized from 64x64 to 32x32 (bilinear)" in note[0]
    assert [r["model"] for r in converted["ranking"]] == ["sharp", "dull"]
    assert [r["model"] for r in direct["ranking"]] == ["sharp", "dull"]
    # Bilinear down-sampling blurs the 2x2 blocks' edges a little: close, not equal.
    assert _scores(converted) == pytest.approx(_scores(direct), rel=0.05)


def test_explicit_color_and_size_are_kept(glyph_folders, zoo_file, tmp_path, capsys):
    _, rgb = glyph_folders
    argv = ["rank", str(rgb), "--zoo", f"{zoo_file}:glyph_zoo", "--device", "cpu"]
    code, _, err = run_json(main, [*argv, "--image-size", "16"], capsys)
    # 16x16 images reach PTMs that take 32x32 ones: their forward pass fails (exit 1).
    assert code == 1 and "resized from 64x64 to 16x16" in err


def test_a_shape_that_cannot_be_converted(glyph_folders, zoo_file, capsys):
    argv = ["rank", str(glyph_folders[1]), "--zoo", f"{zoo_file}:four_channel_zoo"]
    code, err = _error(argv, capsys)
    assert code == 2 and "4-channel images" in err and "--color" in err


def test_an_array_of_another_shape_than_the_zoos(zoo_file, tmp_path, capsys):
    np.savez(tmp_path / "t.npz", X=np.zeros((6, 3, 64, 64), np.float32), y=np.arange(6) % 2)
    argv = ["rank", str(tmp_path / "t.npz"), "--zoo", f"{zoo_file}:glyph_zoo"]
    code, err = _error(argv, capsys)
    assert code == 2 and "(3, 64, 64)" in err and "image folder" in err


# -- a trained ranker ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def spider_file(tmp_path_factory):
    import pandas as pd

    # Trained with PTM-specific tokens of the zoo's feature width (16), so that a
    # RerankTransformer over it re-scores its top-k PTMs with their own features.
    rng = np.random.default_rng(0)
    models = ["keeps", "erases", "headless"]
    tasks = [
        Task(
            y=np.arange(3),
            tokens=rng.normal(size=(3, 6)),
            model_tokens={m: rng.normal(size=(3, 16)) for m in models},
        )
        for _ in range(12)
    ]
    Y = pd.DataFrame(rng.normal(size=(12, 3)), columns=models)
    ranker = SpiderRanker(d_model=8, max_iter=10, random_state=0).fit(tasks, Y)
    path = tmp_path_factory.mktemp("ranker") / "spider.joblib"
    joblib.dump(ranker, path)
    return path, ranker


def test_ranker_file_with_encoder_features(spider_file, tmp_path, capsys):
    path, ranker = spider_file
    rng = np.random.default_rng(1)
    y, encoder = np.repeat([0, 1, 2], 4), rng.normal(size=(12, 6))
    np.savez(tmp_path / "t.npz", y=y, encoder=encoder)
    code, payload, _ = run_json(
        main, ["rank", str(tmp_path / "t.npz"), "--ranker", str(path)], capsys
    )
    assert code == 0
    expected = ranker.predict(TaskTokenizer().fit_transform([Task(y=y, X=encoder)]))[0]
    assert _scores(payload) == pytest.approx(dict(zip(ranker.models_, expected)))
    assert payload["scorer"].startswith("SpiderRanker")
    # Tokens given directly give the same scores.
    tokens = TaskTokenizer().fit_transform([Task(y=y, X=encoder)])[0]
    np.savez(tmp_path / "tok.npz", y=y, tokens=tokens)
    code, again, _ = run_json(
        main, ["rank", str(tmp_path / "tok.npz"), "--ranker", str(path)], capsys
    )
    assert _scores(again) == pytest.approx(_scores(payload))


def test_rerank_file_runs_only_the_top_k_ptms(spider_file, raw_task, zoo_file, tmp_path, capsys):
    _, ranker = spider_file
    frozen = FrozenEstimator(ranker)
    rerank = RerankTransformer(frozen, k=1).fit(np.zeros((1, 6)), np.zeros((1, 3)))
    joblib.dump(rerank, tmp_path / "rerank.joblib")
    X, y = raw_task
    argv = [
        *_npy_argv(tmp_path, X, y),
        "--ranker",
        str(tmp_path / "rerank.joblib"),
        "--zoo",
        f"{zoo_file}:make_zoo",
        "--encoder",
        f"{zoo_file}:encoder",
        "--device",
        "cpu",
    ]
    code, payload, _ = run_json(main, argv, capsys)
    assert code == 0
    assert payload["ptm_forward_passes"] == 1  # k = 1: one PTM's features were extracted
    assert len(payload["ranking"]) == 3
    # The same scores as the library's, on the encoder's and the PTMs' features.
    module = _import(zoo_file)
    from skspider.zoo import ZooEntry, extract_features, make_task

    enc = ZooEntry("e", module.encoder(), feature_fn=lambda m, b: m(b).flatten(1))
    task = make_task(
        module.make_zoo(), X, y, X=extract_features(enc, X, device="cpu").features, device="cpu"
    )
    expected = rerank.predict(TaskTokenizer(model_tokens=True).fit_transform([task]))[0]
    assert _scores(payload) == pytest.approx(dict(zip(ranker.models_, expected)))


# -- errors: one test each -----------------------------------------------------------------
def _error(argv, capsys):
    code, payload, err = run_json(main, argv, capsys)
    assert payload["exit_code"] == code
    return code, err


def test_missing_task_file(capsys, tmp_path):
    code, err = _error(["rank", str(tmp_path / "nope.npz")], capsys)
    assert code == 2 and "not found" in err


def test_task_of_unknown_kind(capsys, tmp_path):
    (tmp_path / "t.txt").write_text("1 2 3")
    code, err = _error(["rank", str(tmp_path / "t.txt")], capsys)
    assert code == 2 and "expected an .npz" in err


def test_unreadable_npz(capsys, tmp_path):
    (tmp_path / "t.npz").write_text("not a zip")
    code, err = _error(["rank", str(tmp_path / "t.npz")], capsys)
    assert code == 2 and "cannot read" in err


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"features/weak": np.zeros((59, 5))}, "features/weak has 59 rows but y has 60"),
        ({"features/weak": np.zeros((60, 5, 2))}, "must be 2-D"),
        ({"features/weak": np.full((60, 5), np.nan)}, "NaN"),
        ({"y": np.zeros((60, 2))}, "labels y must be 1-D"),
        ({"y": np.zeros(60)}, "single class"),
        ({"feature/weak": np.zeros((60, 5))}, "unexpected array 'feature/weak'"),
    ],
)
def test_bad_shapes_and_keys(feature_task, tmp_path, capsys, change, match):
    _, arrays = feature_task
    np.savez(tmp_path / "bad.npz", **{**arrays, **change})
    code, err = _error(["rank", str(tmp_path / "bad.npz")], capsys)
    assert code == 2 and match in err


def test_npz_without_labels(tmp_path, capsys):
    np.savez(tmp_path / "t.npz", X=np.zeros((3, 2)))
    code, err = _error(["rank", str(tmp_path / "t.npz")], capsys)
    assert code == 2 and "named 'y'" in err


def test_npy_without_labels(raw_task, tmp_path, capsys):
    code, err = _error(_npy_argv(tmp_path, raw_task[0]), capsys)
    assert code == 2 and "--labels" in err


def test_npy_labels_of_wrong_length(raw_task, zoo_file, tmp_path, capsys):
    argv = [*_npy_argv(tmp_path, raw_task[0], raw_task[1][:-1]), "--zoo", f"{zoo_file}:make_zoo"]
    code, err = _error(argv, capsys)
    assert code == 2 and "X has 30 rows but y has 29 labels" in err


def test_unknown_method(feature_task, capsys):
    code, err = _error(["rank", str(feature_task[0]), "--method", "nope"], capsys)
    assert code == 2 and "unknown method 'nope'" in err and "LogME" in err


def test_method_without_its_input_kind(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "t.npz", y=np.arange(10) % 2, **{"features/a": rng.normal(size=(10, 3))})
    code, err = _error(["rank", str(tmp_path / "t.npz"), "--method", "nce"], capsys)
    assert code == 2 and "source-class probabilities" in err


@pytest.mark.parametrize(
    ("zoo", "match"),
    [
        ("glyphs", "unknown zoo 'glyphs'"),
        ("no_such_module_xyz:make", "cannot import 'no_such_module_xyz'"),
        ("{file}:missing", "has no function 'missing'"),
        ("{file}:not_a_zoo", "returned list, not a skspider.zoo.ModelZoo"),
        ("{dir}/absent.py:make_zoo", "no such file"),
    ],
)
def test_unknown_zoo(raw_task, zoo_file, tmp_path, capsys, zoo, match):
    spec = zoo.format(file=zoo_file, dir=tmp_path)
    code, err = _error([*_npy_argv(tmp_path, *raw_task), "--zoo", spec], capsys)
    assert code == 2 and match in err


def test_raw_inputs_without_zoo(raw_task, tmp_path, capsys):
    np.savez(tmp_path / "t.npz", X=raw_task[0], y=raw_task[1])
    code, err = _error(["rank", str(tmp_path / "t.npz")], capsys)
    assert code == 2 and "give --zoo" in err


def test_precomputed_features_and_zoo_together(feature_task, zoo_file, capsys):
    code, err = _error(["rank", str(feature_task[0]), "--zoo", f"{zoo_file}:make_zoo"], capsys)
    assert code == 2 and "use one" in err


def test_missing_ranker_file(feature_task, tmp_path, capsys):
    code, err = _error(["rank", str(feature_task[0]), "--ranker", str(tmp_path / "r.jl")], capsys)
    assert code == 2 and "ranker file" in err and "not found" in err


def test_corrupt_ranker_file(tmp_path, capsys):
    (tmp_path / "r.joblib").write_bytes(b"not a pickle")
    np.savez(tmp_path / "t.npz", y=np.arange(6) % 2, encoder=np.ones((6, 4)))
    code, err = _error(
        ["rank", str(tmp_path / "t.npz"), "--ranker", str(tmp_path / "r.joblib")], capsys
    )
    assert code == 2 and "cannot load the ranker file" in err


def test_ranker_without_general_features(feature_task, spider_file, capsys):
    code, err = _error(["rank", str(feature_task[0]), "--ranker", str(spider_file[0])], capsys)
    assert code == 2 and "general encoder" in err


def test_ranker_with_encoder_of_wrong_width(spider_file, tmp_path, capsys):
    np.savez(tmp_path / "t.npz", y=np.arange(6) % 2, encoder=np.ones((6, 4)))
    code, err = _error(["rank", str(tmp_path / "t.npz"), "--ranker", str(spider_file[0])], capsys)
    assert code == 2 and "invalid input" in err and "features" in err


def test_bad_output_suffix(feature_task, capsys):
    code, err = _error(["rank", str(feature_task[0]), "--output", "ranking.txt"], capsys)
    assert code == 2 and ".json or .csv" in err


def test_image_folder_errors(raw_task, zoo_file, tmp_path, capsys):
    from PIL import Image

    X, y = raw_task
    zoo = ["--zoo", f"{zoo_file}:make_zoo"]
    _save_images(tmp_path / "imgs", X, y)
    Image.new("L", (5, 5)).save(tmp_path / "imgs" / "class_0" / "odd.png")
    code, err = _error(["rank", str(tmp_path / "imgs"), *zoo], capsys)
    assert code == 2 and "images differ in size" in err and "--image-size" in err
    (tmp_path / "one" / "only").mkdir(parents=True)
    code, err = _error(["rank", str(tmp_path / "one"), *zoo], capsys)
    assert code == 2 and "at least 2" in err
    (tmp_path / "imgs" / "class_1" / "broken.png").write_bytes(b"not a png")
    code, err = _error(["rank", str(tmp_path / "imgs"), "--image-size", "4", *zoo], capsys)
    assert code == 2 and "cannot read image" in err
    code, err = _error(["rank", str(tmp_path / "imgs"), "--image-size", "0x4"], capsys)
    assert code == 2 and "--image-size must be" in err


def test_image_folder_with_a_file_that_is_not_an_image(raw_task, zoo_file, tmp_path, capsys):
    _save_images(tmp_path / "imgs", *raw_task)
    (tmp_path / "imgs" / "class_1" / "notes.txt").write_text("taken on a rainy day")
    (tmp_path / "imgs" / ".DS_Store").write_bytes(b"")  # hidden: skipped
    argv = ["rank", str(tmp_path / "imgs"), "--zoo", f"{zoo_file}:make_zoo"]
    code, err = _error(argv, capsys)
    assert code == 2 and "not an image" in err and "'class_1/notes.txt'" in err
    assert ".DS_Store" not in err


def test_image_folder_without_pillow(raw_task, tmp_path, capsys, monkeypatch):
    import sys

    _save_images(tmp_path / "imgs", *raw_task)
    monkeypatch.setitem(sys.modules, "PIL", None)
    code, err = _error(["rank", str(tmp_path / "imgs")], capsys)
    assert code == 3 and "skspider[plotting]" in err


def test_runtime_failure_exits_1(raw_task, zoo_file, tmp_path, capsys):
    np.savez(tmp_path / "t.npz", X=raw_task[0], y=raw_task[1])
    argv = ["rank", str(tmp_path / "t.npz"), "--zoo", f"{zoo_file}:broken_zoo", "--device", "cpu"]
    code, err = _error(argv, capsys)
    assert code == 1 and "this PTM always fails" in err


def test_plot_without_matplotlib(feature_task, tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    code, err = _error(["rank", str(feature_task[0]), "--plot", str(tmp_path / "r.png")], capsys)
    assert code == 3 and 'pip install "skspider[plotting]"' in err


@pytest.fixture(scope="module")
def glyph_npz(tmp_path_factory):
    """A held-out task of the built-in zoo's kind (32x32 grayscale glyphs) as an .npz."""
    from skspider.datasets import load_glyph_zoo

    task = load_glyph_zoo(with_features=False).test_tasks[0]
    path = tmp_path_factory.mktemp("glyph") / "task.npz"
    np.savez(path, X=task.metadata["images"], y=task.y)
    return str(path)


@pytest.mark.slow
def test_rank_builtin_zoo_with_a_method(glyph_npz, capsys):
    from skspider.datasets import load_glyph_zoo

    code, payload, _ = run_json(main, ["rank", glyph_npz, "--zoo", "builtin"], capsys)
    assert code == 0
    names = load_glyph_zoo(with_features=False).zoo.names
    assert sorted(r["model"] for r in payload["ranking"]) == sorted(names)


@pytest.mark.slow
def test_rank_builtin_ranker_uses_its_encoder(glyph_npz, capsys):
    from skspider.datasets import load_glyph_zoo

    data = load_glyph_zoo()
    code, payload, _ = run_json(main, ["rank", glyph_npz, "--ranker", "builtin"], capsys)
    assert code == 0
    scores = {r["model"]: r["score"] for r in payload["ranking"]}
    # The same scores as the shipped ranker on the task's tokens (the same encoder pass).
    task = data.test_tasks[0]
    tokens = TaskTokenizer().fit_transform([Task(y=task.y, X=data.encode(task.metadata["images"]))])
    expected = data.ranker.predict(tokens)[0]
    np.testing.assert_allclose([scores[m] for m in data.zoo.names], expected, rtol=1e-5)


def test_rank_unknown_zoo_names_builtin(tmp_path, capsys):
    path = tmp_path / "t.npz"
    np.savez(path, X=np.zeros((4, 1, 8, 8), np.float32), y=np.array([0, 0, 1, 1]))
    assert main(["rank", str(path), "--zoo", "nozoo"]) == 2
    assert "'builtin'" in capsys.readouterr().err
