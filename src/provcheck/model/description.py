"""The object being checked, described in the categories of the Object ID standard.

Object ID (Getty, 1997; promoted by ICOM, UNESCO and INTERPOL) is what registers and police forces
ask for to identify a stolen object: photographs, type, measurements, materials and techniques,
inscriptions and markings, date or period, maker, subject, title, distinguishing features and a
description. `ObjectDescription` holds those categories for a query and for every register's record.

Free text is accepted where people have free text: `measurements="72 x 60 in"`, `period="c. 1880"`,
`maker="attributed to Rembrandt"` are parsed once, here, into the structured parts, and the verbatim
text is kept beside them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from os import PathLike, fspath
from pathlib import Path, PurePath
from typing import Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from provcheck.errors import InputError, first_problem
from provcheck.model.canonical import sha256_digest
from provcheck.text.makers import Maker, parse_makers
from provcheck.text.measurements import Measurement, parse_measurements
from provcheck.text.periods import DatePeriod, parse_period
from provcheck.userfiles import load_json, read_bounded, read_text

__all__ = [
    "FINGERPRINT_PATTERN",
    "MAX_IMAGE_BYTES",
    "TEXT_FIELDS",
    "ImageLike",
    "ImageRef",
    "ObjectDescription",
]

MAX_IMAGE_BYTES = 64 * 1024 * 1024  # the largest image file provcheck reads
# The fields as a person writes them (`ObjectDescription.text_fields`), in that order: what a
# form, a CSV file and an edit name.
TEXT_FIELDS = (
    "title",
    "maker",
    "object_type",
    "materials",
    "measurements",
    "period",
    "inscriptions",
    "subject",
    "distinguishing_features",
    "description",
    "inventory_number",
    "place_of_origin",
    "keywords",
    "provenance",
)
# A perceptual hash as provcheck writes it: 64 bits, in lower-case hexadecimal.
FINGERPRINT_PATTERN = re.compile(r"[0-9a-f]{16}")


class ImageRef(BaseModel):
    """A photograph of the object: a file `path`, a `url`, or the image's bytes as `data`.

    Exactly one of them is set. `variants` holds other sizes a register offers (`{"thumb": url}`).
    `sha256` (of the image's bytes) and `fingerprints` (perceptual hashes, by kind) are filled in
    once, when the image is first read (`provcheck.images.fingerprints.fingerprinted`), and travel with it.
    """

    model_config = ConfigDict(frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    path: str | None = None
    url: str | None = None
    data: bytes | None = Field(default=None, repr=False)
    caption: str | None = None
    variants: dict[str, str] = Field(default_factory=dict)
    sha256: str | None = None
    fingerprints: dict[str, str] = Field(default_factory=dict)

    @field_validator("path")
    @classmethod
    def _a_path(cls, path: str | None) -> str | None:
        if path is not None and "\x00" in path:
            raise ValueError("an image path cannot contain a NUL character")
        return path

    @field_validator("fingerprints")
    @classmethod
    def _hexadecimal_hashes(cls, fingerprints: dict[str, str]) -> dict[str, str]:
        # Fingerprints travel in reports and import files: what they say is compared bit by bit
        # with every stored one, so only 64-bit hashes as provcheck writes them are taken.
        for kind, value in fingerprints.items():
            if not FINGERPRINT_PATTERN.fullmatch(value):
                raise ValueError(
                    f"fingerprint {kind!r} must be 16 hexadecimal digits, not {value[:40]!r}"
                )
        return fingerprints

    @model_validator(mode="after")
    def _exactly_one_source(self) -> ImageRef:
        given = [name for name in ("path", "url", "data") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"an image needs exactly one of path, url or data; got {given or 'none'}"
            )
        return self

    @classmethod
    def from_value(cls, value: ImageLike) -> ImageRef:
        """Accept a path, a URL string, raw bytes, or an `ImageRef`."""
        if isinstance(value, ImageRef):
            return value
        if isinstance(value, bytes):
            return cls(data=value)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return cls(url=value)
        return cls(path=fspath(value))

    def read(self, *, base: Path | None = None) -> bytes:
        """The image's bytes: the inline data, or the file's contents (a relative path from
        `base`). One clear `InputError` if it cannot be read, is not a regular file, is empty or
        is too large; an image by URL is fetched elsewhere (`provcheck.registers.fetching`, a register)."""
        if self.data is not None:
            data = self.data
        elif self.path is not None:
            path = Path(self.path)
            if base is not None and not path.is_absolute():
                path = base / path
            # Bounded by what is read, not by what `stat` says (0 for /dev/zero or a FIFO).
            data = read_bounded(path, MAX_IMAGE_BYTES, what="image")
        else:
            raise InputError(f"{self.url}: images by URL are fetched by a register, not read here")
        if len(data) > MAX_IMAGE_BYTES:
            raise InputError(
                f"{self.location}: image is {len(data):,} bytes; the limit is {MAX_IMAGE_BYTES:,}"
            )
        if not data:
            raise InputError(f"{self.location}: the image file is empty")
        return data

    @property
    def attachment_name(self) -> str:
        """The photograph as a person finds it to attach to a form: its file's name (not its
        folders), its address, or a digest of inline bytes."""
        if self.path is not None:
            return PurePath(self.path.replace("\\", "/")).name or self.path
        return self.location

    @property
    def location(self) -> str:
        """Where the image is, for people: the path or URL, or a digest of inline bytes."""
        if self.data is not None:
            return f"<{len(self.data)} bytes, sha256:{hashlib.sha256(self.data).hexdigest()[:12]}>"
        return self.path or self.url or ""


ImageLike = ImageRef | str | PathLike[str] | bytes


class ObjectDescription(BaseModel):
    """An object described by Object ID's categories; every field is optional.

    Structured parts (`measurements`, `period`, `makers`) keep their verbatim text beside them
    (`measurements_text`, `period.text`, `maker_text` and each maker's `text`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    images: tuple[ImageRef, ...] = ()  # 1.1 photographs
    object_type: str | None = None  # 1.2 type, hierarchical: "pottery > portrait head jar"
    measurements_text: str | None = None  # 1.3 as written
    measurements: tuple[Measurement, ...] = ()  # 1.3 read
    materials: str | None = None  # 1.4 materials and techniques
    inscriptions: str | None = None  # 1.5 inscriptions and markings
    period: DatePeriod | None = None  # 1.6 date or period
    # 1.7 as written; "maker" is the same field as people write it, so that a fault in it is
    # named as they wrote it.
    maker_text: str | None = Field(
        default=None, validation_alias=AliasChoices("maker_text", "maker")
    )
    makers: tuple[Maker, ...] = ()  # 1.7 read
    subject: str | None = None  # 1.8
    title: str | None = None  # 1.9
    distinguishing_features: str | None = None  # 1.10 damage, repairs, defects
    description: str | None = None  # 1.11
    # Recommended extras of the standard.
    inventory_number: str | None = None
    place_of_origin: str | None = None
    keywords: tuple[str, ...] = ()
    # Not an Object ID category, but what a register asks before it certifies a search: the
    # ownership history as known, with years ("1921 bought by ...; 1938-1962 ...; 1962 ...").
    provenance: str | None = None

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """As input (a query file, a request to the service), the schema says what
        `_read_free_text` takes besides the fields: a maker, measurements and a period as written,
        photographs as paths or addresses."""
        schema = handler(core_schema)
        if handler.mode != "validation":
            return schema
        fields = handler.resolve_ref_schema(schema)["properties"]
        written = {"type": "string", "description": "as written; provcheck reads it"}
        fields["maker"] = {**written, "description": "the maker as written (maker_text)"}
        for name in ("measurements", "period"):
            fields[name] = {"anyOf": [written, fields[name]]}
        images = fields["images"]
        images["items"] = {
            "anyOf": [
                {"type": "string", "description": "a path or an http(s) address"},
                images["items"],
            ]
        }
        return schema

    @model_validator(mode="before")
    @classmethod
    def _read_free_text(cls, data: Any) -> Any:
        """Parse the free-text forms people pass (`maker="..."`, `period="..."`, ...) once."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if data.get("maker", "") is None:
            del data["maker"]  # a maker given as null is no maker
        maker = data.get("maker")
        if maker is not None:
            if "makers" in data or "maker_text" in data:
                raise ValueError("give either maker (free text) or makers/maker_text, not both")
            if isinstance(maker, str):
                data["maker_text"] = data.pop("maker")
        if isinstance(data.get("maker_text"), str) and "makers" not in data:
            data["maker_text"] = data["maker_text"].strip() or None
            data["makers"] = parse_makers(data["maker_text"])
        measurements = data.get("measurements")
        if isinstance(measurements, str):
            data["measurements_text"] = measurements.strip() or None
            data["measurements"] = parse_measurements(measurements)
        elif isinstance(data.get("measurements_text"), str) and "measurements" not in data:
            data["measurements"] = parse_measurements(data["measurements_text"])
        if isinstance(data.get("period"), str):
            data["period"] = parse_period(data["period"])
        images = data.get("images")
        if isinstance(images, Iterable) and not isinstance(images, str | bytes | Mapping):
            # Anything else (a number, an object) is left for validation to refuse in one line.
            data["images"] = tuple(
                ImageRef.from_value(image)
                if isinstance(image, ImageRef | str | bytes | PathLike)
                else image
                for image in images
            )
        keywords = data.get("keywords")
        if isinstance(keywords, str):
            data["keywords"] = tuple(k.strip() for k in keywords.split(";") if k.strip())
        for name, value in list(data.items()):
            if isinstance(value, str) and not value.strip():
                data[name] = None  # an empty string says nothing; store it as absent
        return data

    @classmethod
    def from_file(cls, path: str | PathLike[str]) -> ObjectDescription:
        """A query from a JSON file of Object ID fields; image paths are relative to the file."""
        file = Path(path)
        data = load_json(read_text(file, what="query file"), source=str(file))
        if not isinstance(data, dict):
            raise InputError(f"{file}: expected a JSON object of Object ID fields")
        images = data.get("images")
        for image in images if isinstance(images, list) else []:
            if isinstance(image, dict) and isinstance(image.get("path"), str):
                image["path"] = str(file.parent / image["path"])
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            where, problem = first_problem(error)
            raise InputError(f"{file}: field {where or 'query'}: {problem}") from None

    def given_fields(self) -> frozenset[str]:
        """The names of the fields that hold something (what a register could search on)."""
        return frozenset(
            name for name in type(self).model_fields if getattr(self, name) not in (None, (), "")
        )

    def text_fields(self) -> dict[str, str]:
        """The description as text, field by field, as a person would fill in a register's form
        (`maker`, `measurements`, `period` as written): what a plugin sends a service, and what
        `ObjectDescription.model_validate` reads back."""
        fields = {
            "title": self.title,
            "maker": self.maker_text or ", ".join(m.text for m in self.makers) or None,
            "object_type": self.object_type,
            "materials": self.materials,
            "measurements": self.measurements_text
            or "; ".join(m.text for m in self.measurements)
            or None,
            "period": self.period.text if self.period else None,
            "inscriptions": self.inscriptions,
            "subject": self.subject,
            "distinguishing_features": self.distinguishing_features,
            "description": self.description,
            "inventory_number": self.inventory_number,
            "place_of_origin": self.place_of_origin,
            "keywords": "; ".join(self.keywords) or None,
            "provenance": self.provenance,
        }
        return {name: value for name, value in fields.items() if value}

    def digest(self) -> str:
        """`sha256:...` of this description, photographs by their content where known: the same
        object described the same way gives the same digest (an idempotency key's basis)."""
        data = self.model_dump(mode="json", exclude={"images"})
        data["images"] = [image.sha256 or image.location for image in self.images]
        return sha256_digest(data)

    @property
    def is_empty(self) -> bool:
        return not self.given_fields()

    def summary(self) -> str:
        """A one-line description for people: title, maker, period, as far as they are known."""
        parts = [self.title or self.object_type or "untitled object"]
        if self.makers:
            parts.append(", ".join(m.name for m in self.makers))
        if self.period:
            parts.append(self.period.text)
        return " — ".join(parts)
