"""Model metadata from Hugging Face Hub records: online through `huggingface_hub`, offline from JSONL.

A record is what `HfApi.model_info` / `list_models(full=True, cardData=True, fetch_config=True)`
return (id, pipeline_tag, library_name, tags, downloads, likes, config, safetensors, card_data),
one JSON object per line. Trained-on datasets (card data and `dataset:` tags) become
PRETRAINED_ON edges to (possibly bare) Dataset nodes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transfergraph.errors import MissingExtra
from transfergraph.loaders.records import MODALITIES, InvalidInput, Problem, Records
from transfergraph.loaders.tabular import read_rows

PIPELINE_MODALITY = {
    "image-classification": "image",
    "image-feature-extraction": "image",
    "text-classification": "text",
    "token-classification": "text",
    "fill-mask": "text",
    "feature-extraction": "text",
}


def _first(record: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if record.get(key) is not None:
            return record[key]
    return None


def _datasets(record: dict[str, Any]) -> list[str]:
    card = _first(record, "card_data", "cardData") or {}
    found = card.get("datasets") if isinstance(card, dict) else None
    names = [found] if isinstance(found, str) else list(found or [])
    names += [t.removeprefix("dataset:") for t in record.get("tags") or [] if str(t).startswith("dataset:")]
    return list(dict.fromkeys(str(n) for n in names if str(n).strip()))


def _num_parameters(record: dict[str, Any]) -> int | None:
    safetensors = record.get("safetensors")
    if isinstance(safetensors, dict) and isinstance(safetensors.get("total"), int):
        return int(safetensors["total"])
    value = _first(record, "num_parameters", "number_of_parameters")
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def records_from(rows: list[tuple[int, dict[str, Any]]], name: str, modality: str | None) -> Records:
    if modality is not None and modality not in MODALITIES:
        raise InvalidInput(
            [Problem(name, None, None, f"unknown modality {modality!r} (expected image or text)")]
        )
    rec = Records(source="hf-models")
    problems: list[Problem] = []
    for line, record in rows:
        model = _first(record, "id", "modelId")
        if not isinstance(model, str) or not model.strip():
            problems.append(Problem(name, line, "id", "missing model id"))
            continue
        config = record.get("config") or {}
        if not isinstance(config, dict):
            problems.append(Problem(name, line, "config", "expected an object"))
            continue
        pipeline = record.get("pipeline_tag")
        for key in ("downloads", "likes"):
            value = record.get(key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                problems.append(Problem(name, line, key, f"expected a count >= 0, got {value!r}"))
        node_modality = modality or PIPELINE_MODALITY.get(str(pipeline))
        architectures = _first(config, "architectures") or _first(record, "architectures")
        rec.model(
            model,
            node_modality,
            pipeline_tag=pipeline,
            library=_first(record, "library_name", "library"),
            architectures=list(architectures) if isinstance(architectures, list) else architectures,
            model_type=_first(config, "model_type") or record.get("model_type"),
            num_parameters=_num_parameters(record),
            downloads=record.get("downloads"),
            likes=record.get("likes"),
        )
        for dataset in _datasets(record):
            rec.dataset(dataset, node_modality)
            rec.pretrained_on.append({"model": model, "dataset": dataset, "props": {"source": "hf-models"}})
    if problems:
        raise InvalidInput(problems)
    return rec


def load_file(path: Path, modality: str | None = None) -> Records:
    _, rows = read_rows(path)
    return records_from(rows, str(path), modality)


def load_hub(search: str | None, pipeline_tag: str | None, limit: int, modality: str | None) -> Records:
    """Online: list models from the Hub with their config and card data (needs the `hf` extra)."""
    try:
        from huggingface_hub import HfApi
    except ImportError:
        raise MissingExtra("huggingface_hub", "hf", "reading models from the Hub") from None
    api = HfApi()
    infos = api.list_models(
        search=search, pipeline_tag=pipeline_tag, limit=limit, full=True, cardData=True, fetch_config=True
    )
    rows = []
    for i, info in enumerate(infos, start=1):
        card = getattr(info, "card_data", None)
        rows.append(
            (
                i,
                {
                    "id": info.id,
                    "pipeline_tag": info.pipeline_tag,
                    "library_name": info.library_name,
                    "tags": info.tags,
                    "downloads": info.downloads,
                    "likes": info.likes,
                    "config": info.config,
                    "safetensors": {"total": info.safetensors.total} if info.safetensors else None,
                    "card_data": card.to_dict() if card is not None else None,
                },
            )
        )
    return records_from(rows, "huggingface.co", modality)
