"""The fast path for plain EDTF shapes gives the EDTF library's answer, value for value."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO
from ruven.package import DataPackage
from ruven.package.dates import _edtf, _plain, date_bounds, date_problem, library_bounds


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


# every shape, with months and days drawn from 00-39 so that invalid ones come up often
_part = st.one_of(
    _digits(4),
    st.tuples(_digits(4), st.integers(0, 19)).map(lambda t: f"{t[0]}-{t[1]:02d}"),
    st.tuples(_digits(4), st.integers(0, 19), st.integers(0, 39)).map(lambda t: f"{t[0]}-{t[1]:02d}-{t[2]:02d}"),
)
_value = st.one_of(_part, st.tuples(_part, _part).map("/".join), st.text(max_size=12))


def _answer(value: str) -> tuple[str, str] | str:
    _edtf.cache_clear()
    return _edtf(value)


@settings(max_examples=3000, deadline=None)
@given(_value)
def test_fast_path_agrees_with_the_edtf_library(value: str) -> None:
    assert _answer(value) == library_bounds(value)


def test_fast_path_agrees_on_every_date_of_the_package() -> None:
    pkg = DataPackage.load(REPO / "datapackage.json")
    values = {row[f.name] for res in pkg for f in res.fields if f.is_partial_date for row in res.read_rows() if row[f.name]}
    assert len(values) > 300
    for value in values:
        assert _plain(value) is not None, value  # the data take the fast path
        assert _answer(value) == library_bounds(value), value


def test_edge_cases() -> None:
    assert date_bounds("2020-02") == ("2020-02-01", "2020-02-29")
    assert date_bounds("2019-02") == ("2019-02-01", "2019-02-28")
    assert date_bounds("2008/2009-03") == ("2008-01-01", "2009-03-31")
    assert date_problem("2019-02-29") == library_bounds("2019-02-29")
    assert "ends before it starts" in (date_problem("2010/2009") or "")
    assert "valid EDTF" in (date_problem("2019-13") or "")
