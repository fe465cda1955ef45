"""The demo year: `seed_review_demo` builds the district's 2022 from records (construction projects through the
services, a year of work orders, applications and package applications in bulk, the units' ledger reports through the
ledgers' service), and the review generated from those records is the district's own review of 2022, section 一 of
its 2023 report (copied into data/seed_2022_review.txt), figure for figure.

The command runs once per test database (a module fixture, rolled back at the module's end): about four minutes on
SQLite on two busy cores, most of it the statistics' rebuild over the year's 52,000 cases. Notice PDFs are stood in
for (as in test_demo_hall.py): the notices' content is tested in `govdesk/applications` and `govdesk/packages`.
"""

from __future__ import annotations

import os
import re
from collections import Counter as Tally
from collections.abc import Iterator
from datetime import datetime
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from govdesk.applications import notices as application_notices
from govdesk.applications.models import Application
from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_chain_verify
from govdesk.cases.models import Case, CaseEvent, CaseUnit
from govdesk.common import crypto
from govdesk.common.models import Counter
from govdesk.demo.review_year import ledger_data
from govdesk.ledgers.models import (
    Indicator,
    IndicatorValue,
    LedgerRowVersion,
    MajorProject,
    MajorProjectProgress,
    SelfBuiltHouse,
)
from govdesk.packages import notices as package_notices
from govdesk.packages.models import PackageApplication
from govdesk.review.figures import citizen_matter_querysets, packages_in_service
from govdesk.review.generator import review_plain_text
from govdesk.stats.services import stats_rollup_verify
from govdesk.workorders.models import WorkOrder

PASSWORD = "Demo-Passw0rd-2026!"
SEED_TEXT = Path(__file__).parent / "data" / "seed_2022_review.txt"
# A number with its measure as the review writes it: 8.9亿元, 7000余户, 4.79万件, 第3, 82.9%, 四轮, 3.68余万处.
FIGURE = re.compile(
    r"第?[0-9]+(?:\.[0-9]+)?[余多]?[万亿]?余?(?:元|吨|头|剂次|人次|平方米|户|个|项|件|份|座|公里|处|亩|种|%|轮)?"
    r"|[一二三四五六七八九十]轮"
)


def fake_pdf(**kwargs: Any) -> bytes:
    return b"%PDF-1.7\n% demo test notice " + kwargs["content"].number.encode() + b"\n%%EOF\n"


def _seed(out: StringIO, password_file: Path) -> None:
    with (
        mock.patch.object(application_notices, "notice_pdf", fake_pdf),
        mock.patch.object(package_notices, "notice_pdf", fake_pdf),
    ):
        call_command("seed_review_demo", "--password-file", str(password_file), stdout=out)


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The demo year, built once for the module, in a transaction rolled back at its end."""
    out = StringIO()
    previous = os.environ.get("GOVDESK_DEMO_PASSWORD")
    os.environ["GOVDESK_DEMO_PASSWORD"] = PASSWORD
    password_file = tmp_path_factory.mktemp("demo") / "pw"
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            _seed(out, password_file)
            yield {"out": out.getvalue(), "password_file": password_file}
            transaction.set_rollback(True)
    finally:
        if previous is None:
            os.environ.pop("GOVDESK_DEMO_PASSWORD", None)
        else:
            os.environ["GOVDESK_DEMO_PASSWORD"] = previous


@pytest.fixture
def seeded_db(seeded: Any, db: Any) -> Any:
    return seeded


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def _figures(paragraph: str) -> list[str]:
    return [m.group(0) for m in FIGURE.finditer(paragraph) if m.group(0)]


def _year(field: str, year: int = 2022) -> dict[str, datetime]:
    tz = timezone.get_default_timezone()
    return {f"{field}__gte": datetime(year, 1, 1, tzinfo=tz), f"{field}__lt": datetime(year + 1, 1, 1, tzinfo=tz)}


def test_every_figure_of_the_seed_is_in_its_place_in_the_generated_review(seeded_db: Any) -> None:
    seed = _paragraphs(SEED_TEXT.read_text(encoding="utf-8"))
    generated = _paragraphs(review_plain_text(2022))
    assert len(generated) == len(seed)
    for number, (theirs, ours) in enumerate(zip(seed, generated, strict=True), start=1):
        assert _figures(ours) == _figures(theirs), f"paragraph {number}"
    # The seed's figures with their measures are many (a pattern matching nothing would prove nothing).
    measured = [f for p in seed for f in _figures(p) if not f.isdigit()]
    assert len(measured) == 52 and "1208.34万吨" in measured and "3.68余万处" in measured


def test_the_generated_review_is_the_seeds_section_word_for_word(seeded_db: Any) -> None:
    assert review_plain_text(2022).strip() == SEED_TEXT.read_text(encoding="utf-8").strip()


def test_the_citizen_matters_add_up_from_the_three_kinds_of_cases(seeded_db: Any) -> None:
    counted = {kind: rows.count() for kind, rows in citizen_matter_querysets(2022).items()}
    assert 47_900 <= sum(counted.values()) <= 47_999
    assert 38_000 < counted["workorders"] < 42_000
    assert 6_000 < counted["applications"] < 7_000
    assert 1_300 < counted["package_applications"] < 1_500
    # Every package application of the year has its parts, each an application of its own that is not counted twice
    # (the construction projects' stages stand as the projects did at the year's end: some not yet accepted).
    parted = PackageApplication.objects.filter(**_year("created_at"), project_stage_application__isnull=True).annotate(
        n=Count("parts")
    )
    assert parted.count() > 1_200 and not parted.filter(n=0).exists()
    assert Application.objects.filter(**_year("created_at"), package_part__isnull=False).count() > 3_000
    assert packages_in_service(2022).count() == 100
    assert packages_in_service(2021).count() < 100  # the reform rolled out over two years


def test_the_year_is_shaped_like_a_year(seeded_db: Any) -> None:
    orders = WorkOrder.objects.filter(**_year("created_at"))
    by_month = dict(orders.annotate(m=ExtractMonth("created_at")).values_list("m").annotate(n=Count("pk")))
    assert len(by_month) == 12
    assert by_month[11] > by_month[2] * 1.25  # the heating season and the autumn outbreak against the Spring Festival
    statuses = Tally(orders.values_list("status", flat=True))
    assert statuses["closed"] > 0.95 * sum(statuses.values()) and statuses["cancelled"] > 100
    # Only construction projects still under way at the year's end have open stages (and their open parts).
    stages = PackageApplication.objects.filter(project_stage_application__isnull=False)
    still_open = Case.objects.filter(**_year("created_at"), is_open=True)
    assert not still_open.exclude(pk__in=stages).exclude(application__package_part__package_application__in=stages)
    assert orders.values("primary_unit").distinct().count() > 20
    assert orders.values("category").distinct().count() > 50
    assert set(orders.values_list("channel", flat=True).distinct()) >= {"phone", "web", "other"}
    assert orders.filter(master__isnull=False).count() > 1_000  # repeated calls, merged into their first order
    # Every dispatched case has its unit's assignment and a timeline from registration to closing.
    dispatched = orders.filter(dispatched_at__isnull=False)
    assert CaseUnit.objects.filter(case__in=dispatched, role="primary").count() == dispatched.count()
    sample = orders.order_by("pk")[5000]
    actions = list(CaseEvent.objects.filter(case_id=sample.pk).values_list("to_status", flat=True))
    assert actions[0] == "new" and actions[-1] in ("closed", "cancelled")


def test_personal_data_is_encrypted_and_numbers_continue_the_counters(seeded_db: Any) -> None:
    order = WorkOrder.objects.filter(**_year("created_at")).exclude(citizen_phone="").order_by("pk").first()
    assert order is not None and order.citizen_phone.isdigit()
    with connection.cursor() as cursor:
        cursor.execute("SELECT citizen_phone FROM workorders_workorder WHERE case_ptr_id = %s", [order.pk])
        stored = cursor.fetchone()[0]
    assert stored != order.citizen_phone and crypto.is_encrypted(stored)
    assert WorkOrder.objects.filter(citizen_phone_index=order.citizen_phone_index).filter(pk=order.pk).exists()
    day = timezone.localtime(order.created_at).strftime("%Y%m%d")
    last = WorkOrder.objects.filter(number__startswith=day).order_by("-number").values_list("number", flat=True)[0]
    assert Counter.objects.get(key=f"workorder:{day}").value == int(last[-6:])


def test_the_ledgers_hold_the_year_month_by_month(seeded_db: Any) -> None:
    for indicator in Indicator.objects.filter(frequency="monthly"):
        months = set(IndicatorValue.objects.filter(indicator=indicator, year=2022).values_list("month", flat=True))
        assert months == set(range(1, 13)), indicator.code
    assert IndicatorValue.objects.filter(year=2022, month=0).count() == len(ledger_data.ANNUAL_INDICATORS)
    projects = MajorProject.objects.filter(year=2022)
    assert projects.count() == 33
    for project in projects:
        progress = MajorProjectProgress.objects.filter(project=project).aggregate(total=Sum("month_completed"))
        assert project.annual_completed == progress["total"], project.name
        assert project.annual_completed <= project.total_investment
    assert projects.get(name__startswith="交口煤业").status == "completed"
    assert projects.get(name__startswith="中心养老院").status == "under_construction"
    # A project's history is in its versions: registered, started or completed, its sum moved with each month.
    jiaokou = projects.get(name__startswith="交口煤业")
    assert jiaokou.version > 5
    assert LedgerRowVersion.objects.filter(kind="projects", row_id=jiaokou.pk).count() == jiaokou.version
    houses = SelfBuiltHouse.objects.filter(inspected_on__year=2022)
    assert 36_800 <= houses.count() <= 36_899
    assert houses.values("reporting_unit").distinct().count() == 12
    assert LedgerRowVersion.objects.filter(kind="houses").count() == houses.count()
    assert AuditEvent.objects.filter(action="ledger.write").count() > 200


def test_a_second_run_adds_nothing(seeded_db: Any) -> None:
    before = (
        Case.objects.count(),
        LedgerRowVersion.objects.count(),
        SelfBuiltHouse.objects.count(),
        AuditEvent.objects.filter(action="ledger.write").count(),
    )
    out = StringIO()
    _seed(out, seeded_db["password_file"])
    after = (
        Case.objects.count(),
        LedgerRowVersion.objects.count(),
        SelfBuiltHouse.objects.count(),
        AuditEvent.objects.filter(action="ledger.write").count(),
    )
    assert after == before
    assert "already present; none added" in out.getvalue()
    assert "added:" not in out.getvalue()


def test_the_audit_chain_and_the_statistics_check_out(seeded_db: Any) -> None:
    assert "statistics: rebuilding" in seeded_db["out"]
    report = audit_chain_verify()
    assert report.ok, report.reason
    assert stats_rollup_verify() == []
    assert AuditEvent.objects.filter(action="demo.review_year").count() == 1
