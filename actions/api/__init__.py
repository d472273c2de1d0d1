"""Clients for external systems, one module per system."""
