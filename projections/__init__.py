"""Read models fed by the event log (see the projections issue)."""
