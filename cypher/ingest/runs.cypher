// Upsert one (:Model)-[:FINETUNED_ON {run_id, accuracy, peft, ...}]->(:Dataset) per fine-tuning
// run, keyed by run_id (several runs per pair are normal): $rows = [{run_id, model, dataset, props}].
UNWIND $rows AS row
MATCH (m:Model {id: row.model}), (d:Dataset {id: row.dataset})
OPTIONAL MATCH (m)-[old:FINETUNED_ON {run_id: row.run_id}]->(d)
WITH row, m, d, CASE WHEN old IS NULL THEN null ELSE properties(old) END AS before
MERGE (m)-[r:FINETUNED_ON {run_id: row.run_id}]->(d)
SET r += row.props
WITH before, properties(r) AS after
RETURN count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before IS NOT NULL AND before <> after THEN 1 END) AS updated,
       count(CASE WHEN before = after THEN 1 END) AS unchanged
