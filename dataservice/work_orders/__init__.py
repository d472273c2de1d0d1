"""12345 work orders: the two-level taxonomy, the free-text classifier and location extraction."""
