"""Unit tests of the disclosure publisher."""
