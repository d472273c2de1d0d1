"""HTTP routes, one module per source. `v1_router` collects the authenticated /v1 routes."""
