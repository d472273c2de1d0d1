"""The partner adapters in seeding order, imported explicitly: a missing one stops the start-up."""
from __future__ import annotations

from types import ModuleType

from dataservice.partners import electricity, gas, transport_card, water

ADAPTERS: tuple[ModuleType, ...] = (water, electricity, gas, transport_card)


def utility_adapter(kind: str) -> ModuleType:
    """The adapter serving one utility kind (water, electricity, gas)."""
    for module in ADAPTERS:
        if module.PARTNER.kind == kind and hasattr(module, "lookup"):
            return module
    raise KeyError(kind)
