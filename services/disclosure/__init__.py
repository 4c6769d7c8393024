"""Disclosure publisher (行政执法公示): what is published, reviewed and corrected."""
