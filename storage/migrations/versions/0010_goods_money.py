"""buy-for-me goods money on the order

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 12:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('orders', schema=None) as batch_op:
        # Orders placed before had no goods money: 0 for them, and no default after (the model sets it).
        batch_op.add_column(sa.Column('goods', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('goods_spent', sa.Integer(), nullable=True))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('goods', server_default=None)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('goods_spent')
        batch_op.drop_column('goods')
