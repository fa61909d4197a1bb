"""Serial readings shaped to make every match kind collide: look-alike classes, Cyrillic
letters and their Latin spellings, partial readings; and queries near a stored one. Random
registers built from them show a key a lookup forgets as a missing match."""

from __future__ import annotations

from hypothesis import strategies as st

from service.domain.transliteration import Table, transliterate

# Look-alike classes, and Cyrillic letters with the Latin letters of their spellings
# (Ж ZH/J, Ц TS/C, Х X/KH/H, Б B).
ALPHABET = "AB80OQ15S-ЖЦХБZHJTC"
# Zeros padding runs of digits, the digits they pad, and a letter between runs.
DIGITS = "0015807"
complete = st.text(st.sampled_from(ALPHABET), min_size=2, max_size=8).filter(
    lambda s: s.replace("-", "")
)
# `Ñ`: a letter an unknown character is never expanded into.
LEGIBLE = st.sampled_from("AB80ЖÑ")
partial = st.one_of(
    st.builds(  # a run of three or more
        lambda head, tail, wild: head + wild + tail,
        st.text(LEGIBLE, min_size=3, max_size=4),
        st.text(LEGIBLE, max_size=3),
        st.sampled_from(["?", "*", "??"]),
    ),
    st.builds(  # runs of one or two, unknown characters between and around them
        lambda parts: "".join(parts),
        st.lists(
            st.one_of(st.text(LEGIBLE, min_size=1, max_size=2), st.sampled_from(["?", "*"])),
            min_size=3,
            max_size=6,
        ),
    ),
)
numeric = st.text(st.sampled_from(DIGITS + "A"), min_size=3, max_size=10)
readings = st.one_of(complete, complete, complete, partial, numeric)
LOOKALIKES = {"B": "8", "8": "B", "0": "O", "O": "Q", "Q": "0", "1": "I", "5": "S", "S": "5"}


@st.composite
def query_near(draw: st.DrawFn, stored: list[str]) -> str:
    """A reading near a stored one: one edit, a look-alike, a separator, a wildcard."""
    base = draw(st.sampled_from(stored))
    if not base:
        return base
    i = draw(st.integers(0, len(base) - 1))
    char = draw(st.sampled_from("AB80OQ15S"))
    edits = [
        base,
        base.lower(),
        base[:i] + "-" + base[i:],
        base[:i] + draw(st.sampled_from([",", "#", "·", "№", "'"])) + base[i:],
        base[:i] + LOOKALIKES.get(base[i], base[i]) + base[i + 1 :],
        base[:i] + char + base[i + 1 :],
        base[:i] + char + base[i:],
        base[:i] + base[i + 1 :],
        base[:i] + base[i + 1 : i + 2] + base[i] + base[i + 2 :],
        "".join(LOOKALIKES.get(c, c) for c in base),
        base[:i] + "0" * draw(st.integers(1, 5)) + base[i:],  # padded, or not quite
        base.lstrip("0"),
        base.replace("0", "", draw(st.integers(1, 4))),
        transliterate(base, Table.ICAO_9303),
        transliterate(base, Table.BGN_PCGN),
        transliterate(base, Table.ICAO_9303)[:-1],
        base[:i] + "?" + base[i + 1 :],
        base[:i] + "??" + base[i + 2 :],
        # Worn, and its look-alikes misread: digits typed as letters, or the reverse.
        "".join(LOOKALIKES.get(c, c) for c in base[:i]) + "?" + base[i + 1 :],
        "".join(LOOKALIKES.get(c, c) for c in base[: i + 1]) + "*",
        "*" + "".join(LOOKALIKES.get(c, c) for c in base[i:]),
        base[: i + 1] + "*",
        base + "*",
        "?" + base[1:],
        "*" + base[i:],
        base[:2] + "*" + base[-2:],
        base[:i] + "*" + base[i + 1 :],
        # Worn elsewhere: another reading of a partial one, its unknown moved along.
        base.replace("?", draw(LEGIBLE), 1)[:i] + "?" + base.replace("?", "A", 1)[i + 1 :],
        base.replace("*", draw(LEGIBLE), 1)[: i + 1] + "*" + base[i + 2 :],
    ]
    return draw(st.sampled_from(edits))
