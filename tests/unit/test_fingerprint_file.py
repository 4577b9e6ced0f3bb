"""The fingerprint file (format v1), the zoo's Hub mapping and the agreement of two distance matrices:
pure logic, no server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transfergraph.errors import InvalidInput
from transfergraph.evaluation.similarity import rank_correlation
from transfergraph.loaders import fingerprints, paper_zoo
from transfergraph.loaders.fingerprints import Fingerprint
from transfergraph.userdata import zoo

from support import ZOO

VIT = "google/vit-base-patch16-224"


def record(**changes: Any) -> dict[str, Any]:
    base = {"format": "transfergraph-fingerprint", "version": 1, "id": "cifar100", "modality": "image",
            "probe": VIT, "probe_revision": "abc", "vector": [0.25, -1.5, 3], "sample": 1000, "seed": 0,
            "source": "hf:uoft-cs/cifar100", "created_at": "2026-12-05T08:00:00Z"}  # fmt: skip
    return {k: v for k, v in (base | changes).items() if v is not ...}


def write(path: Path, *records: dict[str, Any] | str) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(InvalidInput) as e:
        fingerprints.read(path)
    return [str(p) for p in e.value.problems]


def test_a_file_round_trips_exactly(tmp_path: Path) -> None:
    fps = fingerprints.read(
        write(tmp_path / "a.jsonl", record(), record(id="dtd", vector=[0.1, 0.2, 1e-300]))
    )
    assert [f.id for f in fps] == ["cifar100", "dtd"] and fps[0].vector == (0.25, -1.5, 3.0)
    fingerprints.write(tmp_path / "b.jsonl", fps)
    again = fingerprints.read(tmp_path / "b.jsonl")
    assert [f.as_json() for f in again] == [f.as_json() for f in fps]
    assert not list(tmp_path.glob("*.part"))


def test_nullable_fields_may_be_left_out(tmp_path: Path) -> None:
    fp = fingerprints.read(
        write(tmp_path / "a.jsonl", record(probe_revision=..., source=None, created_at=...))
    )[0]
    assert (fp.probe_revision, fp.source, fp.created_at) == (None, None, None)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"format": "other"}, "column 'format': expected 'transfergraph-fingerprint'"),
        ({"version": 2}, "column 'version': version 2: written by a newer transfergraph"),
        ({"version": True}, "column 'version': version true: unknown version"),
        ({"id": ""}, "column 'id': empty dataset id"),
        ({"probe": ...}, "column 'probe': missing"),
        ({"modality": "audio"}, "column 'modality': expected image or text"),
        ({"vector": []}, "column 'vector': expected a non-empty list of numbers"),
        ({"vector": [1, "2"]}, "column 'vector': item 1: expected a number"),
        ({"vector": [1, True]}, "column 'vector': item 1: expected a number, got true"),
        ({"vector": [1, 10**400]}, "column 'vector': item 1: "),
        ({"sample": 0}, "column 'sample': 0 is outside"),
        ({"seed": 2**63}, "column 'seed': 9223372036854775808 is outside"),
        ({"seed": 1.5}, "column 'seed': expected an integer"),
        ({"created_at": "yesterday"}, "column 'created_at': expected an ISO 8601 time"),
        ({"extra": 1}, "column 'extra': unknown field"),
    ],
)
def test_bad_fields_name_the_line_and_field(tmp_path: Path, changes: dict[str, Any], expected: str) -> None:
    path = write(tmp_path / "f.jsonl", record(id="ok"), record(**changes))
    found = problems(path)
    assert found[0].startswith(f"{path}:2: {expected}"), found


def test_non_finite_and_unreadable_lines(tmp_path: Path) -> None:
    nan = json.dumps(record()).replace("[0.25", "[NaN")
    path = write(tmp_path / "f.jsonl", nan)
    assert problems(path) == [f"{path}:1: column 'vector': item 0: non-finite number nan"]
    path = write(tmp_path / "g.jsonl", nan, "{oops", "[1]")  # the file's syntax first, every line of it
    found = problems(path)
    assert [f.split(": ")[0] for f in found] == [f"{path}:2", f"{path}:3"] and "not JSON" in found[0]


def test_a_file_must_agree_with_itself(tmp_path: Path) -> None:
    lines = [record(), record(id="dtd", vector=[1.0]), record(id="x", modality="text"), record()]
    path = write(tmp_path / "f.jsonl", *lines)
    assert problems(path) == [
        f"{path}:2: column 'vector': 1 values, but probe {VIT!r} gives 3 (line 1)",
        f"{path}:3: column 'modality': text, but probe {VIT!r} embeds image datasets (line 1)",
        f"{path}:4: column 'id': dataset 'cifar100' is already on line 1",
    ]


def test_files_that_are_not_fingerprint_files(tmp_path: Path) -> None:
    csv = tmp_path / "f.csv"
    assert problems(write(csv, "a,b")) == [f"{csv}: a fingerprint file is JSON lines: expected .jsonl"]
    assert problems(tmp_path / "none.jsonl") == [f"{tmp_path / 'none.jsonl'}: file not found"]
    with pytest.raises(InvalidInput, match=r"name it \.jsonl"):
        fingerprints.write(tmp_path / "out.txt", [])
    with pytest.raises(InvalidInput, match="no folder"):
        fingerprints.write(tmp_path / "nowhere" / "out.jsonl", [])


def test_check_against_the_graph(tmp_path: Path) -> None:
    fps = fingerprints.read(write(tmp_path / "f.jsonl", record(), record(id="dtd")))
    graph = [Fingerprint("svhn", "image", "google/vit-base-patch16-224", None, (1.0, 2.0), 10, 0, None, None)]
    with pytest.raises(InvalidInput) as e:
        fingerprints.check_against("f", fps, graph, {"cifar100": "text", "dtd": "image"})
    assert [str(p) for p in e.value.problems] == [
        "f:1: column 'modality': dataset 'cifar100' is text in the graph",
        f"f:2: column 'vector': 3 values, but probe {VIT!r} gives 2 (dataset 'svhn' in the graph)",
    ]
    # a dataset the file replaces does not count as the graph's
    fingerprints.check_against("f", fps, [graph[0].__class__(**{**graph[0].__dict__, "id": "dtd"})], {})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=20))
def test_any_finite_vector_round_trips_bit_for_bit(
    tmp_path_factory: pytest.TempPathFactory, vector: list[float]
) -> None:
    folder = tmp_path_factory.mktemp("h")
    fp = Fingerprint("d", "text", "p", None, tuple(vector), 5, 1, None, None)
    fingerprints.write(folder / "a.jsonl", [fp])
    assert fingerprints.read(folder / "a.jsonl")[0].vector == tuple(vector)


def test_the_packaged_mapping_names_every_dataset_of_the_paper_zoo() -> None:
    entries = zoo.hub_ids()
    if not (ZOO / "image_classification" / "records.csv").exists():
        pytest.skip(f"the paper zoo is not at {ZOO}")
    rec = paper_zoo.load(ZOO, ("image", "text"))
    assert set(rec.datasets) == set(entries)
    assert all(entries[d].modality == row["modality"] for d, row in rec.datasets.items())
    with_hub = {d for d, e in entries.items() if e.hub}
    tweets = {f"tweet_eval/{t}" for t in ("emotion", "hate", "irony", "offensive", "sentiment")}
    targets = {"cifar100", "caltech101", "dtd", "flowers", "pets", "stanfordcars", "svhn", "glue/cola",
               "glue/sst2", "rotten_tomatoes", *tweets}  # fmt: skip
    assert targets <= with_hub
    assert (
        entries["glue/cola"].hub == "hf:nyu-mll/glue:cola"
        and entries["tweet_eval/irony"].hub == "hf:cardiffnlp/tweet_eval:irony"
    )


def test_a_bad_mapping_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        "# c\ndataset,modality,hub,label_col,text_col,note\na,image,uoft-cs/cifar100,,,\na,audio,,,,\n"
    )
    with pytest.raises(InvalidInput) as e:
        zoo.hub_ids(path)
    assert [str(p) for p in e.value.problems] == [
        f"{path}:3: column 'hub': expected hf:REPO[:CONFIG][:SPLIT], got 'uoft-cs/cifar100'",
        f"{path}:4: column 'dataset': 'a' is named twice",
        f"{path}:4: column 'modality': expected image or text, got 'audio'",
    ]


def test_rank_correlation_is_spearman_on_the_shared_pairs() -> None:
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    names = [f"d{i}" for i in range(8)]
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    published = {p: float(rng.integers(0, 5)) for p in pairs}  # ties
    computed = {(b, a): published[(a, b)] + float(rng.normal(0, 2)) for a, b in pairs[:20]}  # reversed keys
    computed[("x", "y")] = 1.0  # not shared
    n, rho = rank_correlation(published, computed)
    expected = spearmanr([published[p] for p in pairs[:20]], [computed[(p[1], p[0])] for p in pairs[:20]])
    assert n == 20 and rho == pytest.approx(expected.statistic, abs=1e-12)
    assert rank_correlation(published, {pairs[0]: 1.0, pairs[1]: 2.0}) == (2, None)
    assert rank_correlation(published, dict.fromkeys(pairs, 1.0))[1] is None
