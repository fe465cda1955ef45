"""Reads for the category classifier: its training data, the loaded model, and suggestions for a message.

The model is loaded once per process (`core.classifier.ModelStore`) and reloaded when its file changes.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from govdesk.catalog.models import Category
from govdesk.catalog.selectors import categories_cached, dispatch_unit_suggest, street_for_address
from govdesk.org.models import Unit

from .core.classifier import Classifier, Message, ModelStore, ModelUnavailable, has_chinese
from .models import DispatchCorrection, DispatchSuggestion

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
LABELLED_CSV = DATA_DIR / "messages_labeled.csv.gz"
HOLDOUT_CSV = DATA_DIR / "messages_holdout.csv.gz"
TOKENIZED_CSV = DATA_DIR / "messages_labeled_tokenized.csv.gz"
REQUIRED_COLUMNS = ("title", "body", "label")
# Below this, the answer says it is unsure (the console shows it greyed, auto-dispatch never acts on it).
LOW_CONFIDENCE = 0.5
TOP_K = 3

_store = ModelStore()


class CsvProblem(Exception):
    """A CSV file that cannot be read as labelled messages; the message says why."""


# --- training and evaluation data -----------------------------------------------------------------------------------


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")  # the caller closes it


def messages_from_csv(path: Path) -> list[Message]:
    """Rows of a CSV (or .csv.gz) with columns title, body, label (and optionally form). Raises CsvProblem."""
    if not path.is_file():
        raise CsvProblem(f"{path}: no such file")
    try:
        with _open_text(path) as fh:
            reader = csv.DictReader(fh)
            columns = [c.strip() for c in (reader.fieldnames or [])]
            missing = [c for c in REQUIRED_COLUMNS if c not in columns]
            if missing:
                found = ", ".join(columns) or "none"
                raise CsvProblem(f"{path}: missing column(s) {', '.join(missing)} (found: {found})")
            reader.fieldnames = columns
            return [
                Message(
                    title=(row.get("title") or "").strip(),
                    body=row.get("body") or "",
                    label=(row.get("label") or "").strip(),
                    form=(row.get("form") or "raw").strip() or "raw",
                )
                for row in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error, EOFError, gzip.BadGzipFile) as exc:
        raise CsvProblem(f"{path}: cannot be read as UTF-8 CSV ({exc})") from exc


def _key(m: Message) -> tuple[str, str]:
    return ("".join(m.title.split()), "".join(m.body.split()))


def holdout_messages() -> list[Message]:
    """The held-out split: labelled messages `dispatch_train --exclude-holdout` never trains on (a copy of rows of
    the labelled file)."""
    return messages_from_csv(HOLDOUT_CSV)


def labelled_messages() -> list[Message]:
    """The shipped labelled messages minus every message of the held-out split (`holdout_messages` has those)."""
    held = {_key(m) for m in holdout_messages()}
    return [m for m in messages_from_csv(LABELLED_CSV) if _key(m) not in held]


def tokenized_rows() -> list[tuple[str, str]]:
    """The shipped pre-tokenised labelled messages as (space-separated words, label); `core.classifier.
    tokenized_rows_select` decides which of them may be trained on. Raises CsvProblem."""
    try:
        with _open_text(TOKENIZED_CSV) as fh:
            return [(row.get("text_tokenized") or "", row.get("label") or "") for row in csv.DictReader(fh)]
    except (OSError, UnicodeDecodeError, csv.Error, EOFError, gzip.BadGzipFile) as exc:
        raise CsvProblem(f"{TOKENIZED_CSV.name}: cannot be read as UTF-8 CSV ({exc})") from exc


def _level1_name(category: Category | None) -> str:
    return category.path.split("/")[0] if category is not None else ""


def platform_messages() -> list[Message]:
    """The platform's own labelled text: closed orders under their final category's level-1 name, and the orders
    a dispatcher corrected, under the corrected (final) category. A correction wins over the order's category."""
    from govdesk.workorders.models import WorkOrder
    from govdesk.workorders.states import Status

    labels: dict[int, str] = {}
    for case_id, path in WorkOrder.objects.filter(status=Status.CLOSED, category__isnull=False).values_list(
        "pk", "category__path"
    ):
        labels[case_id] = path.split("/")[0]
    for correction in DispatchCorrection.objects.filter(final_category__isnull=False).select_related("final_category"):
        labels[correction.case_id] = _level1_name(correction.final_category)  # latest last: ordering is -created_at
    texts = dict(
        (pk, (title, content))
        for pk, title, content in WorkOrder.objects.filter(pk__in=list(labels)).values_list("pk", "title", "content")
    )
    return [Message(title=t, body=c, label=labels[pk], form="raw") for pk, (t, c) in texts.items() if labels[pk]]


# --- the model ------------------------------------------------------------------------------------------------------


def dispatch_model_path() -> Path:
    return Path(str(settings.GOVDESK["DISPATCH_MODEL_PATH"]))


def dispatch_model() -> Classifier:
    """The classifier, loaded once per process; ModelUnavailable when the file is missing or unusable."""
    return _store.get(dispatch_model_path())


def dispatch_model_forget() -> None:
    _store.clear()


# --- suggestions ----------------------------------------------------------------------------------------------------


@dataclass
class Suggestion:
    model_version: str
    confidence: float
    categories: list[dict[str, Any]] = field(default_factory=list)
    category: Category | None = None  # level 1 (from the tree) of the best label
    leaf: Category | None = None
    unit: Unit | None = None
    street: Unit | None = None
    notice: str = ""

    @property
    def low_confidence(self) -> bool:
        return self.confidence < LOW_CONFIDENCE

    @property
    def best(self) -> Category | None:
        """The most specific category suggested: the leaf when one was found, else the level-1 node."""
        return self.leaf or self.category


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def leaf_for(level1: Category, text: str) -> Category | None:
    """The leaf under `level1` whose own name (and its level-2 parent's) shares most character pairs with the text.

    A plain keyword overlap: the model predicts level 1 only; this is a hint the operator confirms.
    """
    index = categories_cached.get()
    grams = _bigrams("".join(text.split()))
    best: tuple[float, int, Category] | None = None
    prefix = level1.path + "/"
    for leaf_id in index.leaf_ids:
        leaf = index.by_id[leaf_id]
        if not leaf.path.startswith(prefix):
            continue
        parts = leaf.path.split("/")[1:]
        score = 0.0
        for weight, name in zip((1.0, 2.0), parts, strict=False):
            name_grams = _bigrams(name) - {"其他"}
            if name_grams:
                score += weight * len(name_grams & grams) / len(name_grams)
        if score > 0 and (best is None or (score, -leaf.sort_order) > (best[0], best[1])):
            best = (score, -leaf.sort_order, leaf)
    return best[2] if best else None


def dispatch_suggest(*, title: str, content: str, address: str = "") -> Suggestion:
    """Top categories with probabilities, the most likely leaf, the catalogue's unit and the address's street.

    Raises ModelUnavailable when there is no usable model. Text without any Chinese character gets an answer with
    confidence 0 and a notice, not a guess.
    """
    model = dispatch_model()
    street = street_for_address(address) if address.strip() else None
    if not has_chinese(title) and not has_chinese(content):
        return Suggestion(
            model_version=model.version,
            confidence=0.0,
            street=street,
            notice=_("No Chinese text to classify: choose the category yourself."),
        )
    by_path = categories_cached.get().by_path
    ranked = model.top(title, content, k=TOP_K)
    categories = []
    leaves: list[Category | None] = []
    for label, probability in ranked:
        node = by_path.get(label)
        leaf_here = leaf_for(node, f"{title} {content}") if node is not None else None
        leaves.append(leaf_here)
        categories.append(
            {
                "label": label,
                "probability": round(probability, 4),
                "category": {"id": node.pk, "path": node.path} if node is not None else None,
                "leaf": {"id": leaf_here.pk, "path": leaf_here.path} if leaf_here is not None else None,
            }
        )
    confidence = ranked[0][1] if ranked else 0.0
    level1 = by_path.get(ranked[0][0]) if ranked else None
    leaf = leaves[0] if leaves else None
    unit = dispatch_unit_suggest(category=leaf or level1, address=address)
    suggestion = Suggestion(
        model_version=model.version,
        confidence=round(confidence, 4),
        categories=categories,
        category=level1,
        leaf=leaf,
        unit=unit,
        street=street,
    )
    if suggestion.low_confidence:
        suggestion.notice = _("The model is unsure: check the category.")
    return suggestion


def suggestion_latest(case_id: int) -> DispatchSuggestion | None:
    return DispatchSuggestion.objects.filter(case_id=case_id).select_related("category", "unit").order_by("-pk").first()


def suggestions_for_cases(case_ids: list[int]) -> dict[int, DispatchSuggestion]:
    """The latest suggestion of each case, in one query (for queues)."""
    latest: dict[int, DispatchSuggestion] = {}
    for suggestion in (
        DispatchSuggestion.objects.filter(case_id__in=case_ids).select_related("category", "unit").order_by("pk")
    ):
        latest[suggestion.case_id] = suggestion
    return latest


__all__ = [
    "CsvProblem",
    "ModelUnavailable",
    "Suggestion",
    "dispatch_model",
    "dispatch_model_path",
    "dispatch_suggest",
    "holdout_messages",
    "labelled_messages",
    "messages_from_csv",
    "platform_messages",
    "suggestion_latest",
    "tokenized_rows",
]
