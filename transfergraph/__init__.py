"""TransferGraph: a model-zoo knowledge graph on Neo4j that ranks pre-trained models for a dataset."""

__version__ = "0.1.0"
