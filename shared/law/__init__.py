"""Legal rules more than one service applies alike, each in one place: is a proposed decision
major (major), and is a collective discussion owed after a legal review (review)."""
