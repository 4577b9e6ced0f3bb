"""`tg model add` against the real server: a model the graph has is refused (graph unchanged)
unless --update, which replaces its record as a whole and says what changed; hostile model
folders are one line and write nothing; an unreadable parameter count is a note."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import neo4j
import pytest

from transfergraph import ingest
from transfergraph.db import run
from transfergraph.loaders.records import Records

from support import cli, graph_dump

pytestmark = pytest.mark.server

SWIN = "microsoft/swin-tiny-patch4-window7-224"
SWIN_PROPS = {"architectures": ["SwinForImageClassification"], "model_type": "swin", "num_labels": 1000,
              "num_parameters": 28288354, "source_dataset": "imagenet-1k", "source_accuracy": 0.81,
              "embedding_node2vec": [0.5, 0.25]}  # fmt: skip


@pytest.fixture
def zoo(driver: neo4j.Driver) -> neo4j.Driver:
    """A Swin model as the paper zoo stores it: metadata, a PRETRAINED_ON edge, a run, a vector."""
    driver.execute_query("MATCH (n) DETACH DELETE n")
    rec = Records(source="test")
    rec.model(SWIN, "image", **SWIN_PROPS)
    rec.dataset("imagenet-1k", "image")
    rec.dataset("cifar100", "image")
    rec.pretrained_on.append({"model": SWIN, "dataset": "imagenet-1k", "props": {"accuracy": 0.81}})
    rec.runs.append({"run_id": "r1", "model": SWIN, "dataset": "cifar100", "props": {"accuracy": 0.9}})
    ingest.write(driver, rec)
    return driver


def vit_folder(path: Path, **config: Any) -> Path:
    path.mkdir(exist_ok=True)
    base = {"architectures": ["ViTForImageClassification"], "model_type": "vit", "num_labels": 10}
    (path / "config.json").write_text(json.dumps({**base, **config}))
    return path


def model(driver: neo4j.Driver, id: str) -> dict[str, Any]:
    rows, _, _ = driver.execute_query("MATCH (m:Model {id: $id}) RETURN properties(m) AS p", id=id)
    return rows[0]["p"] if rows else {}


def test_a_known_model_is_refused_and_the_graph_is_unchanged(zoo: neo4j.Driver, tmp_path: Path) -> None:
    before = graph_dump(zoo)
    out = cli("model", "add", SWIN, "--from", str(vit_folder(tmp_path / "vit")))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert (
        len(lines) == 1 and f"model {SWIN!r} is already in the graph" in lines[0] and "--update" in lines[0]
    )
    assert graph_dump(zoo) == before


def test_update_replaces_the_record_as_a_whole_and_says_what_changed(
    zoo: neo4j.Driver, tmp_path: Path
) -> None:
    folder = vit_folder(tmp_path / "vit")
    out = cli("model", "add", SWIN, "--from", str(folder), "--update", "--format", "json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["status"] == "replaced"
    changes = result["changes"].split("; ")
    assert "architectures ['SwinForImageClassification'] -> ['ViTForImageClassification']" in changes
    assert "model_type 'swin' -> 'vit'" in changes and "library 'transformers' added" in changes
    assert "num_labels 1000 removed" in changes and "source_dataset 'imagenet-1k' removed" in changes
    assert "pretrained_on ['imagenet-1k'] -> []" in changes
    # the new record only (no old field left beside the new ones), the derived vector kept
    assert model(zoo, SWIN) == {
        "id": SWIN, "modality": "image", "architectures": ["ViTForImageClassification"], "model_type": "vit",
        "library": "transformers", "embedding_node2vec": [0.5, 0.25],
    }  # fmt: skip
    rels = run(zoo, "readback/datasets")  # the datasets stay; only the model's own edges changed
    assert {r["id"] for r in rels} >= {"imagenet-1k", "cifar100"}
    edges, _, _ = zoo.execute_query(
        "MATCH (:Model {id: $id})-[r]->(d) RETURN type(r) AS t, d.id AS d", id=SWIN
    )
    assert sorted((e["t"], e["d"]) for e in edges) == [("FINETUNED_ON", "cifar100")]  # the run stays
    again = cli("model", "add", SWIN, "--from", str(folder), "--update", "--format", "json")
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "unchanged"
    assert json.loads(again.stdout)["changes"] == "-"


def safetensors(path: Path, header: bytes) -> None:
    (path / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)


def hostile_folders(tmp: Path) -> list[tuple[str, Path, str]]:
    """(case, folder, fragment of the one error line)."""
    cases = []
    for case, raw in (
        ("5,000-digit integer", b'{"model_type": "vit", "hidden_size": ' + b"7" * 5000 + b"}"),
        ("100,000 nested brackets", b'{"model_type": "vit", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("NaN", b'{"model_type": "vit", "eps": NaN}'),
        ("UTF-16", '{"model_type": "vit"}'.encode("utf-16")),
    ):
        folder = tmp / case.replace(" ", "_")
        folder.mkdir()
        (folder / "config.json").write_bytes(raw)
        cases.append((case, folder, f"{folder / 'config.json'}"))
    return cases


def test_hostile_model_folders_are_one_line_and_write_nothing(zoo: neo4j.Driver, tmp_path: Path) -> None:
    before = graph_dump(zoo)
    for case, folder, fragment in hostile_folders(tmp_path):
        out = cli("model", "add", "me/new", "--from", str(folder))
        assert out.returncode == 2, (case, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {fragment}"), (case, lines)
        assert graph_dump(zoo) == before, case


def test_an_unreadable_parameter_count_is_a_note_and_only_the_model_is_added(
    zoo: neo4j.Driver, tmp_path: Path
) -> None:
    """`"shape": [1e400, -5, "x"]` was an OverflowError, a negative shape a silent null."""
    for i, header in enumerate(
        (b'{"w": {"dtype": "F32", "shape": [1e400, -5, "x"]}}', b'{"w": {"dtype": "F32", "shape": [3, -5]}}')
    ):
        before = graph_dump(zoo)
        folder = vit_folder(tmp_path / f"vit{i}")
        safetensors(folder, header)
        out = cli("model", "add", f"me/vit{i}", "--from", str(folder), "--format", "json")
        assert out.returncode == 0, out.stderr
        notes = out.stderr.strip().splitlines()
        assert len(notes) == 1 and notes[0].startswith(
            f"note: {folder / 'model.safetensors'}: parameter count"
        )
        added = model(zoo, f"me/vit{i}")
        assert "num_parameters" not in added and added["weights_path"] == str(folder.resolve())
        zoo.execute_query("MATCH (m:Model {id: $id}) DETACH DELETE m", id=f"me/vit{i}")
        assert graph_dump(zoo) == before  # nothing else was written
