"""SMS segments by the GSM-7 and UCS-2 rules carriers bill by."""

import pytest

from bot import segments

KNOWN = [
    ("a" * 160, 1, "GSM-7"),
    ("a" * 161, 2, "GSM-7"),
    ("a" * 306, 2, "GSM-7"),
    ("a" * 307, 3, "GSM-7"),
    ("á" * 70, 1, "UCS-2"),
    ("á" * 71, 2, "UCS-2"),
    ("a" * 69 + "á", 1, "UCS-2"),
    ("é" * 160, 1, "GSM-7"),  # é is in the GSM basic set
    ("€" * 80, 1, "GSM-7"),  # extension characters cost two septets each
    ("€" * 81, 2, "GSM-7"),
    ("[" * 153, 3, "GSM-7"),  # 306 septets, yet 3 parts: a two-septet character never straddles two
    ("😀" * 35, 1, "UCS-2"),  # emoji: a surrogate pair, two units each
    ("😀" * 36, 2, "UCS-2"),
    ("", 1, "GSM-7"),
]


@pytest.mark.parametrize("text, count, encoding", KNOWN)
def test_segment_counts_follow_the_gsm7_and_ucs2_rules(text, count, encoding):
    assert segments.count(text) == count
    assert segments.encoding(text) == encoding


def test_every_english_string_stays_in_gsm7(tmp_path):
    """One curly quote would make an English text cost twice as much."""
    from tests.helpers import FLOWS

    costly = [message_id for message_id, text in FLOWS.strings.items() if not segments.is_gsm7(text)]
    assert costly == []
