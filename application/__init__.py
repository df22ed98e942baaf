"""CareLedger's application layer: commands on the eventsourcing Application."""
