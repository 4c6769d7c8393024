"""Who may do what, and proof of who said what: actors from signed tokens (actor), a
deployment's key material (keys), events signed by their producer and verified by consumers
(signatures)."""
