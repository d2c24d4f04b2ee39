"""The plugin API: what a register's plugin is, what it declares, and how it is configured.

A plugin is one subclass of `Registry`. It declares who it is (`name`, `title`, `homepage`), how
the register is reached (`access`), what it can search on (`capabilities`) and its settings (a
`RegistrySettings` subclass), and implements `search`. It retrieves records; it does not score
them: the core judges every register's records with the same matcher.

A search that cannot return records now raises one of the signals in `provcheck.errors`:
`QueryNotSupported` (skipped), `SearchPending` (the register answers later), `ReferralRequired`
(a person must send the request). Failures raise the `RegistryError` tree.
"""

from __future__ import annotations

import abc
import os
import re
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar, overload

import httpx
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    SecretStr,
    ValidationError,
    field_validator,
)

from provcheck.errors import ConfigurationError, QueryNotSupported, first_problem
from provcheck.model.description import ImageRef, ObjectDescription
from provcheck.model.loss import LossReport, LossSubmission
from provcheck.model.outcome import Access, DataSource
from provcheck.model.record import REGISTER_NAME, Record

if TYPE_CHECKING:
    from provcheck.images.verification import LocalFeatures

__all__ = [
    "Access",
    "Capabilities",
    "DataSource",
    "Registry",
    "RegistrySettings",
    "SearchResult",
    "collect_records",
    "env_var_name",
    "redact_url",
    "url_credentials",
]

T = TypeVar("T")

_PRINTABLE_ASCII = re.compile(r"(?:[!-~](?:[ -~]*[!-~])?)?")
# The class attributes every register that can be opened declares (the rest have defaults).
_REQUIRED = ("name", "title", "access")


class Capabilities(BaseModel):
    """What a register can search on: `ObjectDescription` field names, and whether images."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fields: frozenset[str] = frozenset()
    images: bool = False

    def model_post_init(self, context: Any, /) -> None:
        unknown = self.fields - set(ObjectDescription.model_fields)
        if unknown:
            raise ValueError(
                f"capabilities name unknown ObjectDescription fields: {sorted(unknown)}"
            )

    def why_unanswerable(self, query: ObjectDescription) -> str | None:
        """Why this register cannot search on anything the query gives, or None if it can."""
        given = query.given_fields()
        if given & self.fields or (self.images and query.images):
            return None
        searchable = sorted(self.fields) + (["images"] if self.images else [])
        return (
            f"searches on {', '.join(searchable) or 'nothing'}; "
            f"the query gives {', '.join(sorted(given)) or 'nothing'}"
        )


# Query parameters that carry credentials when people write them into an address.
_SECRET_PARAMETERS = re.compile(
    r"(?i)^(api[-_]?key|apikey|key|token|access[-_]?token|auth|secret|client[-_]?secret|"
    r"password|passwd|pwd|signature|sig|session)$"
)


def url_credentials(text: str) -> list[str]:
    """The credentials written into an address: its password, and the values of query
    parameters such as `api_key` or `token`. None for text that is not an http(s) address, or a
    database's (`postgresql://user:password@host/db`, a store's)."""
    if not text.lower().startswith(("http://", "https://", "postgresql://", "postgres://")):
        return []
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError):
        return []
    found = [url.password] if url.password else []
    found += [
        value for key, value in url.params.multi_items() if value and _SECRET_PARAMETERS.match(key)
    ]
    # And as written, percent-encoded (`p%40ss`, `ab+cd`): messages quote addresses raw too.
    raw_password = url.userinfo.decode("ascii", "replace").partition(":")[2]
    found += [raw_password] if raw_password else []
    for part in url.query.decode("ascii", "replace").split("&"):
        key, _, value = part.partition("=")
        if value and _SECRET_PARAMETERS.match(urllib.parse.unquote_plus(key)):
            found.append(value)
    # The longest first, so that no shorter form leaves part of a longer one in place.
    return sorted(set(found), key=len, reverse=True)


def redact_url(text: str) -> str:
    """`text` with the credentials written into it, if it is an address, replaced by asterisks."""
    for secret in url_credentials(text):
        text = text.replace(secret, "**********")
    return text


def env_var_name(registry: str, option: str) -> str:
    """The environment variable of a setting: `PROVCHECK_<NAME>_<OPTION>`."""
    return f"PROVCHECK_{registry}_{option}".upper().replace("-", "_")


class RegistrySettings(BaseModel):
    """A register's settings: subclass it, add fields, mark secrets with `pydantic.SecretStr`.

    Values come from arguments, then from `PROVCHECK_<NAME>_<OPTION>` environment variables, then
    the defaults. Unknown settings are refused, so a typo fails loudly. Secret values never appear
    in a repr, an error message, a log line or a report.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    timeout: float = Field(
        default=60.0, gt=0, description="seconds a search may take before it counts as failed"
    )

    @field_validator("*")
    @classmethod
    def _a_secret_is_printable_ascii(cls, value: Any) -> Any:
        # A secret goes into a header or a form as it is: a line end pasted with it (a Windows
        # file's CR) or a letter outside ASCII fails there, in a message that would show it.
        if isinstance(value, SecretStr) and not _PRINTABLE_ASCII.fullmatch(
            value.get_secret_value()
        ):
            raise ValueError(
                "holds a character a key cannot: a line end, a space at an end, an accented "
                "letter? Check the value as it was pasted"
            )
        return value

    @classmethod
    def load(
        cls, registry: str, /, *, environ: Mapping[str, str] | None = None, **given: Any
    ) -> Self:
        """Settings for `registry` from `given`, then the environment; one clear error if wrong."""
        environ = os.environ if environ is None else environ
        unknown = sorted(set(given) - set(cls.model_fields))
        if unknown:
            raise ConfigurationError(
                f"{registry}: unknown setting {unknown[0]!r}; "
                f"known settings: {', '.join(sorted(cls.model_fields))}"
            )
        values = dict(given)
        for name in cls.model_fields:
            variable = env_var_name(registry, name)
            if name not in values and variable in environ:
                values[name] = environ[variable]
        try:
            return cls(**values)
        except ValidationError as error:
            where, problem = first_problem(error)
            name = (where or "?").split(".")[0]
            raise ConfigurationError(
                f"{registry}: setting {name!r}: {problem.lower()}; "
                f"give {name}=... or set {env_var_name(registry, name)}"
            ) from None

    def secret_values(self) -> list[str]:
        """The plain values of every secret setting -- and of credentials written into an
        address (`https://user:password@host/?api_key=...`) -- so messages can be scrubbed."""
        found = [
            value.get_secret_value()
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), SecretStr) and value.get_secret_value()
        ]
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, str):
                found += url_credentials(value)
        return found

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if isinstance(value, str) else value

    def redact(self, text: str) -> str:
        """`text` with every secret value of these settings replaced by asterisks, as written and
        as Python shows it in a message (`b'...'`)."""
        for secret in self.secret_values():
            for form in (secret, repr(secret)[1:-1]):
                text = text.replace(form, "**********")
        return text


@dataclass(frozen=True)
class SearchResult(Sequence[Record]):
    """Records, with what the report should say about where they came from.

    A plugin may return a plain list of records; it returns a `SearchResult` to add warnings (a
    malformed item left out), the data's source and freshness (a mirror synced at ...),
    documents the register issued (a search certificate), which the report keeps verbatim, or
    that this search, unlike others, could not look for the photographs.
    """

    records: tuple[Record, ...] = ()
    warnings: tuple[str, ...] = ()
    source: DataSource = DataSource.LIVE
    data_as_of: datetime | None = None
    documents: Mapping[str, JsonValue] = field(default_factory=dict)
    # False when this search did not look for the query's photographs across the register
    # (a register that searches by image only in some modes: a live API beside its mirror);
    # None: as `capabilities.images` says.
    photographs_searched: bool | None = None

    @overload
    def __getitem__(self, index: int) -> Record: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Record]: ...
    def __getitem__(self, index: int | slice) -> Record | Sequence[Record]:
        return self.records[index]

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)


def collect_records(
    items: Iterable[T], to_record: Callable[[T], Record], *, label: Callable[[int], str]
) -> tuple[list[Record], list[str]]:
    """Records made of a service's items, and a warning for each item that is not one.

    An item `to_record` refuses (a `ValueError` -- pydantic's `ValidationError` among them -- or a
    `TypeError`) is left out, and the warning says which (`label(n)` for the n-th, from 1), where
    and what: the rest of an answer is not lost for one bad item.
    """
    records: list[Record] = []
    warnings: list[str] = []
    for number, item in enumerate(items, start=1):
        try:
            records.append(to_record(item))
        except ValidationError as error:
            where, problem = first_problem(error)
            warnings.append(f"{label(number)} left out: {where or 'item'}: {problem}")
        except (TypeError, ValueError) as error:
            warnings.append(f"{label(number)} left out: item: {error}")
    return records, warnings


def _abstract(cls: type) -> bool:
    """Whether a class still leaves a method abstract (its ABC has not counted them yet while
    `__init_subclass__` runs)."""
    return any(
        getattr(getattr(cls, name, None), "__isabstractmethod__", False) for name in dir(cls)
    )


class Registry(abc.ABC):
    """A register of stolen or missing objects, as provcheck reaches it.

    Subclasses set the class attributes and implement `search` (and `aclose` if they hold
    connections). Instances are async context managers.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    homepage: ClassVar[str | None] = None
    access: ClassVar[Access]
    capabilities: ClassVar[Capabilities] = Capabilities()
    Settings: ClassVar[type[RegistrySettings]] = RegistrySettings
    version: ClassVar[str | None] = None  # the plugin's version, for the report
    # True when `report_loss` sends nothing: it prepares a document for a person to send (the
    # police's form, a referral), so a loss report prepares it whichever registers are named.
    loss_report_prepared_only: ClassVar[bool] = False

    settings: RegistrySettings
    # Where the plugin's HTTP requests go instead of the network: an in-process mock service
    # (`provcheck.mocks.in_process`) in tests and the demo; None in real use.
    transport: httpx.AsyncBaseTransport | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _abstract(cls):
            # A register that can be opened must say who it is and how it is reached; said
            # here, when the class is defined, not as an AttributeError inside a check.
            missing = [attribute for attribute in _REQUIRED if not hasattr(cls, attribute)]
            if missing:
                raise TypeError(
                    f"{cls.__module__}.{cls.__qualname__} must set the class attribute"
                    f"{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                    "(see provcheck.Registry)"
                )
        name = cls.__dict__.get("name")
        if name is not None and not REGISTER_NAME.fullmatch(name):
            raise TypeError(
                f"{cls.__name__}.name {name!r} must be lower case: letters, digits, - _"
            )
        access = cls.__dict__.get("access")
        if access is not None and not isinstance(access, Access):
            raise TypeError(f"{cls.__name__}.access must be an Access, not {access!r}")

    def __init__(
        self,
        settings: RegistrySettings | None = None,
        /,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **options: Any,
    ) -> None:
        if settings is not None and options:
            raise TypeError("give either a settings object or keyword settings, not both")
        if settings is not None and not isinstance(settings, self.Settings):
            raise TypeError(
                f"{self.name} takes {self.Settings.__name__}, not {type(settings).__name__}"
            )
        self.settings = (
            settings if settings is not None else self.Settings.load(self.name, **options)
        )
        self.transport = transport

    @abc.abstractmethod
    async def search(self, query: ObjectDescription, *, limit: int) -> Sequence[Record]:
        """Records that may describe `query`, at most `limit`; nothing found is an empty result."""

    async def resume(
        self, handle: Mapping[str, JsonValue], *, limit: int, reply: str | None = None
    ) -> Sequence[Record]:
        """Take up a search this register left pending (`SearchPending.handle`) without submitting
        or paying again: its records, or `SearchPending` again if it is still not answered.
        `reply` answers the register's question, when it asked one. Registers that never leave a
        search pending need not implement it.
        """
        raise QueryNotSupported(f"{self.name} has no pending searches to resume")

    def iter_records(self, *, since: datetime | None = None) -> AsyncIterator[Record]:
        """Every record the register holds -- or, given `since`, every record changed since then,
        newest first -- for mirroring (`provcheck mirror NAME`). Registers with bulk access
        implement it as an async generator, setting `Record.modified`; the default refuses."""
        raise QueryNotSupported(f"{self.name} offers no bulk access to mirror")

    async def count_records(self) -> int | None:
        """How many records the register holds now, if it says (for a mirror's progress and to
        notice records that went); None if it cannot tell."""
        return None

    async def image_bytes(self, image: ImageRef) -> bytes | None:
        """The pixels of one of this register's record images, for geometric verification.

        The default gives inline bytes only; a plugin that can fetch its images (a stored copy, a
        URL of its service) overrides this. None means "not available": the image is then judged
        by its fingerprints alone.
        """
        return image.data

    async def image_features(self, image: ImageRef) -> LocalFeatures | None:
        """Local features this register keeps for one of its record images (as the local store
        does from import on), so that verification need not fetch, decode and describe the image
        again. The default: None, and `image_bytes` is asked instead.
        """
        return None

    async def report_loss(self, loss: LossReport) -> LossSubmission:
        """Report an object of one's own as lost to this register (`provcheck loss report`):
        what became of it -- registered, with the register's number for it; submitted, to be
        confirmed later; or, for a register reached by a person, the document prepared for them
        to send (`PreparedDocument`). Registers that take no loss reports need not implement it;
        the default refuses."""
        raise QueryNotSupported(f"{self.name} takes no loss reports")

    @classmethod
    def takes_loss_reports(cls) -> bool:
        """Whether this register's plugin implements `report_loss`."""
        return cls.report_loss is not Registry.report_loss

    async def aclose(self) -> None:
        """Release connections and files. Safe to call more than once."""
        return None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.settings!r}>"
