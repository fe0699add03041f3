"""an order's free text (description, notes, rating comment) encrypted at rest

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 10:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from storage.migrate import migration_cipher

# revision identifiers, used by Alembic.
revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CLEAR = ('description', 'notes', 'rating_comment')


def upgrade() -> None:
    """Upgrade schema."""
    conn = op.get_bind()
    # Converted before any DDL (SQLite commits ALTER TABLE at once): a refusal (no keys) comes while nothing has
    # changed. The keys are asked for only when there is text to encrypt; an empty text is none (NULL).
    rows = conn.execute(sa.text(f"SELECT id, {', '.join(CLEAR)} FROM orders WHERE "
                                + " OR ".join(f"{c} != ''" for c in CLEAR))).all()
    values = []
    if rows:
        cipher = migration_cipher(op.get_context().config, "an order's free text is stored encrypted from 0016")
        values = [{"id": row[0], **{f"{c}_enc": cipher.encrypt(v) if v else None for c, v in zip(CLEAR, row[1:])}}
                  for row in rows]
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for column in CLEAR:
            batch_op.add_column(sa.Column(f'{column}_enc', sa.Text(), nullable=True))
    if values:
        conn.execute(sa.text("UPDATE orders SET " + ", ".join(f"{c}_enc = :{c}_enc" for c in CLEAR)
                             + " WHERE id = :id"), values)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for column in CLEAR:
            batch_op.drop_column(column)


def downgrade() -> None:
    """Downgrade schema."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT id, {', '.join(f'{c}_enc' for c in CLEAR)} FROM orders WHERE "
                                + " OR ".join(f"{c}_enc IS NOT NULL" for c in CLEAR))).all()
    values = []
    if rows:
        cipher = migration_cipher(op.get_context().config, "an order's free text is decrypted to go back before 0016")
        values = [{"id": row[0], **{c: cipher.decrypt(v) if v else "" for c, v in zip(CLEAR, row[1:])}}
                  for row in rows]
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for column in CLEAR:
            batch_op.add_column(sa.Column(column, sa.Text(), nullable=False, server_default=''))
    if values:
        conn.execute(sa.text("UPDATE orders SET " + ", ".join(f"{c} = :{c}" for c in CLEAR) + " WHERE id = :id"),
                     values)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for column in CLEAR:
            batch_op.alter_column(column, existing_type=sa.Text(), server_default=None)
        for column in CLEAR:
            batch_op.drop_column(f'{column}_enc')
