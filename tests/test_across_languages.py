"""A buyer who writes in English finds what a register recorded in German, and the reverse: the
Lost Art plugin's real sample records, mirrored into a store, searched and judged."""

from __future__ import annotations

import gzip
from importlib.resources import files
from pathlib import Path

import pytest
from provcheck_lostart import parse_export, record_from_row

from provcheck import Candidate, LocalStore, Matcher, MirrorState, ObjectDescription, search_mirror

SAMPLE = files("provcheck_lostart").joinpath("seed/lostart_sample.csv.gz")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin's 2,000 real Lost Art records, as a mirror of `lostart`."""
    path = tmp_path_factory.mktemp("lostart") / "store.sqlite3"
    with LocalStore(path) as local:
        with local.transaction():
            for row in parse_export(gzip.decompress(SAMPLE.read_bytes())):
                local.put_record(record_from_row(row), mirrored=True)
        local.set_mirror_state("lostart", MirrorState(synced_at="2026-11-30T12:00:00+00:00"))
    return path


async def _check(store: Path, **fields: str) -> list[Candidate]:
    query = ObjectDescription.model_validate(fields)
    found = await search_mirror("lostart", str(store), query, limit=20)
    assert found is not None
    return Matcher().rank(query, found.records)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("german", "english"),
    [
        ("Bildnis eines jungen Mannes", "Portrait of a young man"),
        ("Bildnis des Hofmalers Ernst Willers", "Portrait of the court painter Ernst Willers"),
        (
            "Bildnis Herzog Friedrich Wilhelm von Mecklenburg",
            "Portrait of Duke Friedrich Wilhelm of Mecklenburg",
        ),
    ],
)
async def test_a_german_title_and_its_english_give_the_same_leading_candidates(
    store: Path, german: str, english: str
) -> None:
    in_german = await _check(store, title=german)
    in_english = await _check(store, title=english)
    best = in_german[0].score
    leading = {c.record.key for c in in_german if c.score == best}
    assert in_english[0].record.key in leading
    # The evidence says which words were taken as the same, and in which languages.
    title = next(e for e in in_english[0].evidence if e.field == "title")
    assert "Portrait ≈ " in title.reason and "(en/de)" in title.reason, title.reason


@pytest.mark.anyio
async def test_an_english_description_of_a_german_record_is_a_possible_match(store: Path) -> None:
    # What a buyer who has only the German record's facts would write.
    candidates = await _check(
        store,
        title="Portrait of the court painter Ernst Willers",
        maker="Friedrich Karl Hausmann",
        object_type="drawing",
        period="1871",
    )
    best = candidates[0]
    assert best.record.description.title == "Bildnis des Hofmalers Ernst Willers"
    assert best.score >= Matcher().match_threshold, best.top_reasons()
