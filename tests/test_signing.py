"""Signing: a report or a case entry changed by someone who recomputed its digest or re-chained
its history does not verify; a verifier can require the organisation's own key."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sample_registries import MemoryRegistry

from provcheck import (
    CheckReport,
    Conclusion,
    InputError,
    LocalStore,
    SigningKey,
    check,
    sign_report,
    verify_report,
)
from provcheck.cases import CaseEntry, CaseFile
from provcheck.cli import main
from provcheck.reports import signing as signing_module
from provcheck.reports.signing import check_resume_signer


@pytest.fixture(autouse=True)
def no_configured_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test signs with, or writes, the user's own key."""
    monkeypatch.delenv("PROVCHECK_SIGNING_KEY", raising=False)
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setattr(signing_module, "default_key_path", lambda: folder / "signing-key.pem")


@pytest.fixture
def key(tmp_path: Path) -> SigningKey:
    path = tmp_path / "org.pem"
    SigningKey.generate("Musée Exemple").save(path)
    return SigningKey.load(path)


def a_report() -> CheckReport:
    return check({"title": "Acorn"}, [MemoryRegistry([{"description": {"title": "Acorn"}}])])


def recompute_digest(data: dict[str, Any]) -> None:
    """What a determined editor does: change the report, then recompute the digest with hashlib."""
    body = {k: v for k, v in data.items() if k not in ("digest", "signature")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    data["digest"] = "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_a_key_is_written_private_and_never_shown(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "org.pem"
    key = SigningKey.generate("Musée Exemple")
    key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = SigningKey.load(path)
    assert loaded.signer == "Musée Exemple" and loaded.key_id == key.key_id
    assert loaded.key_id.startswith("ed25519:")
    secret = path.read_text().split("-----")[2].strip()
    assert secret not in repr(loaded) and secret not in str(loaded)
    with pytest.raises(InputError, match="already exists"):
        SigningKey.generate("Someone else").save(path)
    assert SigningKey.load(path).key_id == key.key_id  # the key was not overwritten


@pytest.mark.parametrize(
    "content",
    [
        "",
        "Signer: X\n",
        "not a key at all",
        "Signer: X\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ],
)
def test_an_unreadable_key_file_is_one_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.pem"
    path.write_text(content)
    with pytest.raises(InputError, match=r"bad\.pem"):
        SigningKey.load(path)


def test_a_signed_report_names_its_signer_and_an_unsigned_one_says_so(key: SigningKey) -> None:
    report = a_report()
    plain = verify_report(report)
    assert plain.ok and plain.signature_ok is None and plain.signed_by is None
    signed = sign_report(report, key)
    assert signed.digest == report.digest  # the signature does not change what the digest covers
    result = verify_report(signed)
    assert result.ok and result.signature_ok
    assert result.signed_by == "Musée Exemple" and result.key_id == key.key_id
    assert verify_report(signed.to_json()).ok  # and as written to a file


def test_a_changed_conclusion_with_a_recomputed_digest_fails_only_when_signed(
    key: SigningKey,
) -> None:
    unsigned = json.loads(a_report().to_json())
    unsigned["conclusion"] = "possible-match"
    recompute_digest(unsigned)
    assert verify_report(unsigned).ok  # what the digest alone cannot show

    signed = json.loads(sign_report(a_report(), key).to_json())
    signed["conclusion"] = "possible-match"
    recompute_digest(signed)
    result = verify_report(signed)
    assert not result.ok and result.signature_ok is False
    assert "signature" in (result.problem or "")


def test_a_signature_moved_renamed_or_stripped_does_not_pass(key: SigningKey) -> None:
    signed = json.loads(sign_report(a_report(), key).to_json())
    renamed = json.loads(json.dumps(signed))
    renamed["signature"]["signer"] = "Another Museum"
    assert verify_report(renamed).signature_ok is False
    other = json.loads(sign_report(a_report(), key).to_json())
    other["signature"] = signed["signature"]  # another report's signature
    assert not verify_report(other).ok
    garbled = json.loads(json.dumps(signed))
    garbled["signature"] = {"signer": 1}
    assert not verify_report(garbled).ok
    stripped = {k: v for k, v in signed.items() if k != "signature"}
    assert verify_report(stripped).ok  # unsigned now...
    assert not verify_report(stripped, trust=[key.key_id]).ok  # ...which a verifier can refuse


def test_a_report_re_signed_with_another_key_is_an_unknown_key(key: SigningKey) -> None:
    data = json.loads(sign_report(a_report(), key).to_json())
    data["conclusion"] = "possible-match"
    recompute_digest(data)
    impostor = SigningKey.generate("Musée Exemple")  # the same name, another key
    resigned = sign_report(CheckReport.model_validate(data), impostor)
    assert verify_report(resigned).ok  # a valid signature...
    result = verify_report(resigned, trust=[key.public_key.text])
    assert not result.ok and result.trusted is False  # ...but not the organisation's
    assert "signed by an unknown key" in (result.problem or "")
    assert verify_report(sign_report(a_report(), key), trust=[key.public_key.text]).ok


def test_a_changed_report_cannot_be_signed(key: SigningKey) -> None:
    changed = a_report().model_copy(update={"conclusion": Conclusion.POSSIBLE_MATCH})
    with pytest.raises(InputError, match="digest does not match"):
        sign_report(changed, key)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_key_new_check_and_verify_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    keyfile = tmp_path / "org.pem"
    code, out, _ = run(capsys, "key", "new", "--signer", "Musée Exemple", "--out", str(keyfile))
    assert code == 0 and stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    key = SigningKey.load(keyfile)
    assert key.key_id in out and keyfile.read_text().split("-----")[2].strip() not in out
    public = Path(f"{keyfile}.pub")
    assert key.public_key.text in public.read_text()
    code, out, _ = run(capsys, "key", "show", str(keyfile))
    assert code == 0 and key.key_id in out and "Musée Exemple" in out

    monkeypatch.setenv("PROVCHECK_SIGNING_KEY", str(keyfile))
    report = tmp_path / "r.json"
    run(capsys, "check", "--title", "Horsewoman", "--registry", "local", "--out", str(report))
    code, out, _ = run(capsys, "verify", str(report))
    assert code == 0 and "claiming to be Musée Exemple" in out and key.key_id in out
    code, out, _ = run(capsys, "verify", str(report), "--trust", str(public))
    assert code == 0 and "signed by Musée Exemple" in out and "a trusted key" in out

    other = tmp_path / "other.pem"
    SigningKey.generate("Someone").save(other)
    code, _, err = run(capsys, "verify", str(report), "--trust", str(other))
    assert code == 1 and "signed by an unknown key" in err

    data = json.loads(report.read_text())
    data["conclusion"] = "possible-match"
    recompute_digest(data)
    report.write_text(json.dumps(data))
    code, _, err = run(capsys, "verify", str(report))
    assert code == 1 and "signature" in err.lower()


def test_an_unsigned_report_verifies_as_unsigned_and_a_bad_trust_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "r.json"
    report.write_text(a_report().to_json())
    code, out, _ = run(capsys, "verify", str(report))
    assert code == 0 and "digest verified" in out and "unsigned" in out
    code, _, err = run(capsys, "verify", str(report), "--trust", "not-a-key")
    assert code == 2 and err.startswith("provcheck: error: ") and "not-a-key" in err


def test_resume_and_batch_sign_the_reports_they_write(
    tmp_path: Path,
    key: SigningKey,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert key.path is not None
    monkeypatch.setenv("PROVCHECK_SIGNING_KEY", str(key.path))
    catalogue = tmp_path / "catalogue.jsonl"
    catalogue.write_text('{"id": "a", "title": "Acorn"}\n{"id": "b", "title": "Clock"}\n')
    run(capsys, "batch", str(catalogue), "--registry", "local", "--out", str(tmp_path / "out"))
    reports = sorted((tmp_path / "out" / "reports").glob("*.json"))
    assert len(reports) == 2
    assert all(verify_report(r, trust=[key.key_id]).ok for r in reports)

    import provcheck.cli.check

    monkeypatch.setattr(provcheck.cli.check, "resume", lambda *args, **kwargs: a_report())
    target = tmp_path / "resumed.json"
    run(capsys, "resume", str(reports[0]), "--out", str(target))
    assert verify_report(target, trust=[key.key_id]).signed_by == "Musée Exemple"


# Cases


@pytest.fixture
def store(private_store: Path) -> Iterator[LocalStore]:
    with LocalStore(private_store) as opened:
        yield opened


def signed_case(store: LocalStore, key: SigningKey) -> str:
    cases = CaseFile(store, key=key)
    case_id = cases.new("A clock offered by X").case_id
    cases.add_check(case_id, sign_report(a_report(), key))
    cases.add_note(case_id, "seller confirms provenance from 1906")
    cases.add_note(case_id, "asked the ALR")
    return case_id


def _rows(store: LocalStore) -> list[CaseEntry]:
    rows = store.connection.execute("SELECT entry_json FROM case_entries ORDER BY sequence")
    return [CaseEntry.model_validate_json(r[0]) for r in rows.fetchall()]


def _rewrite(store: LocalStore, entries: list[CaseEntry]) -> None:
    with store.transaction():
        for entry in entries:
            store.connection.execute(
                "UPDATE case_entries SET entry_json = ? WHERE sequence = ?",
                (entry.model_dump_json(), entry.sequence),
            )


def test_every_entry_of_a_case_is_signed_and_the_signer_shown(
    store: LocalStore, key: SigningKey
) -> None:
    case_id = signed_case(store, key)
    entries = CaseFile(store).entries(case_id)
    assert all(e.signature is not None and e.signature.key_id == key.key_id for e in entries)
    verification = CaseFile(store).verify(case_id)
    assert verification.ok and verification.signed_entries == 4
    assert verification.signers == (f"Musée Exemple (key {key.key_id})",)
    assert CaseFile(store).verify(case_id, trust=[key.key_id]).ok


def test_a_rewritten_and_re_chained_entry_is_named(store: LocalStore, key: SigningKey) -> None:
    case_id = signed_case(store, key)
    entries = _rows(store)
    previous = entries[1].hash
    rewritten = []
    for entry in entries[2:]:  # entry 3 rewritten, 3 and 4 re-chained, signatures kept
        text = entry.text.replace("1906", "1907") if entry.text else entry.text
        entry = entry.model_copy(update={"text": text, "previous": previous})
        entry = entry.model_copy(update={"hash": entry.computed_hash()})
        rewritten.append(entry)
        previous = entry.hash
    _rewrite(store, rewritten)
    verification = CaseFile(store).verify(case_id)
    assert not verification.ok and verification.broken_at == 3
    assert "signature" in (verification.problem or "")

    stripped = [e.model_copy(update={"signature": None}) for e in rewritten]
    _rewrite(store, stripped)  # and with the signatures removed
    verification = CaseFile(store).verify(case_id)
    assert not verification.ok and verification.broken_at == 3
    assert "unsigned" in (verification.problem or "")


def test_a_deleted_last_entry_is_found(store: LocalStore, key: SigningKey) -> None:
    case_id = signed_case(store, key)
    store.connection.execute("DELETE FROM case_entries WHERE sequence = 4")
    verification = CaseFile(store).verify(case_id)
    assert not verification.ok and verification.broken_at == 4
    assert "missing" in (verification.problem or "")


def test_the_head_cannot_be_replaced_or_removed(store: LocalStore, key: SigningKey) -> None:
    case_id = signed_case(store, key)
    store.connection.execute("DELETE FROM case_entries WHERE sequence = 4")
    # the head as it was after entry 3, rebuilt from entry 3's own signature
    third = _rows(store)[2]
    assert third.signature is not None
    store.connection.execute(
        "UPDATE case_heads SET head_json = ?",
        (
            json.dumps(
                {
                    "entries": 3,
                    "last_hash": third.hash,
                    "signature": third.signature.model_dump(mode="json"),
                }
            ),
        ),
    )
    assert not CaseFile(store).verify(case_id).ok
    store.connection.execute("DELETE FROM case_heads")
    verification = CaseFile(store).verify(case_id)
    assert not verification.ok and "head" in (verification.problem or "")


def test_a_signed_case_refuses_unsigned_entries_and_trust_names_unknown_keys(
    store: LocalStore, key: SigningKey
) -> None:
    case_id = signed_case(store, key)
    with pytest.raises(InputError, match="signing key"):
        CaseFile(store).add_note(case_id, "without the key")
    other = SigningKey.generate("Someone")
    CaseFile(store, key=other).add_note(case_id, "with another key")
    assert CaseFile(store).verify(case_id).ok
    verification = CaseFile(store).verify(case_id, trust=[key.key_id])
    assert not verification.ok and verification.broken_at == 5
    assert "unknown key" in (verification.problem or "")


def test_the_case_commands_say_who_signed(
    key: SigningKey,
    private_store: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert key.path is not None
    code, out, _ = run(capsys, "--signing-key", str(key.path), "case", "new", "A clock")
    case_id = out.split()[2].rstrip(":")
    run(capsys, "--signing-key", str(key.path), "case", "note", case_id, "asked the ALR")
    code, out, _ = run(capsys, "case", "verify", case_id)
    assert code == 0 and "signed by Musée Exemple" in out and key.key_id in out
    code, out, _ = run(capsys, "case", "show", case_id)
    assert code == 0 and "Musée Exemple" in out
    code, _, err = run(capsys, "case", "note", case_id, "no key")
    assert code == 2 and "PROVCHECK_SIGNING_KEY" in err
    with sqlite3.connect(private_store) as connection:
        connection.execute("DELETE FROM case_entries WHERE sequence = 2")
    code, _, err = run(capsys, "case", "verify", case_id)
    assert code == 1 and "entry 2" in err


# Review fixes: what is signed is what provcheck produced, and the messages say what was checked.


def test_a_batch_never_signs_a_report_edited_on_disk(
    tmp_path: Path,
    key: SigningKey,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalogue = tmp_path / "catalogue.jsonl"
    catalogue.write_text('{"id": "a", "title": "Acorn"}\n')
    out = tmp_path / "out"
    run(capsys, "batch", str(catalogue), "--registry", "local", "--out", str(out))
    report = out / "reports" / "a.json"
    data = json.loads(report.read_text())
    assert data.get("signature") is None
    data["conclusion"] = (
        "no-match-found" if data["conclusion"] != "no-match-found" else "possible-match"
    )
    recompute_digest(data)
    report.write_text(json.dumps(data))

    assert key.path is not None
    monkeypatch.setenv("PROVCHECK_SIGNING_KEY", str(key.path))
    run(capsys, "batch", str(catalogue), "--registry", "local", "--out", str(out))
    assert json.loads(report.read_text()).get("signature") is None  # still the editor's alone
    import provcheck.cli.app

    assert not hasattr(provcheck.cli, "_sign_reports")


def test_run_batch_signs_each_report_before_it_is_written(tmp_path: Path, key: SigningKey) -> None:
    import asyncio

    from provcheck.batch import read_catalogue, run_batch

    catalogue = tmp_path / "catalogue.jsonl"
    catalogue.write_text('{"id": "a", "title": "Acorn"}\n{"id": "b", "title": "Clock"}\n')
    items, _ = read_catalogue(catalogue)
    register = MemoryRegistry([{"description": {"title": "Acorn"}}])
    asyncio.run(run_batch(items, [register], tmp_path / "out", sign=lambda r: sign_report(r, key)))
    reports = sorted((tmp_path / "out" / "reports").glob("*.json"))
    assert len(reports) == 2
    assert all(verify_report(r, trust=[key.key_id]).ok for r in reports)


def test_resume_with_a_key_requires_the_earlier_report_signed_by_that_key(
    tmp_path: Path,
    key: SigningKey,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import provcheck.cli.check

    asked: list[object] = []

    def fake_resume(*args: object, **kwargs: object) -> CheckReport:
        asked.append(args)
        return a_report()

    monkeypatch.setattr(provcheck.cli.check, "resume", fake_resume)
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(a_report().to_json())
    other = tmp_path / "other.json"
    other.write_text(sign_report(a_report(), SigningKey.generate("Musée Exemple")).to_json())
    mine = tmp_path / "mine.json"
    mine.write_text(sign_report(a_report(), key).to_json())

    # no key: an unsigned report resumes as before
    code, _, _ = run(capsys, "resume", str(unsigned), "--out", str(tmp_path / "r0.json"))
    assert code in (0, 1, 3) and len(asked) == 1

    assert key.path is not None
    monkeypatch.setenv("PROVCHECK_SIGNING_KEY", str(key.path))
    for earlier in (unsigned, other):
        code, _, err = run(capsys, "resume", str(earlier), "--out", str(tmp_path / "r.json"))
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1, err
        assert f"{earlier} is not signed by this key" in lines[0]
        assert "a signed report can only resume one you signed" in lines[0]
    assert len(asked) == 1 and not (tmp_path / "r.json").exists()  # no register was asked

    code, _, _ = run(capsys, "resume", str(mine), "--out", str(tmp_path / "r.json"))
    assert len(asked) == 2 and verify_report(tmp_path / "r.json", trust=[key.key_id]).ok


def test_verify_without_trust_says_the_key_was_not_checked(
    tmp_path: Path, key: SigningKey, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "r.json"
    report.write_text(sign_report(a_report(), key).to_json())
    code, out, _ = run(capsys, "verify", str(report))
    assert code == 0
    assert f"signed by a key claiming to be Musée Exemple (key {key.key_id})" in out
    assert "not checked against a trusted key (--trust KEYFILE)" in out
    code, out, _ = run(capsys, "verify", str(report), "--trust", key.key_id)
    assert code == 0 and "claiming" not in out and "not checked" not in out
    assert f"signed by Musée Exemple (key {key.key_id})" in out and "trusted" in out


def test_a_public_key_that_cannot_be_written_is_one_error_and_leaves_no_lone_key(
    tmp_path: Path,
) -> None:
    path = tmp_path / "org.pem"
    Path(f"{path}.pub").mkdir()  # the .pub cannot be written: a folder is in its place
    with pytest.raises(InputError, match=r"org\.pem\.pub"):
        SigningKey.generate("Musée Exemple").save(path)
    assert not path.exists()  # no private key without its public key


def test_check_resume_signer_lets_through_only_reports_this_key_signed(
    tmp_path: Path, key: SigningKey
) -> None:
    mine = sign_report(a_report(), key)
    check_resume_signer(mine, key)  # no error
    (tmp_path / "mine.json").write_text(mine.to_json())
    check_resume_signer(tmp_path / "mine.json", key)
    check_resume_signer(str(tmp_path / "mine.json"), key)

    unsigned = a_report()
    with pytest.raises(InputError, match=rf"report {unsigned.report_id} is not signed by this key"):
        check_resume_signer(unsigned, key)
    other = tmp_path / "other.json"
    other.write_text(sign_report(a_report(), SigningKey.generate("Musée Exemple")).to_json())
    with pytest.raises(InputError) as refused:
        check_resume_signer(other, key)
    assert str(refused.value) == (
        f"{other} is not signed by this key ({key.key_id}); a signed report can only resume one "
        "you signed"
    )
    # A changed report is left to `resume`, which refuses it in its own words.
    changed = json.loads(mine.to_json())
    changed["conclusion"] = "no_match_found"
    (tmp_path / "changed.json").write_text(json.dumps(changed))
    assert not verify_report(tmp_path / "changed.json")
    check_resume_signer(tmp_path / "changed.json", key)
