"""Pure rules of the record keeper: stages and their transitions (stages), the hash chain and
its verification (chain), a protected person's data masked and sealed (personal), the
major-decision gate (gate), the findings (findings) and what an archived case keeps
(archive). Value types and functions over them; no SQLAlchemy, nameko, eventlet or I/O."""
