"""how long a queue errand's student expects the queueing to take

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 10:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('orders', schema=None) as batch_op:
        # Not kept before: 0 (unknown) for the orders placed then, and no default after (the model sets it).
        batch_op.add_column(sa.Column('queue_minutes', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('queue_minutes', server_default=None)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('queue_minutes')
