"""runs.run_key: a UUID naming the run across deployments (fine-tuning job metadata)

The run number alone is not unique: a fresh database, or a staging deployment
sharing the API key, has its own run 1. Runs created before this migration keep
a null key and are matched by number and training file.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_key", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("run_key")
