"""A user's own data joins the graph: `tg dataset add|embed` (place.py: read and sample it, data.py, or
hub.py for a Hugging Face dataset, with what both share in sample.py and the source parsed by
source.py, the one module that knows `hf:`; embed it with a probe model, encode.py; write the
Dataset node and its SIMILAR_TO edges), `tg dataset embed --zoo` (zoo.py), fingerprints shared
between machines (fingerprints.py: `tg dataset export-fingerprints`, `tg ingest fingerprints`),
`tg score` (score.py: LogME / Reg-H-Score of candidate models on it, written as TRANSFERABILITY
edges) and `tg model add` (models.py). data.py and encode.py never touch Neo4j; the command modules
write what they return. The LogME and Reg-H-Score maths is `transfergraph.transferability`.
"""
