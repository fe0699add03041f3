"""one open complaint per person and order

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    """Upgrade schema."""
    # Duplicates left by the race this index closes would stop it being built: keep the earliest open one.
    op.execute(
        "UPDATE complaints SET status = 'dismissed', resolution = 'duplicate' WHERE status = 'open' AND EXISTS "
        "(SELECT 1 FROM complaints AS earlier WHERE earlier.order_id = complaints.order_id "
        "AND earlier.user_id = complaints.user_id AND earlier.status = 'open' AND earlier.id < complaints.id)")
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ux_complaints_open', ['order_id', 'user_id'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ux_complaints_open')
