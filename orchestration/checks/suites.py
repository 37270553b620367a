"""Great Expectations suites: the contract beyond types, per raw table and per mart."""

from __future__ import annotations

from revops.contract import CLOSED_STAGES, CURRENCIES, STAGES
from revops.quality import Suite, expect

OPPORTUNITY_TYPES = ["new_business", "expansion", "renewal"]

RAW_SUITES: dict[tuple[str, str], Suite] = {
    ("sales", "opportunities"): Suite(
        name="raw_sales_opportunities",
        schema="raw",
        table="sales__opportunities",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            expect("ExpectColumnValuesToNotBeNull", column="opportunity_id"),
            expect("ExpectColumnValuesToNotBeNull", column="created_at"),
            expect("ExpectColumnValuesToBeInSet", column="currency", value_set=list(CURRENCIES)),
            expect("ExpectColumnValuesToBeInSet", column="opportunity_type", value_set=OPPORTUNITY_TYPES),
            expect("ExpectColumnValuesToBeInSet", 
                column="stage_name", value_set=[*STAGES, *CLOSED_STAGES]
            ),
            expect("ExpectColumnValuesToBeBetween", column="amount", min_value=0),
            expect("UnexpectedRowsExpectation", 
                description="close_date is on or after the date of created_at",
                unexpected_rows_query=(
                    "select opportunity_id, created_at, close_date from {batch} "
                    "where close_date < cast(created_at as date)"
                ),
            ),
            expect("UnexpectedRowsExpectation", 
                description="a won opportunity is closed",
                unexpected_rows_query="select opportunity_id from {batch} where is_won and not is_closed",
            ),
        ],
    ),
}
