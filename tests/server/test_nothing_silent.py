"""Issue 20 against the real server, each case comparing the whole graph before and after: a file
loaded again under a new name changes nothing; a paper-zoo file in another encoding, an accuracy
no float holds and an over-long view name are one line and write nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import neo4j
import pytest

from transfergraph.loaders import paper_zoo

from support import RUN_COLS, ZOO, cli, graph_dump

pytestmark = pytest.mark.server

ROWS = "model,dataset,acc,lr\norg/m1,d1,0.5,0.1\norg/m1,d1,0.5,0.1\norg/m2,d1,0.75,0.01\n"
COLS = ["--modality", "image", *RUN_COLS, "--hparam-col", "lr"]


@pytest.fixture
def seeded(driver: neo4j.Driver, tmp_path: Path) -> neo4j.Driver:
    driver.execute_query("MATCH (n) DETACH DELETE n")
    (tmp_path / "seed.csv").write_text(ROWS)
    out = cli("ingest", "runs", str(tmp_path / "seed.csv"), *COLS)
    assert out.returncode == 0, out.stderr
    return driver


def facts(dump: str) -> str:
    """A graph dump less the SourceState nodes (what incremental ingest records it read)."""
    return "\n".join(line for line in dump.splitlines() if '"SourceState"' not in line)


def test_the_same_rows_under_a_new_file_name_change_nothing(seeded: neo4j.Driver, tmp_path: Path) -> None:
    before = graph_dump(seeded)
    runs, _, _ = seeded.execute_query("MATCH ()-[r:FINETUNED_ON]->() RETURN count(r) AS n")
    assert runs[0]["n"] == 3  # the repeated row is two runs
    (tmp_path / "renamed.jsonl").write_text(
        "".join(
            json.dumps({"model": m, "dataset": d, "acc": float(a), "lr": float(lr)}) + "\n"
            for m, d, a, lr in (line.split(",") for line in ROWS.splitlines()[1:])
        )
    )
    for name in ("renamed.csv", "renamed.jsonl"):
        if name.endswith(".csv"):
            shutil.copy(tmp_path / "seed.csv", tmp_path / name)
        if name.endswith(".csv"):  # the very content ingested: not read again
            unread = cli("ingest", "runs", str(tmp_path / name), *COLS, "-f", "json")
            assert unread.returncode == 0 and json.loads(unread.stdout)[0]["status"] == "unchanged", name
            assert graph_dump(seeded) == before, name
        out = cli("ingest", "runs", str(tmp_path / name), *COLS, "--full", "-f", "json")  # read all the same
        assert out.returncode == 0, out.stderr
        summary = {r["entity"]: r for r in json.loads(out.stdout)}["runs"]
        assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 0, 3), name
        # the facts are as they were; a new content (JSONL) is recorded as read (SourceState)
        assert facts(graph_dump(seeded)) == facts(before), name


@pytest.mark.parametrize(
    ("modality", "name"), [(m, f) for m in paper_zoo.FOLDERS for f in paper_zoo.files(m)]
)
def test_a_zoo_file_in_utf16_is_one_line_and_writes_nothing(
    seeded: neo4j.Driver, tmp_path: Path, modality: str, name: str
) -> None:
    folder = tmp_path / paper_zoo.FOLDERS[modality]
    folder.mkdir()
    for f in paper_zoo.files(modality):
        (folder / f).symlink_to(ZOO / paper_zoo.FOLDERS[modality] / f)
    (folder / name).unlink()
    (folder / name).write_bytes((ZOO / paper_zoo.FOLDERS[modality] / name).read_text().encode("utf-16"))
    before = graph_dump(seeded)
    out = cli("ingest", "paper-zoo", "--path", str(tmp_path), "--modality", modality)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        f"error: {folder / name}: is UTF-16 (little-endian) text (byte-order mark): save it as UTF-8",
        "error: 1 problem(s); nothing was written",
    ]
    assert graph_dump(seeded) == before


def test_an_accuracy_no_float_holds_is_refused_and_writes_nothing(
    seeded: neo4j.Driver, tmp_path: Path
) -> None:
    nines = "0." + "9" * 5000
    (tmp_path / "nines.csv").write_text(f"model,dataset,acc,lr\norg/new,d2,0.5,0.1\norg/new,d2,{nines},0.1\n")
    (tmp_path / "nines.jsonl").write_text(
        '{"model": "org/new", "dataset": "d2", "acc": 0.5, "lr": 0.1}\n'
        f'{{"model": "org/new", "dataset": "d2", "acc": {nines}, "lr": 0.1}}\n'
    )
    before = graph_dump(seeded)
    for name, line in (("nines.csv", 3), ("nines.jsonl", 2)):
        for bulk in ([], ["--dry-run"]):
            out = cli("ingest", "runs", str(tmp_path / name), *COLS, *bulk)
            assert out.returncode == 2, out.stderr
            first = out.stderr.splitlines()[0]
            assert (
                first.startswith(f"error: {tmp_path / name}:{line}: column 'acc': '0.999")
                and "(5004 characters)" in first
            )
            assert "would be stored as 1.0" in first and len(first) < 400
            assert graph_dump(seeded) == before


def test_a_view_name_over_the_id_limit_writes_nothing(seeded: neo4j.Driver) -> None:
    before = graph_dump(seeded)
    out = cli("graph", "build", "--view", "v" * 10_000)
    assert out.returncode == 2 and "view name is 10000 bytes of UTF-8" in out.stderr
    assert len(out.stderr) < 500 and graph_dump(seeded) == before
    assert cli("graph", "build", "--view", "v" * 8000).returncode == 0  # the limit itself is accepted
