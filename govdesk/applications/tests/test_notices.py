"""The notices: real PDFs read back with pdftotext (poppler-utils), numbered, dated, sealed, served to those who may
see the application, and written in the same transaction as the state change."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from govdesk.applications import notices, services
from govdesk.applications.models import Application, ApplicationNotice
from govdesk.applications.states import Status
from govdesk.applications.tests.factories import make_application, submission
from govdesk.audit.models import AuditEvent
from govdesk.cases.models import CaseEvent

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MOMENT = datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    executable = shutil.which("pdftotext")
    assert executable, "pdftotext is missing: install poppler-utils"
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    return subprocess.run(  # noqa: S603 (our own file)
        [executable, "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def squeezed(text: str) -> str:
    return "".join(text.split())


def read_notice(notice: ApplicationNotice, tmp_path: Path) -> str:
    with notice.file.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF-")
    return squeezed(pdf_text(data, tmp_path))


def test_the_correction_notice_lists_every_missing_and_defective_material_at_once(
    hall: SimpleNamespace, people: SimpleNamespace, tmp_path: Path
) -> None:
    with time_machine.travel(MOMENT, tick=False):
        application = services.application_submit(actor=hall.clerk, data=submission(materials=["M01", "M02"]))
        services.application_request_correction(
            application=application.number, actor=hall.clerk, defects={"M02": "复印件不清晰，需加盖公章"}
        )
    notice = ApplicationNotice.objects.get(application=application)
    assert notice.kind == "correction"
    assert notice.number == "补正〔2026〕000001号"
    text = read_notice(notice, tmp_path)
    assert "一次性告知书" in text
    assert "补正〔2026〕000001号" in text
    # Both: the one never handed in, and the one found defective with what is wrong with it.
    assert "施工合同" in text and "未提交" in text
    assert "建设工程规划许可证" in text and "复印件不清晰，需加盖公章" in text
    # Received and fine, or optional: not listed.
    assert "建筑工程施工许可证申请表" not in text and "授权委托书" not in text
    assert "张建国" in text and application.number in text
    assert "2026年9月29日" in text
    assert "区住建局" in text  # the issuing unit, under the seal


def test_the_acceptance_notice_states_the_limit_and_the_deadline(
    hall: SimpleNamespace, people: SimpleNamespace, tmp_path: Path
) -> None:
    with time_machine.travel(MOMENT, tick=False):
        application = services.application_submit(actor=hall.clerk, data=submission(materials=["M01", "M02", "M03"]))
        services.application_accept(application=application.number, actor=hall.clerk)
    text = read_notice(ApplicationNotice.objects.get(application=application, kind="acceptance"), tmp_path)
    assert "受理通知书" in text and "受理〔2026〕000001号" in text
    assert "决定予以受理" in text
    assert "5个工作日" in text
    # 5 working days after 29 September 2026 across National Day: 30 Sep, 8, 9, 10 (a make-up Saturday) and 12 Oct.
    assert "2026年10月12日前办结" in text
    assert "窗口李芳" in text
    assert "施工合同" in text


def test_the_refusal_notice_states_the_reasons_and_the_remedies(
    hall: SimpleNamespace, people: SimpleNamespace, tmp_path: Path
) -> None:
    application = make_application(hall, people, Status.REFUSED)
    text = read_notice(ApplicationNotice.objects.get(application=application), tmp_path)
    assert "不予受理通知书" in text
    assert "不属于本机关职权范围" in text
    assert "六十日内" in text and "行政复议" in text
    assert "六个月内" in text and "行政诉讼" in text


def test_the_result_notices_of_approval_and_denial(
    hall: SimpleNamespace, people: SimpleNamespace, tmp_path: Path
) -> None:
    approved = make_application(hall, people, Status.APPROVED)
    denied = make_application(hall, people, Status.DENIED)
    text = read_notice(ApplicationNotice.objects.get(application=approved, kind="result"), tmp_path)
    assert "办理结果通知书" in text and "决定准予办理" in text
    text = read_notice(ApplicationNotice.objects.get(application=denied, kind="result"), tmp_path)
    assert "决定不予准许" in text and "不符合条件" in text and "行政复议" in text and "行政诉讼" in text


def test_the_seal_is_a_red_ring_with_a_star_and_the_unit_name_on_the_arc() -> None:
    svg = str(notices.seal_svg("区住建局<&>"))
    assert svg.count("<circle") == 1 and 'stroke="#d0021b"' in svg
    assert svg.count("<polygon") == 1
    # One turned glyph per character, markup in the name escaped.
    assert svg.count("<text") == len("区住建局<&>")
    assert "&lt;" in svg and "&amp;" in svg and "<&>" not in svg


def test_the_seal_is_lettered_in_the_documents_serif_so_a_notice_embeds_one_font_face(
    hall: SimpleNamespace, people: SimpleNamespace, tmp_path: Path
) -> None:
    # Seals are lettered in 宋体. Left unset, the seal's text took the system's default CJK font (Noto Sans CJK JP):
    # Japanese glyph forms, and a third font in every notice (~40 KB, ~12% of the render; docs/benchmarks.md).
    assert all("Noto Serif CJK SC" in glyph for glyph in str(notices.seal_svg("区住建局")).split("<text")[1:])
    application = make_application(hall, people, Status.HANDLING)
    notice = ApplicationNotice.objects.get(application=application, kind="acceptance")
    executable = shutil.which("pdffonts")
    assert executable, "pdffonts is missing: install poppler-utils"
    path = tmp_path / "notice.pdf"
    with notice.file.open("rb") as handle:
        path.write_bytes(handle.read())
    listing = subprocess.run(  # noqa: S603 (our own file)
        [executable, str(path)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    # "ABCDEF+Noto-Serif-CJK-SC …" without the subset tag: one face, so no bold either (a second weight is a second
    # embedded CJK font, nearly doubling the render inside the transaction; the templates head by size instead).
    faces = {line.split()[0].split("+", 1)[-1] for line in listing if line.strip()}
    assert len(faces) == 1 and not any("Bold" in face for face in faces), faces


def test_a_failing_notice_leaves_neither_the_state_change_nor_the_notice(
    hall: SimpleNamespace, people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, fake_pdf: object
) -> None:
    application = services.application_submit(actor=hall.clerk, data=submission(materials=["M01", "M02", "M03"]))
    events, audits = CaseEvent.objects.count(), AuditEvent.objects.count()

    def crash(**kwargs: object) -> bytes:
        raise RuntimeError("the PDF renderer crashed")

    monkeypatch.setattr(notices, "notice_pdf", crash)
    with pytest.raises(RuntimeError):
        services.application_accept(application=application.number, actor=hall.clerk)
    stored = Application.objects.get(pk=application.pk)
    assert stored.status == Status.SUBMITTED
    assert stored.accepted_at is None and stored.due_at is None
    assert not ApplicationNotice.objects.exists()
    assert CaseEvent.objects.count() == events and AuditEvent.objects.count() == audits
    assert not stored.materials.filter(checked_by__isnull=False).exclude(checked_at__isnull=False).exists()
