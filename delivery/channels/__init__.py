"""The ways a message reaches a person: e-mail, SMS, app push, staff IM robots, the outbox."""
