"""`tg model add`'s offline reading, without a server: modality from the config, the parameter
count from a safetensors header (a note when it cannot be read), and one line for each bad local
source, hostile JSON included (the refusals happen before any connection)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from transfergraph.errors import TGError
from transfergraph.loaders import guarded_json
from transfergraph.userdata import models
from transfergraph.userdata.models import infer_modality, prepare, read_local, safetensors_parameters


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
    assert safetensors_parameters(path) == (12 + 4 + 1, None)
    (tmp_path / "broken.safetensors").write_bytes(b"\x05")
    assert safetensors_parameters(tmp_path / "broken.safetensors") == (
        None,
        "shorter than a safetensors header",
    )


def test_a_local_folder_gives_the_hub_record_and_its_weights(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "vit", "architectures": ["ViTModel"]}))
    safetensors_file(tmp_path / "model.safetensors", {"w": [10, 10]})
    record, weights, notes = read_local("me/vit", tmp_path)
    assert record["id"] == "me/vit" and record["config"]["model_type"] == "vit"
    assert record["safetensors"] == {"total": 100} and weights == str(tmp_path.resolve()) and notes == []
    only_config, none, _ = read_local("me/vit", tmp_path / "config.json")
    assert none is None and "safetensors" not in only_config


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "not found"),
        ("folder", "no config.json"),
        (
            '{"a": 1,}',
            "config.json: not JSON: Expecting property name enclosed in double quotes at character 9",
        ),
        ("[1, 2]", "expected a JSON object"),
        (b"\xff\xfe", "config.json: is UTF-16 (little-endian) text (byte-order mark): save it as UTF-8"),
        (b'{"a": "\xe9"}', "config.json:1: not UTF-8: byte 0xe9 at offset 7"),
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


def header_file(path: Path, header: bytes) -> Path:
    path.write_bytes(struct.pack("<Q", len(header)) + header)
    return path


HOSTILE_CONFIGS = [
    ("5,000-digit integer", b'{"model_type": "vit", "hidden_size": ' + b"7" * 5000 + b"}",
     "not JSON we can read: Exceeds the limit (4300 digits)"),
    ("100,000 nested brackets", b'{"model_type": "vit", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
     "not JSON we can read: nested too deeply"),
    ("600 nested objects", b'{"model_type": "vit", "x": ' + b'{"a": ' * 600 + b"1" + b"}" * 600 + b"}",
     "not JSON we can read: nested too deeply (more than 512 levels)"),
    ("NaN", b'{"model_type": "vit", "eps": NaN}', "not JSON we can read: non-finite number NaN"),
    ("1e400", b'{"model_type": "vit", "eps": 1e400}', "not JSON we can read: non-finite number 1e400"),
    ("-Infinity", b'{"model_type": "vit", "eps": -Infinity}', "non-finite number -Infinity"),
    ("UTF-16", '{"model_type": "vit"}'.encode("utf-16"), "is UTF-16 (little-endian) text"),
    ("binary", b"\x00\x01\x02", "NUL byte at offset 0"),
    ("empty", b"", "file is empty"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("config", "expected"), [c[1:] for c in HOSTILE_CONFIGS], ids=[c[0] for c in HOSTILE_CONFIGS]
)
def test_a_hostile_config_json_is_one_line_naming_it(tmp_path: Path, config: bytes, expected: str) -> None:
    """These were tracebacks (ValueError, RecursionError); `prepare` runs before any connection."""
    (tmp_path / "config.json").write_bytes(config)
    with pytest.raises(TGError) as e:
        prepare("me/x", source=tmp_path, modality=None)
    message = str(e.value)
    assert message.startswith(str(tmp_path / "config.json")) and expected in message and "\n" not in message


def test_a_config_over_the_size_limit_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guarded_json, "MAX_JSON_BYTES", 100)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "vit", "pad": "x" * 200}))
    with pytest.raises(TGError, match=r"config.json: is 2\d\d bytes; we read JSON of at most 100"):
        prepare("me/x", source=tmp_path, modality=None)


UNREADABLE_HEADERS = [
    ("overflowing, negative and text dims", b'{"w": {"dtype": "F32", "shape": [1e400, -5, "x"]}}',
     "not JSON we can read: non-finite number 1e400"),
    ("negative dim", b'{"w": {"dtype": "F32", "shape": [3, -5]}}',
     "tensor 'w' has shape [3, -5]: -5 is not a size"),
    ("text dim", b'{"w": {"shape": ["x"]}}', "'x' is not a size"),
    ("float dim", b'{"w": {"shape": [2.0]}}', "2.0 is not a size"),
    ("huge dim", b'{"w": {"shape": [' + b"9" * 4000 + b"]}}", "is not a size"),
    ("count over 64 bits", b'{"w": {"shape": [4294967296, 4294967296]}}', "the count exceeds 64 bits"),
    ("5,000-digit dim", b'{"w": {"shape": [' + b"9" * 5000 + b"]}}", "Exceeds the limit (4300 digits)"),
    ("nested", b'{"w": {"shape": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}", "nested too deeply"),
    ("no shape", b'{"w": {"dtype": "F32"}}', "tensor 'w' has no shape list"),
    ("not an object", b"[1, 2]", "its header is not a JSON object"),
    ("not UTF-8", b'{"w\xff": 1}', "not UTF-8"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("header", "expected"), [c[1:] for c in UNREADABLE_HEADERS], ids=[c[0] for c in UNREADABLE_HEADERS]
)
def test_an_unreadable_parameter_count_is_a_note(tmp_path: Path, header: bytes, expected: str) -> None:
    """The model is still added (the count is unknown), and the note says why: it used to be an
    OverflowError, or a silent null for a negative shape."""
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "vit"}))
    header_file(tmp_path / "model.safetensors", header)
    new = prepare("me/x", source=tmp_path, modality=None)
    assert "num_parameters" not in new.records.models["me/x"]["props"]
    assert len(new.notes) == 1 and new.notes[0].startswith(
        f"{tmp_path / 'model.safetensors'}: parameter count"
    )
    assert expected in new.notes[0] and "\n" not in new.notes[0]


def test_a_cut_or_oversized_header_is_a_note(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(struct.pack("<Q", 50) + b'{"w": ')
    assert safetensors_parameters(path) == (None, "the file ends inside its header")
    path.write_bytes(struct.pack("<Q", 2**40))
    assert safetensors_parameters(path) == (None, f"its header claims {2**40} bytes")
    path.write_bytes(struct.pack("<Q", 0))
    assert safetensors_parameters(path) == (None, "its header is empty")


def test_a_hub_record_goes_through_the_same_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Online, the Hub client parses the JSON: the record is checked the same way (depth, finite)."""
    deep: list[object] = []
    for _ in range(600):
        deep = [deep]
    for record, expected in (
        ({"id": "me/x", "config": {"model_type": "vit", "eps": float("inf")}}, "non-finite number inf"),
        ({"id": "me/x", "config": {"model_type": "vit", "x": deep}}, "nested too deeply"),
    ):
        monkeypatch.setattr(models, "read_hub", lambda _id, r=record: r)
        with pytest.raises(TGError, match=expected) as e:
            prepare("me/x", source=None, modality=None)
        assert str(e.value).startswith("huggingface.co: ")
