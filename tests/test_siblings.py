"""Records of one register that may be other objects of one series, set or theft -- or one object
recorded twice -- name each other, so that the first of twelve alike records is not taken for "the"
object; and a report without any says nothing of them, its JSON as it was."""

from __future__ import annotations

import json
from typing import Any

from sample_registries import MemoryRegistry

from provcheck import CheckReport, check, verify_report
from provcheck.model.candidate import Band, Candidate
from provcheck.model.record import Record
from provcheck.model.siblings import ALIKE_SHOWN, mark_alike
from provcheck.reports.html import render_report as render_html
from provcheck.reports.terminal import render_report


def candidate(
    record_id: str, score: float = 0.6, registry: str = "fbi", **fields: Any
) -> Candidate:
    raw = fields.pop("raw", None)
    record = Record(registry=registry, record_id=record_id, raw=raw, description=fields)
    return Candidate(record=record, score=score, band=Band.WEAK)


def alike(candidates: list[Candidate]) -> dict[str, tuple[str, ...]]:
    return {c.record.key: c.alike for c in mark_alike(candidates)}


def test_numbers_of_one_makers_series_are_alike_both_ways() -> None:
    series = [
        candidate("hood-3", 0.7, title="Faces in the Hood #3", maker="Jeffrey Bolin"),
        candidate("hood-7", 0.65, title="Faces in the Hood 7", maker="Bolin, Jeffrey"),
        candidate("hood-other", 0.6, title="Faces in the Hood 9", maker="Someone Else"),
    ]
    assert alike(series) == {"fbi:hood-3": ("fbi:hood-7",), "fbi:hood-7": ("fbi:hood-3",),
                             "fbi:hood-other": ()}  # fmt: skip
    first = mark_alike(series)[0]
    assert first.alike_reason == (
        "one of 2 alike records in fbi (same maker and title, numbers and letters aside): "
        "the object may be any of them, or another of their series, set or theft"
    )


def test_letters_roman_numerals_and_a_pair_are_no_difference() -> None:
    letters = [
        candidate("a", title='Letter "A"', maker="Robert Indiana"),
        candidate("y", title='Letter "Y"', maker="Robert Indiana"),
        candidate("iv", title="Letter IV", maker="Robert Indiana"),
    ]
    assert alike(letters)["fbi:a"] == ("fbi:y", "fbi:iv")
    sticks = [
        candidate("one", title="Candlestick", maker="Paul Storr"),
        candidate("two", title="Candlesticks (pair)", maker="Paul Storr"),
    ]
    assert alike(sticks)["fbi:one"] == ("fbi:two",)


def test_one_case_number_with_alike_titles_is_alike_whatever_the_maker() -> None:
    theft = [
        candidate("coin-1", title="Gold coin", raw={"Reference Number": "LA-1049"}),
        candidate("coin-2", title="Gold coin of Philip II", raw={"referenceNumber": " la-1049"}),
        candidate("vase", title="Chinese vase", raw={"Reference Number": "LA-1049"}),
        candidate("coin-3", title="Gold coin", raw={"Reference Number": "NY-2"}),
    ]
    found = alike(theft)
    assert found["fbi:coin-1"] == ("fbi:coin-2",)  # not the vase of the theft, nor another case
    assert found["fbi:coin-2"] == ("fbi:coin-1",)
    assert found["fbi:vase"] == ()
    assert "same case number, alike titles" in mark_alike(theft)[0].alike_reason


def test_a_record_twice_without_a_shared_url_is_called_perhaps_one_object() -> None:
    fields: dict[str, Any] = {
        "title": "Vase", "maker": "unknown", "period": "Ming", "materials": "porcelain"
    }  # fmt: skip
    twice = [candidate("one", **fields), candidate("two", **fields)]
    (first, second) = mark_alike(twice)
    assert first.alike == ("fbi:two",) and second.alike == ("fbi:one",)
    assert "perhaps one object recorded more than once" in first.alike_reason
    # A title alone says too little: every "Vase" of a register is not one object.
    assert alike([candidate("one", title="Vase"), candidate("two", title="Vase")]) == {
        "fbi:one": (),
        "fbi:two": (),
    }


def test_unrelated_records_other_registers_and_anonymous_makers_are_not_alike() -> None:
    assert set(
        alike(
            [
                candidate("horse", title="Horse", maker="George Stubbs"),
                candidate("dog", title="Dog", maker="George Stubbs"),
                candidate("horse", registry="lostart", title="Horse", maker="George Stubbs"),
                candidate("u1", title="Portrait", maker="Unknown"),
                candidate("u2", title="Portrait", maker="Unknown"),
            ]
        ).values()
    ) == {()}


def test_only_a_relevant_candidate_is_marked_and_its_list_is_capped() -> None:
    plates = [candidate(f"plate-{n}", 0.9 - n / 100, title=f"Plate {n}", maker="Meissen")
              for n in range(30)]  # fmt: skip
    plates.append(candidate("low", 0.3, title="Plate 99", maker="Meissen"))
    marked = mark_alike(plates)
    assert len(marked[0].alike) == ALIKE_SHOWN
    assert marked[0].alike[0] == "fbi:plate-1"  # best first
    assert marked[0].alike_reason.startswith("one of 31 alike records in fbi")
    assert marked[-1].alike == () and marked[-1].alike_reason == ""  # below relevance
    assert [c.record.key for c in marked] == [c.record.key for c in plates]


def series_report(*titles: str) -> CheckReport:
    register = MemoryRegistry(
        [{"description": {"title": title, "maker": "Jeffrey Bolin"}} for title in titles]
    )
    return check({"title": "Faces in the Hood", "maker": "Jeffrey Bolin"}, [register])


def test_a_report_says_so_in_text_html_and_json() -> None:
    report = series_report(*(f"Faces in the Hood {n}" for n in (3, 7, 8, 9, 11)))
    best = report.candidates[0]
    assert best.score >= 0.4 and len(best.alike) == 4
    text = render_report(report)
    assert "one of 5 alike records in memory" in text
    assert f"alike: {', '.join(best.alike[:3])} and 1 more" in text  # the terminal names a few
    page = render_html(report)
    assert "one of 5 alike records in memory" in page and ", ".join(best.alike) in page
    data = json.loads(report.to_json())
    assert data["outcomes"][0]["candidates"][0]["alike"] == list(best.alike)
    assert CheckReport.model_validate_json(report.to_json()) == report
    assert verify_report(report.to_json()).ok


def test_a_report_with_nothing_alike_has_no_alike_in_its_json() -> None:
    report = series_report("Faces in the Hood 3", "Faces in the Hood portrait")
    assert report.candidates and all(not c.alike for c in report.candidates)
    text = report.to_json()
    assert '"alike' not in text
    assert "alike" not in render_report(report)
    assert "alike" not in render_html(report)
