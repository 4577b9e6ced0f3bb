// A view's recorded settings (target, modality, thresholds): $view. No row: no such view.
MATCH (v:View {name: $view})
RETURN properties(v) AS view
