// Top fine-tuned models on a dataset: best full fine-tuning accuracy per model, with its runs.
// Neo4j Browser: run the :param line(s), then the query (pasted whole, the Browser sets the
// parameters but shows only a status per statement).
:param dataset => 'cifar100';

MATCH (m:Model)-[r:FINETUNED_ON]->(d:Dataset {id: $dataset})
WHERE r.peft = 'full'
RETURN m.id AS model, m.model_type AS type, max(r.accuracy) AS best_accuracy, count(r) AS runs
ORDER BY best_accuracy DESC, model
LIMIT 10;
