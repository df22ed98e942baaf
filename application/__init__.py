"""CareLedger's application layer: commands on the eventsourcing Application. Imports domain only."""
