"""The report as a web page: what it shows, that it stands alone, and that register data in it is
only ever text."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES
from sample_registries import MemoryRegistry

from provcheck import CheckReport, ObjectDescription, check
from provcheck.cli import main
from provcheck.reports.html import render_report

HOSTILE = {
    "description": {
        "title": "<script>window.pwned = 1</script> Acorn",
        "maker": "Tiffany <img src=x onerror=alert(1)>",
        "period": "1906",
    },
    "url": "javascript:alert(document.cookie)",
}


@pytest.fixture
def report() -> CheckReport:
    photo = FIXTURES / "queries" / "dealer-photo.jpg"
    safe = {"url": "https://register.example.org/ok-1",
            "description": {"title": "Acorn", "maker": "Tiffany", "period": "1906",
                            "images": [{"path": str(photo)}]}}  # fmt: skip
    query = ObjectDescription(title="Acorn", maker="Tiffany", period="1906", images=[photo])
    return check(query, [MemoryRegistry([HOSTILE, safe])])


def test_the_page_shows_the_conclusion_registers_candidates_caveat_and_digest(
    report: CheckReport,
) -> None:
    page = render_report(report)
    headline = page.index("POSSIBLE MATCH")
    assert headline < page.index("Registers") < page.index("Candidates")
    assert "memory" in page and "searched" in page
    assert page.count('<table class="evidence">') == 2
    assert report.caveat in page and report.digest in page and report.report_id in page
    assert "provcheck 0.1.0" in page or f"provcheck {report.versions['provcheck']}" in page


def test_the_page_stands_alone_with_its_images_embedded(report: CheckReport) -> None:
    page = render_report(report)
    sources = re.findall(r'<img src="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/jpeg;base64,") for s in sources)
    assert not re.search(r'(src|href)="(?!data:|https://)', page), "a page must not load anything"


def test_register_data_is_text_and_never_runs(report: CheckReport) -> None:
    page = render_report(report)
    assert "<script" not in page
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt; Acorn" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="javascript:' not in page and "javascript:alert(document.cookie)" in page
    assert "default-src 'none'" in page  # and the browser is told to run no script at all


def test_notebooks_show_the_same_views(report: CheckReport) -> None:
    fragment = report._repr_html_()
    assert fragment.startswith('<div class="provcheck">') and "<html" not in fragment
    assert "POSSIBLE MATCH" in fragment
    candidate = report.candidates[0]
    assert candidate.record.key in candidate._repr_html_()
    hostile = next(c.record for c in report.candidates if c.record.record_id == "0")
    shown = hostile._repr_html_()
    assert "&lt;script&gt;" in shown and "<script" not in shown


def test_check_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.html"
    assert main(["local", "import", str(FIXTURES / "sample-register" / "records.jsonl")]) == 0
    code = main(
        ["check", "--title", "Nothing like it", "--maker", "Jan Vermeulen", "--registry", "local",
         "--format", "html", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "NO MATCH FOUND" in page
    assert f"Report written to {out.with_suffix('.json')} and {out}" in capsys.readouterr().out


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# How the machine's Chromium runs headless with no network and as root (no sandbox).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_the_page_renders_in_a_real_browser_and_runs_nothing(
    report: CheckReport, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "report.html"
    page_file.write_text(render_report(report), encoding="utf-8")
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(page_file.as_uri(), wait_until="load")
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.complete, i.naturalWidth])"
            )
            pwned = page.evaluate("window.pwned === undefined ? null : window.pwned")
            text = page.inner_text("body")
            javascript_links = page.locator("a[href^='javascript:']").count()
            links = page.locator("a[href^='https://']").count()
        finally:
            browser.close()
    assert len(images) >= 3 and all(done and width > 0 for done, width in images), images
    assert pwned is None and dialogs == [], "register data ran as script"
    assert "<script>window.pwned = 1</script> Acorn" in text  # shown, as text
    assert javascript_links == 0 and links == 1
    assert text.index("POSSIBLE MATCH") < text.index("Registers") < text.index("Candidates")
