"""GraphSAGE and GAT link prediction in PyTorch Geometric (docs/method.md, "Embeddings").

torch and PyG are imported inside the functions: the core install never loads them. One modality
of a view is exported (export.py), given real node features (features.py), and trained full-batch
on CPU: two layers, hidden 128, dot-product decoder, binary cross-entropy where the view's real
negative edges (runs that went badly) are labelled 0, plus uniform random pairs labelled 0.
Positive model-dataset edges are split into train / validation (early stopping) / held-out test
(the AUC printed); each epoch a random 30 % of the train positives are supervision targets only
and the rest carry messages (the paper's disjoint_train_ratio 0.3), so the network learns to
predict edges it cannot see. The stored vectors come from one pass over the full graph.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import neo4j
import numpy as np

from transfergraph import config
from transfergraph.choices import EmbedMethod
from transfergraph.db import run
from transfergraph.embed import features, linkpred
from transfergraph.embed.export import Subgraph, subgraph
from transfergraph.embed.store import Embedded
from transfergraph.errors import MissingExtra, TGError

if TYPE_CHECKING:
    import torch

HIDDEN = 128
SUPERVISION_SHARE = 0.3  # of the train positives per epoch (disjoint_train_ratio; docs/method.md)


def require_torch() -> None:
    """One line naming the install command when the [gnn] extra is missing."""
    try:
        import torch  # noqa: F401
        import torch_geometric  # noqa: F401
    except ImportError:
        raise MissingExtra("torch and torch-geometric", "gnn", "--method graphsage/gat") from None


def _encoder(method: EmbedMethod, dim: int) -> torch.nn.Module:
    import torch
    from torch_geometric.nn import GATConv, SAGEConv

    class Sage(torch.nn.Module):
        """SAGEConv (mean aggregation, root weight) -> ReLU -> SAGEConv."""

        def __init__(self) -> None:
            super().__init__()
            self.conv1 = SAGEConv((-1, -1), HIDDEN)
            self.conv2 = SAGEConv((-1, -1), dim)

        def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
            return self.conv2(self.conv1(x, edge_index).relu(), edge_index)

    class Gat(torch.nn.Module):
        """h = ReLU(GAT(x) + Linear(x)); out = GAT(h) + Linear(h); one head, no self loops."""

        def __init__(self) -> None:
            super().__init__()
            self.conv1 = GATConv((-1, -1), HIDDEN, heads=1, add_self_loops=False)
            self.lin1 = torch.nn.LazyLinear(HIDDEN)
            self.conv2 = GATConv((-1, -1), dim, heads=1, add_self_loops=False)
            self.lin2 = torch.nn.LazyLinear(dim)

        def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
            h = (self.conv1(x, edge_index) + self.lin1(x)).relu()
            return self.conv2(h, edge_index) + self.lin2(h)

    return Sage() if method is EmbedMethod.graphsage else Gat()


def _split(
    sg: Subgraph, seed: int, holdout: float, validation: float
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    """Positive and negative model-dataset edges into train / val / test; similarity edges train.

    The test positives are exactly those Node2Vec hides for the same seed (linkpred.holdout).
    """
    md_pos = [e for e in sg.positive if linkpred.is_model_dataset(e)]
    test_ids = set(linkpred.holdout(md_pos, holdout, seed))
    rest = [e for e in md_pos if e["rel"] not in test_ids]
    val_ids = (
        set(linkpred.holdout(rest, validation / max(1e-9, 1 - holdout), seed + 1)) if validation else set()
    )
    pos = {
        "test": [e for e in md_pos if e["rel"] in test_ids],
        "val": [e for e in rest if e["rel"] in val_ids],
        "train": [e for e in rest if e["rel"] not in val_ids],
    }
    negatives = sorted(sg.negative, key=linkpred.edge_key)
    order = np.random.default_rng(seed + 2).permutation(len(negatives))
    n_test = round(holdout * len(negatives))
    n_val = round(validation * len(negatives))
    neg = {
        "test": [negatives[i] for i in order[:n_test]],
        "val": [negatives[i] for i in order[n_test : n_test + n_val]],
        "train": [negatives[i] for i in order[n_test + n_val :]],
    }
    return pos, neg


def parse_size(text: str) -> int:
    """'4g', '512m', '2048k' or plain bytes -> bytes, like the heap settings."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    t = text.strip().lower()
    try:
        return int(float(t[:-1]) * units[t[-1]]) if t and t[-1] in units else int(t)
    except ValueError:
        raise TGError(f"TG_GNN_MEMORY: {text!r} is not a size like 4g or 512m") from None


def training_bytes(method: EmbedMethod, *, nodes: int, edges: int, width: int, dim: int) -> int:
    """Upper bound on full-batch float32 training memory.

    Per layer, activations and their gradients (x2) for the node inputs, hidden/outputs and the
    edge-level messages; GAT adds per-edge attention logits, softmax and their gradients, and its
    linear skip outputs. Parameters are negligible next to these at this scale.
    """
    layers = [(width, HIDDEN), (HIDDEN, dim)]
    floats = nodes * width
    for fan_in, fan_out in layers:
        floats += 2 * (nodes * fan_out + edges * fan_in)
        if method is EmbedMethod.gat:
            floats += 2 * (4 * edges + nodes * fan_out)
    return 4 * floats


def size_text(n: int) -> str:
    """Bytes as GiB, or MiB below one GiB (a small limit would read '0.0 GiB')."""
    return f"{n / (1 << 30):.1f} GiB" if n >= 1 << 30 else f"{n / (1 << 20):.1f} MiB"


def check_memory(
    method: EmbedMethod, view: str, modality: str, *, nodes: int, edges: int, width: int | None, dim: int
) -> None:
    """Refuse full-batch training that would exceed TG_GNN_MEMORY (there is no neighbour sampling).

    `width` None: the node features are not built yet, and the estimate with one feature (a lower
    bound) refuses before the subgraph's export, which at 100k models takes a minute and a GiB."""
    limit = parse_size(config.gnn_memory())
    need = training_bytes(method, nodes=nodes, edges=edges, width=width or 1, dim=dim)
    if need > limit:
        size = f"~{size_text(need)}" if width else f"over ~{size_text(need)}"
        features = f"{width} features" if width else "before node features"
        raise TGError(
            f"{method.value} on view {view!r} ({modality}): full-batch training needs {size} "
            f"({nodes} nodes, {edges} edges, {features}), over the {size_text(limit)} limit "
            "(TG_GNN_MEMORY); GraphSAGE/GAT have no neighbour sampling yet"
        )


def refuse_early(drv: neo4j.Driver, view: str, modality: str, method: EmbedMethod, dim: int) -> None:
    """The memory check from a count of the view's nodes and edges (one feature per node, a lower
    bound): run before torch is imported (~20 s, 0.9 GiB) and before the subgraph is exported."""
    size = run(drv, "embed/size", view=view, modality=modality)[0]
    check_memory(method, view, modality, nodes=size["nodes"], edges=2 * size["edges"], width=None, dim=dim)


def embed_modality(
    drv: neo4j.Driver,
    view: str,
    modality: str,
    method: EmbedMethod,
    *,
    dim: int,
    seed: int,
    options: dict[str, Any],
    tick: Callable[[int], None] | None = None,
) -> Embedded:
    """Train on one modality of `view` and return every node's vector plus the held-out AUC."""
    started = time.perf_counter()
    sg = subgraph(drv, view, modality)
    if not sg.positive:
        raise TGError(f"view {view!r} has no {modality} edges to learn from")
    width = node_features(sg).shape[1]
    check_memory(method, view, modality, nodes=len(sg.nodes), edges=2 * len(sg.edges), width=width, dim=dim)
    vectors, auc, epochs = train(sg, method, dim=dim, seed=seed, options=options, tick=tick)
    keys = [(n["label"], n["id"]) for n in sg.nodes]
    return Embedded(
        modality=modality,
        keys=keys,
        vectors=vectors.tolist(),
        options={
            **{
                k: options[k]
                for k in ("epochs", "patience", "lr", "validation", "holdout", "random_negatives")
            },
            "epochs_run": epochs,
        },
        auc=auc,
        seconds=time.perf_counter() - started,
    )


def node_features(sg: Subgraph) -> np.ndarray:
    models = [n["properties"] for n in sg.nodes if n["label"] == "Model"]
    datasets = [{**n["properties"], "id": n["id"]} for n in sg.nodes if n["label"] == "Dataset"]
    model_x, _ = features.model_features(models) if models else (np.zeros((0, 0)), [])
    dataset_x, _ = features.dataset_features(datasets, sg.distances)
    return features.node_matrix([n["label"] for n in sg.nodes], model_x, dataset_x)


@contextmanager
def _one_thread() -> Iterator[None]:
    """One torch thread: on graphs of a few hundred nodes thread start-up dominates (measured 10-20x
    slower with two threads on a busy 2-core machine), and one thread keeps the float order fixed."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@_one_thread()
def train(
    sg: Subgraph,
    method: EmbedMethod,
    *,
    dim: int,
    seed: int,
    options: dict[str, Any],
    tick: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, float | None, int]:
    """(vectors in sg.nodes order, held-out test AUC or None, epochs run). Deterministic on CPU."""
    import torch

    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(seed)
    index = {(n["label"], n["id"]): i for i, n in enumerate(sg.nodes)}

    def pairs(edges: list[dict[str, Any]]) -> torch.Tensor:
        rows = [(index[(e["source_label"], e["source"])], index[("Dataset", e["target"])]) for e in edges]
        return torch.tensor(rows, dtype=torch.long).reshape(-1, 2).t()

    def undirected(p: torch.Tensor) -> torch.Tensor:
        return torch.cat([p, p.flip(0)], dim=1)

    x = torch.tensor(node_features(sg))
    pos, neg = _split(sg, seed, float(options["holdout"]), float(options["validation"]))
    similarity = pairs([e for e in sg.positive if not linkpred.is_model_dataset(e)])
    train_pos = pairs(pos["train"])
    message_eval = undirected(torch.cat([train_pos, similarity], dim=1))
    full = undirected(torch.cat([pairs(pos["train"] + pos["val"] + pos["test"]), similarity], dim=1))
    model = _encoder(method, dim)
    with torch.no_grad():
        model(x, message_eval)  # materialise the lazy input sizes before the optimiser sees them
    optimiser = torch.optim.Adam(model.parameters(), lr=float(options["lr"]))
    n = x.shape[0]

    def score(z: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        return (z[p[0]] * z[p[1]]).sum(dim=1)

    def evaluate(split: str) -> float | None:
        if not pos[split] or not neg[split]:
            return None
        model.eval()
        with torch.no_grad():
            z = model(x, message_eval)
            return linkpred.auc(score(z, pairs(pos[split])).numpy(), score(z, pairs(neg[split])).numpy())

    best: tuple[float, int, dict[str, torch.Tensor]] | None = None
    epochs = 0
    wait = 0
    train_neg = pairs(neg["train"])
    for epoch in range(int(options["epochs"])):
        epochs = epoch + 1
        model.train()
        chosen = rng.random(train_pos.shape[1]) < SUPERVISION_SHARE
        supervised = train_pos[:, torch.from_numpy(chosen)]
        carrying = train_pos[:, torch.from_numpy(~chosen)]
        messages = undirected(torch.cat([carrying, similarity], dim=1))
        k = round(float(options["random_negatives"]) * supervised.shape[1])
        random_pairs = torch.from_numpy(rng.integers(0, n, size=(2, k)))
        negatives = torch.cat([train_neg, random_pairs], dim=1)
        optimiser.zero_grad()
        z = model(x, messages)
        logits = torch.cat([score(z, supervised), score(z, negatives)])
        labels = torch.cat([torch.ones(supervised.shape[1]), torch.zeros(negatives.shape[1])])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        loss.backward()
        optimiser.step()
        if tick is not None:
            tick(1)
        val = evaluate("val")
        if val is None:
            continue
        if best is None or val > best[0]:
            best = (val, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
            wait = 0
        else:
            wait += 1
            if wait >= int(options["patience"]):
                break
    if best is not None:
        model.load_state_dict(best[2])
    auc = evaluate("test")
    model.eval()
    with torch.no_grad():
        vectors = model(x, full).numpy().astype(np.float64)
    return vectors, auc, epochs
