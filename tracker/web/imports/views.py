"""Imports from the browser: choose a kind, send a file, see every problem (or what it
will make), then confirm. The file waits between the preview and the confirmation in
the instance folder, under its SHA-256 and the person's id; the confirmation reads it
back, checks its digest and runs the whole import again (rules and all)."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_babel import format_number
from flask_babel import gettext as _

from tracker.db import db
from tracker.domain.accounts import Role
from tracker.domain.errors import BadRequest, NotFound
from tracker.domain.imports import BROWSER, IMPORTERS, ImportKind
from tracker.services import imports
from tracker.services.imports.templates import template_csv, template_xlsx
from tracker.web.access import allow
from tracker.web.helpers import actor
from tracker.web.imports.forms import ConfirmForm, UploadForm

bp = Blueprint("imports", __name__, url_prefix="/imports")

IMPORTERS_ROLES = (Role.ADMIN, Role.DISTRIBUTOR, Role.TREASURER)
_DIGEST = re.compile(r"[0-9a-f]{64}")


def _kinds() -> list[ImportKind]:
    role = actor().role
    return [kind for kind in ImportKind if role in IMPORTERS[kind]]


def _upload_form() -> UploadForm:
    form = UploadForm()
    form.kind.choices = [(kind.value, kind.label) for kind in _kinds()]
    return form


def _page(form: UploadForm, status: int = 200, **context):
    return (
        render_template(
            "imports/index.html",
            form=form,
            kinds=_kinds(),
            limit_mb=(BROWSER.size or 0) // (1024 * 1024),
            limit_rows=BROWSER.rows,
            **context,
        ),
        status,
    )


@bp.get("/")
@allow(*IMPORTERS_ROLES)
def index():
    return _page(_upload_form())


def _waiting(digest: str) -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{actor().id}-{digest}"


@bp.post("/")
@allow(*IMPORTERS_ROLES)
def preview():
    form = _upload_form()
    if not form.validate_on_submit():
        return _page(form, 422)
    data = form.file.data.read()
    filename = (form.file.data.filename or "")[-200:]
    outcome = imports.run(
        db.session, actor(), form.kind.data, data, filename=filename, limits=BROWSER, write=False
    )
    db.rollback()
    confirm = None
    if not outcome.problems:
        _waiting(outcome.digest).write_bytes(data)
        confirm = ConfirmForm(
            formdata=None, kind=outcome.kind.value, digest=outcome.digest, filename=filename
        )
    return _page(
        form, 422 if outcome.problems else 200, outcome=outcome, confirm=confirm, filename=filename
    )


@bp.post("/confirm")
@allow(*IMPORTERS_ROLES)
def confirm():
    form = ConfirmForm()
    if not form.validate_on_submit():
        raise BadRequest(_("This form is damaged or out of date: send the file again."))
    digest = form.digest.data or ""
    path = _waiting(digest) if _DIGEST.fullmatch(digest) else None
    if path is None or not path.is_file():
        raise NotFound(_("The file previewed is no longer here: send it again."))
    data = path.read_bytes()
    if imports.digest_of(data) != digest:
        raise BadRequest(_("The file previewed is no longer here: send it again."))
    outcome = imports.run(
        db.session, actor(), form.kind.data or "", data, filename=form.filename.data, limits=BROWSER
    )
    if outcome.problems:
        db.rollback()
        return _page(_upload_form(), 422, outcome=outcome, filename=form.filename.data)
    db.commit()
    path.unlink(missing_ok=True)
    flash(
        _(
            "Imported %(rows)s rows of %(kind)s.",
            rows=format_number(outcome.rows),
            kind=outcome.kind.label,
        ),
        "message",
    )
    return redirect(url_for("imports.index"))


@bp.get("/templates/<kind>.<fmt>")
@allow(*IMPORTERS_ROLES)
def template(kind: str, fmt: str):
    name = imports.kind_of(kind).kind.value
    if fmt == "csv":
        return Response(
            template_csv(name),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={name}.csv"},
        )
    if fmt == "xlsx":
        return Response(
            template_xlsx(name),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f"attachment; filename={name}.xlsx"},
        )
    raise NotFound(_("Templates are CSV or XLSX."))
