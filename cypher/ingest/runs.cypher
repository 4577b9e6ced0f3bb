// Upsert one (:Model)-[:FINETUNED_ON {run_id, accuracy, peft, ...}]->(:Dataset) per fine-tuning
// run, keyed by run_id (unique: cypher/schema.cypher): $rows = [{run_id, model, dataset, props}].
// `source` keeps the file the run was first loaded from: the same rows under a new file name
// change nothing (bulk/plan.py plans the same).
// The run is found through the run_id index, not by expanding the pair's relationships: a popular
// (model, dataset) pair can hold thousands of runs.
UNWIND $rows AS row
OPTIONAL MATCH ()-[old:FINETUNED_ON {run_id: row.run_id}]->()
WITH row, old, CASE WHEN old IS NULL THEN null ELSE properties(old) END AS before
CALL (row, old) {
  WITH row, old
  WHERE old IS NULL
  MATCH (m:Model {id: row.model}), (d:Dataset {id: row.dataset})
  CREATE (m)-[r:FINETUNED_ON {run_id: row.run_id}]->(d)
  SET r += row.props
  RETURN r
  UNION
  WITH row, old
  WHERE old IS NOT NULL
  WITH row, old, old.source AS first
  SET old += row.props
  SET old.source = coalesce(first, old.source)
  RETURN old AS r
}
CALL (r, before) {
  // a changed run leaves the dataset's degree as it was: mark its tried summary stale
  // (tried/store.cypher)
  WITH r, before
  WHERE before IS NOT NULL AND before <> properties(r)
  WITH endNode(r) AS d
  MATCH (d)-[:TRIED_SUMMARY]->(s:TriedSummary)
  SET s.runs = -1
}
WITH before, properties(r) AS after, endNode(r) AS d
// `datasets`: those whose runs this batch created or changed (`tg sync` re-predicts exactly them)
RETURN count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before IS NOT NULL AND before <> after THEN 1 END) AS updated,
       count(CASE WHEN before = after THEN 1 END) AS unchanged,
       collect(DISTINCT CASE WHEN before IS NULL OR before <> after THEN d.id END) AS datasets
