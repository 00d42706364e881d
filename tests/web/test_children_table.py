"""The children table of a region page: sort by column, search (names; NIKs only for roles
that see whole NIKs), an under-five filter, desa names, pages that keep it all; and the
sub-region table above the lists (tests/web/tables_sample.py, SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import html as lxml_html
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.web.conftest import login
from tests.web.tables_sample import (  # noqa: F401  (fixtures)
    SAMARINDA,
    TablesSample,
    tables_app,
    tables_db,
)

from tumbuh.accounts.models import AuditEvent
from tumbuh.register.master import find_region
from tumbuh.register.read import age_months, months_before, under_five
from tumbuh.register.regions import name_key
from tumbuh.web.pages.regions import CHILDREN_PAGE_SIZE


def _doc(client: TestClient, url: str, lang: str = "id") -> lxml_html.HtmlElement:
    """The page in `lang` (the clients are shared: a cookie would carry the last one)."""
    r = client.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
    assert r.status_code == 200, r.text[:400]
    return lxml_html.fromstring(r.text)


def _column(doc: lxml_html.HtmlElement, label: str) -> list[str]:
    return [
        td.text_content().strip()
        for td in doc.xpath(
            f'//table[@id="children-table"]/tbody/tr/td[@data-label="{label}"]'
        )
    ]


def _ids(doc: lxml_html.HtmlElement) -> list[int]:
    return [
        int(i) for i in doc.xpath('//table[@id="children-table"]/tbody/tr/@data-id')
    ]


def _next(doc: lxml_html.HtmlElement) -> str | None:
    links = doc.xpath('//nav[contains(@class, "pager")]/a[@rel="next"]/@href')
    return str(links[0]) if links else None


def _found(doc: lxml_html.HtmlElement) -> int:
    text = doc.xpath('string(//p[@id="children-found"])').strip()
    return int(text.split()[0].replace(".", ""))


@pytest.fixture(scope="module")
def admin(tables_app: FastAPI) -> TestClient:  # noqa: F811
    with TestClient(tables_app) as c:
        login(c, "t_admin")
        yield c


@pytest.fixture(scope="module")
def analyst(tables_app: FastAPI) -> TestClient:  # noqa: F811
    with TestClient(tables_app) as c:
        login(c, "t_analyst")
        yield c


class TestSort:
    def test_by_name_both_ways(self, admin: TestClient) -> None:
        up = _column(_doc(admin, f"/regions/{SAMARINDA}?sort=name"), "Nama")
        down = _column(
            _doc(admin, f"/regions/{SAMARINDA}?sort=name&order=desc"), "Nama"
        )
        assert len(up) == CHILDREN_PAGE_SIZE
        assert [name_key(n) for n in up] == sorted(name_key(n) for n in up)
        assert [name_key(n) for n in down] == sorted(
            (name_key(n) for n in down), reverse=True
        )
        assert up[0] != down[0]

    def test_by_age_youngest_first(self, admin: TestClient) -> None:
        ages = [
            int(a)
            for a in _column(
                _doc(admin, f"/regions/{SAMARINDA}?sort=age"), "Umur (bulan)"
            )
        ]
        assert ages == sorted(ages)
        assert ages[0] < 12

    def test_by_desa_name(self, admin: TestClient) -> None:
        doc = _doc(admin, f"/regions/{SAMARINDA}?sort=desa", lang="en")
        names = _column(doc, "Village")
        assert names == sorted(names)
        # Names, not codes, in the desa column.
        assert not any(n.startswith("64.") for n in names)

    def test_by_latest_status_most_stunted_first_across_pages(
        self, admin: TestClient
    ) -> None:
        doc = _doc(admin, f"/regions/{SAMARINDA}?sort=zlen")
        label = "Status gizi (PB/U, TB/U) terakhir"
        first = [float(z.split()[0].replace(",", ".")) for z in _column(doc, label)]
        link = _next(doc)
        assert link is not None
        assert parse_qs(urlsplit(link).query) == {"sort": ["zlen"], "page": ["2"]}
        page2 = _doc(admin, f"/regions/{SAMARINDA}{link}")
        second = [float(z.split()[0].replace(",", ".")) for z in _column(page2, label)]
        assert first == sorted(first)
        assert second == sorted(second)
        assert first[-1] <= second[0]
        assert not set(_ids(doc)) & set(_ids(page2))

    def test_by_last_measured(self, admin: TestClient, tables_db) -> None:  # noqa: F811
        _, sample = tables_db
        doc = _doc(admin, f"/regions/{SAMARINDA}?sort=measured")
        # The child over five was last measured two years ago: first ascending.
        assert _ids(doc)[0] == sample.over_five[0]

    def test_register_order_both_ways(self, admin: TestClient) -> None:
        up = _ids(_doc(admin, f"/regions/{SAMARINDA}"))
        down = _ids(_doc(admin, f"/regions/{SAMARINDA}?order=desc"))
        assert up == sorted(up)
        assert down == sorted(down, reverse=True)
        assert up[0] != down[0]

    def test_the_header_links_sort_and_say_which_way(self, admin: TestClient) -> None:
        doc = _doc(admin, f"/regions/{SAMARINDA}?sort=name&q=anak")
        head = doc.xpath(
            '//table[@id="children-table"]/thead//th[@aria-sort="ascending"]'
        )
        assert len(head) == 1
        link = head[0].xpath("a/@href")[0]
        assert parse_qs(urlsplit(link).query) == {
            "sort": ["name"], "order": ["desc"], "q": ["anak"]
        }  # fmt: skip

    @pytest.mark.parametrize(
        "query",
        [
            "sort=nik",
            "sort=name;drop",
            "order=up",
            "under5=maybe",
            "q=" + "x" * 61,
            "page=0",
        ],
    )
    def test_bad_parameters_answer_422_never_500(
        self, admin: TestClient, query: str
    ) -> None:
        assert admin.get(f"/regions/{SAMARINDA}?{query}").status_code == 422


class TestSearch:
    def test_a_name_fragment_in_any_case(self, admin: TestClient) -> None:
        place = find_region(f"{SAMARINDA}.01.1001")
        assert place is not None
        doc = _doc(admin, f"/regions/{SAMARINDA}?q={place.name.upper()}")
        names = _column(doc, "Nama")
        assert names
        assert all(place.name.lower() in n.lower() for n in names)
        assert _found(doc) == len(names)

    def test_a_nik_fragment_for_a_role_that_sees_niks(
        self,
        admin: TestClient,
        tables_db,  # noqa: F811
    ) -> None:
        _, sample = tables_db
        pid, nik = sample.under_five
        doc = _doc(admin, f"/regions/{SAMARINDA}?q={nik[4:12]}")
        assert _ids(doc) == [pid]
        assert doc.xpath('string(//label[@for="children-q"])') == "Cari nama atau NIK"

    def test_a_masked_role_finds_nothing_by_nik_digits(
        self,
        analyst: TestClient,
        tables_db,  # noqa: F811
    ) -> None:
        # The analyst sees 6472••••••••0003: searching hidden (or shown) digits must not
        # tell which child carries them.
        _, sample = tables_db
        _, nik = sample.under_five
        for fragment in (nik[4:12], nik[-4:], nik):
            doc = _doc(analyst, f"/regions/{SAMARINDA}?q={fragment}")
            assert _ids(doc) == []
            assert _found(doc) == 0
        doc = _doc(analyst, f"/regions/{SAMARINDA}")
        assert doc.xpath('string(//label[@for="children-q"])') == "Cari nama"
        assert all("•" in n for n in _column(doc, "NIK"))

    def test_the_search_is_audited(self, admin: TestClient, tables_db) -> None:  # noqa: F811
        engine, sample = tables_db
        _, nik = sample.under_five
        _doc(admin, f"/regions/{SAMARINDA}?q={nik[4:12]}")
        with Session(engine) as session:
            details = session.scalars(
                select(AuditEvent.detail).where(
                    AuditEvent.username == "t_admin",
                    AuditEvent.object_type == "children",
                )
            ).all()
        assert any(f"nik {nik[4:12]}" in (d or "") for d in details)


class TestUnderFive:
    def test_keeps_children_of_0_to_59_months_today(
        self,
        admin: TestClient,
        tables_db,  # noqa: F811
    ) -> None:
        _, sample = tables_db
        region = ".".join(sample.samarinda_desa[0].split(".")[:3])
        everyone = _ids(_doc(admin, f"/regions/{region}"))
        balita = _doc(admin, f"/regions/{region}?under5=1&sort=age&order=desc")
        assert sample.over_five[0] in everyone
        assert sample.over_five[0] not in _ids(balita)
        assert sample.under_five[0] in _ids(balita)
        ages = [int(a) for a in _column(balita, "Umur (bulan)")]
        assert max(ages) == 59
        assert _found(balita) == len(everyone) - 1

    def test_the_pager_keeps_the_filter_search_and_sort(
        self, admin: TestClient
    ) -> None:
        doc = _doc(admin, f"/regions/{SAMARINDA}?under5=1&q=anak&sort=age&order=desc")
        assert _found(doc) > CHILDREN_PAGE_SIZE
        link = _next(doc)
        assert link is not None
        assert parse_qs(urlsplit(link).query) == {
            "under5": ["1"], "q": ["anak"], "sort": ["age"], "order": ["desc"],
            "page": ["2"],
        }  # fmt: skip
        assert urlsplit(link).fragment == "register-title"
        export = doc.xpath(
            '//section[@aria-labelledby="register-title"]//a[contains(@href, "xlsx")]/@href'
        )[0]
        r = admin.get(f"/regions/{SAMARINDA}{export}")
        rows = list(
            load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True)
        )
        head = rows[0]
        assert "desa" in head
        assert "umur_bulan" in head
        ages = [r[head.index("umur_bulan")] for r in rows[1:]]
        assert len(ages) == _found(doc)
        assert ages == sorted(ages, reverse=True)
        assert max(ages) <= 59


class TestMonths:
    @pytest.mark.parametrize(
        ("day", "months", "expected"),
        [
            (dt.date(2026, 3, 15), 60, dt.date(2021, 3, 15)),
            (dt.date(2026, 5, 31), 3, dt.date(2026, 2, 28)),
            (dt.date(2024, 5, 31), 3, dt.date(2024, 2, 29)),
            (dt.date(2026, 1, 10), 1, dt.date(2025, 12, 10)),
        ],
    )
    def test_months_before(self, day: dt.date, months: int, expected: dt.date) -> None:
        assert months_before(day, months) == expected

    def test_a_child_turns_five_on_the_day_of_the_60th_month(self) -> None:
        today = dt.date(2026, 3, 15)
        after, until = under_five(today)
        assert (after, until) == (dt.date(2021, 3, 15), today)
        assert age_months(dt.date(2021, 3, 15), today) == 60  # not under five
        assert age_months(dt.date(2021, 3, 16), today) == 59  # still under five
        assert age_months(dt.date(2026, 3, 16), today) is None


class TestLayout:
    def test_the_subregion_table_comes_before_the_lists(
        self, admin: TestClient
    ) -> None:
        html = admin.get(f"/regions/{SAMARINDA}").text
        order = [html.index(f'id="{i}"') for i in ("subregion-table", "children-table")]
        assert order == sorted(order)
        assert html.index('id="subregion-table"') < html.index('id="forecast-title"')

    def test_a_viewer_gets_no_children_form(self, tables_app: FastAPI) -> None:  # noqa: F811
        with TestClient(tables_app) as c:
            login(c, "t_viewer")
            html = c.get(f"/regions/{SAMARINDA}?q=anak&sort=name&under5=1").text
        assert 'id="children-filters"' not in html
        assert 'id="children-table"' not in html
        assert 'id="subregion-table"' in html
