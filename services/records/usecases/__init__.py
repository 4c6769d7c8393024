"""Commands of the record keeper, one module per aggregate: cases (opening, starting, stages,
closing, archiving), records (records, AV records, corrections), decisions (proposal, legal
review, issue), checkpoints (signing chain heads) and events (the review board's opinions,
replaying the outbox). Each command takes the validated request and its dependencies as
keyword arguments, runs in one transaction, appends to the case's chain and stages its events
in the outbox of that same transaction, all through `store`."""
