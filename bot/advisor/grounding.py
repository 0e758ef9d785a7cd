"""Is an extracted fact grounded in what the person said, or did the model make it up or echo us?

A model on a bad day returns its input as "facts": the date of today, the headings and lines of
our prompt, the JSON list of existing memories, the assistant's question. None of that is about
the person. A fact is kept only when (`grounding_reason` is None):

- it has words (not a bare date or number), is no question, has no Markdown or HTML markup, and
  is not JSON (`shape_reason`, which `/remember` applies too);
- it is not a line of our prompt, of the assistant's message or an existing memory repeated
  word for word (unless the person said those words themselves);
- enough of its content words come from the person's message: at least a third of them (a model
  paraphrases: "Is married with two children" for "my wife and I have two kids"), and at least
  one. The small words facts are phrased with ("likes", "has", "years old") do not count; an
  update or merge may also take words from the memories it rewrites and from the assistant's
  last message (three quarters known, one word at least from the person). A line copied word for
  word from our prompt, the assistant's message or an existing memory is refused outright.

Words match on their beginning, so "trains" matches "train" and "бегает" matches "бегаю".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.advisor.safety import clean
from bot.i18n import N_

_LETTER = re.compile(r"[^\W\d_]")
_MARKUP = re.compile(
    r"^\s*(?:#{1,6}\s|```|~~~|-{3,}|\*{3,}|_{3,}|\||>\s|[-*+]\s|\d+[.)]\s)"  # headings, rules, tables, lists
    r"|```|\*\*|__\w|`[^`]+`|</?[a-z][a-z0-9]*(?:\s[^>]*)?>|^\s*\[[^\]]*\]\s*$",  # code, bold, HTML
    re.IGNORECASE,
)
_JSON = re.compile(r"^\s*[\[{]|\"[\w ]+\"\s*:\s*[\"\[{\d]")
# CJK characters count one by one (no spaces between words); other scripts by words.
_CJK = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W\d_{_CJK}]+|\d+")

# Function words and the words a fact is phrased with, in the bot's languages: never evidence.
_NEUTRAL_WORDS = (
    "the and for with from into onto about that this these those there here what which who whom "
    "how when where why not very just also too can could will would should shall may might must "
    "was were been being does did have has had having are his her hers its they them their "
    "theirs she him user person people likes like loves love enjoys enjoy prefers prefer wants "
    "want plans plan usually often sometimes always never now currently still again later named "
    "called name years year old age lives live works work job doing goes going uses use owns own "
    "trains train training gets get got one some any all each every other than then but because "
    "while since until after before during per via over under out off much many more most less "
    "least это как что для при или его она они оно был была было были есть уже ещё еще тоже "
    "также очень себя свой своя свои любит нравится хочет зовут лет года der die das und mit für "
    "von ist sind hat haben ein eine einen nicht auch sehr mag les des une pour avec dans est "
    "sont aime pas plus très los las una con para por del que gusta tiene"
)
_NEUTRAL = frozenset(_NEUTRAL_WORDS.split())


def _tokens(text: str) -> list[str]:
    found = _TOKEN.findall(clean(text).casefold())
    return [t for t in found if len(t) >= 3 or t.isdigit() or ord(t[0]) > 0x3000]


def _content(text: str) -> list[str]:
    return [t for t in _tokens(text) if t not in _NEUTRAL]


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    if a.isdigit() or b.isdigit() or min(len(a), len(b)) < 3:
        return False
    short, long_ = sorted((a, b), key=len)
    if long_.startswith(short):
        return True
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= max(4, len(short) - 2)


def _matches(token: str, vocabulary: Iterable[str]) -> bool:
    return any(_same_word(token, word) for word in vocabulary)


def _normal(text: str) -> str:
    return " ".join(_tokens(text))


def shape_reason(text: str) -> str | None:
    """Why `text` cannot be a fact at all (no words, markup, JSON), or None."""
    cleaned = clean(text).strip()
    if not _LETTER.search(cleaned):
        return N_("not a fact: no words (a bare date or number)")
    if cleaned.endswith("?"):
        return N_("not a fact: a question")
    if _JSON.search(cleaned):
        return N_("not a fact: it looks like JSON")
    if _MARKUP.search(cleaned):
        return N_("not a fact: it has formatting markup")
    return None


def grounding_reason(
    fact: str,
    *,
    message: str,
    context: str = "",
    replaced: Sequence[str] = (),
    not_sources: Sequence[str] = (),
    remembered: Sequence[str] = (),
) -> str | None:
    """Why `fact` is not grounded in the person's `message`, or None when it is.

    `context`: the assistant's last message; `replaced`: the memories an update or merge rewrites;
    `not_sources`: texts a fact must never be copied from (our prompt); `remembered`: the other
    existing memories (a fact that says nothing beyond one of them is that memory offered back).
    """
    reason = shape_reason(fact)
    if reason:
        return reason
    said = _normal(message)
    key = _normal(fact)
    if not key:
        return "not a fact: no words"
    for source in (context, *not_sources, *remembered):
        for line in source.splitlines():
            line_key = _normal(line)
            if line_key and (key == line_key or (len(key) > 12 and key in line_key)) and key not in said:
                return "copied from the prompt, not said by the person"
    words = _content(fact)
    if not words:
        return "not a fact: no content words"
    numbers = [word for word in words if word.isdigit()]
    for memory in remembered:
        theirs = _content(memory)
        same_numbers = numbers == [word for word in theirs if word.isdigit()]
        if same_numbers and all(_matches(word, theirs) for word in words):
            return "an existing memory offered back as new"
    own = set(_tokens(message))
    from_message = sum(1 for word in words if _matches(word, own))
    if from_message and from_message * 3 >= len(words):
        return None
    if from_message and replaced:  # a merge or update may carry the words of what it rewrites
        known = own | set(_tokens(context)) | {t for text in replaced for t in _tokens(text)}
        if sum(1 for word in words if _matches(word, known)) * 4 >= len(words) * 3:
            return None
    return "not grounded in the person's message"
