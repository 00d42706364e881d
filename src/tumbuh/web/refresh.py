"""Compute and store the page panels of a database for its current data generation.

Run as ``python -m tumbuh.web.refresh --db URL`` (what `tumbuh db refresh` and `tumbuh demo`
call: the CLI never imports the web layer). Panels already stored for the current
generation are read back, not recomputed; prints the seconds each panel took.
"""

from __future__ import annotations

import argparse
import sys
import time

from tumbuh.config import get_settings
from tumbuh.db.engine import make_engine
from tumbuh.db.session import session_factory
from tumbuh.i18n import format_number, translate
from tumbuh.web import cache, insights


def refresh_database(url: str, *, welfare_max_decile: int) -> dict[str, float]:
    engine = make_engine(url)
    try:
        # Never beside a server's background worker computing panels of the same file.
        with cache.panel_lock(engine), session_factory(engine)() as db:
            return insights.refresh(db, welfare_max_decile=welfare_max_decile)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="Database URL (default: TUMBUH_DATABASE_URL)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    settings = get_settings()
    took = refresh_database(
        args.db or settings.database_url,
        welfare_max_decile=settings.welfare_eligible_max_decile,
    )
    slow = sorted(took.items(), key=lambda kv: -kv[1])[:6]
    lang = settings.language  # the caller's `tumbuh --lang` (TUMBUH_LANGUAGE)
    steps = ", ".join(f"{k} {format_number(v, 1, lang)}" for k, v in slow)
    seconds = format_number(time.perf_counter() - started, 0, lang)
    sys.stdout.write(translate("cli.panels.stored", lang, seconds=seconds, steps=steps))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
