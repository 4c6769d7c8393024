"""The disclosure publisher's pure rules, one module per subject: a publication's draft, review,
withdrawal and clock (publication), the agency's log of public acts and its signed tree heads
(log)."""
