// How many nodes the database holds (from the count store: constant time). `tg ingest --bulk`
// refuses anything but 0: neo4j-admin import replaces the whole database.
MATCH (n)
RETURN count(n) AS nodes
