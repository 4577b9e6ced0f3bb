// Upsert (:Model)-[:PRETRAINED_ON {accuracy}]->(:Dataset): $rows = [{model, dataset, props}].
// Endpoints were written first in the same ingest; one relationship per pair.
UNWIND $rows AS row
MATCH (m:Model {id: row.model}), (d:Dataset {id: row.dataset})
OPTIONAL MATCH (m)-[old:PRETRAINED_ON]->(d)
WITH row, m, d, CASE WHEN old IS NULL THEN null ELSE properties(old) END AS before
MERGE (m)-[r:PRETRAINED_ON]->(d)
SET r += row.props
WITH before, properties(r) AS after
RETURN count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before IS NOT NULL AND before <> after THEN 1 END) AS updated,
       count(CASE WHEN before = after THEN 1 END) AS unchanged
