"""The steps of one feed's batch: land, validate, load. Each step is idempotent for its batch."""
