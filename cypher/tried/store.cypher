// Store tried/count.cypher's rows ($rows) as each dataset's (:TriedSummary), which
// readback/context reads instead of counting the dataset's runs. One summary per dataset, replaced.
// It is current while `runs` equals the dataset's FINETUNED_ON in-degree; ingest/runs.cypher sets
// `runs` to -1 when it changes an existing run, since that leaves the degree as it was.
UNWIND $rows AS row
MATCH (t:Dataset {id: row.dataset})
MERGE (t)-[:TRIED_SUMMARY]->(s:TriedSummary)
SET s.runs = row.runs, s.tried = row.tried, s.best_model = row.best.model,
    s.best_accuracy = row.best.accuracy, s.best_runs = row.best.runs, s.best_regimes = row.best.regimes
RETURN count(s) AS stored
