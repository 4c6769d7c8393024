"""Agency rule sets: the shared code vocabularies (vocabulary), the file format — YAML read with
each key's line (source), strict fields (fields), the schemas (schema), the checks that span
fields (checks) and the inheritance merge (merge) — the repository that loads and merges files
and serves effective rules (repository), and the rules a service is given — its agencies, their
rule sets and the calendar (provider)."""
