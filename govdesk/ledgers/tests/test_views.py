"""The ledger pages: who may open each (redirect, 403, 404), what a unit's staff see (their unit's rows; another
unit's rows and row pages are 404), the index's counts and monthly chart, the rows page's filters, pages, bad
parameters (4xx, never 500) and xlsx download (read back), a row's versions with what changed and its source linked
to the report, and the office's upload: dry run (nothing written), confirmation (written once), refusals."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from openpyxl import load_workbook

from govdesk.audit.models import AuditEvent
from govdesk.ledgers.kinds import ledger_kind_get
from govdesk.ledgers.models import MajorProject, ToiletRenovation
from govdesk.ledgers.selectors import ledger_rows
from govdesk.ledgers.services import ledger_rows_write
from govdesk.ledgers.xlsx import ledger_workbook
from govdesk.org.tests.factories import login_verified

from .xlsx_fixtures import YEAR

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def client_for(user: Any) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages are matched in English here
    login_verified(client, user)
    return client


def get(user: Any, url: str) -> Any:
    client = client_for(user) if user is not None else Client()
    return client.get(url)


def toilet_of(village: str, month: int = 3) -> ToiletRenovation:
    return ToiletRenovation.objects.get(village=village, month=month)


def row_ids(response: Any) -> list[int]:
    html = response.content.decode()
    return [int(chunk.split('"', 1)[0]) for chunk in html.split('<tr id="row-')[1:]]


@pytest.fixture
def pages(ledger_rows_2022: SimpleNamespace) -> SimpleNamespace:
    east = toilet_of("东村")
    project = MajorProject.objects.get(name="交口煤业技改")
    return SimpleNamespace(
        index="/ledgers/",
        toilets=f"/ledgers/toilets/?year={YEAR}",
        east=f"/ledgers/toilets/{east.pk}/",
        project=f"/ledgers/projects/{project.pk}/",
        upload="/ledgers/toilets/upload/",
        east_row=east,
    )


# Roles ----------------------------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login(pages: SimpleNamespace) -> None:
    for url in (pages.index, pages.toilets, pages.east, pages.upload):
        response = get(None, url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


@pytest.mark.parametrize("who", ["citizen", "operator", "dispatcher", "auditor"])
def test_other_roles_are_refused(pages: SimpleNamespace, people: SimpleNamespace, who: str) -> None:
    for url in (pages.index, pages.toilets, pages.east, pages.upload):
        assert get(getattr(people, who), url).status_code == 403


@pytest.mark.parametrize("who", ["supervisor", "leader"])
def test_office_and_leaders_read_everything(pages: SimpleNamespace, people: SimpleNamespace, who: str) -> None:
    user = getattr(people, who)
    assert get(user, pages.index).status_code == 200
    assert len(row_ids(get(user, pages.toilets))) == 3
    assert get(user, pages.east).status_code == 200
    assert get(user, pages.project).status_code == 200


def test_only_the_office_uploads(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    assert get(people.supervisor, pages.upload).status_code == 200
    for who in ("leader", "street_handler", "street_admin"):
        assert get(getattr(people, who), pages.upload).status_code == 403
    response = client_for(people.leader).post(pages.upload + "confirm/", {"token": "x"})
    assert response.status_code == 403
    assert 'href="/ledgers/toilets/upload/"' in get(people.supervisor, pages.toilets).content.decode()
    assert "/upload/" not in get(people.leader, pages.toilets).content.decode()


def test_a_units_staff_see_their_own_units_rows_only(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    """The toilets were reported by the street; the projects imported by the office (no unit)."""
    street_rows = {row.pk for row in ToiletRenovation.objects.all()}
    for who in ("street_handler", "street_admin"):
        user = getattr(people, who)
        assert set(row_ids(get(user, pages.toilets))) == street_rows
        assert get(user, pages.east).status_code == 200
        assert row_ids(get(user, f"/ledgers/projects/?year={YEAR}")) == []
        assert get(user, pages.project).status_code == 404
    for who in ("handler_a", "unit_admin_a"):
        user = getattr(people, who)
        assert row_ids(get(user, pages.toilets)) == []
        assert get(user, pages.east).status_code == 404
        # Asking for the street's rows by name: they do not exist for this unit.
        assert get(user, pages.toilets + "&unit=LS-BH").status_code == 404


def test_navigation_entry(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    for who in ("supervisor", "leader", "street_handler"):
        assert 'href="/ledgers/"' in get(getattr(people, who), "/ledgers/toilets/").content.decode()
    home = client_for(people.citizen).get("/")
    assert 'href="/ledgers/"' not in home.content.decode()


# The index ------------------------------------------------------------------------------------------------------


def test_index_counts_and_monthly_chart(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    html = get(people.supervisor, f"/ledgers/?year={YEAR}").content.decode()
    for kind in ("projects", "project_progress", "indicators", "houses", "contracts", "toilets", "roads", "parks"):
        assert f'id="ledger-{kind}"' in html
    assert 'id="ledger-toilets" data-count="3"' in html
    assert 'id="ledger-projects" data-count="2"' in html
    # Toilets completed: March 4 + 8, April 6.
    chart = html.split('data-testid="chart-toilets"', 1)[1].split("</svg>", 1)[0]
    assert 'data-month="3" data-value="12"' in chart
    assert 'data-month="4" data-value="6"' in chart
    assert 'data-month="5"' not in chart
    assert 'data-testid="total-toilets">18<' in html
    # Another year: nothing, no chart.
    html = get(people.supervisor, "/ledgers/?year=2021").content.decode()
    assert 'id="ledger-toilets" data-count="0"' in html and "chart-toilets" not in html


def test_pages_open_on_the_latest_year_the_viewer_has_rows_of(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    # The fixture's rows are of 2022, years before the clock's: without ?year= the pages show 2022, not an empty year.
    html = get(people.supervisor, "/ledgers/").content.decode()
    assert 'id="ledger-toilets" data-count="3"' in html
    assert len(row_ids(get(people.supervisor, "/ledgers/toilets/"))) == 3
    # A unit without rows of its own falls back to the current year (and sees nothing of the others' 2022).
    assert row_ids(get(people.handler_a, "/ledgers/toilets/")) == []


def test_index_for_a_unit_counts_its_rows_only(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    html = get(people.handler_a, f"/ledgers/?year={YEAR}").content.decode()
    assert 'id="ledger-toilets" data-count="0"' in html


@pytest.mark.parametrize("year", ["abc", "1999", "2101", "-1", "9" * 20, "²⁰²²", "２０２２"])
def test_index_bad_year_is_400(pages: SimpleNamespace, people: SimpleNamespace, year: str) -> None:
    assert get(people.supervisor, f"/ledgers/?year={year}").status_code == 400


# The rows page --------------------------------------------------------------------------------------------------


def test_rows_filters(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    user = people.supervisor
    assert len(row_ids(get(user, pages.toilets))) == 3
    assert row_ids(get(user, pages.toilets + "&month=4")) == [toilet_of("东村", 4).pk]
    assert len(row_ids(get(user, pages.toilets + "&unit=LS-BH"))) == 3
    assert row_ids(get(user, pages.toilets + "&unit=LS-ZJ")) == []
    assert row_ids(get(user, "/ledgers/toilets/?year=2021")) == []
    html = get(user, pages.toilets).content.decode()
    assert '<th scope="col">完成（座）</th>' in html
    assert f'href="/ledgers/toilets/{pages.east_row.pk}/"' in html


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("year=abc", 400),
        ("year=%C2%B2", 400),
        ("year=1800", 400),
        ("month=13", 400),
        ("month=0", 400),
        ("month=x", 400),
        ("unit=NOPE", 400),
        ("page=abc", 400),
        ("page=0", 400),
        ("page=99", 404),
        ("format=pdf", 400),
    ],
)
def test_rows_bad_parameters_are_4xx(pages: SimpleNamespace, people: SimpleNamespace, query: str, status: int) -> None:
    assert get(people.supervisor, f"/ledgers/toilets/?{query}").status_code == status


def test_indicators_allow_the_annual_month_zero(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    response = get(people.supervisor, f"/ledgers/indicators/?year={YEAR}&month=0")
    assert response.status_code == 200
    assert len(row_ids(response)) == 1


def test_unknown_ledger_is_404(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    for url in ("/ledgers/nope/", "/ledgers/nope/1/", "/ledgers/nope/upload/"):
        assert get(people.supervisor, url).status_code == 404


def test_rows_are_paginated(sample_definitions: Any, people: SimpleNamespace) -> None:
    rows = [
        {"month": 1, "township": "滨河街道", "village": f"村{n:03d}", "planned": 1, "completed": 1} for n in range(60)
    ]
    ledger_rows_write(kind="toilets", rows=rows, actor=None, source="demo", year=YEAR)
    first = row_ids(get(people.supervisor, "/ledgers/toilets/?year=2022"))
    second = row_ids(get(people.supervisor, "/ledgers/toilets/?year=2022&page=2"))
    assert (len(first), len(second)) == (50, 10)
    assert not set(first) & set(second)


def test_xlsx_download_is_the_template_with_the_rows(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    response = get(people.supervisor, pages.toilets + "&month=3&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert 'filename="toilets-2022-03.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["农村户厕改造"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=3)] == [
        [3, "滨河街道", "东村", 10, 4],
        [3, "滨河街道", "西村", 8, 8],
        ["合计", None, None, 18, 12],
    ]
    assert dict(book["_govdesk"].iter_rows(values_only=True))["month"] == 3


def test_a_units_download_holds_its_rows_and_names_its_unit(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    book = load_workbook(io.BytesIO(get(people.street_handler, pages.toilets + "&format=xlsx").content))
    assert dict(book["_govdesk"].iter_rows(values_only=True))["unit"] == "LS-BH"
    assert book["农村户厕改造"].max_row == 6  # title, header, 3 rows, 合计
    book = load_workbook(io.BytesIO(get(people.handler_a, pages.toilets + "&format=xlsx").content))
    assert book["农村户厕改造"].max_row == 3  # nothing of the street's


# One row --------------------------------------------------------------------------------------------------------


def test_row_page_shows_fields_versions_changes_and_the_report_link(
    pages: SimpleNamespace, people: SimpleNamespace, district: Any
) -> None:
    changed = [{"month": 3, "township": "滨河街道", "village": "东村", "planned": 10, "completed": 9}]
    ledger_rows_write(
        kind="toilets",
        rows=changed,
        actor=people.supervisor,
        source="report:TB2022000007",
        year=YEAR,
        month=3,
        unit=district.street,
        notes={1: "验收集中完成"},
    )
    response = get(people.supervisor, pages.east)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/reporting/TB2022000007/"' in html
    assert 'id="version-2"' in html and 'id="version-1"' in html
    version2 = html.split('id="version-2"', 1)[1].split('id="version-1"', 1)[0]
    assert '<tr class="change"><td>完成（座）</td><td>4</td><td>9</td></tr>' in version2
    assert "计划（座）" not in version2  # unchanged fields are not listed
    assert "验收集中完成" in version2
    assert "Demo data" in html.split('id="version-1"', 1)[1]


def test_first_version_lists_every_field_as_people_read_it(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    """References stored by id are shown by name, choices by label, flags as yes/no, zeros as zeros."""
    html = get(people.supervisor, pages.project).content.decode()
    version1 = html.split('id="version-1"', 1)[1]
    assert '<tr class="change"><td>责任单位</td><td>—</td><td>区住建局</td></tr>' in version1
    assert '<tr class="change"><td>是否重点项目</td><td>—</td><td>yes</td></tr>' in version1
    assert '<tr class="change"><td>项目状态</td><td>—</td><td>Under construction</td></tr>' in version1
    assert '<tr class="change"><td>Year</td><td>—</td><td>2022</td></tr>' in version1
    progress = get(people.supervisor, f"/ledgers/project_progress/?year={YEAR}")
    first = row_ids(progress)[0]
    html = get(people.supervisor, f"/ledgers/project_progress/{first}/").content.decode()
    assert "<td>项目名称</td><td>—</td><td>交口煤业技改</td>" in html


def test_row_page_of_a_missing_or_void_row(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    from govdesk.ledgers.services import ledger_row_void

    assert get(people.supervisor, "/ledgers/toilets/999999/").status_code == 404
    assert get(people.supervisor, "/ledgers/toilets/" + "9" * 30 + "/").status_code == 404
    ledger_row_void(kind="toilets", row_id=pages.east_row.pk, actor=people.supervisor, reason="重复填报")
    html = get(people.supervisor, pages.east).content.decode()
    assert 'data-testid="void"' in html
    assert pages.east_row.pk not in row_ids(get(people.supervisor, pages.toilets))


# Upload ---------------------------------------------------------------------------------------------------------


def _export(kind: str = "toilets", **period: Any) -> bytes:
    ledger = ledger_kind_get(kind)
    return ledger_workbook(ledger, year=YEAR, rows=ledger_rows(kind, year=YEAR, **period), **period)


def _upload(client: Client, data: bytes, name: str = "toilets.xlsx") -> Any:
    upload = io.BytesIO(data)
    upload.name = name
    return client.post("/ledgers/toilets/upload/", {"file": upload})


def _edited(data: bytes, cells: dict[str, Any]) -> bytes:
    book = load_workbook(io.BytesIO(data))
    for ref, value in cells.items():
        book["农村户厕改造"][ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_upload_dry_run_then_confirm(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    client = client_for(people.supervisor)
    data = _edited(_export(month=3), {"E3": 5, "E5": 13})  # 东村 March: 5 done now; the 合计 follows
    response = _upload(client, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 rows: 0 would be created, 1 updated, 1 unchanged." in html
    assert toilet_of("东村").completed == 4  # a dry run writes nothing
    token = html.split('name="token" value="', 1)[1].split('"', 1)[0]
    assert AuditEvent.objects.filter(action="ledger.upload_check", success=True).count() == 1

    # Someone else cannot confirm it.
    other = client_for(people.leader)
    assert other.post("/ledgers/toilets/upload/confirm/", {"token": token}).status_code == 403
    response = client.post("/ledgers/toilets/upload/confirm/", {"token": token})
    assert response.status_code == 302
    assert response["Location"] == "/ledgers/toilets/"
    east = toilet_of("东村")
    assert (east.completed, east.version) == (5, 2)
    assert east.source.startswith("import:")
    # The token is spent.
    assert client.post("/ledgers/toilets/upload/confirm/", {"token": token}).status_code == 404
    assert client.post("/ledgers/projects/upload/confirm/", {"token": token}).status_code == 404


def test_upload_with_errors_lists_them_and_offers_no_confirmation(
    pages: SimpleNamespace, people: SimpleNamespace
) -> None:
    client = client_for(people.supervisor)
    response = _upload(client, _edited(_export(month=3), {"E3": "5座", "D4": "八"}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Sheet &quot;农村户厕改造&quot;, row 3, column &quot;完成（座）&quot;" in html
    assert "Sheet &quot;农村户厕改造&quot;, row 4, column &quot;计划（座）&quot;" in html
    assert 'name="token"' not in html
    assert toilet_of("东村").completed == 4
    assert AuditEvent.objects.filter(action="ledger.upload_check", success=False).count() == 1


def test_upload_of_another_ledgers_template_is_refused(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    response = _upload(client_for(people.supervisor), _export("projects"))
    assert response.status_code == 400
    assert "the template of the ledger &quot;重大项目台账&quot;" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("toilets.xlsx", b"", "The file is empty."),
        ("toilets.csv", b"a,b", "Upload the ledger&#x27;s Excel template (.xlsx)."),
        ("toilets.xlsx", b"PK\x03\x04broken", "Upload the ledger&#x27;s Excel template (.xlsx)."),
    ],
)
def test_upload_of_a_bad_file_is_400(
    pages: SimpleNamespace, people: SimpleNamespace, name: str, data: bytes, message: str
) -> None:
    response = _upload(client_for(people.supervisor), data, name)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_upload_without_a_file_or_with_a_bad_token(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    client = client_for(people.supervisor)
    assert client.post("/ledgers/toilets/upload/", {}).status_code == 400
    assert client.post("/ledgers/toilets/upload/confirm/", {"token": "nope"}).status_code == 404
    assert client.post("/ledgers/toilets/upload/confirm/", {}).status_code == 404
    assert client.get("/ledgers/toilets/upload/confirm/").status_code == 405


def test_a_confirmation_is_checked_again(pages: SimpleNamespace, people: SimpleNamespace) -> None:
    """The ledger changed between the dry run and the confirmation (the project the progress names was withdrawn):
    the confirmation writes nothing, names the row, and the refusal is audited."""
    from govdesk.common.errors import ValidationFailed
    from govdesk.ledgers.models import MajorProjectProgress
    from govdesk.ledgers.services import ledger_row_void
    from govdesk.ledgers.uploads import ledger_upload_apply, ledger_upload_check

    kind = ledger_kind_get("project_progress")
    rows = [{"project": "交口煤业技改", "month": 5, "month_completed": "100"}]
    data = ledger_workbook(kind, year=YEAR, month=5, rows=rows)
    check = ledger_upload_check(kind, actor=people.supervisor, name="progress.xlsx", data=data)
    assert check.errors == [] and check.token
    assert check.counts is not None and (check.counts.created, check.counts.updated) == (1, 0)
    project = MajorProject.objects.get(name="交口煤业技改")
    for progress in MajorProjectProgress.objects.filter(project=project):
        ledger_row_void(kind="project_progress", row_id=progress.pk, actor=people.supervisor, reason="重报")
    ledger_row_void(kind="projects", row_id=project.pk, actor=people.supervisor, reason="项目取消")
    with pytest.raises(ValidationFailed) as refused:
        ledger_upload_apply(kind, actor=people.supervisor, token=check.token)
    assert any("第 3 行" in message or "row 3" in message for message in refused.value.fields["file"])
    assert not MajorProjectProgress.objects.filter(month=5).exists()
    assert AuditEvent.objects.filter(action="ledger.upload_apply", success=False).count() == 1
