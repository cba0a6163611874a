"""Sessions and answers, as the sqlite3 store before Alembic left them (its schema version 2).

A SQLite file from before Alembic already holds these tables, perhaps without the owner column (its schema
versions 0 and 1), so each part is created only where it is missing: such a file keeps its sessions."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("sessions"):
        op.create_table(
            "sessions",
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("started_at", sa.Text, nullable=False),
            sa.Column("updated_at", sa.Double, nullable=False),
            sa.Column("mode", sa.Text, nullable=False),
            sa.Column("topics", sa.Text, nullable=False),
            sa.Column("questions", sa.Integer, nullable=False),
            sa.Column("finished", sa.Boolean, nullable=False),
            sa.Column("overall_score", sa.Double, nullable=False),
            sa.Column("asked_at", sa.Double),
            sa.Column("snapshot", sa.Text, nullable=False),
            sa.Column("owner", sa.Text),
        )
    elif "owner" not in {column["name"] for column in inspector.get_columns("sessions")}:
        op.add_column("sessions", sa.Column("owner", sa.Text))  # older sessions keep NULL: no owner
    if not inspector.has_table("answers"):
        op.create_table(
            "answers",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("session_id", sa.Text, sa.ForeignKey("sessions.id"), nullable=False),
            sa.Column("question_number", sa.Integer, nullable=False),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("received_at", sa.Double, nullable=False),
            sa.Column("status", sa.Text, nullable=False),
            sa.CheckConstraint("status IN ('pending', 'graded', 'failed')", name="answers_status"),
            sqlite_autoincrement=True,
        )
    op.create_index("answers_by_session", "answers", ["session_id", "status"], if_not_exists=True)
    op.create_index("sessions_by_owner", "sessions", ["owner", "updated_at"], if_not_exists=True)


def downgrade() -> None:
    op.drop_table("answers")
    op.drop_table("sessions")
