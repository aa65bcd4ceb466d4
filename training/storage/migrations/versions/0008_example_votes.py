"""examples become votes: one label per person and message, with a state

Every existing example gets its key (the message, or its text) and stays
readable. Where one person gave several labels to one key, only their newest
stays ``accepted`` and the older ones become ``superseded``: before this, every
click was an example of its own, and 20 clicks weighed 20 times.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:00:00
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("examples", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_key", sa.String(length=300), nullable=True))
        batch_op.add_column(
            sa.Column("state", sa.String(length=20), nullable=False, server_default="accepted")
        )
        batch_op.add_column(
            sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("model_label", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("model_confidence", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_examples_source_key", ["source_key"], unique=False)
        batch_op.create_index("ix_examples_state", ["state"], unique=False)
    _backfill()


def _backfill() -> None:
    examples = sa.table(
        "examples",
        sa.column("id", sa.Integer),
        sa.column("text", sa.Text),
        sa.column("user_id", sa.String),
        sa.column("channel_id", sa.String),
        sa.column("message_ts", sa.String),
        sa.column("source_key", sa.String),
        sa.column("state", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            examples.c.id,
            examples.c.text,
            examples.c.user_id,
            examples.c.channel_id,
            examples.c.message_ts,
        ).order_by(examples.c.id.desc())
    ).all()
    newest: set[tuple[str, str | None]] = set()
    for row in rows:  # newest first: the first seen of a (key, person) is theirs
        key = _key(row.channel_id, row.message_ts, row.text or "")
        state = "superseded" if (key, row.user_id) in newest else "accepted"
        newest.add((key, row.user_id))
        connection.execute(
            examples.update().where(examples.c.id == row.id).values(source_key=key, state=state)
        )


def _key(channel: str | None, ts: str | None, text: str) -> str:
    # As training.teaching.source_key does today; copied so this migration never changes.
    if channel and ts:
        return f"msg:{channel}:{ts}"
    normalised = " ".join(text.casefold().split())
    return "text:" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def downgrade() -> None:
    with op.batch_alter_table("examples", schema=None) as batch_op:
        batch_op.drop_index("ix_examples_state")
        batch_op.drop_index("ix_examples_source_key")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by")
        batch_op.drop_column("model_confidence")
        batch_op.drop_column("model_label")
        batch_op.drop_column("is_admin")
        batch_op.drop_column("state")
        batch_op.drop_column("source_key")
