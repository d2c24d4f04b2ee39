from __future__ import annotations

import pytest
from pydantic import SecretStr
from sample_registries import SampleApiRegistry, SampleApiSettings, sample_api_transport

import provcheck
from provcheck import ConfigurationError, RegistrySettings

SECRET = "sk-live-0123456789abcdef"


def test_arguments_then_environment_then_defaults() -> None:
    env = {"PROVCHECK_SAMPLE_API_API_KEY": "from-env", "PROVCHECK_SAMPLE_API_TIMEOUT": "5"}
    settings = SampleApiSettings.load("sample-api", environ=env)
    assert settings.api_key.get_secret_value() == "from-env"
    assert settings.timeout == 5.0
    assert settings.base_url == "https://registry.example.org/api/"
    given = SampleApiSettings.load("sample-api", environ=env, api_key="given", timeout=9)
    assert given.api_key.get_secret_value() == "given"
    assert given.timeout == 9


def test_environment_variable_names() -> None:
    assert (
        provcheck.registers.registry.env_var_name("sample-api", "api_key")
        == "PROVCHECK_SAMPLE_API_API_KEY"
    )


def test_unknown_setting_is_refused_with_the_known_ones() -> None:
    with pytest.raises(
        ConfigurationError, match=r"unknown setting 'api_kye'; known settings: api_key"
    ):
        SampleApiSettings.load("sample-api", environ={}, api_kye=SECRET)


def test_missing_setting_says_how_to_give_it() -> None:
    with pytest.raises(ConfigurationError) as raised:
        SampleApiSettings.load("sample-api", environ={})
    assert "api_key" in str(raised.value)
    assert "PROVCHECK_SAMPLE_API_API_KEY" in str(raised.value)


def test_invalid_value_error_never_shows_the_value() -> None:
    with pytest.raises(ConfigurationError) as raised:
        RegistrySettings.load("x", environ={"PROVCHECK_X_TIMEOUT": SECRET})
    assert "timeout" in str(raised.value)
    assert SECRET not in str(raised.value)


def test_secrets_are_masked_everywhere() -> None:
    registry = SampleApiRegistry(api_key=SECRET, transport=sample_api_transport())
    for text in (
        repr(registry),
        repr(registry.settings),
        str(registry.settings),
        registry.settings.model_dump_json(),
        str(registry.settings.model_dump()),
        repr(registry.http),
    ):
        assert SECRET not in text
    assert registry.settings.secret_values() == [SECRET]
    assert registry.settings.redact(f"failed with key={SECRET}!") == "failed with key=**********!"
    assert isinstance(registry.settings.api_key, SecretStr)


def test_settings_object_or_keywords_not_both() -> None:
    settings = SampleApiSettings(api_key=SecretStr(SECRET))
    with pytest.raises(TypeError):
        SampleApiRegistry(settings, api_key="other")
    with pytest.raises(TypeError):
        SampleApiRegistry(RegistrySettings())  # type: ignore[arg-type]
