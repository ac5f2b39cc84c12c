"""Adapters: Hugging Face with tiny random models from configs; torchvision/timm if importable."""

import importlib

import numpy as np
import pytest
import torch

from skspider.zoo import (
    ModelZoo,
    extract_features,
    huggingface_entry,
    timm_entry,
    torchvision_entry,
)


def importable(name):
    """None when ``name`` imports, else why not (the skip reason)."""
    try:
        importlib.import_module(name)
    except Exception as exc:  # torchvision can be installed yet fail to load its C++ ops
        return f"{name} cannot import here: {type(exc).__name__}: {exc}"[:300]
    return None


def tiny_vit_config(**kw):
    transformers = pytest.importorskip("transformers")
    params = dict(
        image_size=16,
        patch_size=8,
        num_channels=3,
        hidden_size=12,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=24,
        num_labels=7,
    )
    params.update(kw)
    return transformers.ViTConfig(**params)


@pytest.fixture
def pixels():
    return torch.randn(5, 3, 16, 16, generator=torch.Generator().manual_seed(0))


def test_huggingface_head_from_config(pixels):
    torch.manual_seed(0)
    entry = huggingface_entry(tiny_vit_config(), alias="vit-tiny")
    assert entry.name == "vit-tiny" and entry.family == "vit" and not entry.is_lazy
    out = extract_features(entry, pixels, batch_size=2, device="cpu")
    model = entry.module.eval()
    with torch.no_grad():
        hidden = model.vit(pixel_values=pixels).last_hidden_state[:, 0]
        logits = model(pixel_values=pixels).logits
    np.testing.assert_allclose(out.features, hidden.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out.probas, torch.softmax(logits, 1).numpy(), rtol=1e-5, atol=1e-6)


def test_huggingface_resnet_flattens_pooled_features(pixels):
    transformers = pytest.importorskip("transformers")
    cfg = transformers.ResNetConfig(
        embedding_size=8, hidden_sizes=[8, 12], depths=[1, 1], num_labels=4
    )
    out = extract_features(huggingface_entry(cfg), pixels, device="cpu")
    assert out.features.shape == (5, 12) and out.probas.shape == (5, 4)


def test_huggingface_backbone_pooled_output(pixels):
    entry = huggingface_entry(tiny_vit_config(), head=False)
    out = extract_features(entry, pixels, device="cpu")
    with torch.no_grad():
        pooled = entry.module.eval()(pixel_values=pixels).pooler_output
    assert out.probas is None
    np.testing.assert_allclose(out.features, pooled.numpy(), rtol=1e-5, atol=1e-5)


def test_huggingface_by_name_is_lazy_and_versioned(pixels, tmp_path):
    pytest.importorskip("transformers")
    entry = huggingface_entry("some-org/some-model", revision="v1")
    assert entry.is_lazy and entry.version == "hf:some-org/some-model@v1:head"
    assert np.isnan(ModelZoo([entry]).metadata()["n_params"].astype(float).iloc[0])
    # A local directory without a model: the real loading path fails fast, offline.
    missing = huggingface_entry(str(tmp_path))
    with pytest.raises(ValueError, match="could not be loaded"):
        extract_features(missing, pixels, device="cpu")


def test_huggingface_rejects_other_objects():
    pytest.importorskip("transformers")
    with pytest.raises(TypeError, match="PretrainedConfig"):
        huggingface_entry(42)


TORCHVISION = importable("torchvision")
TIMM = importable("timm")


@pytest.mark.skipif(TORCHVISION is not None, reason=str(TORCHVISION))
def test_torchvision_random_resnet(pixels):
    entry = torchvision_entry("resnet18", weights=None, num_classes=6)
    assert entry.family == "resnet"
    out = extract_features(entry, torch.randn(2, 3, 32, 32), device="cpu")
    assert out.features.shape == (2, 512) and out.probas.shape == (2, 6)
    with pytest.raises(ValueError, match="Unknown torchvision model name 'resnet51'"):
        torchvision_entry("resnet51")
    with pytest.raises(ValueError, match="Unknown weights"):
        torchvision_entry("resnet18", weights="NO_SUCH_WEIGHTS")
    lazy = torchvision_entry("resnet50")
    assert lazy.is_lazy and lazy.version == "torchvision:resnet50:IMAGENET1K_V2"


@pytest.mark.skipif(TIMM is not None, reason=str(TIMM))
def test_timm_random_model():
    entry = timm_entry("resnet18", pretrained=False, num_classes=5)
    out = extract_features(entry, torch.randn(2, 3, 32, 32), device="cpu")
    assert out.features.shape == (2, 512) and out.probas.shape == (2, 5)
    headless = timm_entry("resnet18", pretrained=False, num_classes=0, alias="r18-headless")
    assert extract_features(headless, torch.randn(2, 3, 32, 32), device="cpu").probas is None
    with pytest.raises(ValueError, match="Unknown timm model name"):
        timm_entry("resnet_no_such")


@pytest.mark.skipif(TORCHVISION is None, reason="torchvision imports here")
def test_torchvision_missing_is_a_clear_import_error():
    with pytest.raises(ImportError, match=r"skspider\[torchvision\]"):
        torchvision_entry("resnet18")


@pytest.mark.skipif(TIMM is None, reason="timm imports here")
def test_timm_missing_is_a_clear_import_error():
    with pytest.raises(ImportError, match=r"skspider\[timm\]"):
        timm_entry("resnet18")


def test_adapter_arguments_are_validated_before_any_import():
    with pytest.raises(TypeError, match="'name' parameter of torchvision_entry"):
        torchvision_entry(50)
    with pytest.raises(ValueError, match="'pretrained' parameter of timm_entry"):
        timm_entry("resnet18", pretrained="yes")
    with pytest.raises(ValueError, match="'revision' parameter of huggingface_entry"):
        huggingface_entry("org/model", revision=3)
