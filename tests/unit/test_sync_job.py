"""`tg sync` job files: every error names the file, the source's table and the field, in one line;
relative paths are read from the job file's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from transfergraph.sync.job import FULL_ABOVE, JobError, parse

RUNS = """
[sources.team]
kind = "runs"
files = ["runs/team.csv"]
modality = "image"
model_col = "model"
dataset_col = "dataset"
accuracy_col = "acc"
"""


def job(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "job.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_job_parses_with_defaults_and_paths_from_its_folder(tmp_path: Path) -> None:
    text = RUNS + '\n[sources.lab]\nkind = "mlflow"\nexperiments = "ft"\nmodel_param = "m"\n'
    text += 'dataset_param = "d"\nmetric = "acc"\nmodality = "text"\n[refresh]\npredict = false\n'
    parsed = parse(job(tmp_path, text))
    assert [(s.name, s.kind) for s in parsed.sources] == [("team", "runs"), ("lab", "mlflow")]
    assert parsed.sources[0].options["files"] == [str(tmp_path / "runs" / "team.csv")]
    assert parsed.sources[1].options["experiments"] == ["ft"]  # one name for a list of one
    assert (parsed.refresh.graph, parsed.refresh.predict, parsed.refresh.full_above) == (
        True,
        False,
        FULL_ABOVE,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (RUNS.replace('accuracy_col = "acc"\n', ""), "[sources.team]: field 'accuracy_col': required"),
        (RUNS.replace('"image"', '"audio"'), "[sources.team]: field 'modality': expected 'image' or 'text'"),
        (
            RUNS.replace('"runs"', '"csv"'),
            "[sources.team]: field 'kind': expected one of fingerprints, hf-models",
        ),
        (RUNS + "batch = 3\n", "[sources.team]: field 'batch': unknown field for kind 'runs'"),
        (
            RUNS.replace('["runs/team.csv"]', "[]"),
            "[sources.team]: field 'files': expected a string or a non-",
        ),
        (
            RUNS.replace('"model"', "3"),
            "[sources.team]: field 'model_col': expected a non-empty string, got 3",
        ),
        (RUNS + "[refresh]\nfull_above = -1\n", "[refresh]: field 'full_above': must be at least 0"),
        (RUNS + "[refresh]\npredict = 'yes'\n", "[refresh]: field 'predict': expected bool"),
        (RUNS + "[extra]\n", "[extra]: unknown table"),
        ("[refresh]\n", "no [sources.NAME] table"),
        ("sources = [", "not TOML"),
    ],
)
def test_a_bad_job_is_one_line_naming_file_table_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = job(tmp_path, text)
    with pytest.raises(JobError) as e:
        parse(path)
    assert str(e.value).startswith(f"{path}: ") and message in str(e.value), str(e.value)
    assert "\n" not in str(e.value)


def test_a_missing_job_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(JobError, match="no such job file"):
        parse(tmp_path / "nope.toml")
