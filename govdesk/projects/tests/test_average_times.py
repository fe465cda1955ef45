"""平均审批用时: the average working days per project type and per stage of the stages and projects done in a period,
against a hand count, and the statistics dashboard's `?kind=project` that shows them.

November 2026, by hand (local days, Asia/Shanghai):
- SOCIAL stage 1 done in November: X 7 days (11-12), Y 4 (11-20), V 6 (11-30 23:30, the last evening): 17/3 = 5.67,
  longest 7. Not counted: Z 9 (done 10-31 23:30, October), W 2 (done 12-01 00:30, December), U (under way).
- SOCIAL stage 2 done in November: X 10 (11-28): 10.00.
- SOCIAL projects completed in November: X 17 days (11-28), Y 20 (11-30 23:00): 18.50; W completed 12-01 00:30 not.
- SMALL: its one stage done by S in November, 3 days; no project completed: average None.
- Totals: 5 stages done; 2 projects completed, 18.50 days on average.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
import time_machine
from django.test import Client

from govdesk.org.tests.factories import login_verified
from govdesk.projects.portfolio_selectors import project_average_times

from .time_fixtures import NOVEMBER, at, month

pytestmark = pytest.mark.django_db
__all__ = ["month"]  # fixture


def test_the_averages_equal_the_hand_count(month: SimpleNamespace) -> None:
    figures = project_average_times(start=NOVEMBER[0], end=NOVEMBER[1])
    stages = {(r["type"], r["no"]): r for r in figures["by_stage"]}
    assert (stages["SOCIAL", 1]["done"], stages["SOCIAL", 1]["avg_days"], stages["SOCIAL", 1]["max_days"]) == (
        3,
        5.67,
        7,
    )
    assert (stages["SOCIAL", 2]["done"], stages["SOCIAL", 2]["avg_days"]) == (1, 10.0)
    assert stages["SOCIAL", 2]["limit_days"] == 15 and stages["SOCIAL", 1]["name"] == "立项用地规划许可"
    assert (stages["SMALL", 1]["done"], stages["SMALL", 1]["avg_days"]) == (1, 3.0)
    types = {r["type"]: r for r in figures["by_type"]}
    assert (types["SOCIAL"]["completed"], types["SOCIAL"]["avg_days"], types["SOCIAL"]["max_days"]) == (2, 18.5, 20)
    assert (types["SMALL"]["completed"], types["SMALL"]["avg_days"]) == (0, None)
    assert figures["totals"] == {"stages_done": 5, "projects_completed": 2, "avg_project_days": 18.5}


def test_one_type_and_another_period(month: SimpleNamespace) -> None:
    small = project_average_times(start=NOVEMBER[0], end=NOVEMBER[1], type="SMALL")
    assert [r["type"] for r in small["by_type"]] == ["SMALL"]
    assert [(r["type"], r["no"]) for r in small["by_stage"]] == [("SMALL", 1)]
    december = project_average_times(start=date(2026, 12, 1), end=date(2026, 12, 31))
    assert december["totals"] == {"stages_done": 1, "projects_completed": 1, "avg_project_days": 2.0}
    october = project_average_times(start=date(2026, 10, 1), end=date(2026, 10, 31))
    stages = {(r["type"], r["no"]): r for r in october["by_stage"]}
    assert (stages["SOCIAL", 1]["done"], stages["SOCIAL", 1]["avg_days"]) == (1, 9.0)


def test_the_dashboard_shows_them(month: SimpleNamespace, people: SimpleNamespace) -> None:
    query = "/stats/?kind=project&date_from=2026-11-01&date_to=2026-11-30"
    with time_machine.travel(at(12, 4), tick=False):
        for user in (people.supervisor, people.leader, people.unit_admin_a):
            client = Client()
            login_verified(client, user)
            response = client.get(query)
            assert response.status_code == 200
            html = response.content.decode()
            assert 'data-testid="project-stats"' in html and 'data-testid="project-stage-days"' in html
            row = html[html.index('data-key="SOCIAL-1"') :]
            row = row[: row.index("</tr>")]
            assert ">3<" in row and ">5.67<" in row and ">10<" in row  # done, average, limit
            by_type = html[html.index('data-key="SOCIAL"') :]
            assert ">18.5<" in by_type[: by_type.index("</tr>")]
        client = Client()
        login_verified(client, people.supervisor)
        assert client.get("/stats/?kind=project&date_from=2026-11-30&date_to=2026-11-01").status_code == 400
        assert client.get("/stats/?kind=project&date_from=2026-11-01").status_code == 400
        assert client.get("/stats/?kind=project&type=NOPE").status_code == 400
        assert client.get("/stats/?kind=project&period=month").status_code == 200
        for user in (people.handler_a, people.citizen):
            client = Client()
            login_verified(client, user)
            assert client.get(query).status_code == 403
