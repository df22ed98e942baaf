"""Process policies: the system's own reactions to time passing, recorded through commands."""
