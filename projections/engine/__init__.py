"""The projection engine: store, tracking, runner, followers, rebuild and reading helpers."""
