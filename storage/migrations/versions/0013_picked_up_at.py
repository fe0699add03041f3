"""when the order was picked up

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 10:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import storage.models  # noqa: F401 - custom column types

# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('picked_up_at', storage.models.UTCDateTime(timezone=True), nullable=True))
    # Until now only the order's history knew it: carry it over, or an order reported after its goods were bought
    # would end as if they never were, and its runner not be paid them back. (An order is picked up once.)
    op.execute(sa.text(
        "UPDATE orders SET picked_up_at = (SELECT MIN(order_events.at) FROM order_events "
        "WHERE order_events.order_id = orders.id AND order_events.event = 'pickup')"))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('picked_up_at')
