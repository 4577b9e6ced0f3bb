// `tg model add --update`: the model's properties replaced as a whole by $props (id, modality and
// the derived ones it keeps included) and its PRETRAINED_ON edges removed: the new record's are
// written next, in the same transaction. Runs, scores and everything derived stay. $id, $props.
MATCH (m:Model {id: $id})
OPTIONAL MATCH (m)-[p:PRETRAINED_ON]->()
DELETE p
WITH DISTINCT m
SET m = $props
