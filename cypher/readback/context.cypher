// What `tg recommend` needs before it ranks, in one round trip (no row: unknown dataset): the
// dataset's modality; the methods with predictions for it in the view, newest first, each with what
// staleness compares (its oldest prediction and the run count it saw); the method `tg evaluate`
// recorded for the modality; when the view was built; the fine-tuning runs on the modality now; and
// how many models were fine-tuned on the dataset, with the best of them. $dataset, $view.
// Its cost does not grow with the graph, only with this dataset's own edges: it starts at the
// dataset, runs_now sums degrees (every FINETUNED_ON starts at a Model, so it equals
// predict/run_count without reading a run), and only this dataset's PREDICTED are read.
MATCH (t:Dataset {id: $dataset})
CALL (t) {
  MATCH (:Model)-[p:PREDICTED {view: $view}]->(t)
  WITH p.method AS method, max(p.created_at) AS created_at, min(p.created_at) AS oldest,
       min(p.history_runs) AS runs_then
  ORDER BY created_at DESC
  RETURN collect({method: method, oldest: oldest, runs_then: runs_then}) AS methods
}
CALL (t) {
  OPTIONAL MATCH (c:Choice {modality: t.modality})
  RETURN c.method AS chosen
  LIMIT 1
}
CALL () {
  OPTIONAL MATCH (v:View {name: $view})
  RETURN v.built_at AS built_at
  LIMIT 1
}
CALL (t) {
  MATCH (d:Dataset {modality: t.modality})
  RETURN sum(COUNT { (d)<-[:FINETUNED_ON]-() }) AS runs_now
}
CALL (t) {
  OPTIONAL MATCH (m)-[r:FINETUNED_ON]->(t)
  RETURN count(DISTINCT m) AS tried, max(r.accuracy) AS top
}
CALL (t, top) {
  // the best tried model as readback/measured orders them: best accuracy, then id (two passes over
  // the dataset's runs, no sort of them all)
  OPTIONAL MATCH (m)-[r:FINETUNED_ON]->(t)
  WHERE r.accuracy = top OR top IS NULL
  WITH m ORDER BY m.id LIMIT 1
  OPTIONAL MATCH (m)-[r:FINETUNED_ON]->(t)
  WITH m, max(r.accuracy) AS accuracy, count(r) AS runs, collect(DISTINCT r.peft) AS regimes
  RETURN CASE WHEN m IS NULL THEN null
              ELSE {model: m.id, accuracy: accuracy, runs: runs, regimes: regimes} END AS best
}
RETURN t.modality AS modality, methods, chosen, built_at, runs_now, tried, best
