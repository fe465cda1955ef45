"""Application statistics: facts and marginals after every action through the real services, time spent in each
step on a controlled timeline, every overview figure against a naive count over the applications, unit scoping,
the per-unit rates of the assessment, and rebuild ≡ incremental."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command

from govdesk.applications import services as app
from govdesk.applications.models import Application
from govdesk.applications.tests.factories import MATERIALS, submission
from govdesk.cases.models import CaseEvent, CaseSuspension
from govdesk.common.errors import PermissionDenied, ValidationFailed
from govdesk.matters.services import matter_version_publish
from govdesk.stats.models import APPLICATION_STEPS, StatsApplicationFact, StatsApplicationMarginal
from govdesk.stats.selectors import (
    stats_application_filter_parse,
    stats_application_overview,
    stats_application_unit_rates,
)
from govdesk.stats.services import stats_rollup_rebuild, stats_rollup_verify

from .conftest import SHANGHAI, at

pytestmark = pytest.mark.django_db

BENEFIT_CODE = "141102-MZ-GF-0009"
HOUR = 3600


def _fact(application: Application) -> StatsApplicationFact:
    return StatsApplicationFact.objects.get(case_id=application.pk)


def _consistent() -> None:
    assert stats_rollup_verify(limit=0) == []


def _complete(**overrides: Any) -> dict[str, Any]:
    return submission(materials=["M01", "M02", "M03"], **overrides)


@pytest.fixture
def benefit(hall: SimpleNamespace, district: SimpleNamespace) -> Any:
    """A matter of another type (行政给付) of dept_b, so the matter-type dimension has two values."""
    attrs = {
        "name": "临时救助金给付",
        "type": "benefit",
        "unit": district.dept_b,
        "legal_basis": "《社会救助暂行办法》",
        "conditions": "",
        "legal_limit_days": 20,
        "promised_limit_days": 10,
        "instant": False,
        "visits": 1,
        "fee": "不收费",
        "fields": [],
    }
    return matter_version_publish(code=BENEFIT_CODE, attrs=attrs, materials=MATERIALS).version


# --- facts after each action ------------------------------------------------------------------------------------------


def test_every_action_keeps_the_fact_and_the_marginals_exact(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: Any
) -> None:
    clerk, handler = hall.clerk, people.handler_a
    with at(2026, 11, 2, 9):
        a = app.application_submit(actor=clerk, data=submission(materials=["M01"]))
    _consistent()
    f = _fact(a)
    assert (f.status, f.accepted, f.corrected, f.acceptance_done, f.channel) == ("submitted", 0, 0, 0, 1)
    assert f.day == date(2026, 11, 2) and f.unit_id == hall.matter.unit_id and f.matter_id == hall.matter.matter_id
    assert f.matter_type == 1 and f.open_due_at is None  # licensing; no deadline before acceptance

    with at(2026, 11, 2, 10):
        app.application_request_correction(application=a.number, actor=clerk)
    _consistent()
    f = _fact(a)
    assert (f.status, f.corrected, f.correction_done) == ("correction", 1, 0)

    with at(2026, 11, 3, 11):
        app.application_supplement(application=a.number, actor=clerk, materials=["M02", "M03"])
    _consistent()
    f = _fact(a)
    assert (f.status, f.correction_done, f.correction_seconds) == ("submitted", 1, 25 * HOUR)

    with at(2026, 11, 3, 12):
        app.application_accept(application=a.number, actor=clerk)
    _consistent()
    f = _fact(a)
    assert (f.status, f.accepted, f.acceptance_done, f.acceptance_seconds) == ("handling", 1, 1, 2 * HOUR)
    assert f.open_due_at == Application.objects.get(pk=a.pk).due_at is not None

    with at(2026, 11, 4, 9):
        app.application_suspend(application=a.number, actor=handler, reason="专家评审", kind="expert_review")
    _consistent()
    f = _fact(a)
    assert (f.status, f.suspended, f.suspension_done, f.open_due_at) == ("suspended", 1, 0, None)

    with at(2026, 11, 5, 9):
        app.application_resume(application=a.number, actor=handler)
    _consistent()
    f = _fact(a)
    assert (f.status, f.suspension_done, f.suspension_seconds) == ("handling", 1, 24 * HOUR)

    with at(2026, 11, 6, 10):
        app.application_approve(application=a.number, actor=handler)
    _consistent()
    f = _fact(a)
    assert (f.status, f.decided, f.decided_on_time, f.approved, f.denied) == ("approved", 1, 1, 1, 0)
    # accepted 3 Nov 12:00, decided 6 Nov 10:00: 70 h, less the 24 h suspended
    assert (f.unit_done, f.unit_seconds) == (1, 46 * HOUR)

    with at(2026, 11, 7, 10):
        app.application_deliver(application=a.number, actor=clerk)
    _consistent()
    f = _fact(a)
    assert (f.status, f.delivered, f.delivery_done, f.delivery_seconds, f.open_due_at) == (
        "closed",
        1,
        1,
        24 * HOUR,
        None,
    )
    expected = {"acceptance": 2, "correction": 25, "unit": 46, "suspension": 24, "delivery": 24}
    assert {s: getattr(f, f"{s}_seconds") // HOUR for s in APPLICATION_STEPS} == expected


def test_refusal_denial_and_instant_applications(hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: Any) -> None:
    clerk = hall.clerk
    with at(2026, 11, 2, 9):
        refused = app.application_submit(actor=clerk, data=submission(materials=["M01"]))
        app.application_request_correction(application=refused.number, actor=clerk)
        instant = app.application_submit(actor=clerk, data=_complete(matter=hall.instant.matter.code))
        denied = app.application_submit(actor=clerk, data=_complete())
        app.application_accept(application=denied.number, actor=clerk)
    with at(2026, 11, 2, 15):
        app.application_refuse(application=refused.number, actor=clerk, reason="不属于本机关职权范围")
        app.application_accept(application=instant.number, actor=clerk)
    _consistent()
    f = _fact(refused)
    assert (f.refused, f.accepted, f.corrected, f.acceptance_done, f.correction_done) == (1, 0, 1, 1, 1)
    # the correction ran from the notice at 9:00 to the refusal at 15:00: no time left waiting at the window
    assert (f.correction_seconds, f.acceptance_seconds, f.open_due_at) == (6 * HOUR, 0, None)
    f = _fact(instant)
    assert (f.instant, f.accepted, f.decided, f.approved, f.unit_done, f.unit_seconds) == (1, 1, 1, 1, 1, 0)
    assert (f.acceptance_seconds, f.status, f.delivery_done) == (6 * HOUR, "approved", 0)
    with at(2026, 12, 1, 10):  # long after the 5 working days promised
        app.application_deny(application=denied.number, actor=people.handler_a, reason="不符合条件")
    _consistent()
    f = _fact(denied)
    assert (f.decided, f.decided_on_time, f.denied, f.approved) == (1, 0, 1, 0)
    with at(2026, 12, 2, 10):
        app.application_deliver(application=instant.number, actor=clerk)
        app.application_deliver(application=denied.number, actor=clerk, delivery="post")
    _consistent()
    assert (_fact(denied).delivered, _fact(denied).denied, _fact(instant).delivered) == (1, 1, 1)


def test_an_online_supplement_by_the_applicant_ends_the_correction(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: Any
) -> None:
    with at(2026, 11, 2, 9):
        a = app.application_submit(actor=hall.applicant, data=submission(channel="online", materials=["M01"]))
    with at(2026, 11, 2, 11):
        app.application_request_correction(application=a.number, actor=hall.clerk)
    with at(2026, 11, 2, 12):
        app.application_supplement(application=a.number, actor=hall.applicant, materials=["M02"])  # still missing M03
    assert (_fact(a).status, _fact(a).correction_done) == ("correction", 0)
    with at(2026, 11, 2, 14):
        app.application_supplement(application=a.number, actor=hall.applicant, materials=["M03"])
    _consistent()
    f = _fact(a)
    assert (f.channel, f.correction_done, f.correction_seconds, f.acceptance_done) == (2, 1, 3 * HOUR, 0)


# --- the overview against a naive count -------------------------------------------------------------------------------


@pytest.fixture
def applications(hall: SimpleNamespace, people: SimpleNamespace, benefit: Any, fake_pdf: Any) -> dict[str, Any]:
    """Applications of November 2026 in every state, two matters of dept_a, one of dept_b of another type, both
    channels; one of October (outside the period)."""
    clerk, a_handler, b_handler = hall.clerk, people.handler_a, people.handler_b
    out: dict[str, Any] = {}
    with at(2026, 10, 20):
        out["october"] = app.application_submit(actor=clerk, data=_complete())
        app.application_accept(application=out["october"].number, actor=clerk)
    with at(2026, 11, 2, 9):
        out["full"] = app.application_submit(actor=clerk, data=submission(materials=["M01"]))
        app.application_request_correction(application=out["full"].number, actor=clerk)
        out["instant"] = app.application_submit(actor=clerk, data=_complete(matter=hall.instant.matter.code))
        out["refused"] = app.application_submit(actor=clerk, data=_complete())
        out["online"] = app.application_submit(actor=hall.applicant, data=submission(channel="online"))
        out["late"] = app.application_submit(actor=clerk, data=_complete(matter=hall.other.matter.code))
        out["overdue"] = app.application_submit(actor=clerk, data=_complete())
        out["benefit"] = app.application_submit(
            actor=hall.applicant, data=_complete(matter=BENEFIT_CODE, channel="online", form={})
        )
        out["suspended"] = app.application_submit(actor=clerk, data=_complete(matter=BENEFIT_CODE, form={}))
    with at(2026, 11, 3, 10):
        app.application_supplement(application=out["full"].number, actor=clerk, materials=["M02", "M03"])
        app.application_accept(application=out["full"].number, actor=clerk)
        app.application_accept(application=out["instant"].number, actor=clerk)
        app.application_refuse(application=out["refused"].number, actor=clerk, reason="不属于本机关职权范围")
        for key in ("late", "overdue", "benefit", "suspended"):
            app.application_accept(application=out[key].number, actor=clerk)
    with at(2026, 11, 4, 10):
        app.application_suspend(application=out["full"].number, actor=a_handler, reason="检测", kind="testing")
        app.application_suspend(application=out["suspended"].number, actor=b_handler, reason="听证", kind="hearing")
    with at(2026, 11, 5, 16):
        app.application_resume(application=out["full"].number, actor=a_handler)
        app.application_approve(application=out["benefit"].number, actor=b_handler)
    with at(2026, 11, 6, 10):
        app.application_approve(application=out["full"].number, actor=a_handler)
        app.application_deliver(application=out["instant"].number, actor=clerk)
    with at(2026, 11, 9, 10):
        app.application_deliver(application=out["full"].number, actor=clerk)
    with at(2026, 11, 30, 10):
        app.application_deny(application=out["late"].number, actor=b_handler, reason="不符合条件")
    return out


def _naive(params: dict[str, str], unit_ids: set[int] | None = None) -> dict[str, Any]:
    """The figures counted directly over the applications and their timelines (not from the facts' code)."""
    first, last = date.fromisoformat(params["date_from"]), date.fromisoformat(params["date_to"])
    counts: Counter[str] = Counter()
    by_unit: Counter[int] = Counter()
    by_matter: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    steps: dict[str, list[float]] = {s: [] for s in APPLICATION_STEPS}
    for a in Application.objects.select_related("matter", "matter_version", "primary_unit"):
        day = a.created_at.astimezone(SHANGHAI).date()
        if not first <= day <= last:
            continue
        if unit_ids is not None and a.primary_unit_id not in unit_ids:
            continue
        if params.get("matter") and a.matter.code != params["matter"]:
            continue
        if params.get("matter_type") and a.matter_version.type != params["matter_type"]:
            continue
        if params.get("channel") and a.channel != params["channel"]:
            continue
        actions = list(CaseEvent.objects.filter(case=a).values_list("action", flat=True))
        decided = a.decided_at is not None
        flags = {
            "received": True,
            "accepted": "accept" in actions,
            "corrected": "request-correction" in actions,
            "refused": "refuse" in actions,
            "decided": decided,
            "decided_on_time": a.decided_at is not None
            and a.decision_due_at is not None
            and a.decided_at <= a.decision_due_at,
            "approved": "approve" in actions or (a.matter_version.instant and "accept" in actions),
            "denied": "deny" in actions,
            "delivered": "deliver" in actions,
            "open": a.is_open,
        }
        counts.update(k for k, v in flags.items() if v)
        statuses[a.status] += 1
        by_unit[a.primary_unit_id or 0] += 1
        by_matter[a.matter.code] += 1
        if a.decided_at is not None and a.delivered_at is not None:
            steps["delivery"].append((a.delivered_at - a.decided_at).total_seconds() / HOUR)
        ends = [(s.started_at, s.ended_at) for s in CaseSuspension.objects.filter(case=a)]
        if ends and all(end is not None for _start, end in ends):
            steps["suspension"].append(sum((end - start).total_seconds() for start, end in ends if end) / HOUR)
    return {"counts": counts, "by_unit": by_unit, "by_matter": by_matter, "statuses": statuses, "steps": steps}


NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"unit": "LS-ZJ"},
        {"matter": "141102-ZJ-XK-0001"},
        {"matter_type": "benefit"},
        {"channel": "online"},
        {"unit": "LS-RS", "channel": "window"},
        {"matter_type": "licensing", "channel": "window", "unit": "LS"},
        {"unit": "LS-ZJ", "matter": "141102-ZJ-XK-0001", "matter_type": "licensing", "channel": "window"},
        {"date_from": "2026-10-01", "date_to": "2026-12-31"},
    ],
)
def test_the_overview_equals_a_naive_count(
    applications: dict[str, Any], people: SimpleNamespace, district: SimpleNamespace, extra: dict[str, str]
) -> None:
    params = {**NOVEMBER, **extra}
    unit_ids = None
    if "unit" in params:
        unit_ids = set(next(u for u in district.__dict__.values() if u.code == params["unit"]).descendant_ids())
    with at(2026, 12, 1, 12):
        flt = stats_application_filter_parse(params, people.supervisor)
        got = stats_application_overview(user=people.supervisor, flt=flt)
    want = _naive(params, unit_ids)
    totals = got["totals"]
    for key in ("received", "accepted", "corrected", "refused", "decided", "decided_on_time", "approved", "denied"):
        assert totals[key] == want["counts"][key], key
    assert totals["delivered"] == want["counts"]["delivered"] and totals["open"] == want["counts"]["open"]
    assert {k: v for k, v in got["status_counts"].items() if v} == dict(want["statuses"])
    assert {r["id"]: r["received"] for r in got["by_unit"]} == dict(want["by_unit"])
    assert {r["code"]: r["received"] for r in got["by_matter"]} == dict(want["by_matter"])
    assert sum(r["received"] for r in got["by_channel"]) == totals["received"]
    assert sum(r["received"] for r in got["by_matter_type"]) == totals["received"]
    assert sum(p["received"] for p in got["series"]) == totals["received"]
    if totals["decided"]:
        assert got["rates"]["on_time"] == totals["decided_on_time"] / totals["decided"]
    for step in ("delivery", "suspension"):
        hours = want["steps"][step]
        overall = got["step_times"]["overall"][step]
        assert overall["count"] == len(hours)
        assert overall["hours"] == (round(sum(hours) / len(hours), 2) if hours else None)


def test_figures_and_overdue_in_november(
    applications: dict[str, Any], people: SimpleNamespace, district: SimpleNamespace
) -> None:
    with at(2026, 12, 1, 12):
        got = stats_application_overview(
            user=people.supervisor, flt=stats_application_filter_parse(NOVEMBER, people.supervisor)
        )
    t = got["totals"]
    assert (t["received"], t["accepted"], t["refused"], t["corrected"], t["instant"]) == (8, 6, 1, 1, 1)
    assert (t["decided"], t["decided_on_time"], t["approved"], t["denied"], t["delivered"]) == (4, 3, 3, 1, 2)
    # open and past the deadline now: the one still handled after its 5 working days, and the benefit approved on
    # 5 Nov and not delivered within 10 working days (the suspended one has no running deadline; the late denial's
    # delivery is due in December)
    assert t["overdue_open"] == 2 and got["overdue"]["total"] == 3  # the October one too (the list has no period)
    numbers = [i["number"] for i in got["overdue"]["items"]]
    assert numbers == [applications[k].number for k in ("october", "overdue", "benefit")]
    assert got["overdue"]["items"][1]["unit"] == "LS-ZJ" and got["overdue"]["items"][1]["matter"] == "141102-ZJ-XK-0001"
    assert got["rates"]["acceptance"] == 6 / 8 and got["rates"]["approval"] == 3 / 4
    full = got["step_times"]["overall"]
    assert full["correction"] == {"hours": 25.0, "count": 1}
    assert full["suspension"] == {"hours": 30.0, "count": 1}  # 4 Nov 10:00 → 5 Nov 16:00
    units = {r["code"]: r for r in got["step_times"]["by_unit"]}
    # dept_a: instant (0 h) and full (3 Nov 10:00 → 6 Nov 10:00 = 72 h − 30 h suspended) decided
    assert units["LS-ZJ"]["steps"]["unit"] == {"hours": 21.0, "count": 2}
    matters = {r["code"]: r for r in got["by_matter"]}
    assert matters[BENEFIT_CODE]["received"] == 2 and matters[BENEFIT_CODE]["rates"]["approval"] == 1.0


def test_a_unit_administrator_sees_their_unit_only(
    applications: dict[str, Any], people: SimpleNamespace, district: SimpleNamespace
) -> None:
    flt = stats_application_filter_parse(NOVEMBER, people.unit_admin_a)
    assert flt.unit == district.dept_a
    got = stats_application_overview(user=people.unit_admin_a, flt=flt)
    assert {r["code"] for r in got["by_unit"]} == {"LS-ZJ"} and got["totals"]["received"] == 5
    with pytest.raises(PermissionDenied):
        stats_application_filter_parse({**NOVEMBER, "unit": "LS-RS"}, people.unit_admin_a)
    with pytest.raises(PermissionDenied):
        stats_application_filter_parse(NOVEMBER, people.handler_a)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"matter": "NO-SUCH"}, "matter"),
        ({"matter_type": "licence"}, "matter_type"),
        ({"channel": "phone"}, "channel"),
        ({"unit": "NOPE"}, "unit"),
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_from": "2026-11-10", "date_to": "2026-11-01"}, "date_from"),
    ],
)
def test_bad_filters_name_their_field(people: SimpleNamespace, params: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        stats_application_filter_parse(params, people.supervisor)
    assert field in (caught.value.fields or {})


def test_unit_rates_for_the_assessment(applications: dict[str, Any], district: SimpleNamespace) -> None:
    with at(2026, 12, 1, 12):
        rows = {
            r["unit"]: r for r in stats_application_unit_rates(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
        }
    assert set(rows) == {"LS-ZJ", "LS-RS"}
    a, b = rows["LS-ZJ"], rows["LS-RS"]
    assert (a["unit_id"], a["received"], a["decided"], a["decided_on_time"], a["on_time"], a["overdue_open"]) == (
        district.dept_a.pk,
        5,
        2,
        2,
        1.0,
        1,
    )
    assert (b["received"], b["decided"], b["decided_on_time"], b["on_time"], b["overdue_open"]) == (3, 2, 1, 0.5, 1)


def test_rebuild_equals_the_incremental_path(applications: dict[str, Any]) -> None:
    _consistent()
    facts = {r["case_id"]: r for r in StatsApplicationFact.objects.values()}
    cols = [f.name for f in StatsApplicationMarginal._meta.fields if f.name != "id"]
    marginals = {tuple(r) for r in StatsApplicationMarginal.objects.values_list(*cols) if any(r[7:])}
    counts = stats_rollup_rebuild(batch=3)
    assert counts["application_facts"] == Application.objects.count() == 9
    assert {r["case_id"]: r for r in StatsApplicationFact.objects.values()} == facts
    assert {tuple(r) for r in StatsApplicationMarginal.objects.values_list(*cols)} == marginals
    out = io.StringIO()
    call_command("stats_rollup_rebuild", "--kind", "application", "--batch", "4", stdout=out)
    assert "9/9 cases" in out.getvalue() and "9 application facts" in out.getvalue()
    assert "facts," not in out.getvalue().split("9 application facts")[0]  # the work orders were left alone
    assert {r["case_id"]: r for r in StatsApplicationFact.objects.values()} == facts
    call_command("stats_rollup_verify", "--kind", "application", stdout=out)


def test_verify_reports_a_tampered_fact_and_marginal(applications: dict[str, Any]) -> None:
    _consistent()
    row = StatsApplicationMarginal.objects.filter(dims="um", grain="m").first()
    assert row is not None
    StatsApplicationMarginal.objects.filter(pk=row.pk).update(unit_seconds=row.unit_seconds + 60)
    StatsApplicationFact.objects.filter(case_id=applications["full"].pk).update(approved=0)
    diffs = stats_rollup_verify(limit=0)
    assert any(d.startswith(f"StatsApplicationFact {applications['full'].pk}:") for d in diffs)
    assert any("StatsApplicationMarginal stored, not expected" in d for d in diffs)
    assert any("StatsApplicationMarginal expected, not stored" in d for d in diffs)
    stats_rollup_rebuild(kinds=["application"])
    _consistent()


def test_overdue_at_the_end_of_a_month_does_not_change_with_later_work(
    applications: dict[str, Any], people: SimpleNamespace, hall: SimpleNamespace, district: SimpleNamespace
) -> None:
    """The assessment's deduction: undecided past the decision deadline at month end, whatever the submission day;
    not a suspended one (its clock stood), not one decided in time or waiting for delivery (the window's)."""
    october, overdue = applications["october"], applications["overdue"]
    for key in ("october", "overdue"):
        a = Application.objects.get(pk=applications[key].pk)
        assert a.due_at is not None and a.due_at.astimezone(SHANGHAI).date() < date(2026, 12, 1), key

    def november() -> dict[str | None, int]:
        rows = stats_application_unit_rates(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
        return {r["unit"]: r["overdue_at_end"] for r in rows}

    with at(2026, 12, 1, 12):
        before = november()
    # The October application counts in November too: the unit still owed its decision at the end of November.
    assert before == {"LS-ZJ": 2, "LS-RS": 0}
    with at(2026, 12, 3, 10):
        app.application_approve(application=october.number, actor=people.handler_a)
        app.application_deny(application=overdue.number, actor=people.handler_a, reason="不符合条件")
        app.application_resume(application=applications["suspended"].number, actor=people.handler_b)
    with at(2027, 1, 5, 10):
        assert november() == before
        december = {
            r["unit"]: r["overdue_at_end"]
            for r in stats_application_unit_rates(date_from=date(2026, 12, 1), date_to=date(2026, 12, 31))
        }
    assert december.get("LS-ZJ", 0) == 0
