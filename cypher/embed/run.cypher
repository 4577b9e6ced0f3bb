// One stored embedding: (view, method, modality) and how it was made; its vectors hang off it as
// EMBEDS relationships. `nodes` and `seconds` are set by embed/finish once every vector is written.
// $view, $method, $modality, $dim, $seed, $options (a map of the method's settings), $auc (or null),
// $node_property (the node property that also carries the vector, or null).
CREATE (e:EmbeddingRun)
SET e += $options, e.view = $view, e.method = $method, e.modality = $modality, e.dim = $dim,
    e.seed = $seed, e.auc = $auc, e.node_property = $node_property, e.nodes = 0
RETURN elementId(e) AS run
