// What a target's ranking is scored against: each model's best full fine-tuning accuracy on it
// (filter the regime first, then aggregate: docs/method.md, "Evaluation"). Raw facts, never a view. $target.
MATCH (m:Model)-[r:FINETUNED_ON {peft: 'full'}]->(d:Dataset {id: $target})
WHERE r.accuracy IS NOT NULL
RETURN m.id AS model, max(r.accuracy) AS accuracy
ORDER BY model
