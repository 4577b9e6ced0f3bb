// The datasets a view derives accuracy edges for, with their number of fine-tuning runs (a degree
// count, no run read): $modality (null: all), $target (null: none hidden). `tg graph build` cuts
// them into blocks of runs, one transaction each.
MATCH (d:Dataset)
WHERE ($modality IS NULL OR d.modality = $modality) AND ($target IS NULL OR d.id <> $target)
WITH d, COUNT { (d)<-[:FINETUNED_ON]-() } AS runs
WHERE runs > 0
RETURN d.id AS dataset, runs
ORDER BY dataset
