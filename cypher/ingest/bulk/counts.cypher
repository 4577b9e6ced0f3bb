// Nodes per label and relationships per type (count store: constant time), checked by
// `tg ingest --bulk` against what it wrote. Keys are the Records entity names.
CALL () { MATCH (n:Dataset) RETURN count(n) AS datasets }
CALL () { MATCH (n:Model) RETURN count(n) AS models }
CALL () { MATCH ()-[r:PRETRAINED_ON]->() RETURN count(r) AS pretrained_on }
CALL () { MATCH ()-[r:SIMILAR_TO]->() RETURN count(r) AS similarities }
CALL () { MATCH ()-[r:FINETUNED_ON]->() RETURN count(r) AS runs }
CALL () { MATCH ()-[r:TRANSFERABILITY]->() RETURN count(r) AS scores }
CALL () { MATCH ()-[r:FINETUNED_FROM]->() RETURN count(r) AS lineage }
RETURN datasets, models, pretrained_on, similarities, runs, scores, lineage
