"""Knowledge drafts from the board's answered messages. Pure: no ORM, no Django; the seeding command stores them.

`govdesk/dispatch/data/messages_replies.csv.gz` holds 2,779 real citizen messages with the official reply each got.
Many questions were asked more than once (a second message about the same road, the same policy, the same fee), so
the messages are grouped first and each group becomes one draft article: one question, one answer, its sources.

Grouping (measured on the shipped file, see docs/knowledge.md "Seeded drafts"): two messages are the same question
when `similarity` >= GROUP_THRESHOLD, where similarity is the mean of
  - the TF-IDF cosine of the character bigrams of title + body (what the citizen described), and
  - the Jaccard similarity of the character bigrams of the titles (the citizen's own one-line summary),
and they do not name different districts or cities ("J4县" and "J6县" ask the same thing of two different offices,
whose answers differ). Groups are the connected components of those pairs. Character bigrams rather than words: they
are about a Chinese word long, need no segmenter, and keep paraphrases ("拆五一桥建商铺廊桥" / "拆除五一桥来建商铺廊桥")
close. Hand-labelled candidate pairs (`tests/data/repeated_pairs.csv`) put the threshold at 0.4.
"""

from __future__ import annotations

import csv
import gzip
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from govdesk.dispatch.core.minhash import clean as shingle_clean
from govdesk.dispatch.core.text import tokenize

DATA_PATH = Path(__file__).resolve().parent.parent / "dispatch" / "data" / "messages_replies.csv.gz"
SOURCE_PREFIX = "messages_replies: "
SOURCE_MAX = 200  # ArticleRevision.source's max_length
TITLE_MAX = 200
ANSWER_MAX = 4000  # the reply's own limit, and the article's
GROUP_THRESHOLD = 0.4
# Pairs below this are not even candidates (the labelled set covers every pair above it).
CANDIDATE_FLOOR = 0.25
TAGS_MAX = 5
CITY_WIDE = "全市"

# "A7县", "K11县", "B9市", "A1区": the anonymised districts and county-level cities of the board's province.
_DISTRICT_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]\d{1,2}[区县市]")
# "A市", "L市": the prefecture-level cities.
_CITY_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z])市")
_REPEAT_PREFIX_RE = re.compile(r"^(?:再次|第[二三四五六七八九十\d]+次|又一次|重复|再一次|补充|也谈)")
_DATE_TAIL_RE = re.compile(r"[\s,，。.]*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日?[\s。.]*$")
_SENTENCE_RE = re.compile(r"[^。！？!?；;]*[。！？!?；;]?")
# Everything up to "…（答复|回复）如下：" is the board's preamble ("现将…调查核实情况答复如下：").
# Greedy: some replies repeat the formula ("…情况向该网友答复如下：您好，…已收悉。现将我们调查处理情况答复如下：").
_PREAMBLE_RE = re.compile(r"^.{0,400}(?:答复|回复|函复)如下[：:]\s*", re.S)
_SALUTATION_RE = re.compile(
    r"^\s*(?:尊敬的)?(?:网友|市民|市民朋友|同志|先生|女士|市民同志|网友朋友)?(?:“[^”]{0,30}”|\"[^\"]{0,30}\")?"
    r"\s*[：:，,]?\s*(?:您好|你好)?\s*[！!，,。：:]?\s*"
)
# Opening or closing sentences that only acknowledge or thank: the board's formula, not the answer.
_BOILERPLATE_RE = re.compile(
    r"收悉|收到|感谢|谢谢|致谢|敬请|特此|此复|祝您|欢迎|理解与支持|理解和支持|关心与支持|关心和支持|监督与支持|理解与监督"
    r"|首先|您好|你好|高度重视|非常重视"
)
# ... unless it also reports what was done or found, or what rule applies.
_SUBSTANCE_RE = re.compile(
    r"核[实查]|调查|经查|已(?!收|阅|悉|知悉|受理)|派员|现场|处理|整改|依据|根据|按照|规定|可以|需要|目前"
    r"|了解|上门|劝导|协调|安排|立即|第一时间|工作人员"
)
# A name in 《…》 counts as a policy basis when it is a law, regulation or policy document, not a certificate,
# a form or the board's own column (《问政西地省》).
_BOOK_RE = re.compile(
    r"《([^《》]{2,60})》((?:第[一二三四五六七八九十百零〇\d]+条)(?:第[一二三四五六七八九十\d]+款)?)?"
)
_POLICY_END_RE = re.compile(
    r"(?:法|条例|办法|规定|意见|通知|细则|规程|规则|标准|规范|决定|纲要|规划|政策|解释|指南|目录|制度|方案|实施意见|暂行规定)$"
)
_NOT_POLICY_RE = re.compile(r"问政|栏目|平台|日报|晚报|新闻|网$")
_USER_ID_RE = re.compile(r"(网友|市民)\s*[“\"]?[A-Z]?\d{4,}[”\"]?")
_TAG_STOPWORDS = frozenset(
    [
        "咨询",
        "问题",
        "反映",
        "请求",
        "希望",
        "投诉",
        "关于",
        "举报",
        "建议",
        "强烈",
        "要求",
        "相关",
        "情况",
        "事宜",
        "一事",
        "解决",
        "处理",
        "有关",
        "什么",
        "怎么",
        "如何",
        "为什么",
        "是否",
        "能否",
        "请问",
        "我们",
        "你们",
        "他们",
        "自己",
        "这个",
        "那个",
        "没有",
        "可以",
        "已经",
        "现在",
        "目前",
        "领导",
        "部门",
        "政府",
        "市民",
        "居民",
        "老百姓",
        "百姓",
        "尊敬",
        "您好",
        "谢谢",
        "一下",
        "的话",
        "还是",
        "以及",
        "或者",
        "因为",
        "所以",
        "但是",
        "而且",
        "这样",
        "不能",
        "不是",
        "就是",
        "还有",
        "其他",
        "进行",
        "严重",
        "再次",
        "第二次",
        "呼吁",
        "恳请",
        "一直",
        "问一下",
    ]
)


@dataclass(frozen=True)
class Message:
    id: int
    title: str
    body: str
    time: str
    reply: str
    reply_time: str


@dataclass
class Group:
    """Messages asking the same question, in the file's order; `messages[0]` is the group's first message."""

    messages: list[Message] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [m.id for m in self.messages]


def messages_read(path: Path = DATA_PATH) -> list[Message]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return [
            Message(
                id=int(row["id"]),
                title=(row["title"] or "").strip(),
                body=(row["body"] or "").strip(),
                time=row["time"] or "",
                reply=row["reply"] or "",
                reply_time=row["reply_time"] or "",
            )
            for row in csv.DictReader(handle)
        ]


@lru_cache(maxsize=1)
def shipped_groups() -> tuple[Group, ...]:
    """The shipped file's groups, computed once per process (the seeding command may run several times in one)."""
    return tuple(groups_find(messages_read()))


# --- places ---------------------------------------------------------------------------------------------------------


def districts_named(text: str) -> set[str]:
    return set(_DISTRICT_RE.findall(text or ""))


def cities_named(text: str) -> set[str]:
    return {f"{letter}市" for letter in _CITY_RE.findall(text or "")} | {d[0] + "市" for d in districts_named(text)}


def places_conflict(a: Message, b: Message) -> bool:
    """True when the two messages name districts (or cities) and none in common: different offices answer them."""
    text_a, text_b = f"{a.title}\n{a.body}", f"{b.title}\n{b.body}"
    districts_a, districts_b = districts_named(text_a), districts_named(text_b)
    if districts_a and districts_b and not districts_a & districts_b:
        return True
    cities_a, cities_b = cities_named(text_a), cities_named(text_b)
    return bool(cities_a and cities_b and not cities_a & cities_b)


# --- similarity and grouping ----------------------------------------------------------------------------------------


def _bigrams(text: str) -> list[str]:
    cleaned = shingle_clean(text)
    if len(cleaned) < 2:
        return [cleaned] if cleaned else []
    return [cleaned[i : i + 2] for i in range(len(cleaned) - 1)]


def similar_pairs(
    messages: Sequence[Message], *, floor: float = CANDIDATE_FLOOR, chunk: int = 512
) -> list[tuple[float, int, int]]:
    """(similarity, i, j) for i < j with similarity >= floor and no place conflict, best first.

    Computed in row chunks so memory stays at chunk x n floats whatever the number of messages.
    """
    # Imported here: the seeding command's --if-empty path (every `make run`) never groups, and scikit-learn takes
    # seconds to import.
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    n = len(messages)
    if n < 2:
        return []
    texts = [f"{m.title}\n{m.body}" for m in messages]
    described = TfidfVectorizer(analyzer=_bigrams, sublinear_tf=True).fit_transform(texts)
    titles = CountVectorizer(analyzer=_bigrams, binary=True).fit_transform([m.title for m in messages])
    titles = titles.astype(np.float32)
    title_sizes = np.asarray(titles.sum(axis=1)).ravel()
    pairs: list[tuple[float, int, int]] = []
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        cosine = (described[start:stop] @ described.T).toarray()
        shared = (titles[start:stop] @ titles.T).toarray()
        union = title_sizes[start:stop, None] + title_sizes[None, :] - shared
        title_jaccard = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
        score = (cosine + title_jaccard) / 2.0
        rows, cols = np.nonzero(score >= floor)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            i = start + r
            if c <= i or places_conflict(messages[i], messages[c]):
                continue
            pairs.append((round(float(score[r, c]), 4), i, c))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    return pairs


def groups_find(
    messages: Sequence[Message],
    *,
    threshold: float = GROUP_THRESHOLD,
    pairs: Iterable[tuple[float, int, int]] | None = None,
) -> list[Group]:
    """Connected components of the pairs at or above `threshold`, ordered by their first message's position."""
    parent = list(range(len(messages)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for score, i, j in pairs if pairs is not None else similar_pairs(messages, floor=threshold):
        if score >= threshold:
            a, b = root(i), root(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    members: dict[int, list[Message]] = {}
    for index, message in enumerate(messages):
        members.setdefault(root(index), []).append(message)
    return [Group(messages=members[key]) for key in sorted(members)]


# --- cleaning -------------------------------------------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_RE.findall(text) if s.strip()]


def content_length(text: str) -> int:
    return sum(1 for ch in text if unicodedata.category(ch)[0] in "LN")


def reply_clean(reply: str) -> str:
    """The substance of an official reply: without the board's preamble, greeting, thanks and date.

    Only opening and closing sentences that are nothing but the formula go ("您好！您的留言已收悉。", "感谢您对我们工作
    的理解与监督！2019年5月9日"); a sentence that acknowledges and also says something ("收悉后，我局立即核查…") stays.
    Citizens' board ids ("网友“A00023583”") become "网友".
    """
    # No NFKC here: it would turn the reply's Chinese punctuation (，（）) into ASCII in the published answer.
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in reply or "")
    text = re.sub(r"\s+", " ", text).strip()
    text = _USER_ID_RE.sub(r"\1", text)
    preamble = _PREAMBLE_RE.match(text)
    # Cut the preamble only when something substantial follows it.
    if preamble and content_length(text[preamble.end() :]) >= 30:
        text = text[preamble.end() :]
    text = _SALUTATION_RE.sub("", text, count=1)
    text = _DATE_TAIL_RE.sub("", text)
    sentences = _sentences(text)
    while sentences and _is_formula(sentences[0]):
        sentences.pop(0)
    while sentences and _is_formula(sentences[-1]):
        sentences.pop()
    cleaned = "".join(sentences).strip()
    cleaned = _DATE_TAIL_RE.sub("", cleaned).strip(" ，,")
    if cleaned and cleaned[-1] not in "。！？!?）)”":
        cleaned += "。"
    return _truncate(cleaned, ANSWER_MAX) if content_length(cleaned) >= 15 else ""


def _is_formula(sentence: str) -> bool:
    """A sentence that only greets, acknowledges or thanks: short, and matching the board's formulas."""
    return (
        bool(_BOILERPLATE_RE.search(sentence)) and content_length(sentence) <= 60 and not _SUBSTANCE_RE.search(sentence)
    )


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind("。"), cut.rfind("；"), cut.rfind("！"))
    return cut[: end + 1] if end > limit // 2 else cut[: limit - 1] + "…"


def policy_basis_find(text: str) -> list[str]:
    """The laws, regulations and policy documents a reply cites, with the article when it names one, in order."""
    found: list[str] = []
    for name, article in _BOOK_RE.findall(text or ""):
        name = name.strip()
        kind = re.sub(r"[（(][^（()）]*[）)]$", "", name)  # "…实施办法（试行）" is an 办法
        if len(name) < 4 or not _POLICY_END_RE.search(kind) or _NOT_POLICY_RE.search(name):
            continue
        item = f"《{name}》{article}"
        if item not in found and not any(f.startswith(f"《{name}》") and not article for f in found):
            found.append(item)
    return found


# --- one draft per group --------------------------------------------------------------------------------------------


def title_choose(group: Group) -> str:
    """The clearest title: not a "再次…" follow-up when another exists, closest to the others, then the shortest."""
    candidates = [m.title for m in group.messages if m.title] or [group.messages[0].body[:60]]
    plain = [t for t in candidates if not _REPEAT_PREFIX_RE.match(t)] or candidates
    grams = {t: set(_bigrams(t)) for t in candidates}

    def closeness(title: str) -> float:
        mine = grams[title]
        return sum(len(mine & grams[o]) / max(1, len(mine | grams[o])) for o in candidates if o is not title)

    best = min(plain, key=lambda t: (-closeness(t), len(t), t))
    return _REPEAT_PREFIX_RE.sub("", best).strip()[:TITLE_MAX] or best[:TITLE_MAX]


def answer_choose(group: Group) -> tuple[str, Message | None]:
    """The most substantive cleaned reply (most letters and digits), the most recent one on a tie."""
    best: tuple[int, str, str, Message] | None = None
    for message in group.messages:
        cleaned = reply_clean(message.reply)
        if not cleaned:
            continue
        key = (content_length(cleaned), message.reply_time, cleaned, message)
        if best is None or key[:2] > best[:2]:
            best = key
    return (best[2], best[3]) if best else ("", None)


def area_find(group: Group) -> str:
    """The district the group's messages name most (titles count double), else the whole city."""
    counts: Counter[str] = Counter()
    for message in group.messages:
        for district in districts_named(message.title):
            counts[district] += 2
        for district in districts_named(message.body):
            counts[district] += 1
    if not counts:
        return CITY_WIDE
    return min(counts, key=lambda d: (-counts[d], d))


@lru_cache(maxsize=8192)
def _tag_words(text: str) -> tuple[str, ...]:
    return tuple(
        w
        for w in tokenize(text)
        if 2 <= len(w) <= 20
        and w not in _TAG_STOPWORDS
        and not re.search(r"[0-9a-z]", w)
        and not w.endswith(("县", "区"))
        and not w.startswith(("县", "区", "市"))
    )


def _tag_text(message: Message) -> str:
    return f"{message.title}\n{message.body[:200]}"


def tags_choose(group: Group, document_frequency: Counter[str], documents: int) -> list[str]:
    """The group's most telling words: frequent in its titles (and the start of its bodies), rare elsewhere."""
    counts: Counter[str] = Counter()
    for message in group.messages:
        counts.update(_tag_words(message.title))  # and again below: the citizen's own summary weighs double
        counts.update(_tag_words(_tag_text(message)))
    scored = {w: c * math.log((1 + documents) / (1 + document_frequency.get(w, 0))) for w, c in counts.items()}
    return [w for w in sorted(scored, key=lambda w: (-scored[w], w))[:TAGS_MAX]]


def source_for(ids: Sequence[int]) -> str:
    """ "messages_replies: 2549, 2611" (the seeding's idempotency key); long groups end in "… (+N)" to fit 200."""
    text = SOURCE_PREFIX + ", ".join(str(i) for i in ids)
    if len(text) <= SOURCE_MAX:
        return text
    shown: list[str] = []
    for number, ident in enumerate(ids):
        tail = f", … (+{len(ids) - number})"
        candidate = SOURCE_PREFIX + ", ".join([*shown, str(ident)])
        if len(candidate) + len(f", … (+{len(ids) - number - 1})") > SOURCE_MAX:
            return SOURCE_PREFIX + ", ".join(shown) + tail
        shown.append(str(ident))
    return text


Classify = Callable[[Sequence[str], Sequence[str]], Sequence[str]]


def drafts_build(
    groups: Sequence[Group], *, classify: Classify | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """One draft dict per group with a usable reply: the keys `knowledge_drafts_bulk_create` takes.

    title, answer, policy_basis ("；"-joined), area, tags (list), source, and `category` (the dispatch classifier's
    level-1 label for the draft's question, "" without `classify`). Groups whose every reply is empty or only the
    board's formula are skipped. `limit` keeps the first N drafts (largest groups first, then file order).
    """
    ordered = sorted(groups, key=lambda g: (-len(g.messages), g.messages[0].id))
    document_frequency: Counter[str] = Counter()
    for group in ordered:
        words: set[str] = set()
        for message in group.messages:
            words.update(_tag_words(_tag_text(message)))
        document_frequency.update(words)
    drafts: list[dict[str, Any]] = []
    questions: list[tuple[str, str]] = []
    for group in ordered:
        if limit is not None and len(drafts) >= limit:
            break
        answer, _answered = answer_choose(group)
        if not answer:
            continue
        basis = policy_basis_find("\n".join(m.reply for m in group.messages))
        drafts.append(
            {
                "title": title_choose(group),
                "answer": answer,
                "policy_basis": "；".join(basis),
                "area": area_find(group),
                "tags": tags_choose(group, document_frequency, len(ordered)),
                "source": source_for(group.ids),
                "category": "",
                "message_ids": group.ids,
            }
        )
        questions.append((group.messages[0].title, group.messages[0].body))
    if classify is not None and drafts:
        labels = classify([t for t, _b in questions], [b for _t, b in questions])
        for draft, label in zip(drafts, labels, strict=True):
            draft["category"] = label or ""
    return drafts


def sources_of(drafts: Iterable[dict[str, Any]]) -> list[str]:
    return [d["source"] for d in drafts]
