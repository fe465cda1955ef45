"""The generated review: the docx read back with python-docx, the PDF with pdftotext, the HTML's links, the plain text
the demo compares with the seed, and the command writing exactly three files."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import docx
import pytest
from django.core.management import CommandError, call_command

from govdesk.review.generator import (
    review_docx,
    review_for_year,
    review_html,
    review_pdf,
    review_plain_text,
    work_review_write,
)
from govdesk.review.models import ReviewTemplate

from .records import MAKERS, YEAR

pytestmark = pytest.mark.django_db


@pytest.fixture
def some_records(world: SimpleNamespace) -> None:
    MAKERS["toilets_completed"](world)  # 1000座
    MAKERS["tax_fee_reduction"](world)  # 8.9亿元
    MAKERS["market_entities_net"](world)  # 7000余户


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    executable = shutil.which("pdftotext")
    assert executable, "pdftotext is missing: install poppler-utils"
    path = tmp_path / "review.pdf"
    path.write_bytes(data)
    text = subprocess.run(  # noqa: S603 (our own file)
        [executable, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return "".join(text.split())


def test_the_shipped_template_is_loaded_and_active() -> None:
    template = ReviewTemplate.objects.get(is_active=True)
    assert template.heading == "一、{{year}}年工作回顾"
    assert template.paragraphs.count() == 8


def test_plain_text_is_the_review_with_its_figures(some_records: None) -> None:
    text = review_plain_text(YEAR)
    assert text.startswith("一、2022年工作回顾\n\n2022年,极不寻常。")
    assert "全年减税降费8.9亿元" in text
    assert "市场主体净增7000余户" in text
    assert "实施农厕改造1000座" in text
    assert len(text.strip().split("\n\n")) == 9


def test_the_docx_reads_back(some_records: None) -> None:
    document = docx.Document(io.BytesIO(review_docx(review_for_year(YEAR))))
    paragraphs = [p for p in document.paragraphs if p.text]
    assert paragraphs[0].style is not None and paragraphs[0].style.name == "Title"
    assert paragraphs[1].style is not None and paragraphs[1].style.name == "Heading 1"
    assert paragraphs[1].text == "一、2022年工作回顾"
    body = "\n\n".join(p.text for p in paragraphs[1:]) + "\n"
    assert body == review_plain_text(YEAR)
    economy = next(p for p in paragraphs if p.text.startswith("——经济运行企稳向好。"))
    assert economy.runs[0].bold and economy.runs[0].text == "——经济运行企稳向好。"


def test_the_pdf_reads_back_in_one_cjk_face(some_records: None, tmp_path: Path) -> None:
    data = review_pdf(review_for_year(YEAR))
    assert data.startswith(b"%PDF")
    text = _pdf_text(data, tmp_path)
    assert "一、2022年工作回顾" in text
    assert "全年减税降费8.9亿元" in text
    assert "实施农厕改造1000座" in text
    fonts = shutil.which("pdffonts")
    if fonts:
        listing = subprocess.run([fonts, str(tmp_path / "review.pdf")], check=True, capture_output=True, text=True)  # noqa: S603
        faces = {line.split()[0].split("+")[-1] for line in listing.stdout.splitlines()[2:] if line.strip()}
        assert len(faces) == 1, faces


def test_the_html_is_self_contained_and_links_every_figure(some_records: None) -> None:
    html = review_html(review_for_year(YEAR))
    assert (
        '<a class="figure" data-figure="toilets_completed" href="/review/2022/figures/toilets_completed/">1000座</a>'
        in html
    )
    linked = set(re.findall(r'data-figure="([a-z_]+)" href="/review/2022/figures/\1/"', html))
    assert len(linked) == 49
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    assert "<script" not in html and "<link" not in html


def test_absolute_links_with_a_base_url(some_records: None) -> None:
    html = review_html(review_for_year(YEAR), base_url="https://govdesk.example.gov.cn/")
    assert 'href="https://govdesk.example.gov.cn/review/2022/figures/toilets_completed/"' in html


def test_the_command_writes_exactly_three_files(some_records: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    call_command("work_review", "--year", str(YEAR), "--out", str(out), stdout=io.StringIO())
    assert sorted(p.name for p in out.iterdir()) == [
        "work-review-2022.docx",
        "work-review-2022.html",
        "work-review-2022.pdf",
    ]
    document = docx.Document(str(out / "work-review-2022.docx"))
    assert any("实施农厕改造1000座" in p.text for p in document.paragraphs)
    # Again: the same three files, replaced.
    call_command("work_review", "--year", str(YEAR), "--out", str(out), stdout=io.StringIO())
    assert len(list(out.iterdir())) == 3


def test_the_command_refuses_a_bad_year_or_template(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--year"):
        call_command("work_review", "--year", "22", "--out", str(tmp_path))
    ReviewTemplate.objects.update(is_active=False)
    with pytest.raises(CommandError):
        call_command("work_review", "--year", str(YEAR), "--out", str(tmp_path / "none"))
    assert not (tmp_path / "none").exists()


def test_a_bad_template_writes_nothing(tmp_path: Path) -> None:
    template = ReviewTemplate.objects.get(is_active=True)
    paragraph = template.paragraphs.first()
    assert paragraph is not None
    paragraph.text = "{{no_such_figure}}"
    paragraph.save()
    with pytest.raises(CommandError, match="no_such_figure"):
        call_command("work_review", "--year", str(YEAR), "--out", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_work_review_write_returns_the_paths(some_records: None, tmp_path: Path) -> None:
    paths = work_review_write(year=YEAR, out_dir=tmp_path)
    assert [p.suffix for p in paths] == [".docx", ".pdf", ".html"]
