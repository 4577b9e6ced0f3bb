// The views that exist, with how they were built (tg graph views).
MATCH (v:View)
RETURN v {.*} AS view
ORDER BY v.name
