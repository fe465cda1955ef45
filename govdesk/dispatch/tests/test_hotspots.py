"""Hotspots: clustering by topic and place, ranking by size and growth, the API and the supervision page."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache

from govdesk.common import clock
from govdesk.dispatch.core.hotspots import HotDoc, hotspots_cluster
from govdesk.workorders import services
from govdesk.workorders.tests.factories import intake

NOW = datetime.fromisoformat("2026-11-20T10:00:00+08:00")

LAMPS = [
    ("滨河北路路灯不亮", "滨河北路三盏路灯一周不亮，晚上很黑。"),
    ("滨河北路路灯坏了", "滨河北路的路灯坏了好几天，行人不安全。"),
    ("滨河北路路灯不亮了", "滨河北路路灯晚上不亮，请修一下。"),
    ("反映滨河北路路灯不亮", "滨河北路路灯不亮已经很久了。"),
    ("滨河北路路灯又不亮", "滨河北路路灯又坏了，晚上看不见路。"),
]
WAGES = [
    ("建筑工地拖欠农民工工资", "工地拖欠二十名农民工工资半年。"),
    ("工地拖欠农民工工资未发", "某工地拖欠农民工工资三个月未发。"),
    ("举报工地拖欠农民工工资", "工地老板拖欠农民工工资不给。"),
]
ONE_OFFS = [
    ("公交车改线没有公告", "12路公交车突然改线。"),
    ("学校门口交通拥堵", "每天放学时段拥堵严重。"),
    ("菜市场油烟扰民", "烧烤摊油烟很大。"),
    ("医保报销比例咨询", "想咨询异地就医报销比例。"),
]


def _doc(key: str, title: str, content: str, days_ago: float, *, current: bool, place: str = "") -> HotDoc:
    return HotDoc(
        key=key, title=title, content=content, place=place, created_at=NOW - timedelta(days=days_ago), current=current
    )


def test_clusters_rank_by_size_and_growth_with_keywords() -> None:
    docs = [_doc(f"L{i}", t, c, 1 + i * 0.1, current=True) for i, (t, c) in enumerate(LAMPS)]
    docs += [_doc(f"W{i}", t, c, 1 + i * 0.1, current=True) for i, (t, c) in enumerate(WAGES)]
    # Wages were bigger before (4 in the previous period): shrinking; lamps are new: growing.
    docs += [_doc(f"PW{i}", t, c, 8 + i * 0.1, current=False) for i, (t, c) in enumerate(WAGES + WAGES[:1])]
    docs += [_doc(f"O{i}", t, c, 2, current=True) for i, (t, c) in enumerate(ONE_OFFS)]
    clusters = hotspots_cluster(docs)
    assert len(clusters) == 2
    lamps, wages = clusters
    assert sorted(docs[i].key for i in lamps.members) == [f"L{i}" for i in range(5)]
    assert (lamps.size, lamps.previous_size, lamps.growth, lamps.score) == (5, 0, 5.0, 10)
    assert (wages.size, wages.previous_size, wages.score) == (3, 4, 3)
    assert wages.growth == pytest.approx(-0.25)
    assert "路灯" in lamps.keywords
    assert "拖欠" in wages.keywords or "工资" in wages.keywords
    assert not set(lamps.keywords) & {"反映", "滨河北路路灯"[:1]}
    # Examples: the most recent current members first.
    assert [docs[i].key for i in lamps.examples] == ["L0", "L1", "L2"]


def test_growth_can_outrank_size() -> None:
    docs = [_doc(f"W{i}", t, c, 1, current=True) for i, (t, c) in enumerate(WAGES + WAGES[:1])]
    docs += [_doc(f"PW{i}", t, c, 8, current=False) for i, (t, c) in enumerate(WAGES * 2)]
    docs += [_doc(f"L{i}", t, c, 1, current=True) for i, (t, c) in enumerate(LAMPS[:3])]
    first, second = hotspots_cluster(docs)
    assert (first.size, first.previous_size) == (3, 0)  # lamps: 3 + 3 growth
    assert (second.size, second.previous_size) == (4, 6)  # wages: 4, shrinking


def test_same_topic_in_two_streets_is_two_hotspots() -> None:
    docs = [_doc(f"A{i}", t, c, 1, current=True, place="滨河街道") for i, (t, c) in enumerate(LAMPS)]
    docs += [_doc(f"B{i}", t, c, 1, current=True, place="城北街道") for i, (t, c) in enumerate(LAMPS[:3] + LAMPS[:1])]
    docs.append(_doc("U", *LAMPS[0], 1, current=True))  # no known street: joins the largest group
    clusters = hotspots_cluster(docs)
    assert [(c.place, c.size) for c in clusters] == [("滨河街道", 6), ("城北街道", 4)]


def test_only_previous_period_clusters_and_odd_texts_are_dropped() -> None:
    docs = [_doc(f"P{i}", t, c, 8, current=False) for i, (t, c) in enumerate(LAMPS)]
    docs += [_doc(f"E{i}", "😀😀", "\x00\x07", 1, current=True) for i in range(4)]
    docs += [_doc(f"X{i}", "", "", 1, current=True) for i in range(4)]
    assert hotspots_cluster(docs) == []
    assert hotspots_cluster([]) == []


# --- API and page -------------------------------------------------------------------------------------------------


@pytest.fixture
def recent_orders(people: SimpleNamespace, categories: SimpleNamespace) -> list[str]:
    cache.clear()
    numbers = []
    for i, (title, content) in enumerate(LAMPS):
        with clock.at(NOW - timedelta(days=1, hours=i)):
            data = intake(categories.facilities, title=title, content=content, address="离石区滨河北路")
            numbers.append(services.workorder_register(actor=people.operator, data=data).number)
    for i, (title, content) in enumerate(WAGES):
        with clock.at(NOW - timedelta(days=9, hours=i)):
            data = intake(categories.wages, title=title, content=content, address="")
            services.workorder_register(actor=people.operator, data=data)
    return numbers


@pytest.mark.django_db
def test_hotspots_api_contract(people: SimpleNamespace, recent_orders: list[str], api_client_for: Any) -> None:
    with clock.at(NOW):
        response = api_client_for(people.supervisor).get("/api/v1/dispatch/hotspots/?days=7")
        longer = api_client_for(people.dispatcher).get("/api/v1/dispatch/hotspots/?days=30")
    assert response.status_code == 200
    (item,) = response.json()
    assert set(item) == {
        "keywords",
        "place",
        "size",
        "previous_size",
        "growth",
        "score",
        "examples",
        "order_numbers",
    }
    assert item["place"] == "滨河街道"
    assert (item["size"], item["previous_size"]) == (5, 0)
    assert sorted(item["order_numbers"]) == sorted(recent_orders)
    assert item["examples"][0] == {"number": recent_orders[0], "title": LAMPS[0][0]}
    assert "路灯" in item["keywords"]
    # Over 30 days the wage orders (9 days ago) are in the current period too.
    assert sorted(h["size"] for h in longer.json()) == [3, 5]


@pytest.mark.django_db
@pytest.mark.parametrize("days", ["0", "91", "-3", "abc", "7.5", "1e3", "%00"])
def test_hotspots_api_rejects_bad_days(people: SimpleNamespace, api_client_for: Any, days: str) -> None:
    response = api_client_for(people.supervisor).get(f"/api/v1/dispatch/hotspots/?days={days}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "days" in response.json()["fields"]


@pytest.mark.django_db
def test_hotspots_api_default_days_and_roles(people: SimpleNamespace, api_client_for: Any) -> None:
    assert api_client_for(people.supervisor).get("/api/v1/dispatch/hotspots/").json() == []
    for user in (people.operator, people.handler_a, people.citizen, people.auditor):
        response = api_client_for(user).get("/api/v1/dispatch/hotspots/")
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert api_client_for(None).get("/api/v1/dispatch/hotspots/").status_code in (401, 403)


@pytest.mark.django_db
def test_supervision_page_shows_hotspots(
    client: Any, people: SimpleNamespace, recent_orders: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client.force_login(people.supervisor)
    with clock.at(NOW):
        monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
        response = client.get("/supervision/?hot_days=7")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="hotspots"' in page
    assert "路灯" in page
    assert recent_orders[0] in page
    assert 'class="hotspot-bar"' in page
    assert "<script>" not in page


@pytest.mark.django_db
def test_supervision_page_survives_a_hotspot_failure(
    client: Any, people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("govdesk.dispatch.hotspots.hotspots_list", broken)
    client.force_login(people.supervisor)
    response = client.get("/supervision/")
    assert response.status_code == 200
    assert 'data-testid="hotspots"' in response.content.decode()
