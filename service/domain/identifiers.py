"""Serial numbers and lot numbers as read from metal: raw, normalized, skeleton,
transliterated, partial.

Identifiers are read by people from worn, painted or ground-off markings, in many
scripts. The raw text is evidence and is never changed; everything else is derived
from it by the pure functions below, so the same reading always yields the same keys:

- normalized: NFKC, upper case, no separators (white space, punctuation, symbols), every
  decimal digit as ASCII, Cyrillic and Greek look-alikes as the Latin letter they look
  like;
- skeleton: the normalized form with look-alike characters folded into one class each;
- transliterations: for a reading with Cyrillic or Greek letters that look like no
  Latin one, its Latin spellings by the recognised tables (`transliteration.py`);
- reversed: the normalized form backwards, so a suffix is a prefix of an index key;
- for a partial reading (`?` one unknown character, `*` a run), its anchors.

Zeros padding runs of digits are compared in `padding.py`.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from service.domain.errors import InvalidValue
from service.domain.text import check_text
from service.domain.transliteration import SPELLED_LETTERS, latin_spellings

ONE_UNKNOWN: Final = "?"
UNKNOWN_RUN: Final = "*"
WILDCARDS: Final = frozenset({ONE_UNKNOWN, UNKNOWN_RUN})
_NONE: Final[frozenset[str]] = frozenset()

MAX_RAW_LENGTH: Final = 64
# A partial reading says something about identity once it shows this many legible
# characters, together or apart (`10?46`); fewer would match half the register.
MIN_LEGIBLE: Final = 3
# Runs of this length are trigrams: a pattern's runs of three or more are found by them.
TRIGRAM: Final = 3
# A stored partial reading is filed under every stretch of this many characters of its
# legible runs (a run of three, whole): in a register of dense numeric serials a trigram
# is shared by thousands, and a longer stretch would be broken by the unknown character
# of another worn reading of the same serial (`58A12?456`, `58A1?3456`).
ANCHOR_LENGTH: Final = 4
# Without a run of three, by its known start and end, each at most this long.
MAX_END_ANCHOR: Final = TRIGRAM - 1
# One edit on a very short serial ("1234" -> "1284") is as likely chance as a misreading.
MIN_LENGTH_FOR_EDIT_MATCH: Final = 4


# Cyrillic and Greek capitals that are drawn like Latin ones. A serial stamped in Latin
# letters is often typed on a Cyrillic or Greek keyboard, and the reverse.
# The Ukrainian/Belarusian I, Macedonian/Serbian J and DZE are added to the letters named
# in the domain notes: they are the same glyphs and common on weapons from those arsenals.
_LOOKALIKE_TO_LATIN: Final = {
    # Cyrillic
    "\u0410": "A",  # А
    "\u0412": "B",  # В
    "\u0415": "E",  # Е
    "\u041a": "K",  # К
    "\u041c": "M",  # М
    "\u041d": "H",  # Н
    "\u041e": "O",  # О
    "\u0420": "P",  # Р
    "\u0421": "C",  # С
    "\u0422": "T",  # Т
    "\u0425": "X",  # Х
    "\u0423": "Y",  # У
    "\u0406": "I",  # І
    "\u0408": "J",  # Ј
    "\u0405": "S",  # Ѕ
    # Greek
    "\u0391": "A",  # Α
    "\u0392": "B",  # Β
    "\u0395": "E",  # Ε
    "\u0396": "Z",  # Ζ
    "\u0397": "H",  # Η
    "\u0399": "I",  # Ι
    "\u039a": "K",  # Κ
    "\u039c": "M",  # Μ
    "\u039d": "N",  # Ν
    "\u039f": "O",  # Ο
    "\u03a1": "P",  # Ρ
    "\u03a4": "T",  # Τ
    "\u03a5": "Y",  # Υ
    "\u03a7": "X",  # Χ
}

# Characters a tired reader or a worn stamp confuses; each class folds to one symbol.
_SKELETON_CLASSES: Final = {
    **dict.fromkeys("OQD0", "0"),
    **dict.fromkeys("IL1", "1"),
    **dict.fromkeys("S5", "5"),
    **dict.fromkeys("B8", "8"),
    **dict.fromkeys("Z2", "2"),
    **dict.fromkeys("G6", "6"),
}
_SKELETON_TABLE: Final = str.maketrans(_SKELETON_CLASSES)


@lru_cache(maxsize=1024)
def _wildcard_lookalike(char: str) -> str | None:
    """The wildcard a character is typed for, if it is one: any question mark (`؟` on
    Arabic and Persian keyboards, `¿`, `？`, `❓`) is one unknown character, any asterisk
    or star (`٭`, `∗`, `✱`, `★`) a run. Punctuation or symbol, found by its Unicode name,
    so that no keyboard's wildcard is dropped as a separator and a partial reading never
    passes for a complete one."""
    if unicodedata.category(char)[0] not in "PS":
        return None
    name = unicodedata.name(char, "")
    if "QUESTION MARK" in name:
        return ONE_UNKNOWN
    if "ASTERISK" in name or name.endswith(" STAR") or "STAR OPERATOR" in name:
        return UNKNOWN_RUN
    return None


def is_separator(char: str) -> bool:
    # White space, punctuation and symbols of any script: no maker stamps them as part of
    # a serial, and readings come pasted from reports written in many locales (`12 345`,
    # `12,345`, `No 4521·B`, `#58812`, an apostrophe a spreadsheet put in front). The
    # wildcards and what is typed for them are punctuation too, and are kept.
    if char.isspace():
        return True
    return unicodedata.category(char)[0] in "PSZ" and _wildcard_lookalike(char) is None


def _fold_char(char: str) -> str:
    if (wildcard := _wildcard_lookalike(char)) is not None:
        return wildcard
    if is_separator(char):
        return ""
    if unicodedata.category(char) == "Nd":
        # Arabic-Indic, Persian, Devanagari and every other decimal digit: its value.
        return str(unicodedata.digit(char))
    return _LOOKALIKE_TO_LATIN.get(char, char)


# What each ASCII character folds to, where it is not itself (separators, to nothing),
# taken from the rules above: most readings are ASCII and skip the Unicode work.
_ASCII_FOLDS: Final = {
    ord(char): _fold_char(char) or None for char in map(chr, range(128)) if _fold_char(char) != char
}


def normalize(raw: str) -> str:
    """The comparable form of a reading: NFKC, upper case, no separators, one script.

    `?` and `*` survive (a run of `*` collapses to one) so a partial reading stays a pattern.
    """
    if raw.isascii():
        # NFKC and NFKD leave ASCII as it is, and no ASCII letter is a look-alike.
        return _collapse_runs(raw.upper().translate(_ASCII_FOLDS))
    return _normalize_unicode(raw)


def _normalize_unicode(raw: str) -> str:
    # Wildcards are read and symbols dropped before NFKC, which spells some symbols in
    # letters (`№` as `No`, `™`) and turns the Greek question mark into a semicolon.
    # Case folded before upper case: `ẞ`, which has no upper case of two letters, is `SS`
    # as `ß` is.
    upper = unicodedata.normalize("NFKC", "".join(map(_before_nfkc, raw))).casefold().upper()
    # Fold on the decomposed text, so a look-alike base letter carrying a combining mark
    # is folded too and recomposes with the mark; this keeps normalize idempotent.
    decomposed = unicodedata.normalize("NFKD", upper)
    folded = unicodedata.normalize("NFKC", "".join(_fold_char(c) for c in decomposed))
    return _collapse_runs(folded)


def _before_nfkc(char: str) -> str:
    if (wildcard := _wildcard_lookalike(char)) is not None:
        return wildcard
    return "" if unicodedata.category(char)[0] == "S" else char


def _collapse_runs(text: str) -> str:
    while UNKNOWN_RUN * 2 in text:
        text = text.replace(UNKNOWN_RUN * 2, UNKNOWN_RUN)
    return text


def skeleton(text: str) -> str:
    """The normalized form with look-alike letters and digits folded into one class each,
    and without diacritics: a worn or misread mark (`İ` for `I`, `Й` for `И`) is a look-
    alike too."""
    normalized = normalize(text)
    if not normalized.isascii():
        decomposed = unicodedata.normalize("NFD", normalized)
        normalized = "".join(c for c in decomposed if not unicodedata.combining(c))
    return normalized.translate(_SKELETON_TABLE)


def read_as_digits(normalized: str) -> str:
    """The reading with each look-alike letter read as the digit it resembles (`1O?46`
    as `10?46`, `GLK` as `61K`): what a serial of digits typed with letters stands for.
    One character for one, so unknown characters keep their places."""
    return normalized.translate(_SKELETON_TABLE)


def is_partial(normalized: str) -> bool:
    return any(c in WILDCARDS for c in normalized)


def legible_runs(normalized: str) -> list[str]:
    """The stretches of a reading between its unknown characters."""
    return [run for run in re.split(r"[?*]", normalized) if run]


def legible_count(normalized: str) -> int:
    return sum(1 for c in normalized if c not in WILDCARDS)


def known_start(normalized: str) -> str:
    """The characters before the first unknown one (the whole of a complete reading)."""
    return re.split(r"[?*]", normalized, maxsplit=1)[0]


def known_end(normalized: str) -> str:
    """The characters after the last unknown one (the whole of a complete reading)."""
    return re.split(r"[?*]", normalized)[-1]


# What an unknown character may stand for in a normalized reading: digits, Latin letters,
# and the Cyrillic and Greek letters that look like no Latin one, as normalized.
SERIAL_ALPHABET: Final = tuple(
    sorted(
        set(string.digits + string.ascii_uppercase)
        | {n for n in map(normalize, SPELLED_LETTERS) if len(n) == 1}
    )
)


_ALPHABET: Final = frozenset(SERIAL_ALPHABET)


def pattern_anchors(normalized: str) -> frozenset[str]:
    """The index keys of a partial reading: every stretch of ANCHOR_LENGTH characters of
    its legible runs (a run of three, whole) or, when no run is three long, its known
    start (`10*`) and end (`*46`).

    Any reading a pattern fits, or another worn reading of the same serial, shows the
    same stretches where both could read them, so candidates for a partial reading are
    found by plain equality on `anchor_keys` of the reading searched for: every anchor of
    a partial reading that a complete one fits is among them. Empty when the reading
    shows fewer than MIN_LEGIBLE characters, or they are neither in a run of three nor
    at an end (`?A?B?C?`).
    """
    if legible_count(normalized) < MIN_LEGIBLE:
        return _NONE
    runs = [run for run in legible_runs(normalized) if len(run) >= TRIGRAM]
    if runs:
        anchors = set()
        for run in runs:
            for i in range(max(len(run) - ANCHOR_LENGTH, 0) + 1):
                stretch = run[i : i + ANCHOR_LENGTH]
                anchors.add(stretch)
                # A reading searched for extends its runs by the characters of
                # SERIAL_ALPHABET only (`anchor_keys`): past any other (`Ñ`, an Arabic
                # letter), the stretch is filed without it too.
                if len(stretch) == ANCHOR_LENGTH:
                    if stretch[0] not in _ALPHABET:
                        anchors.add(stretch[1:])
                    if stretch[-1] not in _ALPHABET:
                        anchors.add(stretch[:-1])
        return frozenset(anchors)
    start, end = known_start(normalized), known_end(normalized)
    anchors = set()
    if start:
        anchors.add(start[:MAX_END_ANCHOR] + UNKNOWN_RUN)
    if end:
        anchors.add(UNKNOWN_RUN + end[-MAX_END_ANCHOR:])
    return frozenset(anchors)


@lru_cache(maxsize=4096)
def anchor_keys(normalized: str) -> frozenset[str]:
    """Every anchor a partial reading fitting this one, or another worn reading of the
    same serial, may be filed under (as `pattern_anchors` writes them): the stretches of
    three and of ANCHOR_LENGTH characters of its legible runs; where a run meets an
    unknown character, its three characters there with each character the unknown one
    may be (`58A*` may be `58A1*`, filed under `58A1`); and its known start and end up
    to MAX_END_ANCHOR characters.

    Two readings that show the same three characters or more side by side therefore
    find each other, whichever is searched for."""
    start, end = known_start(normalized), known_end(normalized)
    keys: set[str] = set()
    for match in _RUN.finditer(normalized):
        run = match.group()
        for length in (TRIGRAM, ANCHOR_LENGTH):
            keys.update(run[i : i + length] for i in range(len(run) - length + 1))
        if len(run) < TRIGRAM:
            continue
        if match.start() > 0:
            keys.update(char + run[:TRIGRAM] for char in SERIAL_ALPHABET)
        if match.end() < len(normalized):
            keys.update(run[-TRIGRAM:] + char for char in SERIAL_ALPHABET)
    keys.update(start[:n] + UNKNOWN_RUN for n in range(1, min(len(start), MAX_END_ANCHOR) + 1))
    keys.update(UNKNOWN_RUN + end[-n:] for n in range(1, min(len(end), MAX_END_ANCHOR) + 1))
    return frozenset(keys)


_RUN: Final = re.compile(r"[^?*]+")


def reversed_key(normalized: str) -> str:
    """The normalized reading backwards: a known end becomes a prefix of this key, so a
    pattern's end is a range on a B-tree like its start."""
    return normalized[::-1]


def one_deletion_variants(normalized: str) -> frozenset[str]:
    """Every string one character shorter: the SymSpell deletion neighbourhood.

    Two readings within one insertion, deletion, substitution or adjacent swap of each
    other always share a member of ({a} | variants(a)) and ({b} | variants(b)).
    """
    return frozenset(normalized[:i] + normalized[i + 1 :] for i in range(len(normalized)))


def within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by exactly one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differences = [i for i in range(len(a)) if a[i] != b[i]]
        if len(differences) == 1:
            return True
        if len(differences) == 2:
            i, j = differences
            return j == i + 1 and a[i] == b[j] and a[j] == b[i]
        return False
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(shorter) and shorter[i] == longer[i]:
        i += 1
    return shorter[i:] == longer[i + 1 :]


@lru_cache(maxsize=4096)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == ONE_UNKNOWN:
            parts.append(".")
        elif char == UNKNOWN_RUN:
            parts.append(".*")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def pattern_matches(pattern: str, serial: str) -> bool:
    """Whether a complete normalized serial fits a normalized partial reading."""
    return _glob_regex(pattern).fullmatch(serial) is not None


def patterns_overlap(a: str, b: str) -> bool:
    """Whether some complete serial fits both partial readings.

    Walks the product of the two patterns, one shared character at a time: a state is a
    position in each. `*` may end without consuming (an empty run) or consume and stay;
    `?` and literals consume one character and advance; two literals must be equal.
    """
    seen: set[tuple[int, int]] = set()
    frontier = [(0, 0)]
    while frontier:
        state = frontier.pop()
        if state in seen:
            continue
        seen.add(state)
        i, j = state
        if i == len(a) and j == len(b):
            return True
        ca = a[i] if i < len(a) else None
        cb = b[j] if j < len(b) else None
        if ca == UNKNOWN_RUN:
            frontier.append((i + 1, j))
        if cb == UNKNOWN_RUN:
            frontier.append((i, j + 1))
        if ca is None or cb is None:
            continue
        if ca not in WILDCARDS and cb not in WILDCARDS and ca != cb:
            continue
        next_i = i if ca == UNKNOWN_RUN else i + 1
        next_j = j if cb == UNKNOWN_RUN else j + 1
        if (next_i, next_j) != (i, j):
            frontier.append((next_i, next_j))
    return False


def transliterations(raw: str, normalized: str) -> frozenset[str]:
    """The normalized Latin spellings of a complete reading's Cyrillic and Greek letters,
    other than its normalized form; empty for a reading that has none to spell."""
    found = {normalize(spelling) for spelling in latin_spellings(raw)}
    found.discard(normalized)
    found.discard("")
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class Identifier:
    """A serial or lot number: the reading as entered and the keys derived from it."""

    raw: str
    normalized: str
    skeleton: str
    # Derived once, because matching asks them of every candidate.
    is_partial: bool = field(init=False, compare=False)
    transliterations: frozenset[str] = field(init=False, compare=False)
    anchors: frozenset[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        partial = is_partial(self.normalized)
        object.__setattr__(self, "is_partial", partial)
        # Patterns are matched as read; only complete readings are spelled.
        spelled = (
            _NONE if partial or self.raw.isascii() else transliterations(self.raw, self.normalized)
        )
        object.__setattr__(self, "transliterations", spelled)
        # Index keys for a partial reading (see `pattern_anchors`); none for a complete one.
        object.__setattr__(self, "anchors", pattern_anchors(self.normalized) if partial else _NONE)

    @classmethod
    def read(cls, raw: str, *, field: str = "serial") -> Identifier:
        """Validate a reading and derive its keys; the raw text is kept byte for byte."""
        check_text(raw, field, max_length=MAX_RAW_LENGTH, required=False)
        normalized = normalize(raw)
        if not normalized:
            raise InvalidValue(field, "has no characters once separators are removed")
        if legible_count(normalized) == 0:
            raise InvalidValue(field, "has no legible character; record the serial state instead")
        return cls(raw=raw, normalized=normalized, skeleton=skeleton(normalized))

    @property
    def spellings(self) -> frozenset[str]:
        """Every way the reading may be typed in Latin letters: its normalized form and
        its transliterations."""
        return self.transliterations | {self.normalized}

    @property
    def reversed(self) -> str:
        return reversed_key(self.normalized)

    @property
    def deletion_variants(self) -> frozenset[str]:
        """Keys for one-edit matching: the one-deletion variants of every spelling long
        enough for an edit match; empty for partial readings."""
        if self.is_partial:
            return _NONE
        found: set[str] = set()
        for spelling in self.spellings:
            if len(spelling) >= MIN_LENGTH_FOR_EDIT_MATCH:
                found |= one_deletion_variants(spelling)
        return frozenset(found)
