"""runners who declined an order's offer or let it lapse, so auto-dispatch does not offer it to them again

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 10:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import storage.models  # noqa: F401 - custom column types

# revision identifiers, used by Alembic.
revision: str = '0020'
down_revision: Union[str, Sequence[str], None] = '0019'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Passes made before this table was kept are not known: such an order may be offered to its decliner once more.
    op.create_table('offer_declines',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('runner_id', sa.Integer(), nullable=False),
    sa.Column('lapsed', sa.Boolean(), nullable=False),
    sa.Column('at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.ForeignKeyConstraint(['runner_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('order_id', 'runner_id')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('offer_declines')
