"""Realistic intakes for the benchmark: real citizen messages, Lishi addresses, valid names, phones and ID numbers."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from govdesk.demo.district import STREETS
from govdesk.demo.history import messages_load
from govdesk.demo.people import fake_id_number, fake_mobile, fake_name

TYPES = (
    ["complaint"] * 35 + ["help"] * 25 + ["consultation"] * 20 + ["suggestion"] * 10 + ["report"] * 7 + ["praise"] * 3
)
CHANNELS = ["phone"] * 7 + ["web"] * 2 + ["api"]


def intakes(category_ids: list[int], *, seed: int = 7) -> Iterator[dict[str, Any]]:
    """An endless stream of API payloads for POST /api/v1/workorders/ (about 0.5–2 KB of JSON each)."""
    rng = random.Random(seed)
    messages = messages_load()
    while True:
        message = rng.choice(messages)
        street = rng.choice(STREETS)
        yield {
            "channel": rng.choice(CHANNELS),
            "request_type": rng.choice(TYPES),
            "category": rng.choice(category_ids),
            "urgency": "urgent" if rng.random() < 0.05 else "normal",
            "title": message.title,
            "content": message.body[:1200],
            "address": f"离石区{rng.choice(street.places)}{rng.randint(1, 300)}号",
            "citizen_name": fake_name(rng),
            "citizen_phone": fake_mobile(rng),
            "citizen_id_number": fake_id_number(rng) if rng.random() < 0.6 else "",
        }
