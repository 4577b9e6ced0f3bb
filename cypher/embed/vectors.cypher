// The stored vectors of (view, method), every modality, keyed by node label and id.
// $view, $method.
MATCH (e:EmbeddingRun {view: $view, method: $method})-[x:EMBEDS]->(n)
RETURN CASE WHEN n:Model THEN 'Model' ELSE 'Dataset' END AS label, n.id AS id, x.vector AS vector
