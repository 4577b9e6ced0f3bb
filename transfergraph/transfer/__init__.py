"""A user's own dataset, without the database: read it, featurise it with a pre-trained model and
score transferability (LogME, Reg-H-Score), so a dataset the paper's zoo never saw can join the graph.

Nothing here connects to Neo4j; the CLI writes what these functions return.
"""
