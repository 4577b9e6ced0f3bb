// How many models a modality has ($modality): a saved predict state (predict/state.py) is stale when
// models came or went.
MATCH (m:Model {modality: $modality})
RETURN count(m) AS models
