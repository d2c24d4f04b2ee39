"""Reading one OAI-PMH answer (`ListRecords` or `ListIdentifiers`) safely.

An OAI-PMH answer is XML from a server provcheck does not control, so it is read defensively: a
document with a DOCTYPE (the only place entities are declared: "billion laughs", external
entities reaching files or the network) is refused before it is parsed, and so is one larger than
`MAX_PAGE_BYTES`. Only the headers are kept (the notice's reference, its datestamp, whether it was
deleted) and the resumption token: the notice itself is read from POP's JSON, which has every
field and the images that Dublin Core leaves out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
import xml.parsers.expat
from dataclasses import dataclass

__all__ = ["MAX_PAGE_BYTES", "OAI", "OaiError", "OaiHeader", "OaiPage", "UnsafeXml", "read_page"]

OAI = "http://www.openarchives.org/OAI/2.0/"
MAX_PAGE_BYTES = 8 * 1024 * 1024  # a page of 50 Dublin Core records is some 100 kB
_NS = {"oai": OAI}


class UnsafeXml(ValueError):
    """The answer is not XML provcheck reads: too large, with a DOCTYPE, or not well formed."""


class OaiError(Exception):
    """The service answered with an OAI-PMH `<error code=...>` (other than noRecordsMatch)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


@dataclass(frozen=True)
class OaiHeader:
    identifier: str
    datestamp: str
    deleted: bool

    @property
    def reference(self) -> str:
        """The notice's reference: the last part of `oai:<host>:mnr:<REF>`."""
        return self.identifier.rsplit(":", 1)[-1].rsplit("/", 1)[-1].strip()


@dataclass(frozen=True)
class OaiPage:
    headers: tuple[OaiHeader, ...]
    token: str | None  # None: the last page
    complete_list_size: int | None


def _refuse_doctype(*_: object) -> None:
    raise UnsafeXml("the answer declares a DOCTYPE (entities); refused")


def _checked(body: bytes) -> None:
    """Refuse a body too large, or one with a DOCTYPE, before building any tree of it."""
    if len(body) > MAX_PAGE_BYTES:
        raise UnsafeXml(f"the answer is larger than {MAX_PAGE_BYTES:,} bytes; refused")
    scanner = xml.parsers.expat.ParserCreate()
    scanner.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    scanner.StartDoctypeDeclHandler = _refuse_doctype
    scanner.EntityDeclHandler = _refuse_doctype
    try:
        scanner.Parse(body, True)
    except xml.parsers.expat.ExpatError as error:
        raise UnsafeXml(f"the answer is not well-formed XML ({error})") from None


def read_page(body: bytes) -> OaiPage:
    """The headers and resumption token of one OAI-PMH answer; `UnsafeXml` if it cannot be read
    safely, `OaiError` if the service says the request failed. No records is an empty page."""
    _checked(body)
    root = ElementTree.fromstring(body)
    if root.tag != f"{{{OAI}}}OAI-PMH":
        raise UnsafeXml(f"the answer is not OAI-PMH (its root is {root.tag[:80]!r})")
    error = root.find("oai:error", _NS)
    if error is not None:
        code = error.get("code", "unknown")
        if code == "noRecordsMatch":
            return OaiPage((), None, 0)
        raise OaiError(code, (error.text or "").strip()[:200])
    listing = root.find("oai:ListRecords", _NS)
    if listing is None:
        listing = root.find("oai:ListIdentifiers", _NS)
    if listing is None:
        raise UnsafeXml("the answer has neither ListRecords nor ListIdentifiers")
    headers = tuple(
        OaiHeader(
            identifier=(header.findtext("oai:identifier", "", _NS) or "").strip(),
            datestamp=(header.findtext("oai:datestamp", "", _NS) or "").strip(),
            deleted=header.get("status") == "deleted",
        )
        for header in listing.iter(f"{{{OAI}}}header")
    )
    token_element = listing.find("oai:resumptionToken", _NS)
    token = (token_element.text or "").strip() if token_element is not None else ""
    size = token_element.get("completeListSize", "") if token_element is not None else ""
    return OaiPage(headers, token or None, int(size) if size.isdigit() else None)
