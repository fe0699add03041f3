"""Migration 0021 encrypts the student-card photos of the applications already sent (their file ids: the photo shows
the name and number kept encrypted) with the service's keys; without them it changes nothing. Going back decrypts
them."""
from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from alembic import command

from storage.crypto import Cipher
from storage.migrate import alembic_config, upgrade
from storage.models import RunnerProfile
from storage.uow import UnitOfWork
from tests.factories import make_runner
from tests.handlers.test_contact_privacy import tables_with

KEY = Cipher.new_key()
PHOTO = "AgACAgUAAxkBAAIBc2dC-student-card"


async def clear_photos(db) -> dict[int, str]:
    async with UnitOfWork(db, write=False) as uow:
        return dict((await uow.session.execute(sa.text("SELECT user_id, card_photo FROM runner_profiles"))).all())


async def test_a_student_card_photo_is_encrypted_by_the_upgrade_and_decrypted_by_the_downgrade(db, campus, clock):
    applicant = await make_runner(db, campus, clock(), approved=False)
    other = await make_runner(db, campus, clock())  # no photo: nothing to encrypt
    url = db.url.render_as_string(hide_password=False)
    await db.dispose()
    try:
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0020")
        async with UnitOfWork(db) as uow:  # as the code before 0021 kept it
            await uow.session.execute(sa.text("UPDATE runner_profiles SET card_photo = :p WHERE user_id = :id"),
                                      {"p": PHOTO, "id": applicant})
        await db.dispose()
        with pytest.raises(RuntimeError, match="encryption keys"):  # no keys: nothing changes, nothing is lost
            await asyncio.to_thread(upgrade, url)
        await db.dispose()
        assert await clear_photos(db) == {applicant: PHOTO, other: ""}
        await db.dispose()
    finally:
        await asyncio.to_thread(upgrade, url, "head", [KEY])  # as `main.py migrate` runs it
    await db.dispose()

    assert await tables_with(db, PHOTO) == []
    async with UnitOfWork(db, write=False) as uow:
        photo, none = [(await uow.session.get(RunnerProfile, user)).card_photo_enc for user in (applicant, other)]
    assert (Cipher([KEY]).decrypt(photo), none) == (PHOTO, None)

    await db.dispose()
    try:
        await asyncio.to_thread(command.downgrade, alembic_config(url, [KEY]), "0020")
        await db.dispose()
        assert await clear_photos(db) == {applicant: PHOTO, other: ""}
        await db.dispose()
    finally:
        await asyncio.to_thread(upgrade, url, "head", [KEY])
    await db.dispose()
