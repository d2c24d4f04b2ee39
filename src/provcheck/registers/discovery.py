"""Finding registers: plugins announce themselves in the `provcheck.registries` entry-point group.

Listing what is installed imports nothing; a plugin's module is imported only when its register is
opened, and a plugin that is missing or broken becomes an error that says what to install.
Built-in registers are announced the same way, by provcheck's own package metadata.
"""

from __future__ import annotations

import difflib
import functools
import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from provcheck.errors import PluginLoadError, ProvcheckError, RegistryNotFoundError
from provcheck.model.outcome import Access
from provcheck.registers.registry import Registry, env_var_name

__all__ = [
    "ENTRY_POINT_GROUP",
    "RegistryEntry",
    "RegistryStatus",
    "installed_registries",
    "open_registry",
    "plugin_version",
    "registry_class",
    "registry_statuses",
]

ENTRY_POINT_GROUP = "provcheck.registries"


def _distribution_for(name: str) -> str:
    return f"provcheck-{name}"


@dataclass(frozen=True)
class RegistryEntry:
    """An installed register plugin, not yet imported."""

    name: str
    target: str  # "module:Class"
    distribution: str | None
    version: str | None
    entry_point: importlib.metadata.EntryPoint

    def load(self) -> type[Registry]:
        """Import the plugin and return its `Registry` class."""
        package = self.distribution or _distribution_for(self.name)
        try:
            loaded = self.entry_point.load()
        except Exception as error:
            raise PluginLoadError(
                f"the {self.name!r} register's plugin ({package} {self.version or ''}".rstrip()
                + f") failed to import: {type(error).__name__}: {error}; reinstall it, e.g. "
                f"`uv pip install --reinstall {package}`"
            ) from error
        if not (isinstance(loaded, type) and issubclass(loaded, Registry)):
            raise PluginLoadError(
                f"the {self.name!r} entry point ({self.target}) is not a provcheck.Registry subclass"
            )
        if getattr(loaded, "name", None) != self.name:
            raise PluginLoadError(
                f"the {self.name!r} entry point ({self.target}) names a register called "
                f"{getattr(loaded, 'name', None)!r}; the two must agree"
            )
        return loaded


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    return list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))


def installed_registries() -> Mapping[str, RegistryEntry]:
    """Every installed register by name, sorted; a read-only view. Imports no plugin."""
    found: dict[str, RegistryEntry] = {}
    for entry_point in _entry_points():
        if entry_point.name in found:
            continue  # the first installed distribution that claims a name keeps it
        dist = entry_point.dist
        found[entry_point.name] = RegistryEntry(
            name=entry_point.name,
            target=entry_point.value,
            distribution=dist.metadata["Name"] if dist is not None else None,
            version=dist.version if dist is not None else None,
            entry_point=entry_point,
        )
    return MappingProxyType(dict(sorted(found.items())))


@dataclass(frozen=True)
class RegistryStatus:
    """An installed register and whether it can be used as configured: its settings complete
    (from arguments' defaults and environment variables), incomplete, or its plugin broken."""

    name: str
    distribution: str | None
    version: str | None
    settings: Literal["complete", "incomplete", "broken"]
    detail: str | None  # what is missing, or why the plugin does not import; None if complete
    # What the plugin says of itself; unknown (None, nothing) when it does not import.
    access: Access | None = None
    title: str | None = None
    homepage: str | None = None
    environment: tuple[str, ...] = ()  # the environment variables its settings are read from

    def as_json(self) -> dict[str, Any]:
        """What `provcheck registries --json` prints for it (a broken plugin: no homepage and no
        environment, which only the plugin knows)."""
        row: dict[str, Any] = {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "access": None if self.access is None else self.access.value,
            "title": self.title,
        }
        if self.settings != "broken":
            row |= {"homepage": self.homepage, "environment": list(self.environment)}
        return row | {"settings": self.settings, "detail": self.detail}


def registry_statuses() -> tuple[RegistryStatus, ...]:
    """Every installed register, sorted by name, with whether its settings are complete: each
    plugin is imported, and its settings loaded (nothing is asked of any register)."""
    return tuple(_status(entry) for entry in installed_registries().values())


def _status(entry: RegistryEntry) -> RegistryStatus:
    try:
        cls = entry.load()
    except ProvcheckError as error:
        return RegistryStatus(entry.name, entry.distribution, entry.version, "broken", str(error))
    settings: Literal["complete", "incomplete"] = "complete"
    detail = None
    try:
        cls.Settings.load(entry.name)
    except ProvcheckError as error:
        settings, detail = "incomplete", str(error)
    return RegistryStatus(
        entry.name,
        entry.distribution,
        entry.version,
        settings,
        detail,
        access=cls.access,
        title=cls.title,
        homepage=cls.homepage,
        environment=tuple(env_var_name(entry.name, option) for option in cls.Settings.model_fields),
    )


def registry_class(name: str) -> type[Registry]:
    """The `Registry` class of an installed register; a clear error if there is none."""
    entries = installed_registries()
    entry = entries.get(name)
    if entry is None:
        installed = ", ".join(entries) or "none"
        close = difflib.get_close_matches(name, list(entries), n=1, cutoff=0.6)
        if close:  # a typo of an installed register, far likelier than a plugin not installed
            raise RegistryNotFoundError(
                f"no register named {name!r} is installed: did you mean {close[0]!r}? "
                f"(installed: {installed})"
            )
        raise RegistryNotFoundError(
            f"no register named {name!r} is installed (installed: {installed}); "
            f"install its plugin, e.g. `uv add {_distribution_for(name)}`"
        )
    return entry.load()


def open_registry(name: str, **settings: Any) -> Registry:
    """An instance of the named register, with `settings` (then environment variables) applied."""
    return registry_class(name)(**settings)


def plugin_version(registry: type[Registry] | Registry) -> str | None:
    """The version of the distribution that provides a register, for the report."""
    cls = registry if isinstance(registry, type) else type(registry)
    if cls.version:
        return cls.version
    package = cls.__module__.partition(".")[0]
    distributions = _packages_distributions().get(package)
    if not distributions:
        return None
    try:
        return importlib.metadata.version(distributions[0])
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.cache
def _packages_distributions() -> Mapping[str, list[str]]:
    return importlib.metadata.packages_distributions()
