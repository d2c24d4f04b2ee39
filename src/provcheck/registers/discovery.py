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
from typing import Any

from provcheck.errors import PluginLoadError, RegistryNotFoundError
from provcheck.registers.registry import Registry

__all__ = [
    "ENTRY_POINT_GROUP",
    "RegistryEntry",
    "installed_registries",
    "open_registry",
    "plugin_version",
    "registry_class",
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
