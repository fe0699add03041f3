"""an idle runner's availability point (a shared live location, for dispatch only)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import storage.models  # noqa: F401 - custom column types


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('runner_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('available_lat', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('available_lon', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('available_until', storage.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('runner_profiles', schema=None) as batch_op:
        batch_op.drop_column('available_until')
        batch_op.drop_column('available_lon')
        batch_op.drop_column('available_lat')
