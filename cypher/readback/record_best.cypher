// Record which method `tg evaluate` found best for a modality, so `tg recommend` defaults to it:
// $modality, $method, $summary (JSON text of the evaluation summary), $targets, $seeds.
MERGE (c:Choice {modality: $modality})
SET c.method = $method, c.summary = $summary, c.targets = $targets, c.seeds = $seeds,
    c.created_at = datetime()
RETURN c.method AS method
