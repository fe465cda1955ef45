"""The package application's API contract, at the applications' addresses: POST /api/v1/applications/ with
"package", GET and the actions on a package's number, the parts' shape, who sees what (404 for others' numbers for
citizens, a part's unit sees the summary only), and the one notices read back as real PDFs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from govdesk.applications import services as application_services
from govdesk.packages.models import PackageMaterialReceipt, PackageNotice, PackagePart
from govdesk.packages.tests.case_factories import (
    CARD,
    CERTIFICATE,
    ID_CARDS,
    PACKAGE,
    REGISTRATION,
    FakePdf,
    birth,
    fake_pdfs,
    package_data,
    part_application,
)

pytestmark = pytest.mark.django_db
__all__ = ["birth", "fake_pdfs"]  # fixtures
URL = "/api/v1/applications/"


def _post(client: Any, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, format="json")


def _submitted(api_client_for: Any, birth: SimpleNamespace, **overrides: Any) -> dict[str, Any]:
    response = _post(api_client_for(birth.clerk), URL, package_data(birth, **overrides))
    assert response.status_code == 201, response.json()
    return response.json()


def test_submit_and_accept_answer_the_contract(api_client_for: Any, birth: SimpleNamespace, fake_pdfs: FakePdf) -> None:
    body = _submitted(api_client_for, birth)
    number = body["number"]
    assert number.startswith("YJS")
    assert body["status"] == "submitted"
    assert body["parts"] == []  # parts appear on acceptance
    assert body["package"] == PACKAGE and body["lead_unit"] == "LS-ZJ"
    assert body["missing_materials"] == []
    assert body["allowed_actions"] == ["accept", "request-correction", "supplement", "refuse"]
    clerk = api_client_for(birth.clerk)
    accepted = _post(clerk, f"{URL}{number}/accept/")
    assert accepted.status_code == 200, accepted.json()
    parts = accepted.json()["parts"]
    assert [{key: part[key] for key in ("matter", "unit", "status")} for part in parts] == [
        {"matter": CERTIFICATE, "unit": "LS-ZJ", "status": "handling"},
        {"matter": REGISTRATION, "unit": "LS-RS", "status": "waiting"},
        {"matter": CARD, "unit": "LS-RSJ", "status": "handling"},
    ]
    assert parts[1]["number"] is None
    assert parts[0]["number"].startswith("BJ") and parts[2]["number"].startswith("BJ")
    assert accepted.json()["status"] == "handling"
    # Each part is an application with every action of the window issue, at its own number.
    part = api_client_for(birth.deciders[CARD]).get(f"{URL}{parts[2]['number']}/")
    assert part.status_code == 200 and part.json()["allowed_actions"] == ["suspend", "approve", "deny"]
    # Decide everything; deliver once; the package is closed when every part is.
    for code, decided in ((CERTIFICATE, 0), (CARD, 2)):
        response = _post(api_client_for(birth.deciders[code]), f"{URL}{parts[decided]['number']}/approve/")
        assert response.status_code == 200
    registration = clerk.get(f"{URL}{number}/").json()["parts"][1]
    assert registration["status"] == "handling" and registration["number"].startswith("BJ")
    denied = _post(
        api_client_for(birth.deciders[REGISTRATION]), f"{URL}{registration['number']}/deny/", {"reason": "户籍地址不符"}
    )
    assert denied.status_code == 200
    decided = clerk.get(f"{URL}{number}/").json()
    assert decided["status"] == "decided"
    assert [n["kind"] for n in decided["notices"]] == ["acceptance", "result"]
    assert decided["allowed_actions"] == ["deliver"]
    delivered = _post(clerk, f"{URL}{number}/deliver/", {"delivery": "electronic"})
    assert delivered.status_code == 200
    assert delivered.json()["status"] == "closed"
    assert {part["status"] for part in delivered.json()["parts"]} == {"closed"}
    assert _post(clerk, f"{URL}{number}/deliver/").status_code == 409


def test_correction_and_supplement_through_the_api(
    api_client_for: Any, birth: SimpleNamespace, fake_pdfs: FakePdf
) -> None:
    shared = birth.codes[ID_CARDS]
    body = _submitted(api_client_for, birth, materials=[c for c in birth.all_materials if c != shared])
    assert body["missing_materials"] == [shared]
    clerk = api_client_for(birth.clerk)
    number = body["number"]
    assert _post(clerk, f"{URL}{number}/accept/").status_code == 409
    corrected = _post(clerk, f"{URL}{number}/request-correction/", {"note": "请补齐"})
    assert corrected.status_code == 200 and corrected.json()["status"] == "correction"
    supplemented = _post(clerk, f"{URL}{number}/supplement/", {"materials": [shared]})
    assert supplemented.status_code == 200 and supplemented.json()["status"] == "submitted"
    assert _post(clerk, f"{URL}{number}/accept/").status_code == 200


def test_bad_input_answers_400_naming_it(api_client_for: Any, birth: SimpleNamespace, fake_pdfs: FakePdf) -> None:
    clerk = api_client_for(birth.clerk)
    unknown = _post(clerk, URL, package_data(birth, package="NOPE-1"))
    assert unknown.status_code == 400 and "NOPE-1" in unknown.json()["fields"]["package"][0]
    material = _post(clerk, URL, package_data(birth, materials=["P77"]))
    assert material.status_code == 400 and "P77" in material.json()["fields"]["materials"][0]
    form = _post(clerk, URL, package_data(birth, form={"baby_name": "x" * 30}))
    assert form.status_code == 400
    assert "form.baby_name" in form.json()["fields"] and "form.household" in form.json()["fields"]
    assert _post(clerk, URL, {"package": ["a"]}).status_code == 400
    number = _submitted(api_client_for, birth)["number"]
    assert _post(clerk, f"{URL}{number}/refuse/", {"reason": ""}).status_code == 400
    assert _post(clerk, f"{URL}{number}/fly/").status_code == 404
    assert _post(clerk, f"{URL}YJS0000/accept/").status_code == 404


def test_who_sees_a_package(
    api_client_for: Any, birth: SimpleNamespace, people: SimpleNamespace, fake_pdfs: FakePdf
) -> None:
    online = _post(api_client_for(people.citizen), URL, package_data(birth, channel="online"))
    assert online.status_code == 201
    number = online.json()["number"]
    _post(api_client_for(birth.clerk), f"{URL}{number}/accept/")
    path = f"{URL}{number}/"
    for viewer in (
        birth.clerk,
        people.supervisor,
        people.leader,
        people.handler_a,
        people.unit_admin_a,
        people.citizen,
    ):
        response = api_client_for(viewer).get(path)
        assert response.status_code == 200, viewer
        assert response.json()["form"]["baby_name"] == "王小宝"
        assert response.json()["applicant_phone"] == "138****5678"
    # A part's own unit: the summary, read only (no answers, no materials).
    summary = api_client_for(birth.handler_c).get(path)
    assert summary.status_code == 200
    assert summary.json()["form"] == {} and summary.json()["materials"] == []
    assert summary.json()["allowed_actions"] == [] and summary.json()["can_urge"] is False
    # The registration's unit has no started part yet: it sees nothing; another citizen hears "not found".
    assert api_client_for(people.handler_b).get(path).status_code == 403
    assert api_client_for(people.street_handler).get(path).status_code == 403
    assert api_client_for(people.other_citizen).get(path).status_code == 404
    assert api_client_for(people.other_citizen).get(f"{URL}YJS20990101999999/").status_code == 404
    assert api_client_for().get(path).status_code in (401, 403)
    # Acting: the hall acts, a part's unit and the applicant do not accept or deliver.
    for actor in (birth.handler_c, people.handler_a, people.supervisor):
        assert _post(api_client_for(actor), f"{URL}{number}/deliver/").status_code == 403
    assert (
        _post(api_client_for(people.other_citizen), f"{URL}{number}/supplement/", {"materials": ["P01"]}).status_code
        == 404
    )


def test_the_lead_unit_urges_a_part_through_the_api(
    api_client_for: Any, birth: SimpleNamespace, people: SimpleNamespace, fake_pdfs: FakePdf
) -> None:
    number = _submitted(api_client_for, birth)["number"]
    _post(api_client_for(birth.clerk), f"{URL}{number}/accept/")
    urged = _post(api_client_for(people.handler_a), f"{URL}{number}/parts/{CARD}/urge/", {"note": "请加快"})
    assert urged.status_code == 200 and urged.json()["can_urge"] is True
    assert _post(api_client_for(birth.handler_c), f"{URL}{number}/parts/{CARD}/urge/").status_code == 403
    assert _post(api_client_for(people.handler_a), f"{URL}{number}/parts/{REGISTRATION}/urge/").status_code == 409
    assert _post(api_client_for(people.handler_a), f"{URL}{number}/parts/NOPE/urge/").status_code == 404


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    executable = shutil.which("pdftotext")
    assert executable, "pdftotext is missing: install poppler-utils"
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    text = subprocess.run(  # noqa: S603 (our own file)
        [executable, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return "".join(text.split())


def _pdf_pages(data: bytes, tmp_path: Path) -> int:
    executable = shutil.which("pdfinfo")
    assert executable, "pdfinfo is missing: install poppler-utils"
    path = tmp_path / "pages.pdf"
    path.write_bytes(data)
    info = subprocess.run(  # noqa: S603 (our own file)
        [executable, str(path)], check=True, capture_output=True, text=True
    ).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_the_one_correction_notice_and_the_one_result_notice_read_back(
    api_client_for: Any, birth: SimpleNamespace, people: SimpleNamespace, tmp_path: Path
) -> None:
    """Real PDFs: the correction notice lists the shared material once, naming the three matters that need it; the
    result notice lists every part with its result."""
    shared = birth.codes[ID_CARDS]
    body = _submitted(api_client_for, birth, materials=[c for c in birth.all_materials if c != shared])
    number = body["number"]
    clerk = api_client_for(birth.clerk)
    notices = _post(clerk, f"{URL}{number}/request-correction/").json()["notices"]
    assert [n["kind"] for n in notices] == ["correction"]
    pdf = clerk.get(notices[0]["url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = _pdf_text(b"".join(pdf.streaming_content), tmp_path)
    assert "一件事一次性告知书" in text
    assert text.count(ID_CARDS) == 1
    assert "出生医学证明首次签发、出生登记、社会保障卡申领" in text
    assert api_client_for(people.other_citizen).get(notices[0]["url"]).status_code == 404
    _post(clerk, f"{URL}{number}/supplement/", {"materials": [shared]})
    _post(clerk, f"{URL}{number}/accept/")
    # The one acceptance notice: every part and every received material once, on one page.
    acceptance = PackageNotice.objects.get(kind="acceptance")
    with acceptance.file.open("rb") as handle:
        data = handle.read()
    text = _pdf_text(data, tmp_path)
    assert "一件事受理通知书" in text or "受理通知书" in text
    for name in ("出生医学证明首次签发", "出生登记", "社会保障卡申领"):
        assert name in text, name
    received = list(PackageMaterialReceipt.objects.filter(package_application__number=number, received=True))
    assert received and all("".join(m.name.split()) in text for m in received), text
    assert text.count(ID_CARDS) == 1
    assert _pdf_pages(data, tmp_path) == 1
    parts = {p.matter.code: p for p in PackagePart.objects.select_related("application", "matter")}
    application_services.application_deny(
        application=part_application(parts[CERTIFICATE]).number,
        actor=birth.deciders[CERTIFICATE],
        reason="分娩记录不全",
    )
    application_services.application_approve(
        application=part_application(parts[CARD]).number, actor=birth.deciders[CARD]
    )
    result = PackageNotice.objects.get(kind="result")
    with result.file.open("rb") as handle:
        text = _pdf_text(handle.read(), tmp_path)
    assert "一件事办理结果通知书" in text
    for line in (
        "出生医学证明首次签发",
        "不予准许",
        "出生登记",
        "未启动",
        "社会保障卡申领",
        "准予办理",
        "分娩记录不全",
    ):
        assert line in text, line
