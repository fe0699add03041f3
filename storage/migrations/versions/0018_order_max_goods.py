"""the most goods money an order was placed under, which an operator's later /pricing change leaves alone

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 10:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0018'
down_revision: Union[str, Sequence[str], None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('orders', schema=None) as batch_op:
        # Not kept before: NULL for the orders placed then, which go by the campus's limit as they did.
        batch_op.add_column(sa.Column('max_goods', sa.Integer(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('max_goods')
