// The reference semantics of the collaborative features: tg computes them as sparse algebra over the
// view's edges (transfergraph/features/collaborative.py, exports in features/edges_*.cypher), and
// tests/server/test_collaborative_features.py checks that the two agree on every pair to 1e-9. This
// per-pair form runs out of transaction memory past a few thousand models: it is not called by tg.
// Collaborative graph features of every (model, dataset) pair of a modality, read from one view's
// derived edges only, so the view's hiding of its target makes them leak-free by construction.
// For the pair (m, D) only m's accuracy edges to datasets other than D count (leave D out: a
// training row on D never sees D's own label). $view, $modality, $taus: temperatures of the
// similarity-weighted history, weight exp(-(1 - similarity) / tau); $datasets: the datasets D
// to compute (null: every dataset of the modality).
//   prior          mean normalised accuracy of m on the other datasets of the view
//   n_tried        how many other datasets m has an accuracy edge to
//   sim_hist       one value per tau: that mean weighted by the other datasets' similarity to D
//   nearest_acc    m's normalised accuracy on the dataset most similar to D it was tried on
//   near3_acc      mean over the three most similar such datasets
//   nearest_sim    the similarity of that nearest tried dataset to D
//   source_sim     similarity between m's source (pre-training) dataset and D (1 if it is D)
//   label          m's normalised accuracy on D in the view (null: no run, or hidden)
MATCH (D:Dataset {modality: $modality})
WHERE $datasets IS NULL OR D.id IN $datasets
MATCH (m:Model {modality: $modality})
CALL (m, D) {
  OPTIONAL MATCH (m)-[a:ACCURACY_EDGE {view: $view}]->(d:Dataset)
  WHERE d <> D
  WITH d, avg(a.norm_accuracy) AS acc
  OPTIONAL MATCH (D)-[s:SIMILARITY_EDGE {view: $view}]-(d)
  WITH d, acc, coalesce(avg(s.similarity), 0.0) AS sim
  ORDER BY sim DESC, d.id
  WITH collect(CASE WHEN d IS NULL THEN null ELSE {acc: acc, sim: sim} END) AS h
  RETURN h
}
CALL (m, D) {
  OPTIONAL MATCH (m)-[l:ACCURACY_EDGE {view: $view}]->(D)
  RETURN avg(l.norm_accuracy) AS label
}
CALL (m, D) {
  OPTIONAL MATCH (m)-[:PRETRAINED_ON]->(src:Dataset)
  OPTIONAL MATCH (src)-[s:SIMILARITY_EDGE {view: $view}]-(D)
  RETURN max(CASE WHEN src = D THEN 1.0 ELSE s.similarity END) AS source_sim
}
WITH m, D, h, label, source_sim,
     [tau IN $taus | [x IN h | exp(-(1.0 - x.sim) / tau)]] AS weights
RETURN m.id AS model, D.id AS dataset,
       CASE WHEN size(h) = 0 THEN null ELSE reduce(t = 0.0, x IN h | t + x.acc) / size(h) END AS prior,
       size(h) AS n_tried,
       [w IN weights |
         CASE WHEN reduce(t = 0.0, v IN w | t + v) > 0
              THEN reduce(t = 0.0, i IN range(0, size(h) - 1) | t + w[i] * h[i].acc)
                   / reduce(t = 0.0, v IN w | t + v)
         END] AS sim_hist,
       h[0].acc AS nearest_acc,
       CASE WHEN size(h) = 0 THEN null
            ELSE reduce(t = 0.0, x IN h[0..3] | t + x.acc) / size(h[0..3]) END AS near3_acc,
       h[0].sim AS nearest_sim,
       source_sim, label
ORDER BY model, dataset
