"""a runner application's student-card photo (its file id) encrypted at rest, as the name and number it shows

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 10:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.migrate import migration_cipher

# revision identifiers, used by Alembic.
revision: str = '0021'
down_revision: Union[str, Sequence[str], None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    conn = op.get_bind()
    # Read and encrypted before any DDL (SQLite commits ALTER TABLE at once): a refusal (no keys) comes while nothing
    # has changed. The keys are asked for only when there is a photo; none is NULL.
    rows = conn.execute(sa.text("SELECT user_id, card_photo FROM runner_profiles WHERE card_photo != ''")).all()
    values = []
    if rows:
        cipher = migration_cipher(op.get_context().config, "a student-card photo is stored encrypted from 0021")
        values = [{"id": user_id, "photo": cipher.encrypt(photo)} for user_id, photo in rows]
    with op.batch_alter_table('runner_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_photo_enc', sa.Text(), nullable=True))
    if values:
        conn.execute(sa.text("UPDATE runner_profiles SET card_photo_enc = :photo WHERE user_id = :id"), values)
    with op.batch_alter_table('runner_profiles', schema=None) as batch_op:
        batch_op.drop_column('card_photo')


def downgrade() -> None:
    """Downgrade schema."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT user_id, card_photo_enc FROM runner_profiles "
                                "WHERE card_photo_enc IS NOT NULL")).all()
    values = []
    if rows:
        cipher = migration_cipher(op.get_context().config, "a student-card photo is decrypted to go back before 0021")
        values = [{"id": user_id, "photo": cipher.decrypt(token)} for user_id, token in rows]
    with op.batch_alter_table('runner_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_photo', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False,
                                      server_default=''))
    if values:
        conn.execute(sa.text("UPDATE runner_profiles SET card_photo = :photo WHERE user_id = :id"), values)
    with op.batch_alter_table('runner_profiles', schema=None) as batch_op:
        batch_op.alter_column('card_photo', existing_type=sqlmodel.sql.sqltypes.AutoString(length=256),
                              server_default=None)
        batch_op.drop_column('card_photo_enc')
