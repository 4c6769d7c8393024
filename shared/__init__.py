"""Sanxiang kernel: what every service shares — rule sets, the legal calendar, message
contracts, database/actor/event providers and the errors that cross service boundaries."""
