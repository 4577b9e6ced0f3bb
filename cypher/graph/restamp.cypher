// A view's edges changed (a dataset refreshed): draw it a new stamp, so what was computed from the
// old edges (predict/state.py) is no longer taken for current. $view.
MATCH (v:View {name: $view})
SET v.stamp = randomUUID()
RETURN v.stamp AS stamp
