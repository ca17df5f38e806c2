"""Exact frame rates: parsing, output times and counts, all as fractions."""
from __future__ import annotations

from fractions import Fraction

import pytest

from rifeflow.manifests.rates import constant_times, output_frame_count, output_positions, parse_rate


@pytest.mark.parametrize("text, expected", [
    ("60", ("rate", Fraction(60))), ("60000/1001", ("rate", Fraction(60000, 1001))),
    ("59.94", ("rate", Fraction(60000, 1001))), ("23.976", ("rate", Fraction(24000, 1001))),
    ("2.5x", ("factor", Fraction(5, 2))), ("50", ("rate", Fraction(50))), ("12.5", ("rate", Fraction(25, 2))),
])
def test_rates_parse_exactly(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["fast", "-30", "0", "60/0", "1e3", "5000", "20x"])
def test_bad_rates_say_what_is_accepted(text):
    with pytest.raises(ValueError, match="frame rate"):
        parse_rate(text)


def test_25_to_60_positions_are_exact():
    times = constant_times(50, Fraction(25))
    count = output_frame_count(Fraction(2), Fraction(60))
    positions = output_positions(times, Fraction(60), count)
    assert count == 120
    assert positions[:13] == [(0, Fraction(0)), (0, Fraction(5, 12)), (0, Fraction(10, 12)), (1, Fraction(3, 12)),
                              (1, Fraction(8, 12)), (2, Fraction(1, 12)), (2, Fraction(6, 12)), (2, Fraction(11, 12)),
                              (3, Fraction(4, 12)), (3, Fraction(9, 12)), (4, Fraction(2, 12)), (4, Fraction(7, 12)),
                              (5, Fraction(0))]
    assert positions[-1] == (49, Fraction(0))  # after the last source frame: held
