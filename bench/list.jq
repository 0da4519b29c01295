# Every pact's status on the date $d, from a store's JSON Lines: the latest
# status event by (on, seq) with on <= $d, or null. (Retractions are not
# applied: the generated stores have none.)
reduce inputs as $e ({};
  if $e.kind == "registered" then .[$e.pact] //= null
  elif $e.kind == "status" and $e.on <= $d
       and (.[$e.pact] == null or [$e.on, $e.seq] > [.[$e.pact].on, .[$e.pact].seq])
    then .[$e.pact] = {on: $e.on, seq: $e.seq, status: $e.status}
  else . end)
| to_entries | sort_by(.key)[] | "\(.key) \(.value.status // "null")"
