"""Time and the legal calendar: the clock (UTC instants, China Standard Time days), the one
calendar every legal period is computed by (legal), the calendar files that amend it (files), a
new year's State Council notice loaded into one (notice), and the shipped data (data/)."""
