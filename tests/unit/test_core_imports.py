"""The domain core loads neither Flask nor a database: importing it in a fresh
interpreter brings in no Flask, no SQLAlchemy, no configuration (.env) at all."""

from __future__ import annotations

import subprocess
import sys


def test_the_domain_core_loads_no_flask_and_no_database():
    code = (
        "import sys, pkgutil, importlib, tracker.domain as d\n"
        "for m in pkgutil.iter_modules(d.__path__):\n"
        "    importlib.import_module(f'tracker.domain.{m.name}')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'sqlalchemy', 'werkzeug', 'wtforms', 'config', 'dotenv'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""


def test_the_ledger_loads_no_flask():
    code = (
        "import sys, tracker.ledger, tracker.services.sales\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug', 'config')]\n"
        "print(','.join(sorted(bad)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""
