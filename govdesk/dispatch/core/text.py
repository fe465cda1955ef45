"""Text normalisation and tokenising for Chinese citizen messages. Pure Python + jieba; no ORM, no network.

jieba's dictionary ships inside the package. Its cache goes to a folder we choose (not the shared temp dir), and its
"Building prefix dict" chatter is kept out of the logs.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import jieba

jieba.setLogLevel(logging.WARNING)

_init_lock = threading.Lock()
_initialised = False

# Domain words jieba's general dictionary splits wrongly ("路/灯"), which matter for routing.
DOMAIN_WORDS = (
    "路灯",
    "井盖",
    "噪音",
    "扰民",
    "油烟",
    "渣土车",
    "占道经营",
    "违章建筑",
    "违建",
    "物业费",
    "业委会",
    "拖欠工资",
    "欠薪",
    "社保",
    "医保",
    "公积金",
    "养老金",
    "低保",
    "廉租房",
    "公租房",
    "棚改",
    "拆迁",
    "征收",
    "学区",
    "择校",
    "补课",
    "校车",
    "网约车",
    "出租车",
    "公交车",
    "停车场",
    "红绿灯",
    "斑马线",
    "污水",
    "排污",
    "垃圾清运",
    "异味",
    "医疗纠纷",
    "疫苗",
    "计生",
    "二孩",
    "食品安全",
    "消费者",
    "退费",
    "预付卡",
    "传销",
    "景区",
    "导游",
)
_SPACE_RE = re.compile(r"\s+")
_URL_RE = re.compile(r"https?://\S+")
_DIGITS_RE = re.compile(r"\d+")


def _ensure_jieba() -> None:
    global _initialised
    if _initialised:
        return
    with _init_lock:
        if _initialised:
            return
        cache_dir = Path(os.environ.get("GOVDESK_VAR_DIR", tempfile.gettempdir())) / "jieba"
        cache_dir.mkdir(parents=True, exist_ok=True)
        jieba.dt.tmp_dir = str(cache_dir)
        jieba.initialize()
        for word in DOMAIN_WORDS:
            jieba.add_word(word, freq=20000)
        _initialised = True


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case, no control characters, one space between runs, digits as 0."""
    text = unicodedata.normalize("NFKC", text or "")
    spaced = _SPACE_RE.sub(" ", text)
    # Fast path: with whitespace made spaces, a printable text has no character of category C left (isprintable is
    # False for exactly C*, Zl, Zp and Zs other than " "), so the per-character loop would change nothing that the
    # final whitespace collapse does not.
    text = spaced if spaced.isprintable() else "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    text = _URL_RE.sub(" ", text.lower())
    text = _DIGITS_RE.sub("0", text)
    return _SPACE_RE.sub(" ", text).strip()


def tokenize(text: str) -> list[str]:
    """Words of a normalised message (jieba, precise mode), without whitespace and lone punctuation.

    Module-level (not a lambda) so that vectorisers using it can be pickled.
    """
    _ensure_jieba()
    return [w for w in jieba.lcut(normalize(text)) if w.strip() and not _is_punctuation(w)]


def tokenize_compact(text: str) -> list[str]:
    """Words of a normalised message with ALL whitespace removed first, jieba without its HMM guesser.

    Whitespace-free input makes a raw body ("您好！ E5县…", line breaks) and its whitespace-stripped copy give the same
    words; without the HMM, runs jieba's dictionary does not know stay single characters (the classifier's character
    n-grams cover them) and segmenting takes about half the time. The classifier uses this; duplicates, hotspots and
    the reply check keep `tokenize`.
    """
    _ensure_jieba()
    compact = _SPACE_RE.sub("", normalize(text))
    return [w for w in jieba.lcut(compact, HMM=False) if not _is_punctuation(w)]


@lru_cache(maxsize=4096)
def _is_punctuation(token: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PSZ" for ch in token)


def message_text(title: str, content: str, address: str = "") -> str:
    """The one string models read: title twice (it is the citizen's own summary), then the body and the address."""
    parts = [title or "", title or "", content or "", address or ""]
    return "\n".join(p for p in parts if p)
