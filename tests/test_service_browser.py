"""The staff page in a real browser (Chromium, through Playwright) against `provcheck serve` on
loopback: signing in, checking an object with a photograph, a case followed and watched, a
catalogue checked and followed -- by keyboard, every form with its CSRF token, no script run, the
pages' policy kept, an upload too large refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES
from service_process import sample_store, serving
from test_html import CHROMIUM, CHROMIUM_ARGS

from provcheck.service import Role, make_key
from provcheck.store.sqlite import LocalStore

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)"),
]

PHOTO = FIXTURES / "queries" / "dealer-photo.jpg"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`provcheck serve` on loopback over the sample register, with a key to sign in with."""
    store = sample_store(tmp_path_factory.mktemp("service"))
    with LocalStore(store) as opened:
        _, key = make_key(opened, "Registrar, Musée Exemple", Role.CHECK)
    with serving(store, "--max-upload-mb", "1") as base:
        yield base, key


@pytest.fixture
def browser_page(service: tuple[str, str]) -> Iterator[tuple[object, list[str]]]:
    from playwright.sync_api import sync_playwright

    troubles: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda message: troubles.append(message.text))
            page.on("pageerror", lambda error: troubles.append(str(error)))
            yield page, troubles
        finally:
            browser.close()


def _sign_in(page: object, base: str, key: str) -> None:
    page.goto(f"{base}/ui/")  # type: ignore[attr-defined]
    assert page.url.endswith("/ui/sign-in")  # type: ignore[attr-defined]
    # By keyboard: the key field has the focus; Enter sends the form.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'key'")  # type: ignore[attr-defined]
    page.keyboard.type(key)  # type: ignore[attr-defined]
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/ui/")  # type: ignore[attr-defined]


def _every_form_has_its_token_and_every_field_its_label(page: object) -> None:
    forms = page.locator("form")  # type: ignore[attr-defined]
    assert forms.count() == page.locator("form input[name=csrf]").count()  # type: ignore[attr-defined]
    unlabelled = page.evaluate(  # type: ignore[attr-defined]
        """Array.from(document.querySelectorAll('input:not([type=hidden]), textarea, select'))
             .filter(e => !(e.labels && e.labels.length)).map(e => e.name)"""
    )
    assert unlabelled == []


def test_an_object_is_checked_with_its_photograph_by_keyboard(
    service: tuple[str, str], browser_page: tuple[object, list[str]]
) -> None:
    base, key = service
    page, troubles = browser_page
    _sign_in(page, base, key)
    _every_form_has_its_token_and_every_field_its_label(page)
    page.focus("#title")  # type: ignore[attr-defined]
    page.keyboard.type("The horsewoman")  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    page.keyboard.type("Karl Bryullov")  # type: ignore[attr-defined]
    assert page.evaluate("document.activeElement.id") == "maker"  # type: ignore[attr-defined]
    page.set_input_files("#photo", str(PHOTO))  # type: ignore[attr-defined]
    page.focus("button[type=submit] >> text=Check")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.wait_for_url("**/ui/checks/*")  # type: ignore[attr-defined]
    text = page.inner_text("body")  # type: ignore[attr-defined]
    assert "POSSIBLE MATCH" in text and "The Horsewoman" in text
    assert troubles == [], troubles  # no script ran, nothing the policy had to refuse


def test_a_case_is_opened_noted_and_watched(
    service: tuple[str, str], browser_page: tuple[object, list[str]]
) -> None:
    base, key = service
    page, troubles = browser_page
    _sign_in(page, base, key)
    page.click("text=Cases")  # type: ignore[attr-defined]
    _every_form_has_its_token_and_every_field_its_label(page)
    page.fill("#title", "Acorn lamp offered by a dealer")  # type: ignore[attr-defined]
    page.click("text=Open the case")  # type: ignore[attr-defined]
    page.wait_for_url("**/ui/cases/C-*")  # type: ignore[attr-defined]
    _every_form_has_its_token_and_every_field_its_label(page)
    page.fill("#note", "Asked the dealer for the 1906 invoice")  # type: ignore[attr-defined]
    page.click("text=Add the note")  # type: ignore[attr-defined]
    page.click("text=Watch this object")  # type: ignore[attr-defined]
    text = page.inner_text("body")  # type: ignore[attr-defined]
    assert "Asked the dealer for the 1906 invoice" in text and "by Registrar" in text
    assert "Stop watching" in text
    page.click("text=Describe it and check it")  # type: ignore[attr-defined]
    page.fill("#title", "Tiffany Studios Acorn table lamp")  # type: ignore[attr-defined]
    page.fill("#maker", "Louis Comfort Tiffany")  # type: ignore[attr-defined]
    page.fill("#period", "c. 1905")  # type: ignore[attr-defined]
    page.click("button[type=submit] >> text=Check")  # type: ignore[attr-defined]
    page.wait_for_url("**/ui/checks/*")  # type: ignore[attr-defined]
    page.go_back()  # type: ignore[attr-defined]
    page.go_back()  # type: ignore[attr-defined]
    page.reload()  # type: ignore[attr-defined]
    assert "the report" in page.inner_text("body")  # type: ignore[attr-defined]
    assert troubles == [], troubles


def test_a_catalogue_is_checked_and_followed_and_a_large_upload_refused(
    service: tuple[str, str], browser_page: tuple[object, list[str]], tmp_path: Path
) -> None:
    base, key = service
    page, troubles = browser_page
    _sign_in(page, base, key)
    catalogue = tmp_path / "lots.csv"
    catalogue.write_text(
        "lot,title,artist,date\n1,Tiffany Studios 'Acorn' table lamp,Louis Comfort Tiffany,c. 1905\n"
        "2,A view of nowhere in particular,Nobody Known,1999\n",
        encoding="utf-8",
    )
    page.click("text=Catalogues")  # type: ignore[attr-defined]
    page.set_input_files("#catalogue", str(catalogue))  # type: ignore[attr-defined]
    page.click("text=Check the catalogue")  # type: ignore[attr-defined]
    page.wait_for_url("**/ui/batches/*")  # type: ignore[attr-defined]
    # The page follows the batch by itself (a refresh, no script) until it is done.
    page.wait_for_selector("text=The summary", timeout=60_000)  # type: ignore[attr-defined]
    assert "possible-match" in page.inner_text("body")  # type: ignore[attr-defined]
    page.click("text=The summary")  # type: ignore[attr-defined]
    assert "Acorn" in page.inner_text("body")  # type: ignore[attr-defined]
    assert troubles == [], troubles
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8" + b"\0" * 2_000_000)
    page.goto(f"{base}/ui/")  # type: ignore[attr-defined]
    page.fill("#title", "A large photograph")  # type: ignore[attr-defined]
    page.set_input_files("#photo", str(big))  # type: ignore[attr-defined]
    page.click("button[type=submit] >> text=Check")  # type: ignore[attr-defined]
    assert "larger than" in page.inner_text("body")  # type: ignore[attr-defined]
    page.goto(f"{base}/ui/alerts")  # type: ignore[attr-defined]
    assert "Alerts" in page.inner_text("h1")  # type: ignore[attr-defined]
    assert [t for t in troubles if "413" not in t] == [], troubles
