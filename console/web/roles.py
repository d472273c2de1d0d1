"""Roles, each allowed what the one before it may do and more."""
from __future__ import annotations

ROLES = ("viewer", "annotator", "trainer", "admin")


def at_least(role: str, needed: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)
