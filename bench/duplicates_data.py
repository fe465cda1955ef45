"""Data for the duplicate-lookup benchmark: plausible, varied open orders made from the shipped citizen messages.

Each generated order takes a real title (sometimes with a place prefix or a suffix) and a body of 2–4 sentences drawn
from all the shipped messages, so the million orders share vocabulary and boilerplate like real ones without being
copies of each other. `near_duplicate` rewrites an order the way a second caller would: another sentence order, a
sentence dropped or added, some characters changed. Deterministic for a given seed.
"""

from __future__ import annotations

import csv
import gzip
import random
import re
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "govdesk" / "dispatch" / "data"
FILES = ("messages_labeled.csv.gz", "messages_replies.csv.gz", "messages_hot.csv.gz")
_SENTENCE_RE = re.compile(r"(?<=[。！？!?；;])")
PLACES = ("滨河北路", "永宁路", "龙凤大街", "城北开发区", "凤山街道", "莲花池", "新华街", "田家会", "西属巴", "交口")
FILLER = "的了是在有这个们来上为和地到以说时要就出会也对生能而得于着下自之年过发后作里"


@dataclass
class Message:
    title: str
    content: str
    address: str


def load_pool() -> tuple[list[str], list[str]]:
    """(titles, sentences) of every shipped message."""
    titles: list[str] = []
    sentences: list[str] = []
    for name in FILES:
        with gzip.open(DATA / name, "rt", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                title = (row.get("title") or "").strip()
                if title:
                    titles.append(title[:150])
                for sentence in _SENTENCE_RE.split(row.get("body") or ""):
                    sentence = sentence.strip()
                    if 6 <= len(sentence) <= 120:
                        sentences.append(sentence)
    return titles, sentences


class Generator:
    def __init__(self, seed: int = 12345) -> None:
        self.rng = random.Random(seed)
        self.titles, self.sentences = load_pool()

    def message(self) -> Message:
        rng = self.rng
        title = rng.choice(self.titles)
        if rng.random() < 0.3:
            title = f"{rng.choice(PLACES)}{title}"[:150]
        body = "".join(rng.choice(self.sentences) for _ in range(rng.randint(2, 4)))
        address = f"离石区{rng.choice(PLACES)}{rng.randint(1, 300)}号" if rng.random() < 0.7 else ""
        return Message(title=title, content=body[:1200], address=address)

    def near_duplicate(self, original: Message, change: float = 0.08) -> Message:
        """Another caller about the same problem: sentences reordered, one dropped or added, some characters changed."""
        rng = self.rng
        parts = [p for p in _SENTENCE_RE.split(original.content) if p]
        rng.shuffle(parts)
        if len(parts) > 2 and rng.random() < 0.5:
            parts.pop()
        elif rng.random() < 0.3:
            parts.append(rng.choice(self.sentences))
        chars = []
        for ch in "".join(parts):
            roll = rng.random()
            if roll < change / 2:
                continue
            chars.append(rng.choice(FILLER) if roll < change else ch)
        title = original.title if rng.random() < 0.5 else original.title[: max(4, len(original.title) - 3)] + "问题"
        return Message(title=title, content="".join(chars), address=original.address)
