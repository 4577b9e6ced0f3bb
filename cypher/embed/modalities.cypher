// The modalities a view's learning graph covers, with its edges that walks and message passing use
// (positive and similarity edges); a view whose edges are all negative has nothing to embed.
// $view: the view's name.
MATCH ()-[r:ACCURACY_EDGE|PRETRAINED_EDGE|TRANSFER_EDGE|SIMILARITY_EDGE {view: $view}]->(d:Dataset)
WHERE coalesce(r.positive, true)
RETURN d.modality AS modality, count(r) AS edges
ORDER BY modality
