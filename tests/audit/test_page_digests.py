"""A page's audit keys masked, scrubbed and digested together: the same as one key at a time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.audit.keys import KeyDigester
from gateway.masking import scrub_text, scrub_texts

_PIECES = st.sampled_from(
    [
        "522601199001011234",
        "52260119900101123x",
        "522601900101123",
        "13812345678",
        "+86 138 1234 5678",
        "0851-86812345",
        "(0851)8681234-12",
        "91520100MA6DKXYZ1N",
        "520***********1234",
        "522601********123X",
        " ",
        "-",
        "\u00a0",
        "\u3000",
        "\n",
        "\\n",
        "|",
        "转",
        "ext.",
        "x",
        "#",
        "１２３",
    ]
)
_TEXTS = st.lists(_PIECES | st.text(max_size=6), max_size=6).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXTS, max_size=8))
def test_scrub_texts_is_scrub_text_of_each(texts: list[str]) -> None:
    assert scrub_texts(texts) == [scrub_text(text) for text in texts]


@settings(max_examples=200, deadline=None)
@given(
    st.binary(min_size=1, max_size=100),
    st.lists(_TEXTS | st.from_regex(r"[0-9]{17}[0-9Xx]", fullmatch=True), max_size=6),
)
def test_digests_for_all_is_the_union_of_each(secret: bytes, keys: list[str]) -> None:
    digester = KeyDigester(secret)
    expected: set[str] = set()
    for key in keys:
        expected |= digester.digests_for(key)
    assert digester.digests_for_all(keys) == expected
