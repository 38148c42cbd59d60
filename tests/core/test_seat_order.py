"""Seats sort as people find them (issue #12: bus seats sorted 10A before 1A) and a train seat fits
its manifest column on one line (a wrapped seat doubled every row: 36 pages for one train)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from homeward.core.planning import Rules
from homeward.core.planning.planner.emit import seat_labels, seat_sort_key, train_seat_labels


def _bus_position(label: str, rules: Rules) -> int:
    row, letter = int(label[:-1]), label[-1]
    return (row - 1) * rules.row_size + "ABCDEFGH".index(letter)


@given(seats=st.integers(min_value=8, max_value=60), data=st.data())
def test_bus_seats_sort_front_to_back_then_across(seats: int, data: st.DataObject) -> None:
    rules = Rules()
    usable = seats - rules.empty_rows * rules.row_size
    if usable <= 0:
        return
    cap = data.draw(st.integers(min_value=1, max_value=usable))
    labels = seat_labels(seats, cap, rules)
    ordered = sorted(labels, key=seat_sort_key)
    assert [_bus_position(x, rules) for x in ordered] == sorted(_bus_position(x, rules) for x in labels)


def test_ten_a_comes_after_one_a_to_nine_d() -> None:
    assert sorted(["10A", "1A", "2B", "1B", "9D"], key=seat_sort_key) == ["1A", "1B", "2B", "9D", "10A"]


@given(seats=st.integers(min_value=100, max_value=2_000), data=st.data())
def test_train_seats_sort_by_carriage_then_seat(seats: int, data: st.DataObject) -> None:
    cap = data.draw(st.integers(min_value=1, max_value=seats))
    labels = train_seat_labels(seats, cap)
    assert sorted(labels, key=seat_sort_key) == sorted(labels, key=lambda x: (int(x[:2]), int(x[3:])))


def test_a_train_seat_fits_the_manifest_column_on_one_line() -> None:
    from fpdf import FPDF

    from homeward.apps.planning.manifest_pdf import COLS
    from homeward.core.permits.pdf import FONT_FAMILY, FONT_PATH

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.add_font(FONT_FAMILY, "", str(FONT_PATH))
    pdf.set_font(FONT_FAMILY, size=9)
    padding = 2 * 1.2  # the table's left and right cell padding
    widest = max(pdf.get_string_width(s) for s in ("99车999", "座位", "15D"))
    assert widest + padding <= COLS[0]
    assert sum(COLS) <= 297 - 2 * 10  # A4 landscape inside its margins
