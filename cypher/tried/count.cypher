// For each of $datasets: how many models were fine-tuned on it, the best of them (best accuracy,
// then id, as readback/measured orders them) and its run count (in-degree) then. This reads every run
// of those datasets (for a dataset with 752k runs, 2.3M db hits), so `tg graph build` stores it
// (tried/store.cypher) and readback/context reads the stored summary while the dataset's
// degree still equals `runs`; `tg recommend` runs this only for a dataset without a current one.
UNWIND $datasets AS id
MATCH (t:Dataset {id: id})
CALL (t) {
  OPTIONAL MATCH (m)-[r:FINETUNED_ON]->(t)
  RETURN count(DISTINCT m) AS tried, max(r.accuracy) AS top, count(r) AS runs
}
CALL (t, top) {
  // two passes over the dataset's runs, no sort of them all
  OPTIONAL MATCH (m)-[r:FINETUNED_ON]->(t)
  WHERE r.accuracy = top OR top IS NULL
  WITH m ORDER BY m.id LIMIT 1
  OPTIONAL MATCH (m)-[r:FINETUNED_ON]->(t)
  WITH m, max(r.accuracy) AS accuracy, count(r) AS runs, collect(DISTINCT r.peft) AS regimes
  RETURN CASE WHEN m IS NULL THEN null
              ELSE {model: m.id, accuracy: accuracy, runs: runs, regimes: regimes} END AS best
}
RETURN t.id AS dataset, runs, tried, best
