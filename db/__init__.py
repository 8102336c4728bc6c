"""The campaign store: typed ORM (``db.schema``), the database handle (``db.database``), migrations
(``db.migrate``), the embedded server (``db.embedded``) and repositories — the only place SQL that matters lives.
"""

from db.database import Database, open_database

__all__ = ["Database", "open_database"]
