"""The disclosure publisher (行政执法公示): registers, publications, corrections, the portal."""
