"""The CSV rules, sorting and figures of ``customers``."""

import pytest

from customers import Customer, CsvError, aggregate_by_gender, parse_csv, sort_by_spending

HEADER = "CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)"


def csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def test_parses_rows_with_kaggles_header_quotes_and_blank_lines():
    text = "\ufeffCustomerID,Genre,Age,Annual Income (k$),Spending Score (1-100)\r\n" \
        '1,Male,19,15,39\r\n\r\n2, "Fe""male",21, 15 ,81\r\n  \n3,Male,20,16,1'
    assert parse_csv(text) == [
        Customer(1, "Male", 19, 15, 39),
        Customer(2, 'Fe"male', 21, 15, 81),
        Customer(3, "Male", 20, 16, 1),
    ]


def test_errors_name_the_line_of_the_file_blank_lines_counted():
    with pytest.raises(CsvError) as refused:
        parse_csv(csv("1,Male,19,15,39", "", "", "2,Male,19,15,x"))
    assert str(refused.value).startswith("line 5, column `Spending Score (1-100)`: `x`")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the CSV is empty"),
        ("\n\n", "the CSV is empty"),
        (csv(header="id,gender,age,income,score"), "line 1: expected the header"),
        (csv("1,Male,19,15"), "line 2: expected 5 fields, found 4"),
        (csv("1,Male,19,15,39,extra"), "line 2: expected 5 fields, found 6"),
        (csv("1,Male,19,15,39", "x,Male,19,15,39"), "line 3, column `CustomerID`: `x` is not a whole number"),
        (csv("-1,Male,19,15,39"), "column `CustomerID`: `-1` is not a whole number"),
        (csv("4294967296,Male,19,15,39"), "column `CustomerID`: `4294967296` is not a whole number"),
        (csv("1, ,19,15,39"), "line 2, column `Gender` is empty"),
        (csv("1,Male,151,15,39"), "column `Age`: `151` is not a plausible age"),
        (csv("1,Male,19,1.5,39"), "column `Annual Income (k$)`: `1.5` is not a whole number"),
        (csv("1,Male,19,15,0"), "column `Spending Score (1-100)`: `0` is not between 1 and 100"),
        (csv("1,Male,19,15,101"), "`101` is not between 1 and 100"),
        (csv("7,Male,19,15,39", "8,Male,19,15,39", "7,Female,20,16,40"),
         "line 4, column `CustomerID`: 7 was already used on line 2"),
        (csv('1,"Male,19,15,39'), "line 2: unterminated quoted field"),
        # A quote left open does not swallow the rows after it.
        (csv('1,"Male', "", "3,Female,20,20,20", '4,x",19,15,39'), "line 2: unterminated quoted field"),
        (csv('1,"Ma"le,19,15,39'), "line 2: ',' expected after '\"'"),
    ],
)
def test_refuses_bad_input_naming_line_and_column(text, message):
    with pytest.raises(CsvError) as refused:
        parse_csv(text)
    assert message in str(refused.value)


def test_sorts_by_score_then_id():
    rows = parse_csv(csv("3,Male,30,50,70", "1,Female,20,40,70", "2,Male,25,45,10"))
    assert [c.customer_id for c in sort_by_spending(rows)] == [2, 1, 3]


def test_figures_per_gender_in_alphabetical_order():
    rows = parse_csv(csv("1,Male,20,40,10", "2,Female,30,60,90", "3,Male,25,41,20"))
    assert aggregate_by_gender(rows) == [
        {"gender": "Female", "count": 1, "mean_age": 30.0, "mean_annual_income_k": 60.0,
         "mean_spending_score": 90.0, "min_spending_score": 90, "max_spending_score": 90},
        {"gender": "Male", "count": 2, "mean_age": 22.5, "mean_annual_income_k": 40.5,
         "mean_spending_score": 15.0, "min_spending_score": 10, "max_spending_score": 20},
    ]
