"""Alembic's entry point for the session store's schema (see `interviewer.interview.storage.migrate`).

The store hands over its connection, already inside the transaction that holds the migration lock, as
`config.attributes["connection"]`; the revisions run in that transaction and the store commits it."""

from alembic import context

context.configure(connection=context.config.attributes["connection"], transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
