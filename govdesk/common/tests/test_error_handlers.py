from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_unknown_api_path_is_json_404(client: Any) -> None:
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_page_is_html_404(client: Any) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_oversized_api_body_is_json_400_and_writes_nothing(client: Any, people: Any) -> None:
    from govdesk.workorders.models import WorkOrder

    client.force_login(people.operator)
    response = client.post(
        "/api/v1/workorders/", data='{"title": "' + "x" * 500 + '"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] in {"bad_request", "invalid"}
    assert WorkOrder.objects.count() == 0
