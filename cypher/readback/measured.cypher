// The models already fine-tuned on a dataset (any regime), best first: `tg recommend` lists them
// apart from the ranking of the untried ones (`--list-tried`), a page at a time. $dataset, $offset,
// $limit.
MATCH (m:Model)-[r:FINETUNED_ON]->(:Dataset {id: $dataset})
WITH m, max(r.accuracy) AS accuracy, count(r) AS runs, collect(DISTINCT r.peft) AS regimes
RETURN m.id AS model, accuracy, runs, regimes
ORDER BY accuracy IS NULL, accuracy DESC, model
SKIP $offset
LIMIT $limit
