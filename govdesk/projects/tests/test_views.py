"""Staff pages of construction projects: who may open the portfolio and a project (redirect, 403, 404), which projects
a unit's staff see, at-risk projects first, the filters, the counts chart, the project page's facts with the phone
masked, its Gantt (each stage's bar, deadline marker and over-limit state; each approval's), its permits and links.

The fixture, "now" 2026-12-04: project "P1" (type SOCIAL, registered 11-02): stage 1 accepted 11-03, due 11-17, done
11-12 (in time) with approvals A1 (dept A, in time) and B1 (dept B, decided 11-12 against 11-11: late); stage 2
accepted 11-16, due 11-30, still under way (over); stage 3 locked. "P2" (SOCIAL, registered 10-01, at risk, stage 1
open). "P3" (type SMALL, registered 11-20, its one stage led by the street, no approval anywhere else)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from govdesk.org.models import Role
from govdesk.org.tests.factories import UnitFactory, UserFactory, login_verified

from . import factories as f

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SH)


@pytest.fixture
def now() -> Iterator[None]:
    with time_machine.travel(at(12, 4), tick=False):
        yield


@pytest.fixture
def portfolio(district: SimpleNamespace, people: SimpleNamespace, now: None) -> SimpleNamespace:
    a, b, street = district.dept_a, district.dept_b, district.street
    social = f.flow_create(
        "SOCIAL",
        "社会投资项目",
        total=30,
        stages=[
            ("立项用地规划许可", 10, a, [("T-A1", "用地规划许可", a), ("T-B1", "环评审批", b)]),
            ("工程建设许可", 10, a, [("T-A2", "工程规划许可", a)]),
            ("施工许可", 10, a, [("T-A3", "施工许可", a)]),
        ],
    )
    small = f.flow_create("SMALL", "小型低风险项目", total=10, stages=[("一站式办理", 10, street, [])], order=1)
    p1 = f.project_create(social, registered_at=at(11, 2), code="P1", name="滨河小区改造", phone="13812345678")
    package1 = f.stage_apply(p1, 1, accepted_at=at(11, 3), due_at=at(11, 17, 17))
    a1 = f.part_add(package1, social.matters[1][0], accepted_at=at(11, 3), due_at=at(11, 10, 17), decided_at=at(11, 10))
    b1 = f.part_add(package1, social.matters[1][1], accepted_at=at(11, 3), due_at=at(11, 11, 17), decided_at=at(11, 12))
    f.stage_done(p1, 1, done_at=at(11, 12), elapsed_days=7)
    package2 = f.stage_apply(p1, 2, accepted_at=at(11, 16), due_at=at(11, 30, 17))
    a2 = f.part_add(package2, social.matters[2][0], accepted_at=at(11, 16), due_at=at(11, 30, 17))
    f.permit_add(p1, a1, kind="建设用地规划许可证", issued_at=at(11, 10))
    p2 = f.project_create(social, registered_at=at(10, 1), code="P2", name="永宁路综合楼", at_risk=True)
    p3 = f.project_create(small, registered_at=at(11, 20), code="P3", name="街道小仓库")
    centre = UnitFactory(code="LS-ZWFW", name="区政务服务中心", parent=district.gov, accepts_orders=False)
    clerk = UserFactory(username="clerk", roles=[Role.WINDOW_CLERK], unit=centre)
    return SimpleNamespace(p1=p1, p2=p2, p3=p3, a1=a1, b1=b1, a2=a2, package1=package1, clerk=clerk, social=social)


def client_for(user: object) -> Client:
    client = Client()
    login_verified(client, user)  # type: ignore[arg-type]
    return client


def listed(response: object) -> list[str]:
    """Project codes in the list's order."""
    html = response.content.decode()  # type: ignore[attr-defined]
    return [chunk.split('"', 1)[0] for chunk in html.split('<tr id="project-')[1:]]


def test_who_may_open_the_pages(portfolio: SimpleNamespace, people: SimpleNamespace) -> None:
    assert Client().get("/projects/").status_code == 302
    assert Client().get("/projects/P1/").status_code == 302
    for user in (people.operator, people.dispatcher, people.citizen, people.sysadmin):
        assert client_for(user).get("/projects/").status_code == 403
        assert client_for(user).get("/projects/P1/").status_code == 403
    for user in (people.supervisor, people.leader, portfolio.clerk):
        response = client_for(user).get("/projects/")
        assert response.status_code == 200
        assert sorted(listed(response)) == ["P1", "P2", "P3"]
        assert client_for(user).get("/projects/P3/").status_code == 200


def test_a_units_staff_see_the_projects_with_a_stage_or_part_at_their_unit(
    portfolio: SimpleNamespace, people: SimpleNamespace
) -> None:
    # Dept A leads the SOCIAL stages; dept B handles one approval of P1 only; the street leads SMALL's stage.
    assert sorted(listed(client_for(people.handler_a).get("/projects/"))) == ["P1", "P2"]
    assert listed(client_for(people.handler_b).get("/projects/")) == ["P1"]
    assert listed(client_for(people.street_handler).get("/projects/")) == ["P3"]
    # The community is below the street: its handler sees nothing, the street's administrator sees P3.
    assert listed(client_for(people.community_handler).get("/projects/")) == []
    assert listed(client_for(people.street_admin).get("/projects/")) == ["P3"]
    handler_b = client_for(people.handler_b)
    assert handler_b.get("/projects/P1/").status_code == 200
    assert handler_b.get("/projects/P3/").status_code == 403
    assert handler_b.get("/projects/NOPE/").status_code == 404


def test_at_risk_projects_come_first(portfolio: SimpleNamespace, people: SimpleNamespace) -> None:
    response = client_for(people.supervisor).get("/projects/")
    # P2 is the oldest registration but at risk: first, flagged; then the newest first.
    assert listed(response) == ["P2", "P3", "P1"]
    html = response.content.decode()
    assert 'id="project-P2" data-at-risk="1"' in html and 'id="project-P1" data-at-risk="0"' in html
    assert html.count('data-testid="at-risk"') == 1


def test_the_filters(portfolio: SimpleNamespace, people: SimpleNamespace) -> None:
    supervisor = client_for(people.supervisor)
    assert sorted(listed(supervisor.get("/projects/?type=SOCIAL"))) == ["P1", "P2"]
    assert listed(supervisor.get("/projects/?at_risk=1")) == ["P2"]
    assert listed(supervisor.get("/projects/?stage=2")) == ["P1"]  # P1 is under way at stage 2
    assert sorted(listed(supervisor.get("/projects/?stage=1"))) == ["P2", "P3"]  # P1's stage 1 is done
    assert listed(supervisor.get("/projects/?q=永宁")) == ["P2"]
    assert listed(supervisor.get("/projects/?q=p3")) == ["P3"]
    assert listed(supervisor.get("/projects/?unit=LS-RS")) == ["P1"]
    assert listed(supervisor.get("/projects/?status=completed")) == []
    for bad in ("type=NOPE", "status=lost", "stage=x", "stage=99", "unit=NOPE"):
        response = supervisor.get(f"/projects/?{bad}")
        assert response.status_code == 400, bad
        assert 'data-testid="error"' in response.content.decode()


def test_the_counts_chart(portfolio: SimpleNamespace, people: SimpleNamespace) -> None:
    html = client_for(people.supervisor).get("/projects/").content.decode()
    assert 'data-testid="portfolio-chart"' in html
    social = html[html.index('data-type="SOCIAL"') :]
    social = social[: social.index("</g>")]
    # P2 at stage 1, P1 at stage 2: one project each, two in all.
    assert ": 1</title>" in social and social.count("<rect") == 2 and ">2</text>" in social


def test_the_project_page(portfolio: SimpleNamespace, people: SimpleNamespace) -> None:
    response = client_for(people.supervisor).get("/projects/P1/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "滨河小区改造" in html and "社会投资项目" in html and "吕梁测试建设有限公司" in html
    assert "138****5678" in html and "13812345678" not in html
    assert "建设用地规划许可证" in html  # the permit issued for it
    assert f'href="/packages/cases/{portfolio.package1.number}/"' in html
    assert f'href="/applications/{portfolio.b1.number}/"' in html


def test_the_gantt_shows_each_stage_against_its_deadline(portfolio: SimpleNamespace, people: SimpleNamespace) -> None:
    html = client_for(people.supervisor).get("/projects/P1/").content.decode()
    svg = html[html.index('data-testid="gantt"') : html.index("</svg>", html.index('data-testid="gantt"'))]

    def group(marker: str) -> str:
        start = svg.index(marker)
        return svg[start : svg.index("</g>", start)]

    done_in_time = group('data-stage="1"')
    assert 'data-over="0"' in done_in_time and 'class="gantt-bar"' in done_in_time
    assert 'data-deadline="2026-11-17"' in done_in_time and "#1f6fb2" in done_in_time
    over = group('data-stage="2"')
    assert 'data-over="1"' in over and 'data-deadline="2026-11-30"' in over and "#c0392b" in over
    locked = group('data-stage="3"')
    assert "gantt-bar" not in locked and "gantt-deadline" not in locked
    # The approvals: A1 in time, B1 decided a day late, A2 still open past its deadline.
    assert 'data-over="0"' in group(f'data-number="{portfolio.a1.number}"')
    assert 'data-over="1"' in group(f'data-number="{portfolio.b1.number}"')
    assert 'data-over="1"' in group(f'data-number="{portfolio.a2.number}"')
    assert "环评审批 · 区人社局" in svg


def test_a_part_link_only_where_the_viewer_may_open_it(portfolio: SimpleNamespace, people: SimpleNamespace) -> None:
    html = client_for(people.handler_b).get("/projects/P1/").content.decode()
    assert f'href="/applications/{portfolio.b1.number}/"' in html  # their own approval
    assert f'href="/applications/{portfolio.a1.number}/"' not in html  # dept A's


def test_pages_of_thirty_keep_the_filters(portfolio: SimpleNamespace, people: SimpleNamespace) -> None:
    for n in range(30):
        f.project_create(portfolio.social, registered_at=at(9, 1 + n % 28), code=f"EXTRA-{n:02d}")
    supervisor = client_for(people.supervisor)
    first = supervisor.get("/projects/?type=SOCIAL")
    assert len(listed(first)) == 30 and listed(first)[0] == "P2"  # 32 SOCIAL projects, the at-risk one first
    html = first.content.decode()
    assert "1 / 2" in html and 'href="?type=SOCIAL&amp;page=2"' in html
    assert sorted(listed(supervisor.get("/projects/?type=SOCIAL&page=2"))) == ["EXTRA-00", "EXTRA-28"]


def test_the_menu_links_the_portfolio(portfolio: SimpleNamespace, people: SimpleNamespace) -> None:
    def menu(user: object) -> str:
        html = client_for(user).get("/projects/P1/").content.decode()  # the page, or the 403 page: both have the menu
        start = html.index('class="main-nav"')
        return html[start : html.index("</nav>", start)]

    for user in (people.supervisor, people.leader, portfolio.clerk, people.handler_a, people.unit_admin_a):
        assert 'href="/projects/"' in menu(user)
    for user in (people.operator, people.dispatcher, people.citizen):
        assert 'href="/projects/"' not in menu(user)
