"""A version number on each session, raised by every save, so that servers sharing the database (replicas)
can tell when their in-memory copy of a session is behind the stored one.

A save names the version its copy was loaded at and is refused when the stored session has moved on since
(see `SessionStore.save`). Sessions saved before this revision start at 0. The column has a default, so an
interviewer from before Alembic can still read and write the file (`SCHEMA_VERSION` stays 2)."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("0")))


def downgrade() -> None:
    op.drop_column("sessions", "version")
