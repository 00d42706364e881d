"""The data-quality page: plain words for every check, filters (kab/kota, kecamatan, result,
check, a name search) and pages of 50 as GET parameters, kab/kota and kecamatan names, an
Excel download that follows the filters (tests/web/tables_sample.py, SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import html as lxml_html
from openpyxl import load_workbook
from tests.language_words import offending
from tests.web.conftest import login
from tests.web.tables_sample import (  # noqa: F401  (fixtures)
    BALIKPAPAN,
    BIG_DESA,
    MISSING_DESA,
    SAMARINDA,
    TablesSample,
    tables_app,
    tables_db,
)

from tumbuh.analytics.quality import CRITERIA
from tumbuh.i18n import catalogue
from tumbuh.register.master import find_region
from tumbuh.web.pages.quality import PAGE_SIZE


def _page(client: TestClient, url: str, lang: str = "id") -> lxml_html.HtmlElement:
    """The page in `lang` (the clients are shared: a cookie would carry the last one)."""
    r = client.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
    assert r.status_code == 200, r.text[:400]
    return lxml_html.fromstring(r.text)


def _codes(doc: lxml_html.HtmlElement) -> list[str]:
    return [
        str(c) for c in doc.xpath('//table[@id="quality-table"]/tbody/tr/@data-code')
    ]


def _cells(doc: lxml_html.HtmlElement, label: str) -> list[str]:
    return [
        td.text_content().strip()
        for td in doc.xpath(
            f'//table[@id="quality-table"]/tbody/tr/td[@data-label="{label}"]'
        )
    ]


def _next(doc: lxml_html.HtmlElement) -> str | None:
    links = doc.xpath('//nav[contains(@class, "pager")]/a[@rel="next"]/@href')
    return str(links[0]) if links else None


@pytest.fixture(scope="module")
def client(tables_app: FastAPI) -> TestClient:  # noqa: F811
    with TestClient(tables_app) as c:
        login(c, "t_admin")
        yield c


def _desa_names(codes: list[str]) -> set[str]:
    return {r.name for c in codes if (r := find_region(c)) is not None}


class TestPaging:
    def test_fifty_rows_a_page_and_the_next_page_holds_the_rest(
        self,
        client: TestClient,
        tables_db,  # noqa: F811
    ) -> None:
        _, sample = tables_db
        doc = _page(client, f"/quality/{SAMARINDA}")
        first = _codes(doc)
        assert len(first) == PAGE_SIZE
        link = _next(doc)
        assert link is not None
        second = _codes(_page(client, f"/quality/{SAMARINDA}{link}"))
        assert len(second) == len(sample.samarinda_desa) - PAGE_SIZE
        assert set(first) | set(second) == set(sample.samarinda_desa)
        assert not set(first) & set(second)
        assert "2" in doc.xpath('string(//nav[contains(@class, "pager")]/span)')

    def test_page_links_keep_every_filter(self, client: TestClient) -> None:
        doc = _page(client, "/quality/64?kabkota=64.72&period=all&q=a")
        link = _next(doc)
        assert link is not None  # more than 50 Samarinda desa have an "a" in their name
        params = parse_qs(urlsplit(link).query)
        assert params == {
            "level": ["desa"], "period": ["all"], "kabkota": ["64.72"], "q": ["a"],
            "page": ["2"],
        }  # fmt: skip
        export = doc.xpath('//div[@class="table-tools no-print"]/a/@href')[0]
        assert parse_qs(urlsplit(export).query)["kabkota"] == ["64.72"]

    def test_a_page_past_the_end_shows_no_rows_and_no_error(
        self, client: TestClient
    ) -> None:
        doc = _page(client, f"/quality/{SAMARINDA}?page=9")
        assert _codes(doc) == []


class TestFilters:
    def test_kabkota_filter_on_the_province_page_keeps_its_desa_only(
        self, client: TestClient
    ) -> None:
        codes = _codes(_page(client, "/quality/64?kabkota=64.71"))
        assert codes
        assert all(c.startswith("64.71.") for c in codes)

    def test_kecamatan_filter_and_the_names_columns(self, client: TestClient) -> None:
        doc = _page(client, "/quality/64?kecamatan=64.71.01")
        assert set(_codes(doc)) == {"64.71.01.1001", "64.71.01.1002"}
        kec = find_region("64.71.01")
        kab = find_region("64.71")
        assert kec is not None and kab is not None  # noqa: PT018
        assert set(_cells(doc, "Kecamatan")) == {kec.name}
        assert set(_cells(doc, "Kabupaten/Kota")) == {kab.name}

    def test_a_kecamatan_outside_the_chosen_kabkota_is_dropped(
        self, client: TestClient
    ) -> None:
        # The form still held the old kecamatan after the kab/kota changed: the kab/kota wins.
        codes = _codes(_page(client, "/quality/64?kabkota=64.72&kecamatan=64.71.01"))
        assert codes and all(c.startswith("64.72.") for c in codes)  # noqa: PT018

    @pytest.mark.parametrize(
        "query",
        [
            "kabkota=64.72",  # outside the page's region (64.71)
            "kecamatan=64.72.01",
            "kabkota=64",  # not a kab/kota code
            "band=terrible",
            "check=sd_whz",  # not one of the checks
            "q=" + "x" * 61,
            "page=0",
            "level=kabkota",
        ],
    )
    def test_bad_filters_answer_422_never_500(
        self, client: TestClient, query: str
    ) -> None:
        assert client.get(f"/quality/{BALIKPAPAN}?{query}").status_code == 422

    def test_result_filter_gives_the_rows_of_that_result_only(
        self,
        client: TestClient,
        tables_db,  # noqa: F811
    ) -> None:
        _, sample = tables_db
        seen: dict[str, set[str]] = {}
        for band in ("excellent", "good", "acceptable", "problematic", "insufficient"):
            url = f"/quality/64?band={band}"
            codes = set(_codes(_page(client, url)))
            if (link := _next(_page(client, url))) is not None:
                codes |= set(_codes(_page(client, f"/quality/64{link}")))
            seen[band] = codes
            badges = _cells(_page(client, url), "Skor")
            assert all(b.startswith(catalogue("id")[f"quality.{band}"]) for b in badges)
        # Two or three children a desa in Samarinda: too few to judge; Balikpapan's three
        # desa of 25 children are scored.
        assert seen.pop("insufficient") == set(sample.samarinda_desa)
        assert set().union(*seen.values()) == set(BIG_DESA)

    def test_check_filter(self, client: TestClient) -> None:
        missing = _codes(_page(client, f"/quality/{BALIKPAPAN}?check=pct_missing"))
        assert missing == [MISSING_DESA]
        # Only the rows with that problem, and the page says what the check means.
        doc = _page(client, f"/quality/{BALIKPAPAN}?check=pct_missing")
        assert doc.xpath('string(//select[@id="check"]/option[@selected]/@value)') == (
            "pct_missing"
        )

    def test_search_by_desa_name_ignores_case(self, client: TestClient) -> None:
        desa = find_region(MISSING_DESA)
        assert desa is not None
        codes = _codes(_page(client, f"/quality/64?q={desa.name.upper()}"))
        assert MISSING_DESA in codes
        assert all(desa.name.lower() in n.lower() for n in _desa_names(codes))

    def test_posyandu_level_searches_and_shows_the_desa(
        self, client: TestClient
    ) -> None:
        doc = _page(client, "/quality/64?level=posyandu&q=melati")
        names = _cells(doc, "Nama")
        assert sorted(names) == ["Posyandu Melati 1", "Posyandu Melati 2"]
        desa = find_region("64.71.02.1001")
        assert desa is not None
        assert set(_cells(doc, "Desa/Kelurahan")) == {desa.name}

    def test_excel_follows_the_filters_across_pages(self, client: TestClient) -> None:
        doc = _page(client, "/quality/64?kabkota=64.72")
        shown = set(_codes(doc))
        link = _next(doc)
        assert link is not None
        shown |= set(_codes(_page(client, f"/quality/64{link}")))
        r = client.get("/quality/64?kabkota=64.72&format=xlsx")
        rows = list(
            load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True)
        )
        head = rows[0]
        assert head[:6] == (
            "kode",
            "nama",
            "induk",
            "desa",
            "kecamatan",
            "kabupaten_kota",
        )
        assert {str(r[0]) for r in rows[1:]} == shown
        kab = find_region("64.72")
        assert kab is not None
        assert {r[5] for r in rows[1:]} == {kab.name}


class TestPlainWords:
    @pytest.mark.parametrize("lang", ["id", "en"])
    def test_every_check_is_named_and_explained_in_both_languages(
        self, client: TestClient, lang: str
    ) -> None:
        doc = _page(client, f"/quality/{BALIKPAPAN}", lang=lang)
        terms = [
            t.text_content() for t in doc.xpath('//details[@id="checks-help"]//dt')
        ]
        lines = [
            d.text_content() for d in doc.xpath('//details[@id="checks-help"]//dd')
        ]
        words = catalogue(lang)
        assert terms == [words[f"qcheck.{c.key}"] for c in CRITERIA]
        assert lines == [words[f"qcheck.{c.key}.help"] for c in CRITERIA]
        text = doc.xpath("string(//main)")
        # No catalogue key and no internal criterion name is shown as text.
        assert "qcheck." not in text
        assert "quality." not in text
        for c in CRITERIA:
            assert c.key not in text, c.key

    def test_the_checks_of_a_row_use_the_plain_names(self, client: TestClient) -> None:
        doc = _page(client, f"/quality/{BALIKPAPAN}?check=pct_missing", lang="en")
        problems = doc.xpath('//table[@id="quality-table"]//li[@class="problem"]')
        assert [p.text_content().split(":")[0] for p in problems][:1] == [
            "Missing data"
        ]

    def test_new_words_exist_in_both_languages(self) -> None:
        keys = [f"qcheck.{c.key}" for c in CRITERIA]
        keys += [f"{k}.help" for k in keys]
        for key in keys:
            assert catalogue("id")[key] != catalogue("en")[key], key


class TestViewers:
    def test_filters_and_paging_keep_small_counts_hidden(
        self,
        tables_app: FastAPI,  # noqa: F811
    ) -> None:
        with TestClient(tables_app) as c:
            login(c, "t_viewer")
            doc = _page(c, "/quality/64?kabkota=64.72&page=2")
            counts = _cells(doc, "Anak diukur")
            xlsx = c.get("/quality/64?kabkota=64.72&format=xlsx")
        assert counts
        # Two or three children per Samarinda desa: every count is below 5, so hidden.
        assert set(counts) == {"<5"}
        rows = list(
            load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)
        )
        assert {r[7] for r in rows[1:]} == {"<5"}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_quality_reasons_and_their_workbook_speak_one_language(
    client: TestClient, lang: str
) -> None:
    """The data-quality reasons (catalogue ``quality.reason.*``) on the page and in its
    Excel download, in the reader's language (the workbook's reasons and band were
    Indonesian whatever the language)."""
    page = client.get("/quality/64", params={"lang": lang})
    book = client.get("/quality/64", params={"lang": lang, "format": "xlsx"})
    assert page.status_code == book.status_code == 200
    doc = lxml_html.fromstring(page.text)
    shown = [
        str(li.text_content())
        for li in doc.xpath('//table[@id="quality-table"]//ul[@class="reasons"]/li')
    ]
    rows = list(
        load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True)
    )
    names = sorted(
        {str(v) for r in rows[1:] for v in r[1:6] if v}, key=len, reverse=True
    )
    cells = [str(r[10]) for r in rows[1:]] + [str(r[12]) for r in rows[1:] if r[12]]
    assert len([s for s in shown if s != "–"]) > 5
    assert len([r for r in rows[1:] if r[12]]) > 5
    bad = {
        text: offending(text, lang, names)
        for text in shown + cells
        if offending(text, lang, names)
    }
    assert bad == {}
