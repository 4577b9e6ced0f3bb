// Record a view and how it was built, so `tg graph views` and the Browser can show it.
// $view, $target (null = production view on all history), $settings: the thresholds and switches.
// The stamp is new at every build (and every refresh of a dataset: graph/restamp.cypher).
MERGE (v:View {name: $view})
SET v = $settings, v.name = $view, v.target = $target, v.built_at = datetime(), v.stamp = randomUUID()
RETURN v.name AS view
