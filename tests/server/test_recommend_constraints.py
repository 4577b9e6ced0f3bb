"""`tg recommend`'s filters on the paper zoo: the ranking is the unfiltered one without the models
that fail a filter (applied in the query), one line names what was filtered out, a filter that
leaves nothing says so in one line; the JSON carries what the table shows; --list-tried pages."""

from __future__ import annotations

import json
from typing import Any

import neo4j
import pytest

from transfergraph import graph
from transfergraph.api import TransferGraph
from transfergraph.errors import ParameterError

from support import cli

pytestmark = pytest.mark.server
# cifar100 has runs of 178 of the 185 image models: the tried ones are ranked too, or 2 are left
BASE = ("recommend", "--dataset", "cifar100", "--method", "model-prior", "--include-tried")


@pytest.fixture(scope="module")
def models(zoo_graph: neo4j.Driver) -> dict[str, dict[str, Any]]:
    """The zoo with model-prior predictions in view 'all' (those of an earlier module are reused:
    these tests read them, whatever their age); each model's properties."""
    stored, _, _ = zoo_graph.execute_query(
        "MATCH (:Model)-[p:PREDICTED {view: 'all', method: 'model-prior'}]->(:Dataset {id: 'cifar100'}) "
        "RETURN count(p) AS n"
    )
    if not stored[0]["n"]:
        graph.build(zoo_graph, None, "all", graph.BuildSettings())
        out = cli("predict", "--method", "model-prior")
        assert out.returncode == 0, out.stderr
    found, _, _ = zoo_graph.execute_query(
        "MATCH (m:Model) RETURN m.id AS id, m.num_parameters AS params, m.model_type AS type"
    )
    return {r["id"]: r.data() for r in found}


def recommend(*args: str) -> dict[str, Any]:
    out = cli(*BASE, "--top", "200", *args, "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_max_params_ranks_only_the_models_that_fit(models: dict[str, dict[str, Any]]) -> None:
    full = [r["model"] for r in recommend()["rows"]]
    shown = recommend("--max-params", "100000000")
    kept = [r["model"] for r in shown["rows"]]
    fits = [m for m in full if models[m]["params"] is not None and models[m]["params"] <= 10**8]
    over = sum(1 for m in full if models[m]["params"] is not None and models[m]["params"] > 10**8)
    unknown = sum(1 for m in full if models[m]["params"] is None)
    assert over > 0 and kept == fits  # the same order, without the models over 1e8
    assert all(r["parameters"] <= 10**8 for r in shown["rows"])
    reasons = f"{over} over 100M parameters" + (f", {unknown} without a parameter count" if unknown else "")
    assert shown["filtered"].startswith(
        f"filtered out {over + unknown} of the {len(full)} ranked models ({reasons}"
    )
    assert shown["filters"] == {"max_params": 10**8}
    # the same models by memory: 4 bytes a parameter, 400 MB for 1e8 parameters
    assert [r["model"] for r in recommend("--max-memory", "400MB")["rows"]] == fits
    table = cli(*BASE, "--max-params", "100M")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0] == shown["filtered"]
    untried = cli(*BASE[:-1], "--max-params", "1B")  # the untried two fit: the tried line is apart
    assert untried.returncode == 0 and untried.stdout.startswith("filtered out 0 of the 2 ranked models")
    assert "already fine-tuned on cifar100: 178 models" in untried.stdout
    assert "(the filters do not apply to them)" in untried.stdout


def test_a_filter_that_leaves_nothing_says_so_in_one_line(models: dict[str, dict[str, Any]]) -> None:
    out = cli(*BASE, "--max-params", "1000")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("no model satisfies the filters: all ") and out.stdout.count("\n") == 1
    assert "tg predict --view all --method model-prior --top-k N" in out.stderr  # it kept the best 100
    default = cli(*BASE[:-1], "--max-params", "100M")  # the two untried models are larger
    assert default.stdout == (
        "no model satisfies the filters: all 2 ranked models were filtered out (2 over 100M parameters)\n"
    )
    assert default.stderr == ""  # tg predict kept every untried model: no note to keep more
    unknown_licence = cli(*BASE, "--license", "mit")  # the paper zoo names no licence
    assert unknown_licence.stdout.count("\n") == 1 and "with no license known" in unknown_licence.stdout
    assert recommend("--max-params", "1000")["rows"] == []


def test_types_architectures_and_excludes_combine(models: dict[str, dict[str, Any]]) -> None:
    full = [r["model"] for r in recommend()["rows"]]
    shown = recommend(
        "--model-type", "ViT", "--model-type", "swin", "--exclude", "google/*", "--exclude", "*cifar*"
    )
    expected = [
        m for m in full
        if (models[m]["type"] or "").lower() in ("vit", "swin")
        and not m.lower().startswith("google/") and "cifar" not in m.lower()
    ]  # fmt: skip
    assert expected and [r["model"] for r in shown["rows"]] == expected
    arch = recommend("--architecture", "vitforimageclassification")
    assert arch["rows"] and {r["architecture"] for r in arch["rows"]} == {"ViTForImageClassification"}


def test_json_is_the_table_and_list_tried_pages(models: dict[str, dict[str, Any]]) -> None:
    shown = recommend()
    assert "measured" not in shown and shown["tried"] > 5 and shown["best_tried"]["model"]
    assert "expected accuracy on cifar100" in shown["columns"]["expected"]
    every = json.loads(cli(*BASE, "--list-tried", "-f", "json").stdout)
    page = json.loads(cli(*BASE, "--list-tried", "--offset", "2", "--limit", "3", "-f", "json").stdout)
    assert len(every["measured"]) == shown["tried"] and every["measured"][0] == shown["best_tried"]
    assert page["measured"] == every["measured"][2:5] and page["tried_page"] == {"offset": 2, "limit": 3}
    table = cli(*BASE)
    assert "expected accuracy from model-prior" in table.stdout


def test_the_library_names_the_parameter(models: dict[str, dict[str, Any]]) -> None:
    with TransferGraph() as tg:
        with pytest.raises(ParameterError, match=r"^max_params: "):
            tg.recommendation("cifar100", max_params=-1)
        with pytest.raises(ParameterError, match=r"^max_params: "):
            tg.recommendation("cifar100", max_params="100M")  # type: ignore[arg-type]
        frame = tg.recommend("cifar100", top=5, method="model-prior", include_tried=True, max_params=10**8)
    assert len(frame) == 5 and (frame["parameters"] <= 10**8).all()
    assert frame.attrs["filtered"].startswith("filtered out ")


def test_licences_as_hub_records_give_them(
    zoo_graph: neo4j.Driver, models: dict[str, dict[str, Any]]
) -> None:
    """The paper zoo names no licence: three ranked models are given one here (a list, as the Hub
    loaders store it, and a bare string) and the property is removed again."""
    full = [r["model"] for r in recommend()["rows"]]
    given = {full[0]: ["Apache-2.0", "other"], full[3]: ["bsd"], full[5]: "MIT"}
    try:
        for model, licences in given.items():
            zoo_graph.execute_query("MATCH (m:Model {id: $id}) SET m.licenses = $l", id=model, l=licences)
        shown = recommend("--license", "apache-2.0", "--license", "mit")
        assert [r["model"] for r in shown["rows"]] == [full[0], full[5]]
        assert shown["filtered"] == (
            f"filtered out {len(full) - 2} of the {len(full)} ranked models (1 under other licences, "
            f"{len(full) - 3} with no license known; a model may fail several)"
        )
    finally:
        zoo_graph.execute_query("MATCH (m:Model) WHERE m.id IN $ids REMOVE m.licenses", ids=list(given))
