"""The read models, one module per view (helpers a view splits off sit beside it)."""
