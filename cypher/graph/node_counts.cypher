// Nodes of a view's learning graph (touched by a positive or similarity edge), by modality and label.
MATCH (a)-[r:ACCURACY_EDGE|PRETRAINED_EDGE|TRANSFER_EDGE|SIMILARITY_EDGE {view: $view}]->(b:Dataset)
WHERE coalesce(r.positive, true)
WITH b.modality AS modality, collect(DISTINCT a) + collect(DISTINCT b) AS touched
UNWIND touched AS n
WITH DISTINCT modality, n
RETURN modality, labels(n)[0] AS label, count(*) AS nodes
