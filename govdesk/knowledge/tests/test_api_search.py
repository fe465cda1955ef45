"""GET /api/v1/knowledge/: the contract's keys, published and valid articles only, guides, validation, anonymous
clients and their rate, and a publication searchable at the very next query."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from govdesk.knowledge import services
from govdesk.knowledge.search import knowledge_search, knowledge_search_reset
from govdesk.knowledge.tests.factories import draft_revision, published_article, republished, submitted_revision
from govdesk.matters.tests.helpers import make_matter

pytestmark = pytest.mark.django_db

URL = "/api/v1/knowledge/"
CONTRACT_KEYS = {"id", "title", "answer", "score", "code", "kind", "passage", "highlights", "unit", "url"}
WATER_ANSWER = (
    "因供水管网改造，滨河街道部分小区将临时停水。停水期间请到小区门口的临时供水点取水，恢复供水后如水质发黄请放水片刻。"
)


@pytest.fixture(autouse=True)
def _fresh_rate_counts() -> None:
    # The anonymous rate counts live in the cache, which outlives a test's rolled-back transaction.
    cache.clear()


def search(client: APIClient | None = None, **params: Any) -> Any:
    return (client or APIClient()).get(URL, params)


def keys_of(response: Any) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


def test_a_result_has_the_contracts_keys_and_values(district: SimpleNamespace, people: SimpleNamespace) -> None:
    article = published_article(unit=district.street, title="小区停水什么时候恢复", answer=WATER_ANSWER)
    response = search(q="我家小区没水了，什么时候能来水")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert set(row) >= CONTRACT_KEYS
    assert set(row) - CONTRACT_KEYS == {"valid_to"}  # the one additive key (the console shows it)
    assert row["id"] == article.pk and isinstance(row["id"], int)
    assert row["code"] == article.code and row["code"].startswith("ZS")
    assert row["kind"] == "article"
    assert row["title"] == "小区停水什么时候恢复"
    assert row["answer"] == WATER_ANSWER
    assert row["unit"] == district.street.name
    assert row["url"] == reverse("knowledge:public_detail", args=[article.code])
    assert row["valid_to"] is None
    assert 0 < row["score"] <= 1
    assert len(row["passage"]) <= 120 and row["passage"] in WATER_ANSWER
    marked = [row["passage"][start:end] for start, end in row["highlights"]]
    # The caller said 没水; the answer says 停水 (a synonym), and that is what is marked.
    assert "停水" in marked


def test_guides_are_found_with_a_null_id_and_the_matter_code(
    district: SimpleNamespace, people: SimpleNamespace
) -> None:
    make_matter(district.dept_a, code="141102-01-SJ-0009", name="食品经营许可（新办）")
    published_article(unit=district.dept_a, title="开饭店要办什么证", answer="开办餐饮店需办理食品经营许可证。")
    response = search(q="开饭店要办食品经营许可吗")
    rows = {row["kind"]: row for row in response.json()["results"]}
    assert set(rows) == {"article", "guide"}
    guide = rows["guide"]
    assert guide["id"] is None
    assert guide["code"] == "141102-01-SJ-0009"
    assert guide["title"] == "食品经营许可（新办）"
    assert guide["url"] == reverse("matters:guide_detail", args=["141102-01-SJ-0009"])
    assert "申请书" in guide["answer"]  # the materials are part of a guide's text
    assert [row["kind"] for row in search(q="食品经营许可", kind="guide").json()["results"]] == ["guide"]
    assert [row["kind"] for row in search(q="食品经营许可", kind="article").json()["results"]] == ["article"]


def test_only_published_valid_articles_are_found(district: SimpleNamespace, people: SimpleNamespace) -> None:
    today = timezone.localdate()
    words = {"answer": "办理居住证请携带身份证和租房合同到派出所。"}
    shown = published_article(unit=district.dept_a, title="居住证怎么办理", **words)
    draft = draft_revision(unit=district.dept_a, title="居住证怎么办理（草稿）", **words)
    submitted = submitted_revision(unit=district.dept_b, title="居住证怎么办理（待审）", **words)
    withdrawn = published_article(unit=district.dept_b, title="居住证怎么办理（撤下）", **words)
    services.knowledge_article_withdraw(article=withdrawn, actor=people.supervisor, note="政策已调整")
    expiring = published_article(
        unit=district.street, title="居住证怎么办理（将到期）", valid_to=today + timedelta(days=2), **words
    )
    future = published_article(
        unit=district.street, title="居住证怎么办理（未生效）", valid_from=today + timedelta(days=10), **words
    )
    query: dict[str, Any] = {"q": "居住证怎么办理", "limit": 20}
    found = keys_of(search(**query))
    assert shown.code in found and expiring.code in found
    for hidden in (draft.article.code, submitted.article.code, withdrawn.code, future.code):
        assert hidden not in found
    with time_machine.travel(timezone.now() + timedelta(days=5)):
        later = keys_of(search(**query))
    assert shown.code in later
    assert expiring.code not in later  # expired in the meantime: the same index, filtered by the day
    with time_machine.travel(timezone.now() + timedelta(days=11)):
        assert future.code in keys_of(search(**query))


def test_a_publication_is_searchable_at_the_next_query(district: SimpleNamespace, people: SimpleNamespace) -> None:
    assert search(q="养老金什么时候发放").json()["results"] == []
    article = published_article(unit=district.dept_b, title="养老金什么时候发放", answer="养老金每月15日前发放到账。")
    assert keys_of(search(q="养老金什么时候发放")) == [article.code]
    republished(article, title="医保卡丢了怎么补办", answer="医保卡遗失请到社保服务大厅挂失补办。")
    assert keys_of(search(q="医保卡丢了怎么补办")) == [article.code]
    assert search(q="养老金什么时候发放").json()["results"] == []
    services.knowledge_article_withdraw(article=article, actor=people.supervisor, note="合并到其他条目")
    assert search(q="医保卡丢了怎么补办").json()["results"] == []


def test_an_unchanged_base_answers_from_the_cached_index(
    district: SimpleNamespace, people: SimpleNamespace, django_assert_max_num_queries: Any
) -> None:
    published_article(unit=district.dept_b, title="失业金怎么领取", answer="失业保险金请到人社局窗口申领。")
    assert len(search(q="失业金怎么领").json()["results"]) == 1
    # Only the freshness stamp is read: the index is not rebuilt for an unchanged base.
    with django_assert_max_num_queries(2):
        assert len(search(q="失业金怎么领").json()["results"]) == 1


def test_limit_defaults_to_five_and_goes_up_to_twenty(district: SimpleNamespace, people: SimpleNamespace) -> None:
    for n in range(7):
        published_article(unit=district.dept_a, title=f"物业费收费标准问题{n}", answer=f"物业费标准第{n}条说明。")
    assert len(search(q="物业费收费标准").json()["results"]) == 5
    assert len(search(q="物业费收费标准", limit=20).json()["results"]) == 7
    assert len(search(q="物业费收费标准", limit=1).json()["results"]) == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "停水" * 251}, "q"),
        ({"q": "停水\x00"}, "q"),
        ({"q": "停\x07水"}, "q"),
        ({"q": "停水", "limit": "0"}, "limit"),
        ({"q": "停水", "limit": "21"}, "limit"),
        ({"q": "停水", "limit": "many"}, "limit"),
        ({"q": "停水", "kind": "order"}, "kind"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(people: SimpleNamespace, params: dict, field: str) -> None:
    response = search(**params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]
    assert body["message"]


def test_a_question_of_500_characters_with_line_breaks_is_accepted(
    district: SimpleNamespace, people: SimpleNamespace
) -> None:
    published_article(unit=district.street, title="小区停水什么时候恢复", answer=WATER_ANSWER)
    question = ("停水\n什么时候恢复\t" * 50)[:500]
    response = search(q=question)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_anonymous_and_signed_in_clients_may_search(
    district: SimpleNamespace, people: SimpleNamespace, api_client_for: Any
) -> None:
    article = published_article(
        unit=district.dept_a, title="违章建筑怎么举报", answer="违法建设请向街道综合执法队举报。"
    )
    for client in (APIClient(), api_client_for(people.operator), api_client_for(people.citizen)):
        response = search(client, q="邻居私搭乱建怎么举报")
        assert response.status_code == 200
        assert keys_of(response) == [article.code]


def test_anonymous_clients_are_rate_limited_and_staff_are_not(
    district: SimpleNamespace, people: SimpleNamespace, api_client_for: Any, settings: Any
) -> None:
    settings.GOVDESK = {**settings.GOVDESK, "KNOWLEDGE_API_ANON_RATE": "2/min"}
    anonymous = APIClient()
    assert [search(anonymous, q="停水").status_code for _ in range(3)] == [200, 200, 429]
    refused = search(anonymous, q="停水").json()
    assert refused["code"] == "throttled"
    operator = api_client_for(people.operator)
    assert {search(operator, q="停水").status_code for _ in range(4)} == {200}


def test_the_openapi_schema_documents_the_search_and_its_results(tmp_path: Any) -> None:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text(encoding="utf-8"))
    operation = schema["paths"]["/api/v1/knowledge/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["q"]["required"] is True
    assert parameters["limit"]["schema"]["maximum"] == 20
    assert set(parameters["kind"]["schema"]["enum"]) == {"article", "guide"}
    assert {"200", "400", "429"} <= set(operation["responses"])
    result = schema["components"]["schemas"]["KnowledgeResult"]
    assert set(result["properties"]) >= CONTRACT_KEYS
    assert result["properties"]["id"]["nullable"] is True


def test_building_the_index_reads_a_fixed_number_of_queries(district: SimpleNamespace, people: SimpleNamespace) -> None:
    def build_queries() -> int:
        knowledge_search_reset()
        with CaptureQueriesContext(connection) as captured:
            assert knowledge_search("食品经营许可 物业费")
        return len(captured)

    published_article(unit=district.dept_a, title="物业费怎么收", answer="物业费按合同约定收取。")
    make_matter(district.dept_a, code="141102-01-SJ-0001", name="食品经营许可（新办）")
    few = build_queries()
    for n in range(3):
        published_article(unit=district.dept_b, title=f"物业费标准{n}", answer=f"物业费第{n}条。")
    make_matter(district.dept_b, code="141102-01-SJ-0002", name="食品经营许可（变更）")
    make_matter(district.street, code="141102-01-SJ-0003", name="食品经营许可（延续）")
    assert build_queries() == few  # no query per article or guide
