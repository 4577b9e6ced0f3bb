// The evidence behind recommending a model for a target: datasets similar to the target on
// which the model did well (its positive accuracy edges in the production view), closest first.
// Neo4j Browser: run the :param line(s), then the query (pasted whole, the Browser sets the
// parameters but shows only a status per statement).
:param model => 'google/vit-base-patch16-224';
:param target => 'cifar100';
:param view => 'all';

MATCH (t:Dataset {id: $target})-[s:SIMILARITY_EDGE {view: $view}]-(d:Dataset)
MATCH (m:Model {id: $model})-[a:ACCURACY_EDGE {view: $view, positive: true}]->(d)
RETURN d.id AS similar_dataset, round(s.similarity, 3) AS similarity,
       round(a.norm_accuracy, 3) AS normalised_accuracy
ORDER BY similarity DESC
LIMIT 10;
