"""The Python API: the README's "Python" section and examples/ run as written, results are
DataFrames and typed objects, library errors name parameters (the CLI names flags)."""

from __future__ import annotations

import re
import runpy

import neo4j
import pandas as pd
import pytest

from transfergraph import TransferGraph
from transfergraph.config import Settings
from transfergraph.db import run
from transfergraph.errors import ParameterError, TGError
from transfergraph.features.table import build_table

from support import REPO, cli

pytestmark = pytest.mark.server


def python_blocks(section: str) -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, flags=re.S)


def test_the_example_ranks_the_untried_models(wiped: neo4j.Driver) -> None:
    ranking = runpy.run_path(str(REPO / "examples" / "rank_models.py"))["main"]()
    assert isinstance(ranking, pd.DataFrame) and list(ranking["rank"]) == [1, 2, 3, 4, 5]
    tried = {m["model"] for m in ranking.attrs["measured"]}
    assert len(tried) == 3 and not tried & set(ranking["model"])
    assert ranking["score"].is_monotonic_decreasing
    assert ranking.attrs["method"] == "model-prior"


def test_the_readme_python_section_runs(zoo_graph: neo4j.Driver) -> None:
    blocks = python_blocks("Python")
    assert blocks, "the README has a Python section with code"
    scope: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), scope)
    top = scope["top"]
    assert isinstance(top, pd.DataFrame) and len(top) == 5 and top["model"].is_unique
    # the image history calibrates an expected accuracy with an 80% interval for each model
    assert top["expected"].notna().all() and (top["low"] <= top["expected"]).all()
    assert (top["expected"] <= top["high"]).all() and top.attrs["no_interval"] is None
    result = scope["result"]
    assert isinstance(result.summary, pd.DataFrame) and "rf+none" in set(result.summary["method"])
    assert set(result.per_target["target"]) == {"cifar100"}


def test_library_errors_name_parameters_and_the_cli_names_flags(zoo_graph: neo4j.Driver) -> None:
    with TransferGraph() as tg, pytest.raises(ParameterError, match=r"^top: must be at least 1$"):
        tg.recommend("cifar100", top=0)
    proc = cli("recommend", "--dataset", "cifar100", "--top", "0")
    assert proc.returncode == 2 and proc.stderr.strip() == "error: --top must be at least 1"


def test_an_explicit_uri_is_used(zoo_graph: neo4j.Driver, settings: Settings) -> None:
    from transfergraph import server

    with pytest.raises(TGError, match="NEO4J_PASSWORD"):  # never the managed server's password file
        TransferGraph(uri=settings.bolt_uri)
    with TransferGraph(uri=settings.bolt_uri, password=server.password(settings)) as tg:
        assert tg.settings.uri == settings.bolt_uri
        assert run(tg.driver, "readback/dataset", id="cifar100")[0]["modality"] == "image"


@pytest.fixture
def example(wiped: neo4j.Driver) -> neo4j.Driver:
    """The test server holding only the example's history (12 image models, six datasets, no
    similarity, no LogME), ingested from a DataFrame, with the production view built."""
    history = runpy.run_path(str(REPO / "examples" / "rank_models.py"))["history"]
    with TransferGraph() as tg:
        tg.ingest_runs(history(), modality="image", model_col="model", dataset_col="dataset",
                       accuracy_col="accuracy")  # fmt: skip
        tg.graph_build()
    return wiped


def test_a_ranking_without_its_inputs_falls_back_and_says_so(example: neo4j.Driver) -> None:
    """Runs only (no similarity, no LogME): logme-profile-history falls back to the similarity
    history, that to the model prior; tg predict and tg recommend name it, nothing errors."""
    with TransferGraph() as tg:
        done = tg.predict(method="logme-profile-history").frame()
        assert list(done["ranked_by"]) == ["model-prior"]
        assert done.loc[0, "fallback"] == (
            "logme-profile-history: no dataset similarity; similarity-history: no dataset similarity"
        )
        assert (
            tg.recommendation("flowers", top=3).fallback
            == f"ranked by model-prior ({done.loc[0, 'fallback']})"
        )
    proc = cli("recommend", "--dataset", "flowers", "--method", "logme-profile-history", "--top", "3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("logme-profile-history: ranked by model-prior (")


def test_predict_keeps_the_top_k_per_dataset_and_recommend_says_how_to_keep_more(
    example: neo4j.Driver,
) -> None:
    with TransferGraph() as tg:
        tg.predict(method="model-prior")
        full = tg.recommend("flowers", top=20)
        tg.predict(method="model-prior", top_k=2)
        kept = example.execute_query(
            "MATCH (m:Model)-[p:PREDICTED {method: 'model-prior'}]->(d:Dataset) "
            "RETURN d.id AS d, EXISTS { (m)-[:FINETUNED_ON]->(d) } AS tried, count(*) AS n"
        ).records
        assert kept and all(r["n"] <= 2 for r in kept)
        top = tg.recommendation("flowers", top=5)
    assert len(full) == 9 and [r["model"] for r in top.rows] == list(full["model"][:2])  # the same best two
    assert top.more is not None and "--top-k 5" in top.more


def test_recall_then_rank_loses_nothing_the_user_sees(example: neo4j.Driver) -> None:
    """tg predict scores per dataset the tried models and the C best untried by the prior: ranking
    by the prior, the stored top K is the same for C = K as for every model."""
    with TransferGraph() as tg:
        rows: dict[int, list[tuple[str, str]]] = {}
        for c in (3, 1000):
            tg.predict(method="model-prior", top_k=3, candidates=c)
            found = example.execute_query(
                "MATCH (m:Model)-[p:PREDICTED {method: 'model-prior', view: 'all'}]->(d:Dataset) "
                "RETURN m.id AS m, d.id AS d, p.score AS s ORDER BY d, s DESC, m"
            ).records
            rows[c] = [(r["d"], r["m"]) for r in found]
        with pytest.raises(ParameterError, match=r"^candidates: must be at least top_k"):
            tg.predict(method="model-prior", top_k=3, candidates=2)
    # flowers: 3 untried of 9 and its 3 tried; the five others: their 3 best tried
    assert rows[3] == rows[1000] and len(rows[3]) == 6 + 5 * 3


def test_a_model_pre_trained_on_two_datasets_is_one_row_per_pair(example: neo4j.Driver) -> None:
    """Hub records often name several source datasets: the feature table still has one row per
    (model, dataset), and predictions with intervals are written (it used to duplicate the rows)."""
    example.execute_query(
        "MATCH (m:Model {id: 'example-org/vit-00'}) "
        "MERGE (a:Dataset {id: 'src-a', modality: 'image'}) "
        "MERGE (b:Dataset {id: 'src-b', modality: 'image'}) "
        "MERGE (m)-[:PRETRAINED_ON]->(a) MERGE (m)-[:PRETRAINED_ON]->(b)"
    )
    table = build_table(example, "all", "image")
    assert not table.frame.duplicated(["model", "dataset"]).any()
    assert set(table.frame.loc[table.frame["model"] == "example-org/vit-00", "source_dataset"]) == {"src-a"}
    with TransferGraph() as tg:
        assert tg.predict(method="model-prior")[0].predicted > 0
