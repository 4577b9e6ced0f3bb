// Derived edges of a view by modality, type and sign (tg graph stats).
MATCH (a)-[r:ACCURACY_EDGE|PRETRAINED_EDGE|TRANSFER_EDGE|SIMILARITY_EDGE {view: $view}]->(b:Dataset)
RETURN b.modality AS modality, type(r) AS type, coalesce(r.positive, true) AS positive, count(*) AS edges
