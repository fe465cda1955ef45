"""The statistics dashboard page: who may open it, the unit administrator's lock, the filter bar, local assets only."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from govdesk.org.models import Role
from govdesk.org.tests.factories import UserFactory, login_verified

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = "/stats/"


def page_for(user: Any, query: str = "") -> Any:
    client = Client()
    login_verified(client, user)  # administrators too: a 403 must come from the role, not the second factor
    return client.get(URL + query)


def json_block(response: Any, element_id: str) -> Any:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', response.content.decode())
    assert match, f"no json_script {element_id}"
    return json.loads(match.group(1))


def test_the_url_is_named_and_mounted() -> None:
    assert reverse("stats:dashboard") == URL


def test_anonymous_visitors_are_sent_to_the_login_page(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("who", ["supervisor", "dispatcher", "leader", "unit_admin_a"])
def test_dashboard_roles_open_the_page(people: Any, who: str) -> None:
    response = page_for(getattr(people, who))
    assert response.status_code == 200
    assert response.templates[0].name == "stats/dashboard.html"
    html = response.content.decode()
    for chart in ("series", "channel", "type", "category", "unit", "street", "status"):
        assert f'id="chart-{chart}"' in html
    assert response["Cache-Control"].startswith("no-cache") or "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "who",
    ["operator", "handler_a", "street_handler", "community_handler", "citizen", "sysadmin", "secadmin", "auditor"],
)
def test_other_roles_are_refused(people: Any, who: str) -> None:
    response = page_for(getattr(people, who))
    assert response.status_code == 403
    assert "stats-config" not in response.content.decode()


def test_a_unit_administrator_without_a_unit_is_refused(district: Any) -> None:
    nobody = UserFactory(username="lost_admin", roles=[Role.UNIT_ADMIN], unit=None)
    assert page_for(nobody).status_code == 403


def test_a_unit_administrator_is_locked_to_their_own_unit(people: Any, district: Any) -> None:
    response = page_for(people.unit_admin_a, f"?unit={district.dept_b.code}")
    assert response.status_code == 200
    config = json_block(response, "stats-config")
    assert config["locked_unit"] == district.dept_a.code
    form = response.context["form"]
    assert form.fields["unit"].disabled
    assert [code for code, _name in form.fields["unit"].choices] == [district.dept_a.code]
    html = response.content.decode()
    select = re.search(r'<select name="unit"[^>]*>.*?</select>', html, re.S)
    assert select and "disabled" in select.group(0) and district.dept_b.name not in select.group(0)
    # The export carries the forced unit, never the one asked for.
    export = re.search(r'id="export-stats"[^>]*href="([^"]+)"', html)
    assert export and f"unit={district.dept_a.code}" in export.group(1) and district.dept_b.code not in export.group(1)


def test_centre_roles_may_choose_any_unit(people: Any, district: Any) -> None:
    response = page_for(people.supervisor, f"?unit={district.dept_b.code}")
    config = json_block(response, "stats-config")
    assert config["locked_unit"] is None
    field = response.context["form"].fields["unit"]
    codes = [code for code, _name in field.choices]
    assert not field.disabled
    assert {district.dept_a.code, district.dept_b.code, district.street.code} <= set(codes)
    assert district.centre.code not in codes and district.gov.code not in codes


def test_the_page_uses_the_vendored_echarts_and_no_external_address(people: Any) -> None:
    html = page_for(people.supervisor).content.decode()
    assert '<script src="/static/vendor/echarts/echarts.min.js" defer></script>' in html
    assert '<script src="/static/stats/dashboard.js" defer></script>' in html
    addresses = re.findall(r'(?:src|href|action)="([^"]*)"', html)
    assert addresses
    external = [a for a in addresses if re.match(r"^(?:[a-z][a-z0-9+.-]*:|//)", a, re.I)]
    assert external == []
    # CSP: the only scripts are files and JSON data blocks.
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)
    assert " on" not in " ".join(re.findall(r"<[a-z]+ [^>]*\son[a-z]+=", html))


def test_the_script_gets_its_urls_and_chinese_labels(people: Any) -> None:
    response = page_for(people.supervisor)
    config = json_block(response, "stats-config")
    assert config["api"] == "/api/v1/stats/overview/"
    assert config["orders"] == reverse("workorders:list")
    assert config["order_detail"].replace("__number__", "20260101000001") == "/orders/20260101000001/"
    assert config["drill"] is True
    assert config["stats_xlsx"].endswith("stats.xlsx")
    assert config["monthly_pdf"].endswith(config["sample_month"] + ".pdf")
    # Every label the script reads is handed over, so the script never shows "undefined".
    labels = json_block(response, "stats-labels")
    script = (Path(__file__).resolve().parents[1] / "static" / "stats" / "dashboard.js").read_text()
    used = set(re.findall(r"\bL\.([a-z_]+)", script)) | {"day", "week", "month"}  # L[granularity]
    assert used and used <= set(labels), used - set(labels)
    assert all(isinstance(text, str) and text for text in labels.values())


def test_a_leader_drills_into_the_order_list_they_may_read(people: Any) -> None:
    assert json_block(page_for(people.leader), "stats-config")["drill"] is True


@time_machine.travel(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_the_default_period_is_the_last_30_days_and_presets_fill_the_dates(people: Any) -> None:
    response = page_for(people.supervisor)
    form = response.context["form"]
    assert form.data["period"] == "30d"
    assert (form.data["date_from"], form.data["date_to"]) == ("2026-10-28", "2026-11-26")
    presets = json_block(response, "stats-config")["presets"]
    assert presets["week"] == ["2026-11-23", "2026-11-26"]  # Monday to today
    assert presets["month"] == ["2026-11-01", "2026-11-26"]
    assert presets["last_month"] == ["2026-10-01", "2026-10-31"]
    assert presets["90d"] == ["2026-08-29", "2026-11-26"]
    assert presets["year"] == ["2026-01-01", "2026-11-26"]
    last_month = page_for(people.supervisor, "?period=last_month").context["form"].data
    assert (last_month["date_from"], last_month["date_to"]) == ("2026-10-01", "2026-10-31")
    # The monthly report defaults to the last complete month.
    assert response.context["month"] == "2026-10"
    assert "2026-10.pdf" in response.context["monthly_pdf"]


@time_machine.travel(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_dates_that_match_no_preset_are_custom(people: Any) -> None:
    form = page_for(people.supervisor, "?period=week&date_from=2026-11-01&date_to=2026-11-10").context["form"]
    assert form.data["period"] == "custom"
    html = page_for(people.supervisor, "?date_from=2026-11-01&date_to=2026-11-10").content.decode()
    assert 'value="2026-11-01"' in html and 'value="2026-11-10"' in html


@pytest.mark.parametrize(
    "query", ["?date_from=2026-11-10&date_to=2026-11-01", "?date_from=2026-13-45", "?channel=fax", "?period=decade"]
)
def test_bad_filters_answer_400_with_a_message_not_500(people: Any, query: str) -> None:
    response = page_for(people.supervisor, query)
    assert response.status_code == 400
    assert response.context["form"].errors


def test_the_navigation_links_the_dashboard_for_its_roles_only(people: Any) -> None:
    link = f'href="{URL}"'
    for who in ("supervisor", "dispatcher", "leader", "unit_admin_a"):
        client = Client()
        client.force_login(getattr(people, who))
        assert link in client.get("/stats/").content.decode(), who
    client = Client()
    client.force_login(people.operator)
    assert link not in client.get("/orders/").content.decode()
