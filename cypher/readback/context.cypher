// What `tg recommend` needs before it ranks, in one round trip (no row: unknown dataset): the
// dataset's modality; the methods with predictions for it in the view, newest first, each with what
// staleness compares (its oldest prediction and the run count it saw); the method `tg evaluate`
// recorded for the modality; when the view was built; the fine-tuning runs on the modality now; and
// how many models were fine-tuned on the dataset, with the best of them, from its stored summary
// (`summarised` false: none current). $dataset, $view.
// Its cost does not grow with the graph nor with the dataset's runs: it starts at the dataset,
// runs_now sums degrees (every FINETUNED_ON starts at a Model, so it equals predict/run_count
// without reading a run), only this dataset's PREDICTED are read (at most 2K per method), and the
// tried models come from the stored summary.
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
  // the count and best of the models tried, as `tg graph build` stored them (tried/count.cypher),
  // while no run was added, removed or changed since; else no row, and tg recommend counts them live
  OPTIONAL MATCH (t)-[:TRIED_SUMMARY]->(s:TriedSummary)
  WHERE s.runs = COUNT { (t)<-[:FINETUNED_ON]-() }
  RETURN s
  LIMIT 1
}
RETURN t.modality AS modality, methods, chosen, built_at, runs_now, s IS NOT NULL AS summarised,
       s.tried AS tried,
       CASE WHEN s.best_model IS NULL THEN null
            ELSE {model: s.best_model, accuracy: s.best_accuracy, runs: s.best_runs,
                  regimes: s.best_regimes} END AS best
