"""late reminder recorded on the order

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import storage.models  # noqa: F401 - custom column types


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_reminded_at', storage.models.UTCDateTime(timezone=True), nullable=True))
    # Until now the reminder's outbox row was the record: carry it over for orders that may still be reminded, or
    # they would be reminded again. (Only picked_up orders are; an order is picked up once.)
    op.execute(sa.text(  # '\\:1' is the text ":1", not a bind parameter
        "UPDATE orders SET late_reminded_at = (SELECT outbox.created_at FROM outbox WHERE outbox.dedupe_key = "
        "'sweep:late:' || CAST(orders.id AS VARCHAR(20)) || '\\:1') WHERE status = 'picked_up'"))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('late_reminded_at')
