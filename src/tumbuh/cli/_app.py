"""The Typer application object and its command groups; command modules import and extend them."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="tumbuh",
    help="tumbuh: WHO z-scores, stunting surveillance, families at risk, interventions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command groups shared by several modules (e.g. `tumbuh import eppgbm`, `tumbuh import aggregates`).
import_app = typer.Typer(
    help="Import files into the register (each import prints a report)."
)
risk_app = typer.Typer(
    help="Risk model for new stunting cases: train, evaluate, score."
)
users_app = typer.Typer(help="User accounts and roles.")
app.add_typer(import_app, name="import")
app.add_typer(risk_app, name="risk")
app.add_typer(users_app, name="users")
