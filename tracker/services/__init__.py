"""Domain operations, one module per area.

Each function takes the session first (and, once accounts exist, the acting user),
checks the business rules, writes through the models and the ledger, flushes, and never
commits: the caller (a request, a CLI command) owns the transaction. Rules that fail
raise ``tracker.errors.DomainError`` with a message meant for people.
"""
