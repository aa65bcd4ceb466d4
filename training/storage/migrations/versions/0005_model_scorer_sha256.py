"""models.scorer_sha256: the hash of a local model's scoring arrays (.scorer.npz)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scorer_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.drop_column("scorer_sha256")
