"""queued tags: a message is stored before it is classified

The web process stores a new message as a ``queued`` tag before acknowledging
the event, and a tagger classifies it later: ``label`` and ``confidence`` are
empty until then, and taggers look rows up by ``status``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.alter_column("label", existing_type=sa.String(length=20), nullable=True)
        batch_op.alter_column("confidence", existing_type=sa.Float(), nullable=True)
        batch_op.create_index(batch_op.f("ix_tags_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tags_status"))
        batch_op.alter_column("confidence", existing_type=sa.Float(), nullable=False)
        batch_op.alter_column("label", existing_type=sa.String(length=20), nullable=False)
