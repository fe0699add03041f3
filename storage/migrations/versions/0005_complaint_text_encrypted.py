"""complaint text encrypted at rest

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from storage.migrate import migration_cipher


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _swap(source: str, target: str, change) -> None:  # noqa: ANN001
    """Replace column `source` of complaints by `target`, each row's value passed through change(cipher, value)."""
    conn = op.get_bind()
    # Converted before any DDL: SQLite commits ALTER TABLE at once, so a refusal (no keys, a key that does not
    # open a row) must come while nothing has changed. The keys are asked for only when there is a row.
    rows = conn.execute(sa.text(f"SELECT id, {source} FROM complaints")).all()
    values = []
    if rows:
        cipher = migration_cipher(op.get_context().config, "complaint texts are stored encrypted from revision 0005")
        values = [{"id": row_id, "value": change(cipher, value)} for row_id, value in rows]
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column(target, sa.Text(), nullable=True))
    if values:
        conn.execute(sa.text(f"UPDATE complaints SET {target} = :value WHERE id = :id"), values)
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.alter_column(target, existing_type=sa.Text(), nullable=False)
        batch_op.drop_column(source)


def upgrade() -> None:
    """Upgrade schema."""
    # A complaint is free text a person types (a phone, a room, a name): personal data, like the *_enc columns.
    _swap('text', 'text_enc', lambda cipher, value: cipher.encrypt(value))


def downgrade() -> None:
    """Downgrade schema."""
    _swap('text_enc', 'text', lambda cipher, value: cipher.decrypt(value))
