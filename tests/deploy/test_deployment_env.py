"""DEPLOYMENT_ENV's one rule (deployment_env/), which every service's settings apply."""
from __future__ import annotations

import pytest

from deployment_env import deployment, refuse_development_secrets


class SettingsProblem(RuntimeError):
    pass


@pytest.mark.parametrize("value, expected", [(None, "development"), ("", "development"),
                                             ("development", "development"),
                                             (" production\n", "production")])
def test_unset_is_development_and_the_two_names_are_read(value, expected):
    env = {} if value is None else {"DEPLOYMENT_ENV": value}
    assert deployment(env) == expected


@pytest.mark.parametrize("value", ["prod", "Production", "staging", "生产"])
def test_any_other_value_stops_the_start_with_the_callers_error(value):
    with pytest.raises(SettingsProblem, match="DEPLOYMENT_ENV"):
        deployment({"DEPLOYMENT_ENV": value}, SettingsProblem)


def test_production_refuses_the_first_development_secret_by_name():
    checks = {"A_KEY": (False, "a"), "B_SECRET": (True, "b signs"), "C_TOKEN": (True, "c")}
    with pytest.raises(SettingsProblem, match="B_SECRET .*b signs"):
        refuse_development_secrets(True, checks, SettingsProblem)
    refuse_development_secrets(False, checks, SettingsProblem)  # development: fine
    refuse_development_secrets(True, {"A_KEY": (False, "a")}, SettingsProblem)
