"""Settings an admin keeps for the whole tracker: one row."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base

# What a fresh tracker warns about until an admin says otherwise.
DEFAULT_ALERT_WEEKS_OF_COVER = 4
DEFAULT_ALERT_COPIES = 20


class Settings(Base):
    """The one row of settings (its id is always 1)."""

    __tablename__ = "settings"
    __table_args__ = (
        CheckConstraint("id = 1", "one_row"),
        CheckConstraint(
            "alert_weeks_of_cover IS NULL OR alert_weeks_of_cover >= 0", "alert_weeks_ok"
        ),
        CheckConstraint("alert_copies IS NULL OR alert_copies >= 0", "alert_copies_ok"),
        CheckConstraint("backdate_days IS NULL OR backdate_days >= 1", "backdate_days_ok"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # The dashboard warns about a section with fewer weeks of cover, or fewer copies on
    # hand, than these (a section may have its own); empty: no such alert.
    alert_weeks_of_cover: Mapped[int | None] = mapped_column(Integer)
    alert_copies: Mapped[int | None] = mapped_column(Integer)
    # How far back a document may be dated when it is typed in (days); empty: no limit
    # but the closed months.
    backdate_days: Mapped[int | None] = mapped_column(Integer)
