// A model's neighbourhood as a picture: the datasets it was fine-tuned or pre-trained on, and
// the three datasets closest to each of those (switch to the Graph view in the Browser).
// Neo4j Browser: run the :param line(s), then the query (pasted whole, the Browser sets the
// parameters but shows only a status per statement).
:param model => 'google/vit-base-patch16-224';

MATCH p = (m:Model {id: $model})-[:FINETUNED_ON|PRETRAINED_ON]->(d:Dataset)
CALL (d) {
  MATCH q = (d)-[s:SIMILAR_TO]-(:Dataset)
  RETURN q
  ORDER BY s.distance
  LIMIT 3
}
RETURN p, q;
