"""Every query on published figures and targets."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tumbuh.surveillance.models import PublishedFigure, Target


def get_figure_by_key(session: Session, natural_key: str) -> PublishedFigure | None:
    return session.scalars(
        select(PublishedFigure).where(PublishedFigure.natural_key == natural_key)
    ).one_or_none()


def get_target_by_key(session: Session, natural_key: str) -> Target | None:
    return session.scalars(
        select(Target).where(Target.natural_key == natural_key)
    ).one_or_none()


def list_figures(
    session: Session,
    *,
    kind: str | None = None,
    indicator: str | None = None,
    confidences: Collection[str] | None = None,
) -> Sequence[PublishedFigure]:
    """Figures in a stable order (region, year, source, id)."""
    stmt = select(PublishedFigure)
    if kind is not None:
        stmt = stmt.where(PublishedFigure.kind == kind)
    if indicator is not None:
        stmt = stmt.where(func.lower(PublishedFigure.indicator) == indicator.lower())
    if confidences is not None:
        stmt = stmt.where(PublishedFigure.confidence.in_(list(confidences)))
    stmt = stmt.order_by(
        PublishedFigure.region_code,
        PublishedFigure.year,
        PublishedFigure.source,
        PublishedFigure.id,
    )
    return session.scalars(stmt).all()


def list_targets(session: Session) -> Sequence[Target]:
    return session.scalars(select(Target).order_by(Target.id)).all()


def count_targets(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Target)) or 0)
