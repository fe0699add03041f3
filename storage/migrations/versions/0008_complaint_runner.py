"""the runner a complaint is about (the order's runner when it was made)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 10:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('runner_id', sa.Integer(), nullable=True))
    # A complaint made before this revision: the runner the order had then. Every history event records the
    # runner the order had after it, so the last event up to the complaint's time names them.
    op.execute(sa.text(
        "UPDATE complaints SET runner_id = (SELECT e.runner_id FROM order_events e"
        " WHERE e.order_id = complaints.order_id AND e.at <= complaints.created_at"
        " ORDER BY e.at DESC, e.id DESC LIMIT 1)"))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_column('runner_id')
