"""Naming a figure's indicator: where its subject is written in the sentence (the clause before
it, the noun after a classifier, the clause or figure before, a list's item) and the words
to put before and after it in the normalised name."""

from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import pairwise

from rag.answer.spans import CLAUSE_END
from rag.lang.places import Place
from rag.lang.tags import tagged
from rag.targets.figures import (
    CLAUSE_OR_LIST,
    COUNTED,
    Figure,
    base_unit,
    class_end,
    later_in_clause,
)
from rag.targets.heads import bare_measure_end, measures_in
from rag.targets.indicator import (
    _SCOPE,
    RIGHT_PREDICATE,
    normalise_indicator,
    strip_back,
    strip_front,
    substantive,
)
from rag.targets.lists import RELATIONAL, listed_before, respectively
from rag.targets.phrase import (
    all_nouns,
    distinguishing_run,
    ends_nominal,
    head_noun,
    item_marks,
    leading_noun,
    names_a_thing,
    nominal_phrase,
    noun_run,
)


def _subject(
    text: str, clause_start: int, fig: Figure, within: Place | None = None
) -> tuple[int, int]:
    """The indicator's span (sentence offsets) in the clause before the figure; empty when the
    clause has no subject of its own."""
    start = listed_before(text, clause_start)
    left = text[start : fig.start]
    front = strip_front(left, within=within)
    back = strip_back(left[front:])
    s, e = start + front, start + front + back
    while e > s and text[e - 1] in " \t，,、：:":
        e -= 1
    return s, e


def _right_noun(
    text: str, fig: Figure, classes: Mapping[int, int] | None = None
) -> tuple[int, int]:
    """The noun a numeral-classifier phrase stands before (培育30家「拟上市科技企业」): what
    follows the figure directly, to the clause's end or a 的; empty when the figure closes its
    clause or qualifies the noun with 的 (总投资711亿元「的」…项目: that noun is not the
    indicator). A class figure that opens the noun is part of it (7个「750千伏输变电工程」:
    rag.targets.figures.classes; 3个「100亿级产业名镇」: figures.class_end)."""
    s = fig.end + len(fig.bound)
    inner = class_end(text, (classes or {}).get(s, s))
    if inner >= len(text) or not re.match(r"[\u4e00-\u9fff“\"A-Za-z]", text[inner]):
        return s, s
    stop = _RIGHT_STOP.search(text, inner)
    longest = s + _RIGHT_CHARS
    while stop is not None and stop.group() == "、" and _open_bracket(text, inner, stop.start()):
        # 「2147个县（市、区）实施…」: a list inside brackets is part of the noun, and does not
        # count towards its length
        close = re.compile(r"[）)]").search(text, stop.end())
        longest += (close.end() if close else len(text)) - stop.start()
        stop = _RIGHT_STOP.search(text, close.end() if close else len(text))
    e = stop.start() if stop else len(text)
    verb = RIGHT_PREDICATE.search(text, s + 2, e)
    if verb is None and text.startswith("的", e) and _relative_clause(text[inner:e]):
        # 「60％政府举办的|基层医疗卫生机构」: a clause ending in its verb before 的 lacks its
        # object, the noun after 的, which is what the figure counts
        return s, _after_de(text, e + 1)
    e = min(verb.start() if verb else e, longest)
    return s, s + strip_back(text[s:e])


def _measured_after(text: str, right: tuple[int, int], left: str) -> bool:
    """The noun after a figure closes its clause and ends in a fitted measure word that the
    words before the figure do not name (「中央财政安排1000亿元|专项奖补资金」): the figure is
    that noun's amount."""
    noun = text[right[0] : right[1]]
    closes = right[1] >= len(text) or text[right[1]] in "，,。；;、"
    return closes and measures_in(noun) and not measures_in(left) and bool(bare_measure_end(noun))


def _share_of_after(text: str, fig: Figure, right: tuple[int, int], left: str) -> bool:
    """A percentage right before a noun phrase that closes its clause, after a verb
    (「…覆盖92%|乡镇」, 「覆盖全省90%|乡镇卫生院、社区卫生服务中心」): the share is of that noun,
    which the verb's subject reaches."""
    noun = text[right[0] : right[1]]
    closes = right[1] >= len(text) or text[right[1]] in "，,。；;、"
    if base_unit(fig.unit)[0] != "%" or not closes or not noun:
        return False  # most figures: no need to tag them
    words = [(w, f) for w, f in tagged(left) if w.strip()]
    while words and _SCOPE.fullmatch(words[-1][0]):
        words.pop()  # 「覆盖全省90%…」: where, not what
    after_verb = bool(words) and words[-1][1] == "v"
    return after_verb and right[0] == fig.end + len(fig.bound) and nominal_phrase(noun)


# the longest noun after a figure
_RIGHT_CHARS = 20
# where the noun after a figure ends: a clause mark, 、, 的 or a digit
_RIGHT_STOP = re.compile(CLAUSE_OR_LIST.pattern[:-1] + r"的\d]")


def _open_bracket(text: str, start: int, end: int) -> bool:
    """A bracket opened in text[start:end] and not closed there."""
    part = text[start:end]
    return part.count("（") + part.count("(") > part.count("）") + part.count(")")


def _relative_clause(phrase: str) -> bool:
    """A clause with a subject of its own that ends in its verb (「政府举办」, 「国务院部门…实施」):
    its object is the noun after 的. A verb alone (「1亿人|居住的…」) has the figure's counted
    noun as its subject: the people, not the homes."""
    words = [(w, f) for w, f in tagged(phrase) if w.strip()]
    return len(words) > 1 and words[-1][1] == "v" and names_a_thing(phrase)


def _after_de(text: str, at: int) -> int:
    """Where the noun phrase after a relative clause's 的 ends: before its predicate
    (「基层医疗卫生机构|实施基本药物制度」) or the clause's end."""
    stop = CLAUSE_OR_LIST.search(text, at)
    e = stop.start() if stop else len(text)
    return at + leading_noun(text[at:e])


def qualified_after(text: str, fig: Figure) -> str:
    """The noun phrase a figure qualifies with 的 (「总投资711亿元的|古雷炼化一体化工程二期项目|
    开工建设」): after 的, before its predicate or the clause's end, ending in a noun and with no
    figure of its own; "" otherwise."""
    at = fig.end + len(fig.bound)
    if not text.startswith("的", at):
        return ""
    end = _after_de(text, at + 1)
    phrase = text[at + 1 : end]
    phrase = phrase[: strip_back(phrase)]
    if re.search(r"\d", phrase) or not ends_nominal(phrase) or not names_a_thing(phrase):
        return ""
    return phrase


def object_after(text: str, span: tuple[int, int], found: list[Figure]) -> str:
    """The noun a later figure counts, when the words after a figure up to that one are a verb
    alone (「投入125亿元|办好|40件群众急难愁盼民生实事」): the figure is for that verb's object;
    "" otherwise."""
    later = next((f for f in found if f.start == span[1]), None)
    verb = text[span[0] : span[1]]
    if later is None or not verb or names_a_thing(verb):
        return ""
    if any(f[:1] != "v" for w, f in tagged(verb) if w.strip()):
        return ""
    noun = _right_noun(text, later)
    phrase = text[noun[0] : noun[1]]
    return phrase if substantive(phrase) and names_a_thing(phrase) else ""


def _previous_clause(text: str, clause_start: int, within: Place | None = None) -> tuple[int, int]:
    """The subject of the clause before (「粮食总产量再上新台阶，突破1600亿斤」)."""
    marks = [m.end() for m in CLAUSE_END.finditer(text, 0, max(clause_start - 1, 0))]
    begin = marks[-1] if marks else 0
    left = text[begin : max(clause_start - 1, begin)]
    front = strip_front(left, within=within)
    back = strip_back(left[front:])
    return begin + front, begin + front + back


# a verb alone before a quantity of things (新投产, 废止): short; rates (出口增长5%) name a
# measure with the verb itself
_BARE_VERB = 3
_RATES = frozenset({"%", "个百分点", "百分点", "倍"})
# the bounds before a figure that a subject passes (rag.targets.indicator's BOUND_BEFORE, not
# the approximations 约/近: 「约8000万纳税人」 counts the noun after it)
_PASSES = re.compile(r"突破|超过|超|逾")


def indicator_span(
    text: str,
    fig: Figure,
    clause_start: int,
    previous: tuple[int, int, int] | None,
    found: list[Figure],
    within: Place | None = None,
    earlier: Mapping[int, tuple[int, int]] | None = None,
    classes: Mapping[int, int] | None = None,
) -> tuple[tuple[int, int], str, str]:
    """Where the figure's indicator is written in the sentence, and the words to put before
    and after it in its normalised name (「出台关爱新就业群体」 before 「措施」; 「投资」 after
    「水利」)."""
    separately = respectively(text, fig, found, within, earlier)
    if separately is not None:
        (a, b), tail = separately
        return (a, b), "", tail
    subj = _subject(text, clause_start, fig, within)
    right = _right_noun(text, fig, classes)
    # a bare 万/亿 before a noun counts it (「6434万农村人口」, 「510万沼气用户」)
    counted = base_unit(fig.unit)[0] in COUNTED or (fig.unit != "" and not base_unit(fig.unit)[0])
    listing = text[subj[1] : fig.start].strip().endswith("等")
    left = text[subj[0] : subj[1]]
    if counted and not substantive(text[right[0] : right[1]]):
        # 「相继出台43条、16条具体举措」: figures listed before one noun share it
        # (「1个400亿级、3个100亿级产业名镇」: past a class, and without the next one's class)
        at = class_end(text, fig.end + len(fig.bound))
        nxt = next((f for f in found if f.start > fig.start), None)
        if text[at : at + 1] in "、和" and nxt is not None and nxt.start == at + 1:
            shared = _right_noun(text, nxt)
            right = (class_end(text, shared[0]), shared[1])
    grade = text[right[0] : right[1]]
    listed = text[right[1] : right[1] + 1] in ("、", "和")
    if counted and listed and substantive(grade) and distinguishing_run(grade) == len(grade):
        # 「新建8个国家级、36个省级临床重点专科」: a count of a grade alone shares the head of
        # the count listed after it
        nxt = next((f for f in found if f.start > fig.start), None)
        if (
            text[right[1] : right[1] + 1] in "、和"
            and nxt is not None
            and nxt.start == right[1] + 1
        ):
            shared = _right_noun(text, nxt)
            head = shared[0] + distinguishing_run(text[shared[0] : shared[1]])
            if shared[0] < head < shared[1] and substantive(text[head : shared[1]]):
                return (head, shared[1]), grade, ""
    later = later_in_clause(text, fig, found)
    if counted and later is not None and substantive(text[right[0] : right[1]]):
        own_noun = substantive(text[slice(*_right_noun(text, later))])
        if later.start == right[1] and substantive(left) and not own_noun:
            # 「国家现代农业产业园15个优势特色产业集群9个」: the noun after the figure is written
            # before the next one, which it belongs to; this figure's noun is the one before it
            return subj, "", ""
        # 「12个闽宁产业园新入驻企业154家」, 「86个重大项目已开工74个」: the phrase after the count
        # is the subject of a later figure; the count quantifies its leading noun phrase
        cut = leading_noun(text[right[0] : later.start])
        cut = min(cut, right[1] - right[0])
        right = (right[0], right[0] + strip_back(text[right[0] : right[0] + cut]))
    if (
        fig.unit
        and not base_unit(fig.unit)[0]
        and len(left) > _BARE_VERB
        and _PASSES.fullmatch(text[subj[1] : fig.start].strip())
        and all_nouns(left)
    ):
        # 「人均地区生产总值突破5万关口」: a magnitude alone that a noun phrase passes is a
        # threshold of that phrase's figure; the noun after it (关口, 大关) counts nothing
        return subj, "", ""
    if (
        substantive(text[right[0] : right[1]])
        and not fig.rank
        and (
            counted
            or 0 < len(left) <= 2
            or (substantive(left) and not names_a_thing(left))
            or _measured_after(text, right, left)
            or _share_of_after(text, fig, right, left)
        )
    ):
        # 数词+量词+名词: the classifier phrase names the noun after it; a phrase before it
        # says what kind (出台关爱新就业群体「15条」措施, 建设「4万亩」高标准农田), unless it
        # lists examples (…等) or is a short verb (培育30家…)
        # (not when it is the item before in a list: 「100个X和300个Y」)
        before_fig = text[subj[0] : fig.start].rstrip()
        marks = item_marks(before_fig) if before_fig[-1:] in ("和", "与", "及", "、") else []
        item_before = bool(marks) and marks[-1][1] == len(before_fig)
        long_left = (len(left) > 4 or not counted) and not listing and not item_before
        return right, left if long_left else "", ""
    if (
        substantive(left)
        and substantive(text[right[0] : right[1]])
        and text[: fig.start].rstrip().endswith("的")
        and not fig.rank
        and base_unit(fig.unit)[0] not in _RATES
    ):
        # 「全国最大的25万吨煤基乙烯聚合物项目投产」: a phrase with 的 before a figure qualifies
        # the noun after it, which the figure measures (not a rate: 「衔接资金的62%」 is a share
        # of the phrase)
        return right, left, ""
    both = _BOTH.match(left)
    if both and RELATIONAL.match(left, both.end()) and earlier:
        # 「出让矿业权182宗、成交价116.8亿元，均居全国第2位」: every figure before it in the
        # sentence run is ranked
        run = max([0, *(m.end() for m in re.finditer(r"[。；;]", text[: fig.start]))])
        named = [text[a:b] for start, (a, b) in sorted(earlier.items()) if run <= start]
        if named:
            return subj, "、".join(dict.fromkeys(named)), ""
    rate = _RATE.fullmatch(normalise_indicator(left))
    if RELATIONAL.match(left) or (rate and previous is not None and not all_nouns(left[:-1])):
        # 「保供任务8.3亿吨、占全国34.5%」, 「增速居全国第3位」: what is compared is the subject
        # before; a rate of a verb alone (「…诉求474万余件、办结率99.26%」) is the rate of it, a
        # rate of a noun (赤字率) an indicator of its own
        if previous is not None and not re.search(r"[。；;]", text[previous[2] : fig.start]):
            return subj, text[previous[0] : previous[1]], ""
        before = _previous_clause(text, clause_start, within)
        return subj, text[before[0] : before[1]], ""
    figure_before = next((f for f in reversed(found) if f.start < fig.start), None)
    if (
        substantive(left)
        and len(left) <= _BARE_VERB
        and previous is not None
        and figure_before is not None
        and base_unit(fig.unit)[0] not in _RATES
        and not names_a_thing(left)
        and base_unit(figure_before.unit)[0] == base_unit(fig.unit)[0]
        and not re.search(r"[。；;]", text[previous[2] : fig.start])
    ):
        # 「新开工装机1000万千瓦、新投产600万千瓦」, 「审议地方性法规14部、废止11部」: a verb alone
        # counts the thing the figure before it, in the same unit, names
        return subj, "", head_noun(text[previous[0] : previous[1]])
    measured = _noun_after_de(text, fig)
    if substantive(text[slice(*measured)]) and substantive(left) and not names_a_thing(left):
        # 「新增8000万吨标准煤的节能能力」: a verb alone before the figure, and the noun the
        # figure qualifies with 的 after it, which it measures
        return measured, left, ""
    if substantive(left):
        return subj, "", ""
    between = text[previous[2] : fig.start] if previous else "。"
    if previous is not None and not re.search(r"[。；;]", between):
        rest = CLAUSE_OR_LIST.split(between, maxsplit=1)[0]
        own = _own_clause_between(text, previous[2], fig.start, within)
        if (own is not None or substantive(rest[: strip_back(rest)])) and substantive(
            text[right[0] : right[1]]
        ):
            # 「25万吨煤基乙烯聚合物项目投产、300万吨CCUS…项目建成、135万吨聚烯烃…项目开工」:
            # the figure before has a noun of its own after it, or a clause of its own
            # follows; so does this one
            return right, "", ""
        if own is not None:
            # 「庆阳经济总量迈上1200亿台阶，酒泉经济总量突破千亿、达到1042亿元」: a clause in
            # between names a subject of its own; the figure is its, not the one before's
            return own, "", ""
        # 「达到5.2万亿元、增长5.6%」: the same subject; 「增长8.3%，高于全国2.5个百分点」: the
        # same subject's lead over another, which the name says
        lead_over = _COMPARED.search(between)
        over = between[lead_over.start() :].strip(" ，,、") if lead_over else ""
        return previous[:2], "", over
    if substantive(text[right[0] : right[1]]):
        return right, "", ""
    return _previous_clause(text, clause_start, within), "", ""


def _own_clause_between(
    text: str, begin: int, end: int, within: Place | None
) -> tuple[int, int] | None:
    """The subject of the last clause between the figure before (ending at `begin`) and the
    figure (at `end`) that has no digits and opens with nouns of its own: the clause that the
    figure's own subjectless clause continues (「酒泉经济总量突破千亿、|达到1042亿元」)."""
    marks = [m.end() for m in CLAUSE_OR_LIST.finditer(text, begin, end)]
    for a, b in reversed(list(pairwise(marks))):
        clause = text[a : b - 1]
        if re.search(r"\d", clause):
            continue
        front = strip_front(clause, within=within)
        run = noun_run(clause[front:])
        if substantive(clause[front : front + run]):
            return a + front, a + front + run
    return None


def _noun_after_de(text: str, fig: Figure) -> tuple[int, int]:
    """The noun phrase a figure qualifies with 的 when it ends the figure's clause
    (「8000万吨标准煤的|节能能力」。); empty otherwise."""
    s = fig.end + len(fig.bound)
    if not text.startswith("的", s):
        return s, s
    stop = CLAUSE_OR_LIST.search(text, s + 1)
    e = stop.start() if stop else len(text)
    phrase = text[s + 1 : e]
    if re.search(r"\d", phrase) or not ends_nominal(phrase) or strip_back(phrase) < len(phrase):
        return s, s
    return s + 1, e


# 均/都 before a relation: it holds for every figure before (「…，均居全国第2位」)
_BOTH = re.compile(r"均|都")
# a rate or degree named alone (满意度, 办结率): the rate of the subject before it
_RATE = re.compile(r"[\u4e00-\u9fff]{1,2}[率度]")
# a comparison with another figure (a lead over the country, the average): 比上年 is only how
# a growth is stated, the kind column says that
_COMPARED = re.compile(r"高于|低于|快于|慢于")
