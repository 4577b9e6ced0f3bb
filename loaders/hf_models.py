"""Model metadata from Hugging Face Hub records: online through `huggingface_hub`, offline from JSONL.

A record is what `HfApi.model_info` / `list_models(full=True, cardData=True, fetch_config=True)`
return (id, pipeline_tag, library_name, tags, downloads, likes, config, safetensors, card_data),
one JSON object per line. Trained-on datasets (card data and `dataset:` tags) become
PRETRAINED_ON edges to (possibly bare) Dataset nodes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transfergraph.errors import InvalidInput, MissingExtra, Problem
from transfergraph.loaders.guarded_json import check_value
from transfergraph.loaders.records import MODALITIES, Records
from transfergraph.loaders.storable import INT64_MAX, key_problem, value_problem
from transfergraph.loaders.tabular import read_rows

PIPELINE_MODALITY = {
    "image-classification": "image",
    "image-feature-extraction": "image",
    "text-classification": "text",
    "token-classification": "text",
    "fill-mask": "text",
    "feature-extraction": "text",
}


def _blank(value: Any) -> bool:
    """Text of white space only (or empty): a name the record does not really give."""
    return isinstance(value, str) and not value.strip()


def _first(record: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if record.get(key) is not None:
            return record[key]
    return None


def _datasets(record: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """Trained-on dataset names (card data, then `dataset:` tags) and (column, problem) pairs."""
    problems: list[tuple[str, str]] = []
    card_key = "card_data" if record.get("card_data") is not None else "cardData"
    card = _first(record, "card_data", "cardData") or {}
    if not isinstance(card, dict):
        return [], [(card_key, f"expected an object, got {type(card).__name__}")]
    found = card.get("datasets")
    if found is not None and not isinstance(found, str | list):
        problems.append((f"{card_key}.datasets", f"expected a name or a list, got {type(found).__name__}"))
        found = None
    names = [found] if isinstance(found, str) else list(found or [])
    tags = record.get("tags")
    if tags is not None and not isinstance(tags, list):
        problems.append(("tags", f"expected a list, got {type(tags).__name__}"))
        tags = None
    tagged = [t for t in tags or [] if isinstance(t, str) and t.startswith("dataset:")]
    names += [t.removeprefix("dataset:") for t in tagged]
    kept = []
    for n in names:
        if _blank(n):
            continue
        problem = key_problem(n, "dataset id")
        if problem:
            problems.append((f"{card_key}.datasets" if n in (found or []) else "tags", problem))
        else:
            kept.append(n)
    return list(dict.fromkeys(kept)), problems


def _count(value: Any) -> int | str | None:
    """A non-negative 64-bit count, None when absent, or why it is not one."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and 0 <= value <= INT64_MAX:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return f"expected a count >= 0, got {_short(value)}"
    if value > INT64_MAX:
        return f"integer {_short(value)} is outside the 64-bit range Neo4j stores"
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:18]}...{text[-18:]} ({len(text)} characters)"


def _num_parameters(record: dict[str, Any]) -> tuple[str, int | str | None]:
    """(column, the parameter count or why it is not one)."""
    safetensors = record.get("safetensors")
    if isinstance(safetensors, dict) and isinstance(safetensors.get("total"), int):
        return "safetensors.total", _count(safetensors["total"])
    key = "num_parameters" if record.get("num_parameters") is not None else "number_of_parameters"
    value = _first(record, "num_parameters", "number_of_parameters")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return key, None
    if isinstance(value, float) and not value.is_integer():
        return key, f"expected a whole number, got {value!r}"
    return key, _count(value)


def records_from(rows: list[tuple[int, dict[str, Any]]], name: str, modality: str | None) -> Records:
    if modality is not None and modality not in MODALITIES:
        raise InvalidInput(
            [Problem(name, None, None, f"unknown modality {modality!r} (expected image or text)")]
        )
    rec = Records(source="hf-models")
    problems: list[Problem] = []
    for line, record in rows:
        model = _first(record, "id", "modelId")
        id_key = "id" if record.get("id") is not None else ("modelId" if "modelId" in record else "id")
        if model is None or _blank(model):
            problems.append(Problem(name, line, "id", "missing model id"))
            continue
        problem = key_problem(model, "model id")
        if problem:
            problems.append(Problem(name, line, id_key, problem))
            continue
        config = record.get("config") or {}
        if not isinstance(config, dict):
            problems.append(Problem(name, line, "config", "expected an object"))
            continue
        before = len(problems)
        counts: dict[str, int | None] = {}
        for key in ("downloads", "likes"):
            count = _count(record.get(key))
            if isinstance(count, str):
                problems.append(Problem(name, line, key, count))
            else:
                counts[key] = count
        params_key, params = _num_parameters(record)
        if isinstance(params, str):
            problems.append(Problem(name, line, params_key, params))
            params = None
        pipeline = record.get("pipeline_tag")
        architectures = _first(config, "architectures") or _first(record, "architectures")
        if isinstance(architectures, list):  # blank names are skipped (as blank dataset names are);
            # then none is no value: the bulk importer cannot store an empty list, nor tell [""] from it
            architectures = [a for a in architectures if not _blank(a)] or None
        texts = {
            "pipeline_tag": pipeline,
            "library": _first(record, "library_name", "library"),
            "model_type": _first(config, "model_type") or record.get("model_type"),
        }
        for key, value in texts.items():
            if value is not None and not isinstance(value, str):
                problems.append(Problem(name, line, key, f"expected text, got {type(value).__name__}"))
            elif value is not None and value_problem(value):
                problems.append(Problem(name, line, key, str(value_problem(value))))
        if architectures is not None and not isinstance(architectures, str | list):
            problems.append(
                Problem(
                    name,
                    line,
                    "architectures",
                    f"expected a list of names, got {type(architectures).__name__}",
                )
            )
        elif value_problem(architectures):
            problems.append(Problem(name, line, "architectures", str(value_problem(architectures))))
        datasets, dataset_problems = _datasets(record)
        problems += [Problem(name, line, col, msg) for col, msg in dataset_problems]
        if len(problems) > before:
            continue
        node_modality = modality or PIPELINE_MODALITY.get(str(pipeline))
        rec.model(
            model,
            node_modality,
            pipeline_tag=pipeline,
            library=texts["library"],
            architectures=list(architectures) if isinstance(architectures, list) else architectures,
            model_type=texts["model_type"],
            num_parameters=params,
            downloads=counts.get("downloads"),
            likes=counts.get("likes"),
        )
        for dataset in datasets:
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
    rows = [(i, record_of(info)) for i, info in enumerate(infos, start=1)]
    problems = []
    for i, record in rows:  # parsed by the Hub client: the guarded reader's rules all the same
        try:
            check_value(record, f"huggingface.co (record {i})")
        except InvalidInput as e:
            problems += e.problems
    if problems:
        raise InvalidInput(problems)
    return records_from(rows, "huggingface.co", modality)


def record_of(info: Any) -> dict[str, Any]:
    """A `huggingface_hub` ModelInfo as the record shape `records_from` validates (also what
    `tg model add` reads online)."""
    card = getattr(info, "card_data", None)
    return {
        "id": info.id,
        "pipeline_tag": info.pipeline_tag,
        "library_name": info.library_name,
        "tags": info.tags,
        "downloads": info.downloads,
        "likes": info.likes,
        "config": info.config,
        "safetensors": {"total": info.safetensors.total} if info.safetensors else None,
        "card_data": card.to_dict() if card is not None else None,
    }
