"""Validate action server responses against a compiled schema, not a re-checked one.

Rasa 3.6 checks every custom action's response with `jsonschema.validate`, which first validates
the (large, constant) response *schema* against its meta-schema on every call: measured at about
two thirds of the Rasa server's CPU time per message here. This replaces RemoteAction's check with
one compiled validator: the same schema, the same errors (best match), the schema checked once.
Installed by `install()`, which bot.stores calls (the Rasa server imports it from endpoints.yml).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def _validator():
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    error = best_match(_validator().iter_errors(result))
    if error is not None:
        error.message += (". Failed to validate Action server response from API, make sure your "
                          "response from the Action endpoint is valid. For more information about "
                          f"the format visit {DOCS_BASE_URL}/custom-actions")
        raise error
    return True


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result
