"""The disclosure publisher's pure rules, one module per subject: a publication's draft, review,
withdrawal and clock (publication), the agency's log of public acts and its signed tree heads
(log), the masking and scanning of personal data (redaction), the registers published before
the fact and their versions (registers)."""
