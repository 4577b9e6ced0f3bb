// Upsert (:Model)-[:FINETUNED_FROM {source}]->(:Model), a fine-tuned model's edge to its base
// model (its lineage): $rows = [{model, base, props}]. Endpoints were written first in the same
// ingest; one relationship per pair.
UNWIND $rows AS row
MATCH (m:Model {id: row.model}), (b:Model {id: row.base})
OPTIONAL MATCH (m)-[old:FINETUNED_FROM]->(b)
WITH row, m, b, CASE WHEN old IS NULL THEN null ELSE properties(old) END AS before
MERGE (m)-[r:FINETUNED_FROM]->(b)
SET r += row.props
WITH before, properties(r) AS after
RETURN count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before IS NOT NULL AND before <> after THEN 1 END) AS updated,
       count(CASE WHEN before = after THEN 1 END) AS unchanged
