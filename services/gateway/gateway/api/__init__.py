"""The HTTP API: one module of routes per resource, each route declaring its contract."""
