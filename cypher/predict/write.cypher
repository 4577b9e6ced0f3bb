// Write predictions: $rows = [{model, dataset, score, expected, low, high, source, no_interval}]
// (expected accuracy and its 80% interval, or nulls; where its level came from; why this dataset
// has no band, if so), $view, $method, $runs (how many fine-tuning runs of the modality
// existed when predicting: `tg recommend` flags predictions older than an ingest), $top_k (how many
// untried and how many tried models per dataset were kept), $ranked_by (the ranking that produced
// them: $method, or what it fell back to when the zoo lacks its inputs), $fallback (why, or null) and
// $no_interval (why there is no interval, or null).
UNWIND $rows AS row
MATCH (m:Model {id: row.model}), (d:Dataset {id: row.dataset})
CREATE (m)-[:PREDICTED {score: row.score, method: $method, view: $view, created_at: datetime(),
                        history_runs: $runs, top_k: $top_k, ranked_by: $ranked_by, fallback: $fallback,
                        expected: row.expected, expected_low: row.low, expected_high: row.high,
                        expected_from: row.source, no_interval: coalesce(row.no_interval, $no_interval)}]->(d)
RETURN count(*) AS written
