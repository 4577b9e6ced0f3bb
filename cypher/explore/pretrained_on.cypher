// Models pre-trained on a dataset, with the accuracy their model card reports.
// Neo4j Browser: run the :param line(s), then the query (pasted whole, the Browser sets the
// parameters but shows only a status per statement).
:param dataset => 'imagenet';

MATCH (m:Model)-[p:PRETRAINED_ON]->(d:Dataset {id: $dataset})
RETURN m.id AS model, m.model_type AS type, m.num_parameters AS parameters, p.accuracy AS card_accuracy
ORDER BY card_accuracy DESC, model
LIMIT 25;
