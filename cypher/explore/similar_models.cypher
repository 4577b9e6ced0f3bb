// Models whose embedding is closest to this one's: cosine similarity through the vector index on
// the production view's vectors (`tg embed --method node2vec` writes them; :param method picks
// node2vec, node2vec-weighted, graphsage or gat), among models of the same modality.
// Neo4j Browser: run the :param line(s), then the query (pasted whole, the Browser sets the
// parameters but shows only a status per statement).
:param model => 'google/vit-base-patch16-224';
:param method => 'node2vec';

MATCH (m:Model {id: $model})
WITH m, 'embedding_' + replace($method, '-', '_') AS property
WHERE m[property] IS NOT NULL
CALL db.index.vector.queryNodes('model_' + property, 50, m[property]) YIELD node, score
WITH m, node, score
WHERE node <> m AND node.modality = m.modality
RETURN node.id AS model, node.model_type AS type, 2 * score - 1 AS cosine,
       COUNT { (node)-[:FINETUNED_ON]->() } AS runs
ORDER BY cosine DESC, model
LIMIT 10;
