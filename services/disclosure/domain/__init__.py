"""The disclosure publisher's rules, pure: what is published, when, and what is redacted."""
