"""What every Tilts backend service runs on: storage with an outbox, safe consumers, probes."""
