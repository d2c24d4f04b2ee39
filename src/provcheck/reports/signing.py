"""Signatures: who vouches for a report or a case entry, in a way a determined editor cannot redo.

A digest shows that a file was not changed by accident, or by someone who did not recompute it;
anyone can recompute it. A signature made with an organisation's private key (Ed25519) can only be
made again with that key: a report whose conclusion was changed, or a case re-chained after an
entry was rewritten, no longer verifies. The signature also names a key (its id is derived from
the public key, never taken on trust), so a verifier who knows the organisation's key can tell its
signature from one made with any other key under the same name.

The private key lives in one file, readable by its owner only: `provcheck key new` writes it, and
`PROVCHECK_SIGNING_KEY` (a path), an argument, or the default file in the user's data folder
configures it. Its bytes never appear in a repr, a log or a report.
"""

from __future__ import annotations

import base64
import itertools
import os
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any

import platformdirs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from provcheck.errors import InputError
from provcheck.model.report import CheckReport, report_digest
from provcheck.model.signature import (
    ALGORITHM,
    PublicKey,
    Signature,
    report_statement,
    signed_message,
)
from provcheck.userfiles import load_json, read_bounded, read_text, write_atomically

__all__ = [
    "KEY_ENV",
    "PublicKey",
    "ReportVerification",
    "Signature",
    "SigningKey",
    "check_resume_signer",
    "configured_key",
    "default_key_path",
    "report_statement",
    "sign_report",
    "trusted_key_ids",
    "verify_report",
]

KEY_ENV = "PROVCHECK_SIGNING_KEY"
_MAX_KEY_FILE_BYTES = 64 * 1024
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.*?-----END \1-----", re.DOTALL)
_KEY_ID = re.compile(r"ed25519:[0-9a-f]{32}")


def default_key_path() -> Path:
    """The per-user key file: the platform's data folder (platformdirs), like the local store."""
    return Path(platformdirs.user_data_dir("provcheck", appauthor=False)) / "signing-key.pem"


class SigningKey:
    """An organisation's private signing key and the name it signs as."""

    __slots__ = ("_private", "path", "signer")

    def __init__(self, private: Ed25519PrivateKey, signer: str, path: Path | None = None) -> None:
        if not signer.strip() or "\n" in signer:
            raise InputError("a signing key needs a signer: the organisation's name, on one line")
        self._private = private
        self.signer = signer.strip()
        self.path = path

    def __repr__(self) -> str:  # never the key's bytes
        return f"SigningKey(signer={self.signer!r}, key_id={self.key_id!r})"

    __str__ = __repr__

    @classmethod
    def generate(cls, signer: str) -> SigningKey:
        return cls(Ed25519PrivateKey.generate(), signer)

    @property
    def public_key(self) -> PublicKey:
        return PublicKey(
            self._private.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        )

    @property
    def key_id(self) -> str:
        return self.public_key.key_id

    def sign(self, statement: Mapping[str, JsonValue]) -> Signature:
        """A signature over `statement` (a small JSON object saying what is vouched for)."""
        public = self.public_key
        unsigned = Signature(
            signer=self.signer,
            key_id=public.key_id,
            public_key=base64.b64encode(public.raw).decode("ascii"),
            signed_at=datetime.now(UTC).isoformat(timespec="seconds"),
            value="",
        )
        value = self._private.sign(signed_message(statement, unsigned))
        return unsigned.model_copy(update={"value": base64.b64encode(value).decode("ascii")})

    def save(self, path: Path) -> None:
        """Write the key to a new file readable by its owner only (mode 0600); never over a key."""
        pem = self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        text = (
            "provcheck signing key: keep it private; share the .pub file beside it.\n"
            f"Signer: {self.signer}\nKey ID: {self.key_id}\n{pem}"
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: an existing key is never replaced (what it signed could no longer be told
            # from a forgery); the mode is set at creation, so the key is never readable by others.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise InputError(
                f"{path}: a key already exists there; keep it, or give another path (--out)"
            ) from None
        except OSError as error:
            raise InputError(f"{path}: cannot write the key: {error.strerror or error}") from None
        # Never a private key left without its .pub (what verifiers are given), nor half a key:
        # a failure after the key file was made removes it, and says so in one line.
        public = Path(f"{path}.pub")
        try:
            try:
                with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                    file.write(text)
            except OSError as error:
                raise InputError(
                    f"{path}: cannot write the key: {error.strerror or error}; nothing was kept"
                ) from None
            write_atomically(public, f"{self.public_key.text} {self.signer}\n")
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        self.path = path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SigningKey:
        """The key in `path`: an unencrypted PKCS#8 PEM Ed25519 key under a `Signer: NAME` line."""
        path = Path(path)
        text = _read_key_file(path, what="signing key")
        signer = next(
            (line[7:].strip() for line in text.splitlines() if line.startswith("Signer:")), ""
        )
        block = _PEM_BLOCK.search(text)
        if block is None or block.group(1) != "PRIVATE KEY":
            raise InputError(
                f"{path}: not a signing key (no PEM private key in it); "
                "make one with `provcheck key new --signer NAME`"
            )
        try:
            private = serialization.load_pem_private_key(block.group(0).encode(), password=None)
        except (ValueError, TypeError):
            raise InputError(f"{path}: the signing key is damaged or encrypted") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise InputError(f"{path}: not an Ed25519 key; provcheck signs with Ed25519")
        if not signer:
            raise InputError(f"{path}: no 'Signer: NAME' line above the key: add one")
        return cls(private, signer, path)


def _read_key_file(path: Path, *, what: str) -> str:
    data = read_bounded(path, _MAX_KEY_FILE_BYTES, what=what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: the {what} is not text (PEM)") from None


def configured_key(path: str | os.PathLike[str] | None = None) -> SigningKey | None:
    """The key to sign with: `path`, else `$PROVCHECK_SIGNING_KEY`, else the default key file if
    there is one; None when no key is configured (reports and entries are then unsigned)."""
    if path:
        return SigningKey.load(path)
    given = os.environ.get(KEY_ENV, "").strip()
    if given:
        return SigningKey.load(given)
    default = default_key_path()
    return SigningKey.load(default) if default.is_file() else None


def trusted_key_ids(specs: Iterable[str | os.PathLike[str]]) -> frozenset[str]:
    """The key ids of the keys a verifier trusts. Each is a key id (`ed25519:<hex>`), a public key
    (`ed25519 <base64>`), or a file holding either, or a PEM public or private key."""
    return frozenset(_key_id(spec) for spec in specs)


def _key_id(spec: str | os.PathLike[str]) -> str:
    text = os.fspath(spec).strip()
    shown = text if len(text) <= 60 else text[:57] + "..."
    if _KEY_ID.fullmatch(text):
        return text
    words = text.split()
    if len(words) == 2 and words[0] == ALGORITHM:
        key = PublicKey.from_base64(words[1])
        if key is not None:
            return key.key_id
    path = Path(text)
    if text and path.is_file():
        return _key_id_in_file(path)
    raise InputError(
        f"trusted key {shown!r}: not a key file, a public key ('ed25519 <base64>') or a key id "
        "('ed25519:<hex>'); `provcheck key show` prints the organisation's"
    )


def _key_id_in_file(path: Path) -> str:
    text = _read_key_file(path, what="trusted key")
    block = _PEM_BLOCK.search(text)
    if block is not None and block.group(1) == "PRIVATE KEY":
        return SigningKey.load(path).key_id
    if block is not None and block.group(1) == "PUBLIC KEY":
        try:
            public = serialization.load_pem_public_key(block.group(0).encode())
        except ValueError:
            public = None
        if isinstance(public, Ed25519PublicKey):
            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return PublicKey(raw).key_id
    words = text.split()
    for first, second in itertools.pairwise(words):
        key = PublicKey.from_base64(second) if first == ALGORITHM else None
        if key is not None:
            return key.key_id
    found = _KEY_ID.search(text)
    if found:
        return found.group(0)
    raise InputError(f"{path}: no Ed25519 public key or key id in it (a trusted key)")


def sign_report(report: CheckReport, key: SigningKey) -> CheckReport:
    """The report with `key`'s signature over its digest; only an intact report is signed."""
    if not report.digest or not verify_report(report.model_copy(update={"signature": None})):
        raise InputError(
            f"report {report.report_id}: its digest does not match its content; "
            "only an intact report can be signed"
        )
    signature = key.sign(report_statement(report.report_id, report.digest))
    return report.model_copy(update={"signature": signature})


class ReportVerification(BaseModel):
    """The result of checking a report's digest: `ok`, and both digests when they differ."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    recorded: str
    computed: str
    # The signature: None when the report is unsigned (its digest then shows only that it was not
    # changed by accident or by someone who did not recompute it, not who wrote it).
    signature_ok: bool | None = None
    signed_by: str | None = None
    key_id: str | None = None
    signed_at: str | None = None
    # Whether the key is one the verifier trusts: None when no trusted keys were given.
    trusted: bool | None = None
    problem: str | None = None

    def __bool__(self) -> bool:
        return self.ok


def verify_report(
    report: CheckReport | Mapping[str, Any] | str | PathLike[str],
    *,
    trust: Iterable[str | PathLike[str]] | None = None,
) -> ReportVerification:
    """Recompute a report's digest from its JSON and compare it with the one it records; check
    its signature, if it has one, and name who signed.

    A path or JSON text is checked as written, field by field, so that any change to the file --
    even a field provcheck does not know -- is detected. `trust` (key ids, public keys or key
    files: `provcheck.reports.signing.trusted_key_ids`) requires a signature by one of those keys.
    """
    trusted = trusted_key_ids(trust) if trust is not None else None
    if isinstance(report, CheckReport):
        data: Any = report.model_dump(mode="json")
    elif isinstance(report, Mapping):
        data = report
    else:
        if isinstance(report, str) and report.lstrip().startswith("{"):
            data = load_json(report, source="report")
        else:
            path = Path(report)
            data = load_json(read_text(path, what="report"), source=str(path))
    if not isinstance(data, Mapping) or not isinstance(data.get("digest"), str):
        raise InputError("not a provcheck report: it has no 'digest' field")
    computed = report_digest(data)
    digest_ok = computed == data["digest"]
    result = ReportVerification(ok=digest_ok, recorded=data["digest"], computed=computed)
    if not digest_ok:
        result = result.model_copy(
            update={"problem": "its digest does not match: it was changed after it was written"}
        )
    return _check_signature(result, data, trusted)


def check_resume_signer(earlier: CheckReport | str | PathLike[str], key: SigningKey) -> None:
    """An `InputError` unless `earlier` -- the report a resume takes up, or its file -- is signed
    by `key`, the key the resumed report will be signed with: call it before resuming.

    The new report is signed whole, the earlier one's outcomes included: the key vouches only for
    what it signed before, never for a file someone else may have written. (A changed report is
    let through here: `resume` refuses it itself, in its own words.)
    """
    if isinstance(earlier, CheckReport):
        shown, verification = (
            f"report {earlier.report_id}",
            verify_report(earlier, trust=[key.key_id]),
        )
    else:
        path = Path(earlier)  # a file, as `resume` reads it, never JSON text
        shown, verification = str(path), verify_report(path, trust=[key.key_id])
    intact = verification.recorded == verification.computed
    if intact and not verification.ok:
        raise InputError(
            f"{shown} is not signed by this key ({key.key_id}); a signed report can only "
            "resume one you signed"
        )


def _check_signature(
    result: ReportVerification, data: Mapping[str, Any], trusted: frozenset[str] | None
) -> ReportVerification:
    if data.get("signature") is None:
        if trusted is None:
            return result
        problem = result.problem or "it is unsigned, and a signature by a trusted key was required"
        return result.model_copy(update={"ok": False, "trusted": False, "problem": problem})
    try:
        signature = Signature.model_validate(data["signature"])
    except ValidationError:
        return result.model_copy(
            update={"ok": False, "signature_ok": False, "problem": "its signature is not readable"}
        )
    statement = report_statement(str(data.get("report_id")), result.recorded)
    signed = signature.verifies(statement)
    known = None if trusted is None else signature.key_id in trusted
    update: dict[str, Any] = {
        "ok": result.ok and signed and known is not False,
        "signature_ok": signed,
        "signed_by": signature.signer,
        "key_id": signature.key_id,
        "signed_at": signature.signed_at,
        "trusted": known,
    }
    if not signed:
        update["problem"] = result.problem or (
            f"its signature (by {signature.described}) does not match: the report was changed "
            "after it was signed"
        )
    elif known is False:
        update["problem"] = (
            f"signed by an unknown key: {signature.described} is not among the trusted keys"
        )
    return result.model_copy(update=update)
