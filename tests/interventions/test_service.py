"""Catalogue administration, single records, and meeting actions with their movement."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.interventions.builders import DESA_1, PERIOD, World, kk, nik

from tumbuh.errors import Conflict, InvalidInput, NotFound
from tumbuh.interventions import service
from tumbuh.interventions.groups import Period
from tumbuh.interventions.models import Intervention
from tumbuh.interventions.schemas import (
    ActionCreate,
    ActionStatus,
    ActionUpdate,
    InterventionCreate,
    KindCreate,
    KindUpdate,
)


class TestCatalogue:
    def test_packaged_catalogue_covers_the_issue_list_and_keeps_not_found_targets_null(
        self, session: Session
    ) -> None:
        kinds = {k.code: k for k in service.list_kinds(session)}
        for code in ("ttd_remaja", "ttd_hamil", "pmt_bumil_kek", "anc", "asi_eksklusif",
                     "mpasi", "imunisasi", "pantau_tumbuh", "tata_laksana_gizi_buruk",
                     "kb_pascapersalinan", "catin_skrining", "pendampingan_krs",
                     "air_minum", "sanitasi", "jkn_pbi", "pkh"):  # fmt: skip
            assert code in kinds
        assert kinds["ttd_remaja"].target_pct == 58
        assert kinds["pendampingan_krs"].target_pct is None
        assert "NOT FOUND" in kinds["pendampingan_krs"].target_source
        assert {k.kind for k in kinds.values()} == {"specific", "sensitive"}

    def test_an_administrator_adds_a_new_kind_without_code_and_it_is_counted(
        self, session: Session, world: World
    ) -> None:
        service.create_kind(
            session,
            KindCreate(
                code="paud",
                name_id="PAUD",
                name_en="Early education",
                kind="sensitive",  # type: ignore[arg-type]
                target_group="child_0_59",
                sector="Disdik",
                target_pct=50,
            ),
        )
        service.record(
            session,
            InterventionCreate(
                kind_code="paud", nik=nik(10), given_on=dt.date(2025, 7, 1)
            ),
        )
        row = service.coverage_report(session, region="99", period=PERIOD).row("paud")
        assert row.numerator == 1
        assert row.denominator > 1
        assert row.sector == "Disdik"

    def test_edits_change_targets_and_deactivate(self, session: Session) -> None:
        service.update_kind(session, "anc", KindUpdate(target_pct=95, target_year=2029))
        assert service.get_kind(session, "anc").target_pct == 95
        service.update_kind(session, "anc", KindUpdate(clear_target=True, active=False))
        kind = service.get_kind(session, "anc")
        assert (kind.target_pct, kind.active) == (None, False)
        assert "anc" not in {
            k.code for k in service.list_kinds(session, active_only=True)
        }

    def test_bad_catalogue_input_is_refused(self, session: Session) -> None:
        with pytest.raises(ValidationError, match="unknown target group"):
            KindUpdate(target_group="grandparents")
        with pytest.raises(Conflict):
            service.create_kind(
                session,
                KindCreate(code="anc", name_id="x", name_en="x", kind="specific",  # type: ignore[arg-type]
                           target_group="pregnant", sector="Dinkes"),
            )  # fmt: skip
        with pytest.raises(NotFound):
            service.update_kind(session, "nope", KindUpdate(active=False))


class TestPeriod:
    def test_a_year_runs_to_today_while_it_is_under_way(self) -> None:
        p = Period.year(2025, as_of=dt.date(2025, 6, 30))
        assert (p.start, p.end) == (dt.date(2025, 1, 1), dt.date(2025, 6, 30))
        assert Period.year(2024, as_of=dt.date(2025, 6, 30)).end == dt.date(
            2024, 12, 31
        )

    def test_a_year_not_yet_started_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="2027"):
            Period.year(2027, as_of=dt.date(2026, 11, 1))


class TestRecord:
    def test_one_record_then_the_same_visit_updates_it(
        self, session: Session, world: World
    ) -> None:
        data = InterventionCreate(
            kind_code="mpasi", nik=nik(3), given_on=dt.date(2025, 8, 1)
        )
        first = service.record(session, data)
        again = service.record(session, data.model_copy(update={"status": "verified"}))
        assert first.id == again.id
        assert again.status == "verified"
        assert again.person_id == world.ids["a_child"]
        assert again.desa_code == DESA_1

    def test_family_kinds_take_the_kk_and_person_kinds_need_a_nik(
        self, session: Session, world: World
    ) -> None:
        rec = service.record(
            session,
            InterventionCreate(
                kind_code="jkn_pbi", no_kk=kk(1), given_on=dt.date(2025, 1, 5)
            ),
        )
        assert rec.family_id == world.fams["a"]
        assert rec.person_id is None
        with pytest.raises(InvalidInput, match="NIK required"):
            service.record(
                session,
                InterventionCreate(
                    kind_code="anc", no_kk=kk(1), given_on=dt.date(2025, 1, 5)
                ),
            )
        with pytest.raises(NotFound, match="NIK"):
            service.record(
                session,
                InterventionCreate(
                    kind_code="anc", nik="1" * 16, given_on=dt.date(2025, 1, 5)
                ),
            )
        with pytest.raises(InvalidInput, match="future"):
            service.record(
                session,
                InterventionCreate(
                    kind_code="anc",
                    nik=nik(2),
                    given_on=dt.date.today() + dt.timedelta(days=3),
                ),
            )
        assert session.scalar(select(func.count()).select_from(Intervention))


class TestActions:
    def test_overdue_actions_are_marked_and_the_indicator_movement_is_shown(
        self, session: Session, world: World
    ) -> None:
        meeting = dt.date(2025, 6, 1)
        late = service.create_action(
            session,
            ActionCreate(meeting_on=meeting, title="Sweep pendampingan KRS", owner="DPPKB",
                         region_code=DESA_1, due_on=dt.date(2025, 7, 1),
                         indicator_code="pendampingan_krs"),
        )  # fmt: skip
        done = service.create_action(
            session,
            ActionCreate(meeting_on=meeting, title="Jamban for family B", owner="PUPR/Perkim",
                         region_code=DESA_1, due_on=dt.date(2025, 7, 1)),
        )  # fmt: skip
        # On the meeting day, family A (Apr) and B (Feb) had pendampingan: 2 of 2 KRS in desa 1.
        assert late.baseline_pct == 100.0
        service.update_action(
            session,
            done.id,
            ActionUpdate(status=ActionStatus.done),
            today=dt.date(2025, 6, 20),
        )
        rows = {
            r.id: r
            for r in service.list_actions(
                session, region="99", today=dt.date(2025, 8, 1)
            )
        }
        assert rows[late.id].overdue is True
        assert rows[done.id].overdue is False
        assert rows[done.id].done_on == dt.date(2025, 6, 20)
        assert rows[late.id].current_pct == 100.0
        assert rows[late.id].movement_pts == 0.0

    def test_movement_follows_new_records(self, session: Session, world: World) -> None:
        action = service.create_action(
            session,
            ActionCreate(meeting_on=dt.date(2025, 3, 1), title="ANC", owner="Dinkes",
                         region_code="99", due_on=dt.date(2025, 12, 31),
                         indicator_code="pendampingan_krs"),
        )  # fmt: skip
        # 1 March 2025: only B (Feb) of the 3 KRS families had pendampingan.
        assert action.baseline_pct == pytest.approx(100 / 3, abs=0.01)
        row = service.list_actions(session, region="99", today=dt.date(2025, 12, 31))[0]
        assert row.current_pct == pytest.approx(200 / 3, abs=0.01)
        assert row.movement_pts == pytest.approx(100 / 3, abs=0.02)
        assert row.overdue is False

    def test_an_action_due_before_its_meeting_is_refused(
        self, session: Session, world: World
    ) -> None:
        with pytest.raises(InvalidInput, match="before the meeting"):
            service.create_action(
                session,
                ActionCreate(meeting_on=dt.date(2025, 3, 1), title="x", owner="Dinkes",
                             region_code="99", due_on=dt.date(2025, 2, 1)),
            )  # fmt: skip
