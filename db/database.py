"""The store handle: one engine per process, sessions with explicit transaction boundaries, error translation.

Services open ``with database.transaction() as session:`` and call repositories inside; repositories never commit.
Every connection runs with ``TimeZone=UTC`` so timestamps read back are UTC whatever the server's setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from adpilot.errors import AdpilotError, DatabaseUnavailable
from adpilot.settings import Settings
from db.embedded import embedded_url
from db.errors import translate_db_error

__all__ = ["Database", "open_database"]


@dataclass
class Database:
    engine: Engine
    embedded: bool

    def __post_init__(self) -> None:
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error (translated)."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except AdpilotError:
            session.rollback()
            raise
        except Exception as exc:
            session.rollback()
            translated = translate_db_error(exc)
            if translated is exc:
                raise
            raise translated from exc
        finally:
            session.close()

    @contextmanager
    def scratch(self) -> Iterator[Session]:
        """A session whose work is always rolled back: dry runs see exactly what a real run would write."""
        session = self._sessions()
        try:
            yield session
        except AdpilotError:
            raise
        except Exception as exc:
            translated = translate_db_error(exc)
            if translated is exc:
                raise
            raise translated from exc
        finally:
            session.rollback()
            session.close()

    def ping(self) -> str:
        """Return the server version or raise :class:`DatabaseUnavailable` with the remedy."""
        try:
            with self.engine.connect() as conn:
                return str(conn.execute(text("SHOW server_version")).scalar_one())
        except Exception as exc:
            remedy = (
                "check the embedded server's log under ADPILOT_DATA_DIR/postgres"
                if self.embedded
                else "start Postgres or unset ADPILOT_DATABASE_URL to use the embedded one"
            )
            raise DatabaseUnavailable(
                f"database not reachable at {self.display_url}: {str(exc).splitlines()[0]}", remedy=remedy
            ) from exc

    def dispose(self) -> None:
        self.engine.dispose()


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    parsed = make_url(url)
    if parsed.drivername != "postgresql+psycopg":
        raise DatabaseUnavailable(
            f"unsupported database URL {parsed.render_as_string(hide_password=True)}",
            remedy="use postgresql+psycopg://user@host:5432/dbname",
        )
    return create_engine(
        parsed,
        pool_pre_ping=True,
        pool_size=pool_size,
        connect_args={"options": "-c TimeZone=UTC", "connect_timeout": 5},
    )


def open_database(settings: Settings) -> Database:
    """The configured server, or the embedded one when ``ADPILOT_DATABASE_URL`` is unset."""
    if settings.database_url is not None:
        return Database(make_engine(settings.database_url.get_secret_value()), embedded=False)
    return Database(make_engine(embedded_url(settings.data_dir)), embedded=True)
