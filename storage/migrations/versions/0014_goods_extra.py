"""the goods difference a runner asks a student for

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 10:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import storage.models  # noqa: F401 - custom column types

# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('orders', schema=None) as batch_op:
        # No order asked for one before: 0 for them, and no default after (the model sets it).
        batch_op.add_column(sa.Column('goods_extra', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('extra_asked_at', storage.models.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('goods_extra', server_default=None)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('extra_asked_at')
        batch_op.drop_column('goods_extra')
