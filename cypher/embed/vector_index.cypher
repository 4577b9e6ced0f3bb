// The vector index on the production view's Model vectors of each method (cosine, any dimension,
// not quantised so scores are exact), behind cypher/explore/similar_models.cypher. Index names
// cannot be parameters: one section per method; the section name is the node property.
// name: embedding_node2vec
CREATE VECTOR INDEX model_embedding_node2vec IF NOT EXISTS
FOR (m:Model) ON m.embedding_node2vec
OPTIONS {indexConfig: {`vector.similarity_function`: 'cosine', `vector.quantization.enabled`: false}}
// name: embedding_node2vec_weighted
CREATE VECTOR INDEX model_embedding_node2vec_weighted IF NOT EXISTS
FOR (m:Model) ON m.embedding_node2vec_weighted
OPTIONS {indexConfig: {`vector.similarity_function`: 'cosine', `vector.quantization.enabled`: false}}
// name: embedding_graphsage
CREATE VECTOR INDEX model_embedding_graphsage IF NOT EXISTS
FOR (m:Model) ON m.embedding_graphsage
OPTIONS {indexConfig: {`vector.similarity_function`: 'cosine', `vector.quantization.enabled`: false}}
// name: embedding_gat
CREATE VECTOR INDEX model_embedding_gat IF NOT EXISTS
FOR (m:Model) ON m.embedding_gat
OPTIONS {indexConfig: {`vector.similarity_function`: 'cosine', `vector.quantization.enabled`: false}}
