"""The full-batch GNN memory estimate and the one-line refusal above TG_GNN_MEMORY."""

import pytest

from transfergraph.choices import EmbedMethod
from transfergraph.embed.gnn import check_memory, parse_size, size_text, training_bytes
from transfergraph.errors import TGError


def test_parse_size() -> None:
    assert parse_size("4g") == 4 << 30
    assert parse_size("512M") == 512 << 20
    assert parse_size("1000") == 1000
    with pytest.raises(TGError, match="TG_GNN_MEMORY"):
        parse_size("lots")


def test_estimate_grows_with_edges_and_gat_costs_more() -> None:
    small = training_bytes(EmbedMethod.graphsage, nodes=100, edges=1000, width=16, dim=32)
    big = training_bytes(EmbedMethod.graphsage, nodes=100, edges=2000, width=16, dim=32)
    gat = training_bytes(EmbedMethod.gat, nodes=100, edges=1000, width=16, dim=32)
    assert small < big and small < gat


def test_refusal_is_one_line_with_estimate_and_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TG_GNN_MEMORY", "1m")
    with pytest.raises(TGError) as err:
        check_memory(EmbedMethod.gat, "all", "image", nodes=10_000, edges=100_000, width=16, dim=32)
    text = str(err.value)
    need = training_bytes(EmbedMethod.gat, nodes=10_000, edges=100_000, width=16, dim=32)
    assert "\n" not in text and "gat on view 'all' (image)" in text
    assert f"needs ~{need / (1 << 20):.1f} MiB (10000 nodes, 100000 edges, 16 features)" in text
    assert "over the 1.0 MiB limit (TG_GNN_MEMORY)" in text
    monkeypatch.setenv("TG_GNN_MEMORY", "4g")
    check_memory(EmbedMethod.gat, "all", "image", nodes=10_000, edges=100_000, width=16, dim=32)


def test_before_the_export_the_estimate_is_a_lower_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TG_GNN_MEMORY", "1m")
    with pytest.raises(TGError) as err:
        check_memory(EmbedMethod.graphsage, "all", "text", nodes=10_000, edges=100_000, width=None, dim=32)
    lower = training_bytes(EmbedMethod.graphsage, nodes=10_000, edges=100_000, width=1, dim=32)
    text = str(err.value)
    assert f"over ~{lower / (1 << 20):.1f} MiB (10000 nodes, 100000 edges, before node features)" in text
    assert lower < training_bytes(EmbedMethod.graphsage, nodes=10_000, edges=100_000, width=2, dim=32)


def test_size_text() -> None:
    assert size_text(1 << 20) == "1.0 MiB" and size_text(3 << 29) == "1.5 GiB"
