"""The disclosure publisher's rules, pure and typed: no storage, no framework."""
