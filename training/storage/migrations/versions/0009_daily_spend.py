"""daily_spend: what the prompted OpenAI model cost per UTC day, for the daily cap

Several web processes classify; the day's spend must be one number they share,
so it lives in the database. A row per day; ``warned_at`` marks that admins
were told the cap was reached (once, by whichever process got there first).

Revises 0007 on this branch; issue 14's 0008 is merged before it (set
``down_revision`` to "0008" then).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_spend",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("usd", sa.Float(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("daily_spend")
