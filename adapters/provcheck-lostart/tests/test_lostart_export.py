"""Reading the Lost Art export as the service serves it: each of its quirks, one test each."""

from __future__ import annotations

import pytest
from provcheck_lostart import parse_export, record_from_row
from provcheck_lostart.export import makers_of, materials_of, period_of
from provcheck_lostart.service import BOT_WALL, COLUMNS, fputcsv_line

from provcheck import Dimension, MalformedResponseError, RecordStatus

HEADER = (
    'Meldungsart;Datensatzart;"Lost Art ID";Hersteller/Künstler/Autor:in;Titel;Datierung;'
    'Objektart;Inventarnummer/Signatur;Beschreibung;Provenienz;"Veröffentlicht seit";Kontakt;'
    'Link;"Literatur / Quelle"\n'
)
# Two rows as the exporter writes them: a multi-line Kontakt, the backslash-escaped quote, a
# 10-digit id, several makers run together, a dating with its suffix.
PAGE = HEADER + (
    'Fundmeldung;Einzelobjekt;5000002894;"Lehmann [Verlag]";"Das k.k. Reichsrathsgebäude in Wien";'
    ';Buch;"D 17281 (3. Ex.)";"3. Band der Reihe \\"Wiener Monumentalbauten\\"; Bildband";'
    '"Eintrag im Inventarbuch (16.12.1938)";2003-11-04;"Bibliothek\nStraße 1\n12345 Stadt";'
    "https://www.lostart.de/de/Fund/5000002894;\n"
    'Suchmeldung;Einzelobjekt;17001;"Uccello, Paolo [Künstler:in]Uccello, Paolo (Schule des) '
    '[Künstler:in]";"Heiliger Georg";"1450 (um) [Datierung]";Malerei;"Nr. 7";'
    '"Öl auf Holz; Maße: 52 x 90,5 cm";"Sammlung X, Berlin";2016-06-01;"Familie Y\nParis";'
    "https://www.lostart.de/de/Verlust/17001;\n"
)


def test_fourteen_columns_by_name_through_multi_line_fields() -> None:
    rows = parse_export(PAGE.encode())
    assert len(rows) == 2
    assert all(len(row) == len(COLUMNS) for row in rows)
    assert rows[0]["Kontakt"] == "Bibliothek\nStraße 1\n12345 Stadt"
    assert rows[1]["Titel"] == "Heiliger Georg"


def test_the_backslash_escaped_quote_stays_in_its_field() -> None:
    row = parse_export(PAGE.encode())[0]
    assert row["Beschreibung"] == '3. Band der Reihe "Wiener Monumentalbauten"; Bildband'
    assert row["Veröffentlicht seit"] == "2003-11-04"


def test_ten_digit_ids_are_kept_whole() -> None:
    record = record_from_row(parse_export(PAGE.encode())[0])
    assert record.record_id == "5000002894" and int(record.record_id) > 2**31


def test_several_makers_run_together_each_with_its_role() -> None:
    makers = makers_of("Uccello, Paolo [Künstler:in]Uccello, Paolo (Schule des) [Künstler:in]")
    assert [(m.name, m.role) for m in makers] == [
        ("Paolo Uccello", "Künstler:in"),
        ("Paolo Uccello", "Künstler:in"),
    ]
    assert makers[1].text == "Uccello, Paolo (Schule des)"
    assert [
        (m.name, m.role) for m in makers_of("Kupetzky, Johann (?) [Künstler:in]\nLehmann [Verlag]")
    ] == [
        ("Johann Kupetzky", "Künstler:in"),
        ("Lehmann", "Verlag"),
    ]


def test_an_unknown_maker_is_no_maker() -> None:
    assert makers_of("Unbekannt (russischer Künstler; zeitweise Rodtschenko) [Künstler:in]") == ()
    # ... in the record too: the maker text is kept, and no maker is read from it again.
    row = parse_export(PAGE.encode())[1]
    unknown = record_from_row(
        {**row, "Hersteller/Künstler/Autor:in": "Unbekannt (Deutsch (Meißen)) [Künstler:in]"}
    ).description
    assert unknown.makers == () and unknown.maker_text is not None


def test_datings_lose_their_suffix_and_keep_circa_and_spans() -> None:
    about = period_of("1920 (um) [Datierung]")
    assert about is not None and (about.earliest, about.latest, about.circa) == (1920, 1920, True)
    span = period_of("1701/1800 [Datierung]")
    assert span is not None and (span.earliest, span.latest, span.text) == (1701, 1800, "1701/1800")
    published = period_of("1885 [Erscheinungsdatum]")
    assert published is not None and published.earliest == 1885
    assert period_of("") is None


def test_a_dating_of_several_lines_is_the_objects_own_not_its_collections_span() -> None:
    # `[Zeitraum]` is the span of the collection or holding the object was in (an archive's
    # 1411-1885): the object's own date is the other line, whichever comes first.
    document = period_of("1781-1787 [Dokumentdatum]\n1411-1885 [Zeitraum]")
    assert document is not None
    assert (document.earliest, document.latest, document.text) == (1781, 1787, "1781-1787")
    dated = period_of("1801/1900 [Zeitraum]\n1833 (um) [Datierung]")
    assert dated is not None and (dated.earliest, dated.latest, dated.circa) == (1833, 1833, True)
    published = period_of("München, 1945 [Zeitraum (Sammlung)]\n<1888> [Erscheinungsdatum]")
    assert published is not None and (published.earliest, published.latest) == (1888, 1888)
    # A span alone is all there is to go by.
    alone = period_of("1300-1950 [Zeitraum]")
    assert alone is not None and (alone.earliest, alone.latest) == (1300, 1950)


def test_measurements_and_materials_are_read_from_the_german_description() -> None:
    record = record_from_row(parse_export(PAGE.encode())[1])
    values = sorted(m.value for m in record.description.measurements)
    assert values == [52.0, 90.5]
    assert record.description.materials == "Öl auf Holz"
    assert materials_of("Höhe 12 cm") is None
    heights = record_from_row(
        {**parse_export(PAGE.encode())[1], "Beschreibung": "Bronze; H. 24,5 cm"}
    ).description.measurements
    assert [(m.dimension, m.value) for m in heights] == [(Dimension.HEIGHT, 24.5)]


def test_the_report_type_is_the_status_in_a_registrars_words() -> None:
    found, sought = (record_from_row(row) for row in parse_export(PAGE.encode()))
    assert (sought.status, sought.status.label) == (RecordStatus.SOUGHT, "sought (loss report)")
    assert (found.status, found.status.label) == (
        RecordStatus.FOUND,
        "found; earlier owners may claim it (find report)",
    )
    assert sought.raw["Meldungsart"] == "Suchmeldung" and "Kontakt" not in sought.raw
    assert sought.modified is not None and sought.modified.date().isoformat() == "2016-06-01"
    assert sought.url == "https://www.lostart.de/de/Verlust/17001"


def test_a_byte_order_mark_is_not_part_of_the_first_column() -> None:
    rows = parse_export(b"\xef\xbb\xbf" + PAGE.encode())
    assert rows[0]["Meldungsart"] == "Fundmeldung"


def test_the_bot_wall_is_a_clear_failure_never_an_empty_page() -> None:
    with pytest.raises(MalformedResponseError, match="answered with a web page, not the export"):
        parse_export(BOT_WALL.encode())
    with pytest.raises(MalformedResponseError, match="web page"):
        parse_export(b"\xef\xbb\xbf  <html><body>Just a moment...</body></html>")


def test_the_empty_page_after_the_last_is_no_rows() -> None:
    assert parse_export(b"\n") == [] and parse_export(b"") == []


def test_a_csv_that_is_not_the_export_is_refused() -> None:
    with pytest.raises(MalformedResponseError, match="lacks the column"):
        parse_export(b"a;b;c\n1;2;3\n")


def test_a_row_that_is_no_record_is_refused_by_name() -> None:
    row = parse_export(PAGE.encode())[1]
    with pytest.raises(ValueError, match="Meldungsart"):
        record_from_row({**row, "Meldungsart": "Personendaten"})
    with pytest.raises(ValueError, match="not a number"):
        record_from_row({**row, "Lost Art ID": "x1"})


def test_the_mock_writes_what_the_parser_reads_back() -> None:
    values = ["Suchmeldung", "a b", "5000000001", 'x "y"', 'z \\"q\\"', "line\nbreak", "p;q"]
    values += [str(n) for n in range(len(COLUMNS) - len(values))]
    line = fputcsv_line(values)
    assert '\\"q\\"' in line and '""y""' in line  # the backslash-escaped quote kept as such
    page = fputcsv_line(list(COLUMNS)) + line
    assert page.startswith('Meldungsart;Datensatzart;"Lost Art ID";')
    row = parse_export(page.encode())[0]
    assert list(row.values())[:7] == [*values[:4], 'z "q"', "line\nbreak", "p;q"]


def test_a_stray_bracket_is_no_part_of_a_name() -> None:
    # As the export has it: a bracket opened and never closed before the role.
    makers = makers_of("Börger, Hans [Autor:in]\n[Verlag nicht ermittelbar [Verlag]")
    assert [(m.name, m.role) for m in makers] == [
        ("Hans Börger", "Autor:in"),
        ("Verlag nicht ermittelbar", "Verlag"),
    ]
