// The (model, metric) pairs already scored on a dataset, so an interrupted `tg score` resumes:
// $dataset, $metrics.
MATCH (m:Model)-[t:TRANSFERABILITY]->(:Dataset {id: $dataset})
WHERE t.metric IN $metrics
RETURN m.id AS model, t.metric AS metric
