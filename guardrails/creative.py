"""Deterministic creative text checks (length limits, banned claims, caps and punctuation). Used by the guardrail
engine and by the creative strategist before it scores variants, so a rule-breaking text never reaches a platform.

Look-alike Unicode must not slip a banned claim past the rules (issue 11: fullwidth "ｇｕａｒａｎｔｅｅｄ", a Cyrillic
"е", "risk‑free" with U+2011 and "！！！" all passed). So:

* text carrying invisible format characters (zero-width space, soft hyphen, bidi overrides such as RLO) or control
  characters is refused outright — what the approver reads would not be what the user sees;
* letters of another script that look like Latin ones (a Cyrillic "е" among Latin letters) are refused: the
  ``confusable-homoglyphs`` package, built from Unicode's confusables data, finds them;
* every other rule is checked on a *skeleton*: NFKC (fullwidth and compatibility forms become plain ones), every
  dash or hyphen becomes ``-``, look-alikes become their Latin twin, case-folded. Lengths are counted on the text
  as written, which is what platforms count.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs import categories, confusables

from guardrails.policy import CreativeRules

__all__ = ["creative_violations", "skeleton"]

_WORD = re.compile(r"[A-Za-z]+")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")


@lru_cache(maxsize=4096)
def _latin_twin(char: str) -> str:
    if categories.alias(char) in ("LATIN", "COMMON"):
        return char
    found = confusables.is_confusable(char, preferred_aliases=["latin"], greedy=True) or []
    for entry in found:
        for glyph in entry["homoglyphs"]:
            if all(categories.alias(c) in ("LATIN", "COMMON") for c in glyph["c"]):
                return str(glyph["c"])
    return char


def skeleton(text: str) -> str:
    """The text as the rules compare it: NFKC, dashes unified, look-alikes mapped to Latin, case-folded."""
    normal = unicodedata.normalize("NFKC", text).translate(_DASHES)
    visible = (c for c in normal if unicodedata.category(c) != "Cf")
    return "".join(_latin_twin(c) for c in visible).casefold()


def _hidden_characters(text: str) -> list[str]:
    hidden = sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in ("Cf", "Cc", "Co", "Cs")})
    return [f"invisible, bidirectional or control characters ({', '.join(hidden)})"] if hidden else []


def _look_alikes(text: str) -> list[str]:
    normal = unicodedata.normalize("NFKC", text)
    found = confusables.is_dangerous(normal, preferred_aliases=["latin"])
    if not found:
        return []
    odd = sorted({c for c in normal if c.isalpha() and categories.alias(c) not in ("LATIN", "COMMON")})
    return [f"letters of another script that look like Latin ones ({', '.join(odd)})"]


def creative_violations(headline: str, description: str, rules: CreativeRules) -> list[str]:
    """Every rule the text breaks, as readable reasons (empty list = passes)."""
    problems: list[str] = []
    if not headline.strip():
        problems.append("headline is empty")
    if len(headline) > rules.max_headline_chars:
        problems.append(f"headline has {len(headline)} characters (max {rules.max_headline_chars})")
    if len(description) > rules.max_description_chars:
        problems.append(f"description has {len(description)} characters (max {rules.max_description_chars})")
    raw = f"{headline} {description}"
    problems += _hidden_characters(raw) + _look_alikes(raw)
    plain = skeleton(raw)
    for phrase in rules.banned_phrases:
        if skeleton(phrase) in plain:
            problems.append(f"banned claim {phrase!r}")
    text = unicodedata.normalize("NFKC", raw)
    letters = [c for c in text if c.isalpha()]
    caps_words = [w for w in _WORD.findall(text) if len(w) > 1 and w.isupper()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > rules.max_caps_ratio:
        problems.append("too many capital letters")
    elif len(caps_words) > 2:
        problems.append(f"too many all-caps words ({len(caps_words)})")
    if text.count("!") > rules.max_exclamations:
        problems.append(f"{text.count('!')} exclamation marks (max {rules.max_exclamations})")
    if re.search(r"[!?.]{2,}", text):
        problems.append("repeated punctuation")
    return problems
