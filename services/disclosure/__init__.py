"""Disclosure publisher (行政执法公示): publications, their review and the public portal."""
