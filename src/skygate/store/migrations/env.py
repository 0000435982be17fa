"""Alembic environment for skygate's store.

skygate runs migrations itself (``skygate.store.open_store``) on a connection it already
holds, passed in ``config.attributes["connection"]``; there is no alembic.ini to edit.
"""

from alembic import context

from skygate.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
