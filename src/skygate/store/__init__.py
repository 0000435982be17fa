"""skygate's database: SQLAlchemy 2 over SQLite (default) or PostgreSQL, Alembic migrations.

``open_store()`` gives a :class:`Store` (``.engine``, ``.connect()`` for reads,
``.transaction()`` for serialized writes); the tables are in :mod:`skygate.store.schema`.
"""

from skygate.store.database import Store, open_store

__all__ = ["Store", "open_store"]
