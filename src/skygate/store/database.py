"""Opening skygate's database: engine, migrations, the write lock and first-run seeding.

SQLite (the default, ``$SKYGATE_HOME/skygate.db``) runs in WAL mode with ``synchronous=FULL``
so that a committed change survives a crash of the process *and* of the machine; every change
is one transaction. Writers take the lock up front (``BEGIN IMMEDIATE``) so that two processes
appending to the ledger are serialized instead of failing half-way. On PostgreSQL (when
``SKYGATE_DATABASE_URL`` is set; driver psycopg 3) the ledger head row is locked with
``SELECT ... FOR UPDATE`` for the same effect.

Migrations are Alembic scripts shipped in the package and run on open; a database whose schema
is *newer* than this code (written by a later skygate) is refused with :class:`StoreError`
rather than half-understood.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from skygate.errors import StoreError
from skygate.settings import Settings, get_settings
from skygate.store import schema

__all__ = ["Store", "open_store", "MIGRATIONS_DIR", "normalize_url"]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def normalize_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_engine(url: str) -> Engine:
    engine = sa.create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised via every test
        dbapi_conn.isolation_level = None  # skygate emits BEGIN itself (see _on_begin)
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=60000",
                       "foreign_keys=ON"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.info.pop("skygate_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    try:
        return sa.create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"cannot use {url.split('://')[0]}: {exc}; install skygate[postgres] "
            "(psycopg 3) for PostgreSQL"
        ) from None
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"SKYGATE_DATABASE_URL is not a database URL: {exc}") from None


class Store:
    """A migrated skygate database. ``connect()`` for reads, ``transaction()`` for writes."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.tables = schema

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def connect(self) -> Connection:
        """A connection for reading (use as a context manager)."""
        return self.engine.connect()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction, serialized against other writers; commits on success.

        Nothing is visible to others, or durable, until the block ends without an exception;
        on any error everything done inside is rolled back.
        """
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn.info["skygate_begin"] = "IMMEDIATE"
            with conn.begin():
                if self.dialect != "sqlite":
                    conn.execute(
                        sa.select(schema.ledger_head.c.id)
                        .where(schema.ledger_head.c.id == 1)
                        .with_for_update()
                    )
                yield conn

    def schema_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _alembic_config(conn: Connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def known_revisions() -> tuple[set[str], str]:
    """All revision ids this code ships, and the head."""
    from alembic.script import ScriptDirectory

    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(cfg)
    return {rev.revision for rev in script.walk_revisions()}, script.get_current_head()


def migrate(engine: Engine) -> None:
    """Bring the schema up to this code's head; refuse a database from a newer skygate."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    known, head = known_revisions()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.info["skygate_begin"] = "IMMEDIATE"
        with conn.begin():
            if engine.dialect.name == "postgresql":  # serialize concurrent first opens
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7355608)"))
            current = MigrationContext.configure(conn).get_current_revision()
            if current is not None and current not in known:
                raise StoreError(
                    f"{engine.url.render_as_string(hide_password=True)}: the database schema is "
                    f"at revision {current!r}, newer than this skygate understands (it knows up "
                    f"to {head!r}); upgrade skygate, or point SKYGATE_HOME / "
                    "SKYGATE_DATABASE_URL at another database"
                )
            if current != head:
                command.upgrade(_alembic_config(conn), "head")


def open_store(settings: Settings | None = None, *, seed: bool = True) -> Store:
    """Open (create, migrate and, when new, seed) the database that ``settings`` names.

    A fresh database is seeded with ``settings.policy_preset`` (``reported-2024-10`` unless
    ``SKYGATE_POLICY_PRESET`` says otherwise; ``none`` seeds nothing), each preset entry going
    through the ledger like any other change.
    """
    settings = settings or get_settings()
    url = normalize_url(settings.effective_database_url)
    if url.startswith("sqlite") and settings.database_url is None:
        try:
            settings.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create SKYGATE_HOME {settings.home}: {exc}") from None
    engine = _make_engine(url)
    try:
        migrate(engine)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the database {engine.url!r}: {exc.orig}") from None
    except Exception:
        engine.dispose()
        raise
    store = Store(engine)
    preset = (settings.policy_preset or "").strip()
    if seed and preset and preset.lower() != "none":
        from skygate.policy.control import seed_preset

        seed_preset(store, preset)
    return store
