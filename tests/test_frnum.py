"""French number helpers: rounding of halves."""

import pytest

from isnote.frnum import fmt_num, round_half_up


@pytest.mark.parametrize("x, decimals, expected", [
    (0.25, 1, 0.3), (-0.25, 1, -0.3), (2.675, 2, 2.68), (-2.675, 2, -2.68), (38.25, 1, 38.3),
    (-38.25, 1, -38.3), (0.24, 1, 0.2), (-0.24, 1, -0.2), (2.5, 0, 3.0), (-2.5, 0, -3.0), (0.0, 1, 0.0),
])
def test_round_half_up_is_half_away_from_zero(x, decimals, expected):
    assert round_half_up(x, decimals) == expected


def test_tiny_negative_rounds_to_plain_zero():
    assert fmt_num(round_half_up(-0.01, 1), 1) == "0,0"
