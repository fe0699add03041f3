"""an order's free text (description, notes, rating comment) encrypted at rest, in drafts and waiting questions too

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 10:00:00.000000

"""
import json
from typing import Any, Sequence, Union

import sqlalchemy as sa
from alembic import op

from storage.migrate import migration_cipher

# revision identifiers, used by Alembic.
revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CLEAR = ('description', 'notes', 'rating_comment')
DRAFT = ('description', 'notes')  # a draft's answers, under the same names (handlers/ordering.py)
QUESTION, KEPT = '_question', '_kept'  # what a waiting question, and a message with kept buttons, said (context.py)


def _loaded(data: Any) -> dict:
    return json.loads(data) if isinstance(data, str) else dict(data or {})


def _sealed(cipher, data: dict) -> dict:  # noqa: ANN001
    """A conversation's data with its free text sealed: the draft's, and the arguments of remembered messages."""
    data = dict(data)
    for name in DRAFT:
        if name in data:
            text = data.pop(name)
            data.setdefault(f'{name}_enc', cipher.encrypt(text) if text else None)
    for said in [data.get(QUESTION), *(data.get(KEPT) or {}).values()]:
        if isinstance(said, dict) and 'args' in said:
            args = said.pop('args')
            said['args_enc'] = cipher.encrypt(json.dumps(args, ensure_ascii=False)) if args else None
    return data


def _opened(cipher, data: dict) -> dict:  # noqa: ANN001
    data = dict(data)
    for name in DRAFT:
        if f'{name}_enc' in data:
            sealed = data.pop(f'{name}_enc')
            data[name] = cipher.decrypt(sealed) if sealed else ''
    for said in [data.get(QUESTION), *(data.get(KEPT) or {}).values()]:
        if isinstance(said, dict) and 'args_enc' in said:
            sealed = said.pop('args_enc')
            said['args'] = json.loads(cipher.decrypt(sealed)) if sealed else {}
    return data


def _needs(data: dict, names: tuple[str, ...], args_key: str) -> bool:
    said = [data.get(QUESTION), *(data.get(KEPT) or {}).values()]
    return any(n in data for n in names) or any(isinstance(s, dict) and args_key in s for s in said)


def _conversations(conn, names: tuple[str, ...], args_key: str) -> list[tuple[str, str, dict]]:  # noqa: ANN001
    """The conversations holding any of these draft keys, or remembered messages' arguments under `args_key`."""
    rows = conn.execute(sa.text("SELECT channel, external_id, data FROM conversations")).all()
    loaded = [(channel, external, _loaded(data)) for channel, external, data in rows]
    return [(channel, external, data) for channel, external, data in loaded if _needs(data, names, args_key)]


def _write_conversations(conn, values: list[dict]) -> None:  # noqa: ANN001
    if values:
        conn.execute(sa.text("UPDATE conversations SET data = :data WHERE channel = :c AND external_id = :e")
                     .bindparams(sa.bindparam("data", type_=sa.JSON)), values)


def upgrade() -> None:
    """Upgrade schema."""
    conn = op.get_bind()
    # Converted before any DDL (SQLite commits ALTER TABLE at once): a refusal (no keys) comes while nothing has
    # changed. The keys are asked for only when there is text to encrypt; an empty text is none (NULL).
    rows = conn.execute(sa.text(f"SELECT id, {', '.join(CLEAR)} FROM orders WHERE "
                                + " OR ".join(f"{c} != ''" for c in CLEAR))).all()
    convs = _conversations(conn, DRAFT, 'args')
    values, drafts = [], []
    if rows or convs:
        cipher = migration_cipher(op.get_context().config, "an order's free text is stored encrypted from 0016")
        values = [{"id": row[0], **{f"{c}_enc": cipher.encrypt(v) if v else None for c, v in zip(CLEAR, row[1:])}}
                  for row in rows]
        drafts = [{"c": c, "e": e, "data": _sealed(cipher, d)} for c, e, d in convs]
    _write_conversations(conn, drafts)
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
    convs = _conversations(conn, tuple(f'{n}_enc' for n in DRAFT), 'args_enc')
    values, drafts = [], []
    if rows or convs:
        cipher = migration_cipher(op.get_context().config, "an order's free text is decrypted to go back before 0016")
        values = [{"id": row[0], **{c: cipher.decrypt(v) if v else "" for c, v in zip(CLEAR, row[1:])}}
                  for row in rows]
        drafts = [{"c": c, "e": e, "data": _opened(cipher, d)} for c, e, d in convs]
    _write_conversations(conn, drafts)
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
