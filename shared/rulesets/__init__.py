"""Agency rule sets: the file format and its checks (schema), the repository that loads and
merges them and serves effective rules (repository), and the rules a service is given — its
agencies, their rule sets and the calendar (provider)."""
