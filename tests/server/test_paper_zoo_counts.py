"""`tg ingest paper-zoo` into the real server: exact node and relationship counts.

Every expected number is re-derived here from the published CSVs with pandas, independently of
`loaders/` (docs/method.md, "The paper's zoo", describes the quirks): nothing from the loader is imported.
Only the names of labels, types and entities come from `transfergraph.schema`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import neo4j
import pandas as pd
import pytest

from transfergraph import schema

from support import cli

pytestmark = pytest.mark.server

FOLDERS = {"image": "image_classification", "text": "sequence_classification"}
METRICS = {"TransferabilityMethod.LOG_ME": "LogME", "TransferabilityMethod.REG_H_SCORE": "Reg-H-Score"}
ALIASES = {
    "glut/qqp": "glue/qqp",
    "oxford_flowers102": "flowers",
    "oxford_iiit_pet": "pets",
    "svhn_cropped": "svhn",
}
UNDERSCORED = re.compile(r"^(glue|tweet_eval)_(.+)$")


def canon(name: str) -> str:
    name = ALIASES.get(name, name)
    m = UNDERSCORED.match(name)
    return f"{m.group(1)}/{m.group(2)}" if m else name


@dataclass
class Expected:
    """What the graph must hold, per modality, derived from the CSVs alone."""

    models: dict[str, set[str]] = field(default_factory=dict)
    datasets: dict[str, set[str]] = field(default_factory=dict)
    pretrained_on: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    similar_to: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # probe -> {(a, b)}, a < b
    runs: dict[str, Counter[str]] = field(default_factory=dict)  # modality -> Counter(peft)
    scores: dict[str, pd.DataFrame] = field(default_factory=dict)  # (model, dataset, metric, mean, size)
    features: dict[str, dict[str, int]] = field(default_factory=dict)  # dataset -> reported values


def derive(zoo: Path) -> Expected:
    exp = Expected()
    for modality, folder in FOLDERS.items():
        d = zoo / folder
        cfg = pd.read_csv(d / "model_config_dataset.csv")
        config_models = set(cfg["model"].dropna())
        models, datasets = set(config_models), set()

        # PRETRAINED_ON: image keys its source by the label list when there is one.
        source = cfg["labels"].fillna(cfg["dataset"]) if modality == "image" else cfg["dataset"]
        pre = pd.DataFrame({"model": cfg["model"], "dataset": source}).dropna()
        exp.pretrained_on[modality] = {
            (m, canon(t)) for m, t in zip(pre["model"], pre["dataset"], strict=True)
        }
        datasets |= {t for _, t in exp.pretrained_on[modality]}

        rec = pd.read_csv(d / "records.csv", index_col=0)
        is_id = rec["model"].map(lambda m: isinstance(m, str))
        keep = is_id & rec["model"].isin(list(config_models)) & rec["eval_accuracy"].notna()
        kept = rec[keep]
        peft = kept["peft_method"] if "peft_method" in kept else pd.Series(pd.NA, index=kept.index)
        exp.runs[modality] = Counter(peft.map({"lora": "lora", "lor": "lora"}).fillna("full"))
        models |= set(kept["model"])
        datasets |= set(kept["finetuned_dataset"].map(canon))

        sc = pd.read_csv(d / "transferability_score_records.csv", index_col=0)
        score = pd.to_numeric(sc["score"], errors="coerce")
        ok = sc["metric"].isin(list(METRICS)) & score.notna() & sc["model"].map(lambda m: isinstance(m, str))
        s = pd.DataFrame(
            {
                "model": sc.loc[ok, "model"],
                "dataset": sc.loc[ok, "target_dataset"].map(canon),
                "metric": sc.loc[ok, "metric"].map(METRICS),
                "score": score[ok],
            }
        )
        exp.scores[modality] = (
            s.groupby(["model", "dataset", "metric"])["score"].agg(["mean", "size"]).reset_index()
        )
        models |= set(s["model"])
        datasets |= set(s["dataset"])

        feat = pd.read_csv(d / "target_dataset_features.csv")
        datasets |= set(feat["finetune_dataset"].map(canon))
        for row in feat.itertuples():
            exp.features[canon(row.finetune_dataset)] = {
                "num_samples": int(row.size),
                "num_classes": int(row.number_of_classes),
            }

        for path in sorted(d.glob("corr_domain_similarity_*.csv")):
            probe = re.sub(r"_[^_]+\.csv$", "", path.name.removeprefix("corr_domain_similarity_"))
            names = [canon(n) for n in pd.read_csv(path, index_col=0).index]
            datasets |= set(names)
            exp.similar_to[probe] = {
                (min(a, b), max(a, b)) for i, a in enumerate(names) for b in names[i + 1 :] if a != b
            }

        exp.models[modality] = models
        exp.datasets[modality] = datasets
    return exp


def ingest(zoo: Path) -> list[dict[str, Any]]:
    proc = cli("ingest", "paper-zoo", "--path", str(zoo), "--full", "-f", "json")  # read even if unchanged
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def rows(driver: neo4j.Driver, query: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(query, params)
    return [r.data() for r in records]


def tally(driver: neo4j.Driver, query: str) -> dict[Any, int]:
    """A `RETURN k, n` query as {k: n} (k may be a list, made a tuple)."""
    return {tuple(r["k"]) if isinstance(r["k"], list) else r["k"]: r["n"] for r in rows(driver, query)}


def snapshot(driver: neo4j.Driver) -> dict[str, dict[Any, int]]:
    """Every count the tests check, in one comparable value."""
    return {
        "labels": tally(driver, "MATCH (n) RETURN labels(n) AS k, count(*) AS n"),
        "models": tally(driver, "MATCH (m:Model) RETURN m.modality AS k, count(*) AS n"),
        "datasets": tally(driver, "MATCH (d:Dataset) RETURN d.modality AS k, count(*) AS n"),
        "types": tally(driver, "MATCH ()-[r]->() RETURN type(r) AS k, count(*) AS n"),
        "pretrained_on": tally(
            driver, "MATCH (m:Model)-[:PRETRAINED_ON]->(:Dataset) RETURN m.modality AS k, count(*) AS n"
        ),
        "finetuned_on": tally(
            driver,
            "MATCH (m:Model)-[r:FINETUNED_ON]->(:Dataset) RETURN [m.modality, r.peft] AS k, count(*) AS n",
        ),
        "transferability": tally(
            driver,
            "MATCH (m:Model)-[r:TRANSFERABILITY]->(:Dataset) "
            "RETURN [m.modality, r.metric] AS k, count(*) AS n",
        ),
        "similar_to": tally(
            driver, "MATCH (:Dataset)-[r:SIMILAR_TO]->(:Dataset) RETURN r.probe_model AS k, count(*) AS n"
        ),
    }


@pytest.fixture(scope="module")
def expected(zoo: Path) -> Expected:
    return derive(zoo)


@pytest.fixture(scope="module")
def first_summary(pristine_zoo: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What ingesting the paper zoo into the empty graph reported (the session's shared ingest)."""
    return pristine_zoo


@pytest.fixture
def graph(driver: neo4j.Driver, first_summary: list[dict[str, Any]]) -> neo4j.Driver:
    return driver


# -- the numbers derived from the CSVs (pinned, so a changed bundle is noticed) -------------------


def test_derived_numbers_match_the_data_docs(expected: Expected) -> None:
    """Sanity of the pandas derivation itself against docs/method.md / the zoo README."""
    assert {m: len(s) for m, s in expected.models.items()} == {"image": 185, "text": 164}
    assert {m: len(s) for m, s in expected.datasets.items()} == {"image": 78, "text": 41}
    assert {m: len(s) for m, s in expected.pretrained_on.items()} == {"image": 185, "text": 104}
    assert {p: len(s) for p, s in expected.similar_to.items()} == {
        "google_vit_base_patch16_224": 69 * 68 // 2,  # 2,346
        "EleutherAI_gpt-neo-125m": 23 * 22 // 2,  # 253
        "gpt2": 12 * 11 // 2,  # 13 names, glue_cola == glue/cola: 66
    }
    # README: 2,254 image runs; text 3,194 rows = 1,761 full + 1,433 LoRA, minus the 4 column-shifted
    # rows and the NaN-accuracy guardian_news row (all five have peft_method NaN).
    assert expected.runs == {"image": Counter(full=2254), "text": Counter(full=1756, lora=1433)}
    # image: 1,233 rows per metric with 60 repeated dtd keys each; text: 1,255 per metric, no repeats.
    per_metric = {m: df["metric"].value_counts().to_dict() for m, df in expected.scores.items()}
    assert per_metric == {
        "image": {"LogME": 1173, "Reg-H-Score": 1173},
        "text": {"LogME": 1255, "Reg-H-Score": 1255},
    }
    repeated = expected.scores["image"].query("size > 1")
    assert len(repeated) == 120 and set(repeated["dataset"]) == {"dtd"}
    assert expected.scores["text"]["size"].max() == 1


# -- (1) nodes --------------------------------------------------------------------------------------


def test_model_nodes(graph: neo4j.Driver, expected: Expected) -> None:
    got = tally(graph, "MATCH (m:Model) RETURN m.modality AS k, count(*) AS n")
    assert got == {"image": 185, "text": 164}
    assert sum(got.values()) == 349
    for modality, ids in expected.models.items():
        found = {r["id"] for r in rows(graph, "MATCH (m:Model {modality: $m}) RETURN m.id AS id", m=modality)}
        assert found == ids, (sorted(ids - found)[:10], sorted(found - ids)[:10])


def test_dataset_nodes(graph: neo4j.Driver, expected: Expected) -> None:
    got = tally(graph, "MATCH (d:Dataset) RETURN d.modality AS k, count(*) AS n")
    assert got == {"image": 78, "text": 41}
    assert sum(got.values()) == 119
    for modality, ids in expected.datasets.items():
        found = {
            r["id"] for r in rows(graph, "MATCH (d:Dataset {modality: $m}) RETURN d.id AS id", m=modality)
        }
        assert found == ids, (sorted(ids - found)[:10], sorted(found - ids)[:10])
    raw_aliases = ["glut/qqp", "glue_cola", "oxford_flowers102", "oxford_iiit_pet", "svhn_cropped"]
    assert rows(graph, "MATCH (d:Dataset) WHERE d.id IN $ids RETURN d.id AS id", ids=raw_aliases) == []


def test_only_model_and_dataset_nodes(graph: neo4j.Driver) -> None:
    # besides the zoo's own nodes, one SourceState: what its incremental ingest read (sync/sources.py)
    assert tally(graph, "MATCH (n) WHERE NOT n:SourceState RETURN labels(n) AS k, count(*) AS n") == {
        ("Model",): 349,
        ("Dataset",): 119,
    }


# -- (2) relationships ----------------------------------------------------------------------------


def test_relationship_types(graph: neo4j.Driver) -> None:
    assert tally(graph, "MATCH ()-[r]->() RETURN type(r) AS k, count(*) AS n") == {
        "PRETRAINED_ON": 185 + 104,
        "SIMILAR_TO": 2346 + 253 + 66,
        "FINETUNED_ON": 2254 + 3189,
        "TRANSFERABILITY": 2346 + 2510,
    }


def test_pretrained_on(graph: neo4j.Driver, expected: Expected) -> None:
    for modality, pairs in expected.pretrained_on.items():
        found = rows(
            graph,
            "MATCH (m:Model {modality: $m})-[:PRETRAINED_ON]->(d:Dataset) RETURN m.id AS model, d.id AS ds",
            m=modality,
        )
        got = [(r["model"], r["ds"]) for r in found]
        assert len(got) == len(pairs) == {"image": 185, "text": 104}[modality]
        assert set(got) == pairs, (sorted(pairs - set(got))[:5], sorted(set(got) - pairs)[:5])


def test_similar_to_per_probe(graph: neo4j.Driver, expected: Expected) -> None:
    got = tally(graph, "MATCH (:Dataset)-[r:SIMILAR_TO]->(:Dataset) RETURN r.probe_model AS k, count(*) AS n")
    assert got == {"google_vit_base_patch16_224": 2346, "EleutherAI_gpt-neo-125m": 253, "gpt2": 66}
    for probe, pairs in expected.similar_to.items():
        found = rows(
            graph,
            "MATCH (a:Dataset)-[r:SIMILAR_TO {probe_model: $p}]->(b:Dataset) RETURN a.id AS a, b.id AS b",
            p=probe,
        )
        got_pairs = {(min(r["a"], r["b"]), max(r["a"], r["b"])) for r in found}
        assert len(got_pairs) == len(found)  # no pair twice under one probe, in either direction
        assert got_pairs == pairs, (sorted(pairs - got_pairs)[:5], sorted(got_pairs - pairs)[:5])
    # The two text matrices share pairs: one relationship per probe model.
    shared = expected.similar_to["EleutherAI_gpt-neo-125m"] & expected.similar_to["gpt2"]
    a, b = sorted(shared)[0]
    probes = rows(
        graph,
        "MATCH (:Dataset {id: $a})-[r:SIMILAR_TO]-(:Dataset {id: $b}) RETURN r.probe_model AS p",
        a=a,
        b=b,
    )
    assert sorted(r["p"] for r in probes) == ["EleutherAI_gpt-neo-125m", "gpt2"]
    # Never a self-loop (the gpt2 alias pair glue/cola ~ glue_cola is skipped).
    assert rows(graph, "MATCH (d:Dataset)-[r:SIMILAR_TO]->(d) RETURN count(r) AS n") == [{"n": 0}]


def test_finetuned_on_per_modality(graph: neo4j.Driver, expected: Expected) -> None:
    got = tally(graph, "MATCH (m:Model)-[r:FINETUNED_ON]->(:Dataset) RETURN m.modality AS k, count(*) AS n")
    assert got == {m: sum(c.values()) for m, c in expected.runs.items()} == {"image": 2254, "text": 3189}
    ids = rows(graph, "MATCH ()-[r:FINETUNED_ON]->() RETURN count(DISTINCT r.run_id) AS n, count(r) AS all")
    assert ids == [{"n": 5443, "all": 5443}]


def test_transferability_per_metric(graph: neo4j.Driver, expected: Expected) -> None:
    got = tally(
        graph,
        "MATCH (m:Model)-[r:TRANSFERABILITY]->(:Dataset) RETURN [m.modality, r.metric] AS k, count(*) AS n",
    )
    want = {
        (modality, metric): n
        for modality, df in expected.scores.items()
        for metric, n in df["metric"].value_counts().items()
    }
    assert (
        got
        == want
        == {
            ("image", "LogME"): 1173,
            ("image", "Reg-H-Score"): 1173,
            ("text", "LogME"): 1255,
            ("text", "Reg-H-Score"): 1255,
        }
    )


# -- (3) PEFT split -----------------------------------------------------------------------------


def test_peft_split(graph: neo4j.Driver, expected: Expected) -> None:
    got = tally(
        graph, "MATCH (m:Model)-[r:FINETUNED_ON]->(:Dataset) RETURN [m.modality, r.peft] AS k, count(*) AS n"
    )
    assert got == {(m, p): n for m, c in expected.runs.items() for p, n in c.items()}
    assert got == {("image", "full"): 2254, ("text", "full"): 1756, ("text", "lora"): 1433}


# -- (4) repeated transferability keys are averaged -----------------------------------------------


def test_repeated_dtd_score_is_the_mean(graph: neo4j.Driver, expected: Expected) -> None:
    repeated = expected.scores["image"].query("size > 1").sort_values(["metric", "model"])
    first = repeated.iloc[0]  # one named key, checked explicitly
    found = rows(
        graph,
        "MATCH (:Model {id: $m})-[r:TRANSFERABILITY {metric: $metric}]->(:Dataset {id: 'dtd'}) "
        "RETURN r.score AS score, r.n_records AS n",
        m=first["model"],
        metric=first["metric"],
    )
    assert found == [{"score": pytest.approx(first["mean"], rel=1e-12, abs=1e-12), "n": int(first["size"])}]
    # ... and every other repeated key the same way.
    found = rows(
        graph,
        "MATCH (m:Model)-[r:TRANSFERABILITY]->(d:Dataset) WHERE r.n_records > 1 "
        "RETURN m.id AS model, d.id AS dataset, r.metric AS metric, r.score AS score, r.n_records AS n",
    )
    got = {(r["model"], r["dataset"], r["metric"]): (r["score"], r["n"]) for r in found}
    want = {(r.model, r.dataset, r.metric): (r.mean, r.size) for r in repeated.itertuples()}
    assert set(got) == set(want)
    for key, (mean, size) in want.items():
        assert got[key] == (pytest.approx(mean, rel=1e-12, abs=1e-12), size), key


# -- (5) corrected dataset features ----------------------------------------------------------------


def _features(graph: neo4j.Driver, name: str) -> dict[str, Any]:
    found = rows(graph, "MATCH (d:Dataset {id: $id}) RETURN properties(d) AS p", id=name)
    assert len(found) == 1, name
    return found[0]["p"]


def test_corrected_dataset_features(graph: neo4j.Driver, expected: Expected) -> None:
    reported = expected.features
    assert reported["flowers"] == {"num_samples": 1020, "num_classes": 10}
    assert reported["tweet_eval/offensive"] == {"num_samples": 24300, "num_classes": 18}

    flowers = _features(graph, "flowers")
    assert flowers["num_classes"] == 102
    assert flowers["reported_num_classes"] == reported["flowers"]["num_classes"] == 10
    assert flowers["num_samples"] == 1020

    offensive = _features(graph, "tweet_eval/offensive")
    assert (offensive["num_samples"], offensive["num_classes"]) == (14100, 2)
    assert (offensive["reported_num_samples"], offensive["reported_num_classes"]) == (24300, 18)

    qqp = _features(graph, "glue/qqp")  # spelled 'glut/qqp' in the text features file
    assert qqp["num_samples"] == reported["glue/qqp"]["num_samples"] == 363846
    assert qqp["num_classes"] == 2

    # Every other row is stored as published.
    for name, values in reported.items():
        if name in ("flowers", "tweet_eval/offensive"):
            continue
        props = _features(graph, name)
        assert {k: props.get(k) for k in values} == values, name
        assert "reported_num_classes" not in props, name


# -- (7) ids -----------------------------------------------------------------------------------------


def test_no_node_has_a_null_id(graph: neo4j.Driver) -> None:
    assert rows(graph, "MATCH (n) WHERE n.id IS NULL AND NOT n:SourceState RETURN count(n) AS n") == [
        {"n": 0}
    ]
    assert rows(graph, "MATCH (n) WHERE n.modality IS NULL AND NOT n:SourceState RETURN count(n) AS n") == [
        {"n": 0}
    ]
    assert rows(graph, "MATCH (n:SourceState) RETURN count(n) AS n") == [{"n": 1}]


# -- the first ingest's summary (into an empty graph) reports what the graph now holds ----------


def graph_count(entity: str) -> str:
    """The graph's count of what an entity's rows become (the names from transfergraph.schema)."""
    node, rel = schema.node_kind(entity), schema.rel_kind(entity)
    if node is not None:
        return f"MATCH (n:{node.label}) RETURN count(n) AS n"
    assert rel is not None, entity
    return f"MATCH (:{rel.start})-[r:{rel.type}]->(:{rel.end}) RETURN count(r) AS n"


@pytest.mark.parametrize("entity", schema.ENTITIES)
def test_first_ingest_reports_what_it_created(
    graph: neo4j.Driver, first_summary: list[dict[str, Any]], entity: str
) -> None:
    """Into an empty graph, every row is one new node/relationship: rows == created == graph count."""
    (count,) = rows(graph, graph_count(entity))
    row = next(r for r in first_summary if r["entity"] == entity)
    assert (row["rows"], row["created"], row["updated"], row["unchanged"]) == (count["n"], count["n"], 0, 0)


# -- (6) idempotency (last: it re-ingests) ----------------------------------------------------------


def test_second_ingest_changes_nothing(
    driver: neo4j.Driver, zoo: Path, first_summary: list[dict[str, Any]]
) -> None:
    before = snapshot(driver)
    summary = ingest(zoo)
    assert [r["entity"] for r in summary] == list(schema.ENTITIES)
    for row in summary:
        assert (row["entity"], row["created"], row["updated"]) == (row["entity"], 0, 0)
        assert row["unchanged"] == row["rows"], row
    assert {r["entity"]: r["rows"] for r in summary} == {r["entity"]: r["rows"] for r in first_summary}
    after = snapshot(driver)
    assert after == before
    assert after["types"] == {
        "PRETRAINED_ON": 289,
        "SIMILAR_TO": 2665,
        "FINETUNED_ON": 5443,
        "TRANSFERABILITY": 4856,
    }
    assert after["models"] == {"image": 185, "text": 164}
    assert after["datasets"] == {"image": 78, "text": 41}
