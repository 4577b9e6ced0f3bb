"""The columnar `--bulk` path for Hub model JSONL (transfergraph/ingest/bulk/columnar_hf.py), without a
server: it writes the same import files' content (nodes, relationships, typed properties, "" apart
from no value) and the same counts and summary as the Records path (`hf_models.load_file`,
`bulk.plan`, `bulk.write_csv`), and hands anything unusual over (None); the CLI then prints the
Records path's one-line errors. `columnar_hf.records` (the transactional path's Records, read from the
same checked batches) equals the row loader's Records wherever the import files are compared, and
hands over wherever they do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transfergraph.errors import InvalidInput
from transfergraph.ingest import bulk
from transfergraph.ingest.bulk import columnar_hf
from transfergraph.loaders import hf_models, storable

from support import HOSTILE, SYNTH_ZOO, cli, columnar_mode
from support import read_import_files as _read


def _write(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _same_records(files: list[Path], modality: str | None) -> bool:
    """`columnar_hf.records` and the row loader on `files`: False when the former hands over, else
    asserts it gives each file's Records as `hf_models.load_file` and `storable.check` do."""
    got = columnar_hf.records(files, modality)
    if got is None:
        return False
    for path, rec in zip(files, got, strict=True):
        want = storable.check(hf_models.load_file(path, modality))  # type: ignore[arg-type]
        assert rec.source == want.source
        assert list(rec.models.items()) == list(want.models.items())
        assert list(rec.datasets.items()) == list(want.datasets.items())
        assert rec.pretrained_on == want.pretrained_on
        assert (rec.skipped, rec.notes, rec.counts()) == (want.skipped, want.notes, want.counts())
    return True


def _compare(files: list[Path], modality: str | None, out: Path) -> bool:
    """Both paths on `files`: False when the columnar one hands over, else asserts they agree (the
    import files, and the transactional path's Records: `_same_records`)."""
    prepared = columnar_hf.hf_models(files, modality, out / "columnar")
    assert _same_records(files, modality) == (prepared is not None)  # both read the same batches
    if prepared is None:
        return False
    parts = [storable.check(hf_models.load_file(f, modality)) for f in files]  # type: ignore[arg-type]
    p = bulk.plan(parts)
    assert _read(prepared.layout) == _read(bulk.write_csv(p, out / "records"))
    assert prepared.expected == p.counts()
    assert prepared.counts == {e: sum(part.counts()[e] for part in parts) for e in p.counts()}
    assert prepared.source == bulk.merge(parts).source
    tallies = {e: (t.created, t.updated, t.unchanged, t.skipped) for e, t in p.summary.items()}
    assert {e: (t.created, t.updated, t.unchanged, t.skipped) for e, t in prepared.summary.items()} == tallies
    return True


def test_synthetic_zoo_writes_what_the_records_path_writes(tmp_path: Path) -> None:
    """The synthetic zoo's (SYNTH_ZOO's) record shape, as two files sharing datasets, with and without
    --modality."""
    args = ["--models", "600", "--runs", "1", "--datasets", "30", "--seed", "3", "--out", str(tmp_path)]
    subprocess.run([sys.executable, str(SYNTH_ZOO), *args], check=True, capture_output=True)
    lines = (tmp_path / "hf-models.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    files = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    files[0].write_text("".join(lines[:250]), encoding="utf-8")
    files[1].write_text("".join(lines[250:]), encoding="utf-8")
    assert _compare(files, None, tmp_path / "none"), "the columnar path handed a clean file over"
    assert _compare(files, "text", tmp_path / "text")


def test_every_field_and_spelling(tmp_path: Path) -> None:
    records = [
        {"id": HOSTILE[i], "downloads": i, "tags": ["x", f"dataset:{HOSTILE[-i]}", "dataset: "]}
        for i in range(1, len(HOSTILE))
    ]
    records += [
        {"id": "bare", "x": float("nan")},  # an ignored NaN: json.loads and pyarrow both take it
        {"id": "nulls", "pipeline_tag": None, "config": None, "card_data": None, "tags": None, "likes": None},
        {
            "id": "empty",
            "pipeline_tag": "",
            "library_name": "",
            "config": {"architectures": [], "model_type": ""},
            "architectures": [],
            "model_type": "top",
            "card_data": {},
            "tags": [],
        },
        {
            "id": "fallbacks",
            "library": "lib",
            "architectures": ["A", ""],
            "num_parameters": 7,
            "config": {"other": {"nested": [1, "x"]}},
            "safetensors": {"total": None},
        },
        {
            "id": "params",
            "safetensors": {"total": 2**63 - 1},
            "number_of_parameters": 3,
            "downloads": 0,
            "pipeline_tag": "fill-mask",
            "card_data": {"datasets": ["d1", " ", "d1", "\u2028"], "license": "mit"},
            "tags": ["dataset:d1", "dataset:d2"],
        },
        {
            "id": "ünïcödé\u2028\u0085/模型",
            "pipeline_tag": "image-classification",
            "card_data": {"datasets": ["d2"]},
            "config": {"architectures": ["X\u0085Y"], "model_type": "m"},
            "extra": {"deep": [[[]]]},
        },
        {"id": "late-1", "tags": ["dataset:late"], "pipeline_tag": "other"},  # named without a modality
        {"id": "late-2", "pipeline_tag": "image-classification", "card_data": {"datasets": ["late"]}},
    ]
    path = _write(tmp_path / "m.jsonl", records)
    assert _compare([path], None, tmp_path / "out")
    assert _compare([path], "image", tmp_path / "image")


_names = st.text(st.sampled_from(["a", "B", " ", "\n", '"', ",", "é", "\u2028", "d"]), min_size=0, max_size=4)
_record = st.fixed_dictionaries(
    {"id": _names},
    optional={
        "pipeline_tag": st.sampled_from([None, "", "fill-mask", "image-classification", "other"]),
        "library_name": st.none() | _names,
        "downloads": st.none() | st.integers(-1, 2**63 - 1),
        "likes": st.none() | st.integers(0, 3),
        "architectures": st.none() | st.lists(_names, max_size=2),
        "model_type": st.none() | _names,
        "config": st.none()
        | st.fixed_dictionaries(
            {}, optional={"architectures": st.lists(_names, max_size=2), "model_type": _names}
        ),
        "card_data": st.none()
        | st.fixed_dictionaries({}, optional={"datasets": st.lists(_names, max_size=3)}),
        "tags": st.none() | st.lists(_names.map(lambda s: f"dataset:{s}") | _names, max_size=3),
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(_record, min_size=1, max_size=6),
    split=st.integers(0, 6),
    modality=st.sampled_from([None, "text"]),
)
def test_either_the_same_files_or_handed_over(
    tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, Any]], split: int, modality: str | None
) -> None:
    """Random records (blank and repeated ids, negative counts, shared datasets across two files):
    when the Records path refuses them the columnar path hands over; when it takes them both agree."""
    tmp = tmp_path_factory.mktemp("hyp")
    files = [_write(tmp / "a.jsonl", records[:split] or records), _write(tmp / "b.jsonl", records[split:])]
    files = files[:1] if split == 0 or split >= len(records) else files
    try:
        for f in files:
            storable.check(hf_models.load_file(f, modality))  # type: ignore[arg-type]
    except InvalidInput:
        assert columnar_hf.hf_models(files, modality, tmp / "out") is None
        assert columnar_hf.records(files, modality) is None
        return
    ids = [r["id"] for r in records]
    taken = _compare(files, modality, tmp)
    assert taken or len(set(ids)) < len(ids) or any(r.get("downloads", 0) == -1 for r in records)


UNUSUAL = [
    '{"id": "a"}\n{"id": "a"}\n',  # duplicate id (valid: plan.py merges)
    '{"modelId": "a"}\n',
    '{"id": "a", "modelId": "b"}\n',
    '{"id": "a", "cardData": {"datasets": ["d"]}}\n',
    '{"id": "a", "downloads": 3.0}\n',  # whole float (valid for the Records path)
    '{"id": "a", "downloads": -1}\n',
    '{"id": "a", "likes": "3"}\n',
    '{"id": "a", "downloads": 9223372036854775808}\n',
    '{"id": "a", "downloads": true}\n',
    '{"id": "a", "safetensors": {"total": -5}}\n',
    '{"id": "a", "num_parameters": 1.5}\n',
    '{"id": ""}\n',
    '{"id": "  "}\n',
    '{"id": "\\u2028"}\n',
    '{"id": 5}\n',
    '{"pipeline_tag": "fill-mask"}\n',
    f'{{"id": "{"m" * 8001}"}}\n',
    '{"id": "a\\u0000"}\n',
    '{"id": "a\\ud800"}\n',
    '{"id": "a", "card_data": {"datasets": "d"}}\n',
    '{"id": "a", "card_data": {"datasets": [null]}}\n',
    '{"id": "a", "card_data": {"datasets": [1]}}\n',
    '{"id": "a", "card_data": "x"}\n',
    '{"id": "a", "card_data": []}\n',
    '{"id": "a", "config": []}\n',
    '{"id": "a", "config": {"architectures": "X"}}\n',
    '{"id": "a", "config": {"architectures": [null]}}\n',
    '{"id": "a", "architectures": ["X\\u001fY"]}\n',
    '{"id": "a", "tags": "dataset:d"}\n',
    '{"id": "a", "tags": [1, "dataset:d"]}\n',
    f'{{"id": "a", "tags": ["dataset:{"d" * 8001}"]}}\n',
    '{"id": "a", "pipeline_tag": 3}\n',
    '{"id": "a"} {"id": "b"}\n',  # two objects on a line
    '{"id": "a"} null\n',
    "null\n",  # pyarrow crashes on it: refused before it is read
    '[{"id": "a"}]\n',
    ' {"id": "a"}\n',
    '\ufeff{"id": "a"}\n',
    '{"id": "a", "x": 01}\n',
    '{"id": "a", "x": [1,]}\n',
    "{'id': 'a'}\n",
    '{"id": "a", "x": "\\x"}\n',
    '{"id": "a", "x": ' + "9" * 5000 + "}\n",  # Python refuses an integer of 5,000 digits
    '{"id": "a", "x": ' + "[" * 3000 + "]" * 3000 + "}\n",  # and nesting 3,000 deep
    '{"id": "a", "x": "\t"}\n',
    '{"id": "a"}\n\x0c\n',
    "",
    "\n\n",
]


@pytest.mark.parametrize("text", UNUSUAL)
def test_unusual_input_goes_the_records_way(tmp_path: Path, text: str) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(text, encoding="utf-8")
    assert columnar_hf.hf_models([path], None, tmp_path / "out") is None
    assert columnar_hf.records([path], None) is None


def test_bad_bytes_and_files_go_the_records_way(tmp_path: Path) -> None:
    good = '{"id": "a"}\n'
    for name, data in {
        "latin1.jsonl": '{"id": "\xe9"}\n'.encode("latin-1"),
        "nul.jsonl": b'{"id": "a\x00"}\n',
        "utf16.jsonl": good.encode("utf-16"),
    }.items():
        (tmp_path / name).write_bytes(data)
        assert columnar_hf.hf_models([tmp_path / name], None, tmp_path / "out") is None, name
        assert columnar_hf.records([tmp_path / name], None) is None, name
    a, b = _write(tmp_path / "a.jsonl", [{"id": "a"}]), _write(tmp_path / "b.jsonl", [{"id": "a"}])
    assert columnar_hf.hf_models([a, b], None, tmp_path / "out") is None  # one model in two files
    assert columnar_hf.records([a, b], None) is None
    assert columnar_hf.records([a], "audio") is None  # records_from names the modality
    assert _compare([a], None, tmp_path / "one")
    assert not columnar_hf.wanted([a])  # small: row by row
    assert not columnar_hf.wanted([tmp_path / "m.csv"])


@pytest.fixture
def no_import(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Any]:
    """`--bulk` without a server: the database counts as empty, and the stop/import/start step
    only records the import files' content; the columnar path is taken whatever the size."""
    swapped: list[Any] = []
    (tmp_path / "no-server").mkdir()
    for module in (bulk, bulk.importer):  # the job checks first, the import again
        monkeypatch.setattr(module, "check_empty", lambda settings: None)
    monkeypatch.setattr(
        bulk.importer,
        "_swap_in",
        lambda s, p, layout, expected, *_: swapped.append((_read(layout), expected)),
    )
    columnar_mode(monkeypatch, "always")
    return swapped


def test_cli_takes_the_columnar_path_and_prints_the_records_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_import: list[Any]
) -> None:
    taken: list[Any] = []
    real = columnar_hf.hf_models
    monkeypatch.setattr(columnar_hf, "hf_models", lambda *a: taken.append(real(*a)) or taken[-1])
    path = _write(
        tmp_path / "m.jsonl",
        [
            {"id": "a", "card_data": {"datasets": ["d"]}, "pipeline_tag": "fill-mask"},
            {"id": "b", "tags": ["dataset:d", "dataset:e"]},
        ],
    )
    out = {}
    for mode in ("always", "never"):
        columnar_mode(monkeypatch, mode)
        result = cli("ingest", "hf-models", "--file", str(path), "--bulk", "--format", "json")
        assert result.returncode == 0, result.stderr
        out[mode] = result.stdout
    assert len(taken) == 1 and taken[0] is not None
    assert out["always"] == out["never"] and '"created": 3' in out["always"]
    assert no_import[0] == no_import[1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"id": "a"}\n{"id": "  "}\n', "m.jsonl:2: column 'id': missing model id"),
        ('{"id": "a", "downloads": -1}\n', "m.jsonl:1: column 'downloads': expected a count >= 0, got -1"),
        (
            '{"id": "a", "card_data": {"datasets": [null]}}\n',
            "column 'card_data.datasets': expected a string",
        ),
        ("null\n", "m.jsonl:1: expected a JSON object, got NoneType"),
        ('{"id": "a"} {"id": "b"}\n', "m.jsonl:1: not JSON: Extra data"),
    ],
)
def test_cli_hands_over_and_prints_the_records_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_import: list[Any], text: str, message: str
) -> None:
    taken: list[Any] = []
    real = columnar_hf.hf_models
    monkeypatch.setattr(columnar_hf, "hf_models", lambda *a: taken.append(real(*a)) or taken[-1])
    path = tmp_path / "m.jsonl"
    path.write_text(text, encoding="utf-8")
    result = cli("ingest", "hf-models", "--file", str(path), "--bulk")
    assert result.returncode == 2
    assert taken == [None] and not no_import  # tried, handed over, nothing imported
    assert message in result.stderr and "nothing was written" in result.stderr
    assert not list((tmp_path / "no-server").glob("bulk-*"))  # the columnar path's files are gone


def test_cli_dry_run_reads_column_wise_and_prints_the_records_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--file` without --bulk (here --dry-run: no server): the columnar Records when the files are
    large enough (columnar_mode "always"), the row loader otherwise; the same summary either way."""
    taken: list[Any] = []
    real = columnar_hf.records
    monkeypatch.setattr(columnar_hf, "records", lambda *a: taken.append(real(*a)) or taken[-1])
    path = _write(
        tmp_path / "m.jsonl",
        [
            {"id": "a", "card_data": {"datasets": ["d", "d"]}, "pipeline_tag": "fill-mask"},
            {"id": "b", "tags": ["dataset:d", "dataset:e", "dataset: "], "pipeline_tag": "other"},
        ],
    )
    for args in ([], ["--modality", "image"]):
        out = {}
        for mode in ("always", "never"):
            taken.clear()
            columnar_mode(monkeypatch, mode)
            result = cli("ingest", "hf-models", "--file", str(path), *args, "--dry-run", "--format", "json")
            assert result.returncode == 0, result.stderr
            assert len(taken) == (mode == "always") and None not in taken
            out[mode] = json.loads(result.stdout)
        assert out["always"] == out["never"]
        assert {r["entity"]: r["rows"] for r in out["always"]} == {
            "models": 2, "datasets": 2, "pretrained_on": 3, "similarities": 0, "runs": 0, "scores": 0,
        }  # fmt: skip
