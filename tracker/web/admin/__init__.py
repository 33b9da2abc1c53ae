"""The admins' pages: one blueprint (``views.bp``), its routes in several modules."""

from tracker.web.admin import (
    catalogue,  # noqa: F401  (its routes are on the blueprint)
    home,  # noqa: F401  (likewise)
    places,  # noqa: F401  (likewise)
)
