// Datasets most similar to a dataset: smallest probe-embedding distance first (SIMILAR_TO is
// stored once per pair, so it is matched in both directions).
// Neo4j Browser: run the :param line(s), then the query (pasted whole, the Browser sets the
// parameters but shows only a status per statement).
:param dataset => 'cifar100';

MATCH (d:Dataset {id: $dataset})-[s:SIMILAR_TO]-(other:Dataset)
RETURN other.id AS dataset, s.distance AS distance, s.probe_model AS probe,
       COUNT { (other)<-[:FINETUNED_ON]-() } AS runs
ORDER BY distance
LIMIT 10;
