"""CareLedger's domain: aggregates, events, values and rules. Pure: no I/O, no clock reads."""
