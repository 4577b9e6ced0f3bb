"""The graph's schema, in one table: what every stage writes and reads.

Ingest, bulk import, counting, view dropping and the tests read these names from here; Cypher
cannot take labels or types as parameters, so `cypher/*.cypher` spells them out, and
tests/unit/test_schema.py checks that every label and type a `.cypher` file names is in this table
(and that the statements that must cover all of a kind do).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NodeKind:
    label: str
    key: str  # what identifies one node (Model/Dataset: a constraint in cypher/schema.cypher)
    entity: str | None  # the `Records` table a loader fills, None for nodes the pipeline derives


@dataclass(frozen=True)
class RelKind:
    type: str
    start: str  # label
    end: str  # label ("A|B": either)
    # raw facts: the `Records` table, its row fields naming the endpoints, and the MERGE key
    entity: str | None = None
    start_field: str = ""
    end_field: str = ""
    key: str | None = None  # relationship property in the MERGE pattern (None: one per pair)
    row_key: str | None = None  # the row field holding the key's value
    # the key is unique in the whole graph (a constraint), not per pair: a row repeating it updates
    # the first relationship whatever its endpoints, as cypher/ingest/runs.cypher does
    global_key: bool = False
    per_view: bool = False  # derived from the raw facts for one view; `tg graph drop` removes it


MODEL = NodeKind("Model", "id", "models")
DATASET = NodeKind("Dataset", "id", "datasets")
VIEW = NodeKind("View", "name", None)  # how a view was built (`tg graph views`)
# one `tg embed` run per (view, method, modality): its settings, seconds and held-out AUC
EMBEDDING_RUN = NodeKind("EmbeddingRun", "view, method, modality", None)
CHOICE = NodeKind("Choice", "modality", None)  # the method `tg evaluate` found best, used by recommend
# a dataset's tried models (count, best) as `tg graph build` counted them, read by `tg recommend`
TRIED_SUMMARY_NODE = NodeKind("TriedSummary", "its dataset", None)
# how far one source's last ingest got (a file's hash, MLflow's cursors): cypher/sources/
SOURCE_STATE = NodeKind("SourceState", "key", None)
# the one lock of `tg sync` on this graph: owner and expiry (cypher/sources/lock_*.cypher)
SYNC_LOCK = NodeKind("SyncLock", "name", None)
NODES = (DATASET, MODEL, VIEW, EMBEDDING_RUN, CHOICE, TRIED_SUMMARY_NODE, SOURCE_STATE, SYNC_LOCK)

# Raw facts: written by `tg ingest`, never deleted by the pipeline.
PRETRAINED_ON = RelKind("PRETRAINED_ON", "Model", "Dataset", "pretrained_on", "model", "dataset")
SIMILAR_TO = RelKind(
    "SIMILAR_TO", "Dataset", "Dataset", "similarities", "a", "b", key="probe_model", row_key="probe"
)
FINETUNED_ON = RelKind(
    "FINETUNED_ON", "Model", "Dataset", "runs", "model", "dataset", "run_id", "run_id", global_key=True
)
TRANSFERABILITY = RelKind(
    "TRANSFERABILITY", "Model", "Dataset", "scores", "model", "dataset", "metric", "metric"
)
# A fine-tuned model's lineage: the base model it was fine-tuned from (`tg ingest model-cards`),
# one per pair, so Cypher can walk a model family.
FINETUNED_FROM = RelKind("FINETUNED_FROM", "Model", "Model", "lineage", "model", "base")
RAW_RELS = (PRETRAINED_ON, SIMILAR_TO, FINETUNED_ON, TRANSFERABILITY, FINETUNED_FROM)

# Derived per view by `tg graph build` (cypher/graph/), each carrying `view: NAME`.
ACCURACY_EDGE = RelKind("ACCURACY_EDGE", "Model", "Dataset", per_view=True)
PRETRAINED_EDGE = RelKind("PRETRAINED_EDGE", "Model", "Dataset", per_view=True)
TRANSFER_EDGE = RelKind("TRANSFER_EDGE", "Model", "Dataset", per_view=True)
SIMILARITY_EDGE = RelKind("SIMILARITY_EDGE", "Dataset", "Dataset", per_view=True)
VIEW_EDGES = (ACCURACY_EDGE, PRETRAINED_EDGE, TRANSFER_EDGE, SIMILARITY_EDGE)

# Learned per view: `tg embed` stores a vector per node as EMBEDS {vector} from its EmbeddingRun
# (the production view's also as node properties `embedding_<method>`, with a vector index on
# Model), and `tg predict` writes PREDICTED {score, method, view, created_at}.
EMBEDS = RelKind("EMBEDS", "EmbeddingRun", "Model|Dataset", per_view=True)
PREDICTED = RelKind("PREDICTED", "Model", "Dataset", per_view=True)
LEARNED_RELS = (EMBEDS, PREDICTED)

# Derived, not per view: each dataset's one TriedSummary (tried/store.cypher).
TRIED_SUMMARY = RelKind("TRIED_SUMMARY", "Dataset", "TriedSummary")

RELS = RAW_RELS + VIEW_EDGES + LEARNED_RELS + (TRIED_SUMMARY,)

# Write order of a loader's records: nodes before the relationships that need them.
ENTITIES: tuple[str, ...] = tuple(k.entity for k in (*NODES, *RAW_RELS) if k.entity is not None)


def node_kind(entity: str) -> NodeKind | None:
    return next((k for k in NODES if k.entity == entity), None)


def rel_kind(entity: str) -> RelKind | None:
    return next((k for k in RAW_RELS if k.entity == entity), None)


LABELS = frozenset(k.label for k in NODES)
TYPES = frozenset(k.type for k in RELS)
