"""Roles, each allowed what the one before it may do and more.

An agent answers citizens on the agent desk (and, as a viewer, reads conversations); annotators,
trainers and admins may take conversations too."""
from __future__ import annotations

ROLES = ("viewer", "agent", "annotator", "trainer", "admin")


def at_least(role: str, needed: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)
