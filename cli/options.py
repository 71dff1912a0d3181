"""Command-line options shared by several commands, defined once."""

from __future__ import annotations

from typing import Annotated

import typer

from micronf.yang.budgets import BUDGETS, parse_setting

BudgetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--budget",
        metavar="NAME=N",
        help=(
            "Raise (or lower) a parse-cost budget: "
            + ", ".join(f"{b.name} ({b.default})" for b in BUDGETS.values())
            + "."
        ),
        show_default=False,
    ),
]


def budgets_of(settings: list[str] | None) -> dict[str, int]:
    """``--budget NAME=N`` settings as a mapping; raises ValueError on a bad one."""
    return dict(parse_setting(s) for s in settings or [])
