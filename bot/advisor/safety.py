"""What must never be kept or passed on: secrets, instructions aimed at the bot, links.

Everything is checked on a normalised copy of the text (`clean`: NFKC, invisible characters
removed; `fold`: Cyrillic and Greek look-alikes as the Latin letters they imitate), so zero-width
characters inside a word, Unicode tag characters, full-width letters and look-alikes do not hide a
word from the guards. Links are recognised by their shape (a scheme, `www.`, a host with a path,
a bare `name.tld`, a Markdown link, a Telegram @username), not by a list of domains.

`redact` replaces only the secret itself (the password after "password is", the card number, the
PIN, the IBAN, the one-time code, the key) with a placeholder such as `[password]`, so the rest of
the sentence can still be understood; `unsafe_reason` tells why a fact may never be stored.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import threading
import unicodedata

from bot.advisor.random_tokens import random_token_spans
from bot.advisor.secret_rules import SecretRules
from bot.errors import Refused
from bot.i18n import N_
from bot.runtime.recent import Recent


class MemoryRefused(Refused):
    """A fact that must never be stored (a secret, an instruction to the bot, a link).

    `str(exc)` names the kind ("card number", "instruction to the bot"), never the text itself.
    """


# --- normalisation -------------------------------------------------------------------------------

# Format characters (zero-width space / joiner / non-joiner, word joiner, BOM, soft hyphen, bidi
# controls, Unicode tags U+E0000-E007F) and variation selectors: invisible, so never meaningful
# inside a fact, and a classic way to split a word the guards look for.
# (a selector after an emoji, "🏋️", is kept: it only picks the emoji's colour presentation).
_VARIATION = re.compile("(?<=\\w)[\ufe00-\ufe0f]+|[\U000e0100-\U000e01ef]")

# One character for one character (positions stay put): look-alikes of Latin letters.
_CONFUSABLES = str.maketrans(
    "АВЕКМНОРСТУХаеорсухіјѕԁɡһӏΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοριυνκτ",
    "ABEKMHOPCTYXaeopcyxijsdghlABEZHIKMNOPTYXaopiuvkt",
)


# The zero-width joiner also builds emoji ("👨‍👩‍👧"): kept between two symbols, dropped next to a letter.
_JOINER_IN_WORD = re.compile(r"(?<=\w)\u200d|\u200d(?=\w)")


def clean(text: str) -> str:
    """NFKC (full-width letters, ligatures, compatibility forms) without invisible characters."""
    if text.isascii():  # NFKC leaves ASCII as it is, and no ASCII character is invisible (Cf)
        return text
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if c == "\u200d" or unicodedata.category(c) != "Cf")
    text = _JOINER_IN_WORD.sub("", text)
    return _VARIATION.sub("", text)


def fold(text: str) -> str:
    """`text` with look-alike letters as the Latin ones they imitate (same length)."""
    return text.translate(_CONFUSABLES)


def _forms(text: str) -> tuple[str, ...]:
    cleaned = clean(text)
    folded = fold(cleaned)
    return (cleaned,) if folded == cleaned else (cleaned, folded)


# --- secrets -------------------------------------------------------------------------------------

_CARD_CANDIDATE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
_IBAN_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_API_KEY = re.compile(
    r"AIza[0-9A-Za-z_\-]{30,}"  # Google
    r"|\bsk-[A-Za-z0-9_\-]{16,}"  # OpenAI-style
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}"  # GitHub
    r"|\bxox[abposr]-[A-Za-z0-9\-]{10,}"  # Slack
    r"|\bAKIA[0-9A-Z]{16}\b"  # AWS
    r"|\b\d{6,12}:[A-Za-z0-9_\-]{30,}"  # Telegram bot token
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
)
_CONNECTOR = r"\s*(?:is|was|are|:|=|—|–|-|ist|lautet|est|es|era|é|è|это|будет|je|to)?\s*"
# Without "to": "pin to 100" sets a weight stack.
_PIN_CONNECTOR = r"\s*(?:is|was|are|:|=|—|–|-|ist|lautet|est|es|era|é|è|это|будет|je)?\s*"
_VALUE = r"[\"'«“„]?(?P<value>[^\s\"'»”]+)"
# The word of a secret, in the languages the bot answers in, and what may stand between the word
# and its value ("password for the gym locker is ...").
_LOGIN_WORD = (
    r"(?:pass(?:word|phrase|code)s?|passwd|pwd|пароль|пароля|парол[ьи]|passwort|kennwort|"
    r"mot de passe|contraseña|contrasena|senha|hasło|haslo|parola d'ordine)"
)
_GAP = r"(?:\s+(?:for|to|of|on|at|от|для|к|на|für|zu|vom|pour|de|du|para|del|per|do|da)(?:\s+\S+){1,3}?)?"
_PASSWORD = re.compile(
    rf"\b{_LOGIN_WORD}{_GAP}\s*(?:\bis\b|\bwas\b|:|=|—|–|\bist\b|\blautet\b|\best\b|\bes\b|\bera\b|\bé\b|"
    rf"\bè\b|\bэто\b|\bjest\b)\s*{_VALUE}",
    re.IGNORECASE,
)
# "password Hunter2-x7" with no "is": only a word that looks like a password counts.
_PASSWORD_BARE = re.compile(rf"\b{_LOGIN_WORD}\s+{_VALUE}", re.IGNORECASE)
_PIN = re.compile(
    r"\b(?:pin|пин|пин-код|pin-code|pin-kod|code pin|código pin|codice pin)"
    r"(?:[\s-]?(?:code|number|код|nummer))?"
    rf"{_PIN_CONNECTOR}(?P<value>\d(?:[\s-]?\d){{2,9}})\b",
    re.IGNORECASE,
)
_CODE = re.compile(
    r"\b(?:(?:one[\s-]?time|verification|confirmation|login|sign[\s-]?in|sms|security|2fa|otp|auth(?:entication)?)"
    r"[\s-]?(?:code|pin|password)?|otp|код\s+(?:подтверждения|из смс|доступа)|"
    r"bestätigungscode|code de (?:vérification|confirmation)|código de (?:verificación|confirmación)|"
    r"codice di verifica)"
    rf"{_CONNECTOR}(?P<value>\d(?:[\s-]?\d){{3,9}})\b",
    re.IGNORECASE,
)
# A bare "code" only with its value announced ("code: 552 901", "the code is 4821"), and never a zip,
# postal, area, country or promo code: "zip code 10115", "the code 2024 release".
_ZIP_OR_PROMO_BEFORE = (
    r"(?<!zip )(?<!postal )(?<!post )(?<!area )(?<!country )(?<!dress )(?<!promo )(?<!discount )"
)
_CODE_BARE = re.compile(
    rf"{_ZIP_OR_PROMO_BEFORE}\b(?:code|код|código|codice)"
    r"\s*(?:\bis\b|\bwas\b|:|=|—|–|\bist\b|\blautet\b|\best\b|\bes\b|\bera\b|\bэто\b)\s*"
    r"(?P<value>\d(?:[\s-]?\d){3,9})\b",
    re.IGNORECASE,
)
_CVV = re.compile(rf"\b(?:cvv2?|cvc2?|csc){_CONNECTOR}(?P<value>\d{{3,4}})\b", re.IGNORECASE)
_KEYWORD_TOKEN = re.compile(
    rf"\b(?:api[\s_-]?key|secret(?:[\s_-]?key)?|access[\s_-]?token|auth[\s_-]?token|token|ключ(?: api)?|"
    rf"токен|schlüssel|clé(?: api)?|clave(?: api)?){_CONNECTOR}{_VALUE}",
    re.IGNORECASE,
)
# "here is my key mlm9iqkm", "the key: KULOcaja": a key named as such, with an article or possessive
# before it ("key points", "the key to success" stay; the value must not look like a word).
_KEY_NAMED = re.compile(
    r"\b(?:my|the|your|our|his|her|their|this|that|a|new|app|license|licence|client|access|private)\s+"
    rf"key{_PIN_CONNECTOR}{_VALUE}",
    re.IGNORECASE,
)
_ACCOUNT = re.compile(
    rf"\b(?:account|acct|номер сч[её]та|сч[её]т|konto(?:nummer)?|numéro de compte|número de cuenta)"
    rf"(?:\s+(?:number|no\.?|#))?{_CONNECTOR}(?P<value>\d(?:[\s-]?\d){{5,19}})\b",
    re.IGNORECASE,
)
# Words that only appear with a secret; a stored fact naming one is never kept.
_SECRET_WORDS = re.compile(
    r"\b(?:pass(?:word|phrase|code)s?|passwd|cvv|cvc|api[\s_-]?keys?|secret[\s_-]?keys?|"
    r"access[\s_-]?tokens?|auth[\s_-]?tokens?|private keys?|seed phrase|one[\s-]?time (?:pass)?codes?|"
    r"otp|2fa codes?|verification codes?|login codes?|sms codes?|security codes?|iban|"
    r"пароль|пароля|пин[\s-]?код|код подтверждения|passwort|kennwort|mot de passe|contraseña)\b",
    re.IGNORECASE,
)
# "PIN" or "code" followed by digits ("my PIN is 4821", "code: 552 901"), not "pin-loaded machine".
_CODE_VALUE = re.compile(
    _ZIP_OR_PROMO_BEFORE + r"\b(?:pin|code)\b\W{0,4}(?:is\W{1,3}|number\W{1,3})?\d[\d -]{2,}", re.IGNORECASE
)
_PLACEHOLDER = re.compile(
    r"\[(?:password|card number|PIN|IBAN|code|CVV|API key|private key|token|account number)\]"
)


# gitleaks' rule set (bot/advisor/gitleaks.toml): keys, tokens, private keys and webhooks by shape.
_RULES = SecretRules.bundled()


def _rule_placeholder(rule: str) -> str:
    return "[private key]" if rule == "private-key" else "[API key]"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _phone_like(text: str, start: int, digits: str) -> bool:
    """A number after "+" or starting with 0 ("+49 151 …", "0049 160 …"): no card starts that way."""
    return digits.startswith("0") or text[:start].rstrip().endswith("+")


def _iban_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


# One message's text is scanned several times (the inbox, the turns kept, the memory outbox, the
# extraction prompt): the spans of the last texts scanned are kept, under a digest of the text
# (never the text itself), so each text is scanned once.
_SPANS_KEPT = 1024
_spans_seen: Recent[bytes, tuple[tuple[int, int, str], ...]] = Recent(_SPANS_KEPT)
_spans_lock = threading.Lock()  # redact also runs on worker threads


def _secret_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, placeholder) of every secret value in `text` (already `clean`)."""
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    with _spans_lock:
        seen = _spans_seen.get(key)
        if seen is not None:
            return list(seen)
    spans = _scan_secret_spans(text)
    with _spans_lock:
        _spans_seen.put(key, tuple(spans))
    return spans


def _scan_secret_spans(text: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    for form in {text, fold(text)}:  # same length: positions hold in both
        for match in _CARD_CANDIDATE.finditer(form):
            digits = re.sub(r"\D", "", match.group())
            if _phone_like(form, match.start(), digits):
                continue
            if 13 <= len(digits) <= 19 and _luhn_ok(digits):
                spans.append((match.start(), match.end(), "[card number]"))
        for match in _IBAN_CANDIDATE.finditer(form):
            if _iban_ok(match.group()):
                spans.append((match.start(), match.end(), "[IBAN]"))
        spans += [(m.start(), m.end(), "[API key]") for m in _API_KEY.finditer(form)]
        found = _RULES.spans(form)
        widened = _whole_tokens(form, [(start, end) for start, end, _ in found])
        spans += [(*span, _rule_placeholder(rule)) for span, (_, _, rule) in zip(widened, found, strict=True)]
        for pattern, placeholder in (
            (_PIN, "[PIN]"),
            (_CVV, "[CVV]"),
            (_CODE, "[code]"),
            (_CODE_BARE, "[code]"),
            (_ACCOUNT, "[account number]"),
            (_KEYWORD_TOKEN, "[token]"),
            (_KEY_NAMED, "[API key]"),
            (_PASSWORD, "[password]"),
            (_PASSWORD_BARE, "[password]"),
        ):
            if pattern is _KEY_NAMED and "key" not in form.lower():  # most messages: skip the regex
                continue
            for match in pattern.finditer(form):
                value = match.group("value").rstrip(".,;:!?)")
                if not value or _PLACEHOLDER.fullmatch(value) or value.startswith("["):
                    continue
                if match.re in (_PASSWORD_BARE, _KEYWORD_TOKEN, _KEY_NAMED) and not _looks_secret(
                    match, value
                ):
                    continue
                start = match.start("value")
                spans.append((start, start + len(value), placeholder))
        spans += [(*span, "[token]") for span in _whole_tokens(form, random_token_spans(form))]
    return spans


_OPENING = "\"'«“„([{<`"
_CLOSING = "\"'»”)]}>`.,;:!?"


_RUN = re.compile(r"\S+")


def _whole_tokens(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each key's span widened to the run of non-space characters it sits in (without the marks
    at its ends): a rule that matches a key's first 40 characters, or a random run cut at a quote
    or bracket inside a password (`4nXYKv]…]4QEfMg6`), must not leave the rest behind. The runs
    are found once, so a long message of many keys stays linear."""
    if not spans:
        return []
    runs = [m.span() for m in _RUN.finditer(text)]
    starts = [start for start, _ in runs]
    out = []
    for start, end in spans:
        if text.startswith("-----BEGIN", start):  # a PEM block spans lines: the rule knows its end
            out.append((start, end))
            continue
        left, right = runs[bisect.bisect_right(starts, start) - 1]
        right = max(right, end)
        while left < start and text[left] in _OPENING:
            left += 1
        while right > end and text[right - 1] in _CLOSING:
            right -= 1
        out.append((left, right))
    return out


def _looks_secret(match: re.Match[str], value: str) -> bool:
    """After "password is" anything is the password; after a bare "password" only a word that
    looks like one (a digit or a symbol in it): "forgot my password so I ran" keeps "so".
    After "token is" / "api key:" a value of 8+ characters with a digit, a symbol or a capital
    inside ("cafebabe:deadbeef"), not a word ("the access token is expired")."""
    if match.re is _KEYWORD_TOKEN:
        return len(value) >= 8 and bool(re.search(r"[\d\W_]|.[A-Z]", value))
    if match.re is _KEY_NAMED:
        # a digit, a symbol other than - ' . or case no word has: "KULOcaja", "vZrEclFw" (not "CrossFit")
        if len(value) < 8:
            return False
        lone_small = len(re.findall(r"(?<=[A-Z])[a-z](?=[A-Z])", value))  # "MyFitnessPal" has one
        return lone_small >= 2 or bool(re.search(r"\d|[^\w\s'’.-]|[A-Z]{2}[a-z]", value))
    return bool(re.search(r"[\d\W_]", value)) and any(c.isalpha() for c in value)


def redact(text: str) -> str:
    """`text` (cleaned) with each secret value replaced by a placeholder such as `[password]`."""
    text = clean(text)
    spans = sorted(_secret_spans(text), key=lambda s: (s[0], -s[1]))
    out: list[str] = []
    position = 0
    for start, end, placeholder in spans:
        if start < position:  # inside a span already replaced
            if end > position:
                position = end
            continue
        out += [text[position:start], placeholder]
        position = end
    out.append(text[position:])
    return "".join(out)


def secret_reason(text: str) -> str | None:
    """Why `text` holds or names a secret (card number, key, password, code), or None."""
    cleaned = clean(text)
    spans = _secret_spans(cleaned)
    kinds = {placeholder for _, _, placeholder in spans}
    if "[card number]" in kinds or "[IBAN]" in kinds or "[account number]" in kinds:
        return N_("card or account number")
    if "[API key]" in kinds or "[token]" in kinds:
        return N_("API key or token")
    if kinds or _PLACEHOLDER.search(cleaned):
        return N_("password, PIN or code")
    if any(_SECRET_WORDS.search(form) or _CODE_VALUE.search(form) for form in _forms(text)):
        return N_("password, PIN or code")
    return None


# A clause ends at a sentence or list mark, or before a joining word in the bot's languages.
_JOINING = r"(?:and|but|also|plus|und|aber|sowie|et|mais|y|pero|e|mas|ma|и|а|но|і|та|але)"
_CLAUSE_BREAK = re.compile(
    rf"\s*[,;.!?]+(?:\s+{_JOINING})?(?:\s+|$)|\s*[—–]\s*|\s+{_JOINING}\s+", re.IGNORECASE
)


def without_secret_clauses(text: str) -> str | None:
    """`text` without the clauses that hold or name a secret, or None when nothing else is left.

    "My password is [password] and my card is [card number], and I like rowing." keeps
    "I like rowing": a placeholder costs only its own clause, never the rest of the fact.
    """
    clauses = [c.strip() for c in _CLAUSE_BREAK.split(clean(text))]
    kept = [c for c in clauses if c and any(ch.isalnum() for ch in c) and secret_reason(c) is None]
    if not kept or len(kept) == len(clauses):
        return None if not kept else text
    joined = ", ".join(kept)
    return None if secret_reason(joined) else joined


# --- instructions and links ----------------------------------------------------------------------

_OUTPUT = r"(?:answers?|repl(?:y|ies)|responses?|messages?|texts?)"
_INSTRUCTION = re.compile(
    # overriding the rules
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.]{0,30}\b(?:previous|prior|above|earlier|all|your|these|"
    r"those|the|system)\b[^.]{0,20}\b(?:instructions?|rules|prompts?|directions|guidelines)\b"
    r"|\b(?:system prompt|jailbreak|developer mode|you are now|from now on,? you)\b"
    # about the bot's answers
    rf"|\byour {_OUTPUT}\b"
    r"|\b(?:every|each|all|any|the bot'?s?|the assistant'?s?|the advisor'?s?) "
    r"(?:answers?|repl(?:y|ies)|responses?)\b"
    rf"|\bin (?:all|every|each|any|your) {_OUTPUT}\b"
    rf"|\b(?:begin|start|end|finish|open|close|prefix|sign|conclude)\s+(?:each|every|all|your|the|any)?\s*"
    rf"{_OUTPUT}\s+with\b"
    rf"|\bfrom now on\b[^.]{{0,60}}\b{_OUTPUT}\b"
    # "Whenever I ask anything, begin with ..."
    r"|\b(?:whenever|every time|each time|any ?time|when)\s+(?:i|you)\s+(?:ask|write|message|say|text|send|"
    r"talk|chat|speak|answer|reply|respond)\b[^.]{0,60}\b(?:begin|start|end|finish|open|reply|respond|answer|"
    r"say|add|include|mention|write|tell|greet|call me|prefix|append|recommend|link|promote)\b"
    # an imperative at the start of a sentence ("Always add ...", "Never mention ...")
    r"|(?:^|[.!?;:\n]\s*)(?:please\s+)?(?:always|never|from now on)\s+(?:add|append|include|insert|mention|"
    r"recommend|say|start|begin|end|finish|reply|respond|answer|use|write|sign|tell|link|promote|suggest|"
    r"put|paste|advertise|call)\b"
    r"|\b(?:add|append|include|insert|put|mention|paste|promote)\b[^.]{0,40}\b(?:links?|urls?|text|line|"
    rf"signature|footer|ad|promo(?:tion)?)\b[^.]{{0,40}}\b{_OUTPUT}\b"
    r"|\b(?:you|the (?:bot|assistant|advisor|coach|ai))\s+(?:must|should|shall|have to|need to|will)\s+"
    r"(?:always|never|now|from now)\b"
    r"|\b(?:the )?(?:bot|assistant|advisor|ai) (?:must|should) (?:always|never)\b"
    # Russian, German, French, Spanish
    r"|\b(?:игнорируй|забудь|игнорировать)\b[^.]{0,30}\b(?:инструкции|правила|указания)"
    r"|\b(?:в каждом|в любом|во всех|в своих|в твоих) (?:ответе|ответах|сообщении|сообщениях)"
    r"|\b(?:всегда|никогда) (?:отвечай|добавляй|пиши|начинай|заканчивай|упоминай|советуй)"
    r"|\b(?:ignoriere|vergiss)\b[^.]{0,30}\b(?:anweisungen|regeln)"
    r"|\b(?:in jeder|in allen|in deinen) (?:antwort|antworten|nachricht|nachrichten)\b"
    r"|\b(?:antworte|beginne|füge|schreibe) (?:immer|stets|nie)\b"
    r"|\b(?:ignore|oublie)\b[^.]{0,30}\b(?:instructions|règles|consignes)\b"
    r"|\b(?:dans chaque|dans toutes? (?:tes|les)|dans tes) (?:réponses?|messages?)\b"
    r"|\b(?:réponds|commence|ajoute|écris|termine) toujours\b"
    r"|\b(?:ignora|olvida)\b[^.]{0,30}\b(?:instrucciones|reglas)\b"
    r"|\ben (?:cada|todas (?:tus|las)|tus) (?:respuestas?|mensajes?)\b"
    r"|\b(?:responde|empieza|añade|agrega|escribe|termina) siempre\b",
    re.IGNORECASE,
)
_LINK = re.compile(
    r"\b[a-z][a-z0-9+.\-]{1,15}://"  # any scheme: https://, tg://, ftp://
    r"|\b(?:mailto|tg|javascript|data|tel|sms|intent|file|vbscript):[^\s]"
    r"|\bwww\d?\."
    r"|\[[^\]\n]*\]\(\s*[^)\s]+\s*\)"  # a Markdown link
    # host.tld/path, tried only where a host can start (linear on "a.a.a.a…")
    r"|(?<![a-z0-9.-])(?>(?:[a-z0-9-]+\.)+)[a-z][a-z0-9-]{1,23}(?::\d{2,5})?/"
    r"|(?<![\w@.])@[A-Za-z][A-Za-z0-9_]{4,31}\b",  # a Telegram @username (a link to a chat)
    re.IGNORECASE,
)
# A bare host ("zorbfit.dev", "spam.example"): lower-case labels, so "run.Then" is not one.
_BARE_HOST = re.compile(
    r"(?<![\w.@-])(?:[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\.)+[a-z]{2,24}(?![\w-])(?!\.[a-z0-9])"
)
_NOT_HOSTS = frozenset({"e.g", "i.e", "a.m", "p.m", "etc", "vs"})


def _has_link(text: str) -> bool:
    if _LINK.search(text):
        return True
    return any(m.group() not in _NOT_HOSTS for m in _BARE_HOST.finditer(text))


def instruction_reason(text: str) -> str | None:
    """Why `text` is an instruction aimed at the bot or carries a link, or None."""
    forms = _forms(text)
    if any(_INSTRUCTION.search(form) for form in forms):
        return N_("instruction to the bot")
    if any(_has_link(form) for form in forms):
        return N_("link")
    return None


def unsafe_reason(text: str) -> str | None:
    """Why a fact must never be stored (secret, instruction, link), or None when it may be."""
    return secret_reason(text) or instruction_reason(text)
