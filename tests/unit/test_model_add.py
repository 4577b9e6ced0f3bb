"""`tg model add`'s offline reading, without a server: modality from the config, the parameter
count from a safetensors header, and one line for each bad local source."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from transfergraph.errors import TGError
from transfergraph.userdata.models import infer_modality, read_local, safetensors_parameters


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"architectures": ["ViTForImageClassification"], "model_type": "vit"}, "image"),
        ({"architectures": ["BertForSequenceClassification"]}, "text"),
        ({"architectures": ["RobertaForMaskedLM"]}, "text"),
        ({"model_type": "convnext"}, "image"),
        ({"model_type": "bert"}, "text"),
        ({"model_type": "wav2vec2"}, None),
        ({}, None),
    ],
)
def test_modality_from_the_config(config: dict[str, object], expected: str | None) -> None:
    assert infer_modality(config) == expected


def safetensors_file(path: Path, shapes: dict[str, list[int]]) -> Path:
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape in shapes.items():
        size = 4
        for d in shape:
            size *= d
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * offset)
    return path


def test_parameter_count_from_the_safetensors_header(tmp_path: Path) -> None:
    path = safetensors_file(tmp_path / "model.safetensors", {"w": [3, 4], "b": [4], "scalar": []})
    assert safetensors_parameters(path) == 12 + 4 + 1
    (tmp_path / "broken.safetensors").write_bytes(b"\x05")
    assert safetensors_parameters(tmp_path / "broken.safetensors") is None


def test_a_local_folder_gives_the_hub_record_and_its_weights(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "vit", "architectures": ["ViTModel"]}))
    safetensors_file(tmp_path / "model.safetensors", {"w": [10, 10]})
    record, weights = read_local("me/vit", tmp_path)
    assert record["id"] == "me/vit" and record["config"]["model_type"] == "vit"
    assert record["safetensors"] == {"total": 100} and weights == str(tmp_path.resolve())
    only_config, none = read_local("me/vit", tmp_path / "config.json")
    assert none is None and "safetensors" not in only_config


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "not found"),
        ("folder", "no config.json"),
        ('{"a": 1,}', "config.json:1: column 9: not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_bad_local_sources_are_one_line(tmp_path: Path, content: str | bytes | None, expected: str) -> None:
    path = tmp_path / "config.json"
    if content == "folder":
        path = tmp_path / "empty"
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(TGError) as e:
        read_local("x", path)
    assert expected in str(e.value) and "\n" not in str(e.value)
