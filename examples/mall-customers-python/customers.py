"""Reading, validating, sorting and aggregating a Mall Customers CSV. Pure: no host calls.

The CSV has the columns ``CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)``
(Kaggle's original names the second ``Genre``; either is accepted). A file that breaks a rule
is refused whole, the error naming the line (the header is line 1) and the column.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass

COLUMNS = ("CustomerID", "Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)")
#: Kaggle's name of the second column.
GENDER_ALIAS = "Genre"
#: The oldest plausible age, in years.
MAX_AGE = 150
_UINT32_MAX = 2**32 - 1


class CsvError(ValueError):
    """The text is not a valid Mall Customers CSV; no retry mends it."""


@dataclass(frozen=True)
class Customer:
    """One row."""

    customer_id: int
    gender: str
    age: int
    annual_income_k: int
    spending_score: int


def parse_csv(text: str) -> list[Customer]:
    """Every row of `text`, validated; blank lines are skipped. A field may be quoted with
    ``"`` (``""`` inside stands for one quote); a quoted field ends on its own line."""
    lines = _non_blank(text)
    first = next(lines, None)
    if first is None:
        raise CsvError(f"the CSV is empty: expected a header line `{','.join(COLUMNS)}`")
    _check_header(_fields(*first), first[0])
    customers: list[Customer] = []
    first_line: dict[int, int] = {}
    for line, content in lines:
        customer = _parse_row(_fields(line, content), line)
        if customer.customer_id in first_line:
            raise CsvError(
                f"line {line}, column `CustomerID`: {customer.customer_id} was already used "
                f"on line {first_line[customer.customer_id]}"
            )
        first_line[customer.customer_id] = line
        customers.append(customer)
    return customers


def _non_blank(text: str) -> Iterator[tuple[int, str]]:
    """The lines of `text` that are not blank, numbered from 1, without their line ending."""
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if line.strip():
            yield number, line


def _fields(line: int, content: str) -> list[str]:
    """The fields of one line."""
    try:
        return next(csv.reader([content], strict=True, skipinitialspace=True))
    except csv.Error as error:
        reason = "unterminated quoted field" if "end of data" in str(error) else str(error)
        raise CsvError(f"line {line}: {reason}") from error


def _check_header(fields: list[str], line: int) -> None:
    names = [name.strip().lstrip("\ufeff") for name in fields]
    if len(names) > 1 and names[1] == GENDER_ALIAS:
        names[1] = COLUMNS[1]
    if tuple(names) != COLUMNS:
        raise CsvError(f"line {line}: expected the header `{','.join(COLUMNS)}`, found `{','.join(fields)}`")


def _parse_row(fields: list[str], line: int) -> Customer:
    if len(fields) != len(COLUMNS):
        raise CsvError(f"line {line}: expected {len(COLUMNS)} fields, found {len(fields)}")
    raw_id, raw_gender, raw_age, raw_income, raw_score = fields

    def fail(column: str, value: str, reason: str) -> CsvError:
        return CsvError(f"line {line}, column `{column}`: `{value}` {reason}")

    def number(column: str, value: str) -> int:
        text = value.strip()
        if not text.isascii() or not text.isdigit() or int(text) > _UINT32_MAX:
            raise fail(column, value, "is not a whole number")
        return int(text)

    customer_id = number(COLUMNS[0], raw_id)
    gender = raw_gender.strip()
    if not gender:
        raise CsvError(f"line {line}, column `{COLUMNS[1]}` is empty")
    age = number(COLUMNS[2], raw_age)
    if age > MAX_AGE:
        raise fail(COLUMNS[2], raw_age, "is not a plausible age")
    income = number(COLUMNS[3], raw_income)
    score = number(COLUMNS[4], raw_score)
    if not 1 <= score <= 100:
        raise fail(COLUMNS[4], raw_score, "is not between 1 and 100")
    return Customer(customer_id, gender, age, income, score)


def sort_by_spending(customers: list[Customer]) -> list[Customer]:
    """The customers by spending score, ties by id, both ascending."""
    return sorted(customers, key=lambda c: (c.spending_score, c.customer_id))


def aggregate_by_gender(customers: list[Customer]) -> list[dict]:
    """Figures per gender, in alphabetical order of gender; means rounded to two decimals."""
    groups: dict[str, list[Customer]] = {}
    for customer in customers:
        groups.setdefault(customer.gender, []).append(customer)
    figures = []
    for gender in sorted(groups):
        group = groups[gender]
        count = len(group)
        scores = [c.spending_score for c in group]
        figures.append(
            {
                "gender": gender,
                "count": count,
                "mean_age": round(sum(c.age for c in group) / count, 2),
                "mean_annual_income_k": round(sum(c.annual_income_k for c in group) / count, 2),
                "mean_spending_score": round(sum(scores) / count, 2),
                "min_spending_score": min(scores),
                "max_spending_score": max(scores),
            }
        )
    return figures
