// Upsert (:Model)-[:TRANSFERABILITY {metric, score, n_records}]->(:Dataset), one per metric:
// $rows = [{model, dataset, metric, props}].
UNWIND $rows AS row
MATCH (m:Model {id: row.model}), (d:Dataset {id: row.dataset})
OPTIONAL MATCH (m)-[old:TRANSFERABILITY {metric: row.metric}]->(d)
WITH row, m, d, CASE WHEN old IS NULL THEN null ELSE properties(old) END AS before
MERGE (m)-[r:TRANSFERABILITY {metric: row.metric}]->(d)
SET r += row.props
WITH before, properties(r) AS after
RETURN count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before IS NOT NULL AND before <> after THEN 1 END) AS updated,
       count(CASE WHEN before = after THEN 1 END) AS unchanged
