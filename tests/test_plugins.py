from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

import provcheck
from provcheck import Access, PluginLoadError, RegistryNotFoundError
from provcheck.registers.discovery import RegistryStatus, registry_statuses


def test_nothing_installed_lists_nothing(entry_points: Callable[..., None]) -> None:
    assert dict(provcheck.installed_registries()) == {}


def test_listing_imports_no_plugin(entry_points: Callable[..., None]) -> None:
    entry_points(broken="broken_plugin:Registry", memory="sample_registries:MemoryRegistry")
    sys.modules.pop("broken_plugin", None)
    entries = provcheck.installed_registries()
    assert list(entries) == ["broken", "memory"]
    assert entries["memory"].target == "sample_registries:MemoryRegistry"
    assert "broken_plugin" not in sys.modules
    with pytest.raises(TypeError):
        entries["x"] = entries["memory"]  # type: ignore[index]


def test_open_registry_loads_lazily_with_settings(entry_points: Callable[..., None]) -> None:
    entry_points(memory="sample_registries:MemoryRegistry")
    registry = provcheck.open_registry("memory", timeout=3)
    assert registry.name == "memory"
    assert registry.settings.timeout == 3


def test_unknown_register_says_what_to_install(entry_points: Callable[..., None]) -> None:
    entry_points(memory="sample_registries:MemoryRegistry")
    with pytest.raises(
        RegistryNotFoundError, match=r"no register named 'alr'.*installed: memory.*provcheck-alr"
    ):
        provcheck.open_registry("alr")


def test_broken_plugin_gives_a_repair_hint(entry_points: Callable[..., None]) -> None:
    entry_points(broken="broken_plugin:Registry")
    with pytest.raises(
        PluginLoadError, match=r"'broken' register's plugin.*failed to import.*reinstall"
    ):
        provcheck.registry_class("broken")


def test_entry_point_must_name_a_registry_class(entry_points: Callable[..., None]) -> None:
    entry_points(wrong="sample_registries:sample_api_transport")
    with pytest.raises(PluginLoadError, match=r"not a provcheck\.Registry subclass"):
        provcheck.registry_class("wrong")


def test_entry_point_name_must_agree_with_the_class(entry_points: Callable[..., None]) -> None:
    entry_points(other="sample_registries:MemoryRegistry")
    with pytest.raises(PluginLoadError, match="must agree"):
        provcheck.registry_class("other")


def test_registry_class_attributes_are_validated() -> None:
    with pytest.raises(TypeError, match="lower case"):

        class Bad(provcheck.Registry):
            name = "Bad Name"

    with pytest.raises(TypeError, match="must be an Access"):

        class AlsoBad(provcheck.Registry):
            name = "also-bad"
            access = "api"  # type: ignore[assignment]


def test_capabilities_name_real_fields() -> None:
    with pytest.raises(ValueError, match="unknown ObjectDescription fields"):
        provcheck.Capabilities(fields=frozenset({"titel"}))


def test_registry_statuses_say_complete_incomplete_or_broken(
    entry_points: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROVCHECK_SAMPLE_API_API_KEY", raising=False)
    entry_points(
        broken="broken_plugin:Registry",
        memory="sample_registries:MemoryRegistry",
        **{"sample-api": "sample_registries:SampleApiRegistry"},
    )
    broken, memory, api = registry_statuses()
    assert isinstance(memory, RegistryStatus)
    assert (broken.name, broken.settings, broken.access) == ("broken", "broken", None)
    assert "failed to import" in (broken.detail or "")
    assert (memory.settings, memory.detail, memory.access) == ("complete", None, Access.LOCAL)
    assert "PROVCHECK_MEMORY_TIMEOUT" in memory.environment
    assert api.settings == "incomplete" and "PROVCHECK_SAMPLE_API_API_KEY" in (api.detail or "")
    assert api.homepage == "https://registry.example.org"
    # The JSON rows: a broken plugin's omit what only the plugin knows.
    assert list(broken.as_json()) == [
        "name", "distribution", "version", "access", "title", "settings", "detail",
    ]  # fmt: skip
    assert memory.as_json()["access"] == "local"
    assert api.as_json()["environment"] == list(api.environment)

    monkeypatch.setenv("PROVCHECK_SAMPLE_API_API_KEY", "secret")
    assert registry_statuses()[2].settings == "complete"
