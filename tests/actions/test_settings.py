"""The action server's settings: one place, checked at start, development secrets refused in
production with a message that names the variable."""
from __future__ import annotations

import pytest

from actions.settings import ActionSettings, InsecureConfiguration

PRODUCTION = {"DEPLOYMENT_ENV": "production", "DATASERVICE_API_KEY": "k" * 32,
              "CONSOLE_HANDOFF_TOKEN": "h" * 32, "PII_SECRET_KEY": "p" * 32}


def test_defaults_are_the_development_ones():
    settings = ActionSettings.from_env({})
    assert settings.dataservice_url == "http://127.0.0.1:8000"
    assert (settings.host, settings.port) == ("127.0.0.1", 5055)


def test_values_come_from_the_environment():
    settings = ActionSettings.from_env({"DATASERVICE_URL": "http://ds:8000/", "ACTION_SERVER_PORT": "6055",
                                        "DATASERVICE_API_KEYS": "first, second",
                                        "DATASERVICE_READ_TIMEOUT": "1.5"})
    assert settings.dataservice_url == "http://ds:8000" and settings.port == 6055
    assert settings.dataservice_api_key == "first" and settings.read_timeout == 1.5


@pytest.mark.parametrize("variable,value", [("DATASERVICE_READ_TIMEOUT", "soon"),
                                            ("DATASERVICE_CONNECT_TIMEOUT", "-1"),
                                            ("ACTION_SERVER_PORT", "5055.5")])
def test_a_bad_number_is_refused_by_name(variable, value):
    with pytest.raises(InsecureConfiguration, match=variable):
        ActionSettings.from_env({variable: value})


@pytest.mark.parametrize("variable", ["DATASERVICE_API_KEY", "CONSOLE_HANDOFF_TOKEN", "PII_SECRET_KEY"])
def test_production_refuses_a_development_secret_by_name(variable):
    with pytest.raises(InsecureConfiguration, match=variable):
        ActionSettings.from_env({k: v for k, v in PRODUCTION.items() if k != variable})


def test_production_with_its_own_secrets_starts():
    assert ActionSettings.from_env(PRODUCTION).dataservice_api_key == "k" * 32


@pytest.mark.parametrize("value", ["prod", "Production"])
def test_an_unknown_deployment_is_refused(value):
    with pytest.raises(InsecureConfiguration, match="DEPLOYMENT_ENV"):
        ActionSettings.from_env({**PRODUCTION, "DEPLOYMENT_ENV": value})
