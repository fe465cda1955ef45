"""Templates: placeholders checked (an unknown figure, part or format is refused with its name), rendered for a year,
and the shipped template (the seed's section 一 with every figure a placeholder) giving the seed's text back word for
word from the seed's figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.utils import translation

from govdesk.review import rendering
from govdesk.review.figures import FIGURES
from govdesk.review.rendering import TemplateError, review_render, template_placeholders
from govdesk.review.services import DEFAULT_TEMPLATE_PATH, review_template_check

from .seed_figures import SEED, YEAR, seed_figure

SEED_TEXT = (Path(__file__).parent / "data" / "seed_2022_review.txt").read_text(encoding="utf-8")


@pytest.fixture
def seed_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rendering, "figure_get", seed_figure)


def _default() -> dict:
    return json.loads(DEFAULT_TEMPLATE_PATH.read_text(encoding="utf-8"))


def _render_default(year: int = YEAR) -> rendering.RenderedReview:
    data = _default()
    return review_render(
        year=year, heading=data["heading"], paragraphs=[(p["heading"], p["text"]) for p in data["paragraphs"]]
    )


def test_the_default_template_with_the_seeds_figures_is_the_seeds_text(seed_figures: None) -> None:
    assert _render_default().plain_text() == SEED_TEXT


def test_the_default_template_holds_every_paragraph_of_section_one() -> None:
    data = _default()
    assert data["heading"] == "一、{{year}}年工作回顾"
    assert len(data["paragraphs"]) == len(SEED_TEXT.strip().split("\n\n")) - 1 == 8
    leads = [p["heading"] for p in data["paragraphs"] if p["heading"]]
    assert leads == [
        "——经济运行企稳向好。",
        "——发展活力日益增强。",
        "——乡村建设全面推进。",
        "——城市形象不断提升。",
        "——疫情防控精准有效。",
    ]


def test_every_figure_of_the_default_template_is_a_placeholder() -> None:
    data = _default()
    texts = [data["heading"], *(p["heading"] + p["text"] for p in data["paragraphs"])]
    used = {p.code for text in texts for p in template_placeholders(text)}
    assert used == {"year", *FIGURES}
    # No figure is left as text: without the placeholders no digit remains but the hotline's name.
    bare = re.sub(r"\{\{[^}]*\}\}", "", "".join(texts))
    assert re.findall(r"\d+", bare) == ["12345"]
    assert "四轮" not in bare and "余户" not in bare and "多种" not in bare


def test_the_year_is_a_placeholder_too(seed_figures: None) -> None:
    review = _render_default(2023)
    text = review.plain_text()
    assert text.startswith("一、2023年工作回顾\n\n2023年,极不寻常。")
    assert "2022" not in text


def test_figures_are_segments_carrying_their_code(seed_figures: None) -> None:
    review = _render_default()
    economy = review.paragraphs[3]
    figures = [(s.figure, s.part, s.text) for s in economy.body if s.figure]
    assert figures[0] == ("tax_fee_reduction", "value", "8.9亿元")
    assert ("budget_revenue", "rank_province", "第9") in figures
    assert [s.text for s in economy.heading] == ["——经济运行企稳向好。"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("减税降费{{no_such_figure|yi}}", "no_such_figure"),
        ("减税降费{{tax_fee_reduction|billions}}", "billions"),
        ("增长{{gdp.growth|pct}}", "growth"),
        ("{{year.yoy}}", "yoy"),
        ("减税降费{{tax_fee_reduction", "{{tax_fee_reduction"),
        ("减税降费{{ tax fee }}", "{{ tax fee }}"),
    ],
)
def test_a_bad_placeholder_is_refused_with_its_name(text: str, named: str) -> None:
    with translation.override("en"), pytest.raises(TemplateError) as caught:
        template_placeholders(text)
    assert named in str(caught.value)


def test_placeholders_allow_spaces_and_default_to_plain(seed_figures: None) -> None:
    review = review_render(year=YEAR, heading="", paragraphs=[("", "实施农厕改造{{ toilets_completed }}。")])
    assert review.paragraphs[0].text == "实施农厕改造1000座。"


def test_a_value_a_format_cannot_write_is_an_error_naming_the_placeholder(seed_figures: None) -> None:
    with translation.override("en"), pytest.raises(TemplateError, match=r"\{\{toilets_completed\|yi\}\}"):
        review_render(year=YEAR, heading="", paragraphs=[("", "{{toilets_completed|yi}}")])


def test_a_figure_without_data_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_value(code: str, year: int) -> rendering.Figure:
        figure = seed_figure(code, year)
        return rendering.Figure(**{**figure.__dict__, "value": None})

    monkeypatch.setattr(rendering, "figure_get", no_value)
    with translation.override("en"):
        review = review_render(year=YEAR, heading="", paragraphs=[("", "GDP {{gdp|yi}}")])
    assert review.paragraphs[0].text == "GDP [no data: Gross domestic product]"


def test_the_template_check_names_the_field_and_the_placeholder() -> None:
    with translation.override("en"):
        problems = review_template_check(
            heading="一、{{year}}年", paragraphs=[{"heading": "", "text": "ok"}, {"heading": "{{bad}}", "text": "x"}]
        )
    assert list(problems) == ["paragraphs.2.heading"]
    assert "bad" in problems["paragraphs.2.heading"][0]


def test_seed_values_cover_the_registry() -> None:
    assert set(SEED) == set(FIGURES)
