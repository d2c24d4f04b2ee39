"""Finding registers: plugins announce themselves in the `provcheck.registries` entry-point group.

Listing what is installed imports nothing; a plugin's module is imported only when its register is
opened, and a plugin that is missing or broken becomes an error that says what to install.
Built-in registers are announced the same way, by provcheck's own package metadata.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from provcheck.errors import PluginLoadError, ProvcheckError, RegistryNotFoundError
from provcheck.model.outcome import Access
from provcheck.registers.registry import Registry, RegistrySettings, env_var_name

__all__ = [
    "ENTRY_POINT_GROUP",
    "MirrorInfo",
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


# How a register is reached, as `provcheck registries` says it.
LIVE_API = "live API"
LIVE_API_OR_MIRROR = "live API; mirrorable"
BY_A_PERSON = "by a person"
BY_A_PERSON_UNCONFIGURED = "by a person (no service address set)"
LOCAL_STORE = "local store"


@dataclass(frozen=True)
class MirrorInfo:
    """A register's mirror in the local store: when it was last synced to the end, and how many
    of its records the store holds (the store, a layer above, says; see `registry_statuses`)."""

    synced_at: str
    records: int


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
    # How it is reached as configured (`LIVE_API`, `BY_A_PERSON`, ...), whether it can be
    # mirrored, and its mirror in the local store (None: not mirrored, or not mirrorable).
    reached: str | None = None
    mirrorable: bool = False
    mirror: MirrorInfo | None = None

    @property
    def freshness(self) -> str | None:
        """How fresh what a check of it sees is: "asked at each check", "mirrored 2026-11-30,
        4,523 records", "not mirrored", "a person's recorded answer"; None for a broken plugin."""
        if self.reached is None:
            return None
        if self.reached.startswith(BY_A_PERSON):
            return "as of the answer a person records"
        if self.reached == LOCAL_STORE:
            return "as last imported into the local store"
        if self.mirror is not None:
            return f"mirrored {self.mirror.synced_at[:10]}, {self.mirror.records:,} records"
        # A register that can be mirrored may or may not also answer live (Lost Art cannot).
        return "not mirrored" if self.mirrorable else "asked at each check"

    def as_json(self) -> dict[str, Any]:
        """What `provcheck registries --json` prints for it (a broken plugin: no homepage, no
        environment and no way it is reached, which only the plugin knows)."""
        row: dict[str, Any] = {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "access": None if self.access is None else self.access.value,
            "title": self.title,
        }
        if self.settings != "broken":
            row |= {"homepage": self.homepage, "environment": list(self.environment)}
        row |= {"settings": self.settings, "detail": self.detail}
        if self.settings != "broken":
            mirror = None if self.mirror is None else dataclasses.asdict(self.mirror)
            row |= {
                "reached": self.reached,
                "mirrorable": self.mirrorable,
                "mirror": mirror,
                "freshness": self.freshness,
            }
        return row


def registry_statuses(
    mirrors: Mapping[str, MirrorInfo] | None = None,
) -> tuple[RegistryStatus, ...]:
    """Every installed register, sorted by name, with whether its settings are complete and how
    it is reached: each plugin is imported, and its settings loaded (nothing is asked of any
    register). `mirrors`: the local store's mirror of each register that has one."""
    mirrors = mirrors or {}
    return tuple(
        _status(entry, mirrors.get(name)) for name, entry in installed_registries().items()
    )


def _status(entry: RegistryEntry, mirror: MirrorInfo | None) -> RegistryStatus:
    try:
        cls = entry.load()
    except ProvcheckError as error:
        return RegistryStatus(entry.name, entry.distribution, entry.version, "broken", str(error))
    settings: Literal["complete", "incomplete"] = "complete"
    detail = None
    loaded = None
    try:
        loaded = cls.Settings.load(entry.name)
    except ProvcheckError as error:
        settings, detail = "incomplete", str(error)
    mirrorable = cls.iter_records is not Registry.iter_records
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
        reached=_reached(cls, loaded, mirrorable),
        mirrorable=mirrorable,
        mirror=mirror if mirrorable else None,
    )


def _reached(cls: type[Registry], settings: RegistrySettings | None, mirrorable: bool) -> str:
    if cls.access is Access.REFERRAL:
        return BY_A_PERSON
    if cls.access is Access.LOCAL:
        return LOCAL_STORE
    # A service register whose service address is left empty prepares its request for a person
    # to send instead (the `alr` and `lsad` plugins, with no PROVCHECK_<NAME>_BASE_URL).
    if settings is not None and getattr(settings, "base_url", None) == "":
        return BY_A_PERSON_UNCONFIGURED
    return LIVE_API_OR_MIRROR if mirrorable else LIVE_API


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
