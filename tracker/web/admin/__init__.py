"""The admin blueprint (``views.bp``, ``/admin``): accounts and dating in ``views``, the
catalogue's pages in ``catalogue``, which put their routes on the same blueprint."""

from tracker.web.admin import catalogue  # noqa: F401  (its routes are on admin)
