"""Answers typed on a phone are read the way a careful person reads them: a short or differently spaced name of one
option is that option, "-" or "无" at an optional question means nothing to add, numbers may carry their unit —
and an answer that could mean two things is never guessed at."""
import pytest

from tests.factories import CIPHER
from tests.handlers.harness import keys
from tests.handlers.test_ordering import (
    PARCEL_TO_MY_ROOM,
    answer_all,
    conversation,
    funded,
    orders_of,
    quote_of,
    refused,
    started,
)

# The Chinese form up to its notes question, for a parcel to a dorm room (as PARCEL_TO_MY_ROOM[:12]).
ZH_TO_NOTES = ["代取快递", "快递站", "F3", "3-502", "5", "13800138000", "一个鞋盒", "2.5", "小件（一个袋子装得下）", "现在",
               "完成"]
TO_NOTES = {"English": PARCEL_TO_MY_ROOM[:12], "中文": ZH_TO_NOTES}


async def at_notes(chat, services, who, language):
    await started(chat, who, language)
    await chat.send(who, "/order")
    await answer_all(chat, who, TO_NOTES[language])
    assert (await conversation(services, who))[0] == "order.notes"


@pytest.mark.parametrize("language, word", [("English", "-"), ("English", "none"), ("English", "N/A"),
                                            ("English", "—"), ("中文", "无"), ("中文", "没有"), ("中文", "——"),
                                            ("中文", "－")])
async def test_a_dash_or_none_at_the_notes_question_means_no_notes(chat, services, language, word):
    await at_notes(chat, services, "nia", language)
    replies = await chat.send("nia", word)
    assert keys(replies) == ["order-ask-gender"]
    state, data = await conversation(services, "nia")
    assert "notes_enc" in data and data["notes_enc"] is None  # answered: no notes


async def test_only_the_whole_answer_means_no_notes(chat, services):
    """A note that merely starts with a dash, or says more than "none", is the student's note as written."""
    await at_notes(chat, services, "nia", "English")
    await chat.send("nia", "- leave it with the guard")
    assert CIPHER.decrypt((await conversation(services, "nia"))[1]["notes_enc"]) == "- leave it with the guard"
    await chat.send("nia", "/order")
    await answer_all(chat, "nia", PARCEL_TO_MY_ROOM[:12])
    await chat.send("nia", "none of the above, call me")
    assert CIPHER.decrypt((await conversation(services, "nia"))[1]["notes_enc"]) == "none of the above, call me"


async def test_no_notes_typed_as_a_dash_shows_no_notes_on_the_quote(chat, services):
    uid = await funded(chat, services, "nia", 0)
    await chat.send("nia", "/order")
    await answer_all(chat, "nia", [*PARCEL_TO_MY_ROOM[:12], "-", "Anyone", "-", "2"])
    replies = await chat.send("nia", "-")  # the coupon: none
    assert "Notes" not in quote_of(replies).text
    await chat.send("nia", "Confirm")
    [order] = await orders_of(services, uid)
    assert (order.notes_enc, order.favourite_runner_id, order.coupon_code) == (None, None, None)


@pytest.mark.parametrize("language, word", [("English", "-"), ("中文", "无")])
async def test_a_dash_at_the_favourite_runner_question_skips_it(chat, services, language, word):
    await at_notes(chat, services, "ron", language)
    await answer_all(chat, "ron", ["Skip" if language == "English" else "跳过", "Anyone" if language == "English"
                                   else "不限"])
    replies = await chat.send("ron", word)
    assert keys(replies) == ["order-ask-tip"], [r.text for r in replies]
    assert (await conversation(services, "ron"))[1]["runner_id"] is None


async def test_a_dash_at_the_room_and_phone_questions_skips_them(chat, services):
    await started(chat, "rita")
    await chat.send("rita", "/order")
    await answer_all(chat, "rita", ["Parcel pickup", "Parcel Station", "F3"])
    replies = await chat.send("rita", "-")  # no room: meet at the entrance, not a room called "-"
    assert keys(replies) == ["order-ask-phone"]
    assert (await conversation(services, "rita"))[1]["room_enc"] is None
    replies = await chat.send("rita", "没有")
    assert keys(replies) == ["order-ask-description"]
    assert (await conversation(services, "rita"))[1]["phone_enc"] is None


async def test_a_dash_is_no_description_of_the_errand(chat, services):
    """The description is not optional: "-" answers nothing, and is asked for again."""
    await started(chat, "dan")
    await chat.send("dan", "/order")
    await answer_all(chat, "dan", ["Parcel pickup", "Parcel Station", "Library", "Skip"])
    reply = await refused(chat, services, "dan", lambda: chat.send("dan", "-"), "order-description-empty")
    assert reply.text == "Please describe the errand in a few words."


@pytest.mark.parametrize("language, typed, size", [
    ("中文", "小件", "small"), ("中文", "中", "medium"), ("中文", "大 件", "large"),
    ("English", "Small", "small"), ("English", "med", "medium"), ("English", "LARGE", "large")])
async def test_a_size_typed_by_the_start_of_its_button(chat, services, language, typed, size):
    await at_notes(chat, services, "sia", language)
    await chat.send("sia", "/order")
    await answer_all(chat, "sia", TO_NOTES[language][:8])
    replies = await chat.send("sia", typed)
    assert keys(replies) == ["order-ask-window"], [r.text for r in replies]
    assert (await conversation(services, "sia"))[1]["size"] == size


@pytest.mark.parametrize("language, typed, task", [
    ("中文", "代取", "parcel"), ("中文", "快递", "parcel"), ("中文", "排队", "queue"), ("English", "parcel", "parcel"),
    ("English", "Queue", "queue"), ("English", "buy", "buy")])
async def test_an_errand_kind_typed_by_its_core_word(chat, services, language, typed, task):
    await started(chat, "tia", language)
    await chat.send("tia", "/order")
    replies = await chat.send("tia", typed)
    assert keys(replies) == ["order-ask-pickup"], [r.text for r in replies]
    assert (await conversation(services, "tia"))[1]["task"] == task


@pytest.mark.parametrize("language, typed, text", [
    ("中文", "帮我", "“帮我”可能是：帮我买、帮我送、帮我排队。请选择其中一个。"),
    ("English", "for me", '"for me" could be: Buy for me, Queue for me. Please choose one of them.')])
async def test_an_answer_that_fits_several_options_is_refused_with_them(chat, services, language, typed, text):
    await started(chat, "amy", language)
    await chat.send("amy", "/order")
    reply = await refused(chat, services, "amy", lambda: chat.send("amy", typed), "order-choose-among")
    assert reply.text == text


async def test_a_gender_typed_shortly(chat, services):
    await at_notes(chat, services, "gia", "中文")
    await chat.send("gia", "跳过")
    replies = await chat.send("gia", "女生")
    assert keys(replies) == ["order-ask-runner"]
    assert (await conversation(services, "gia"))[1]["gender"] == "female"
    await chat.send("gia", "/order")
    await answer_all(chat, "gia", [*ZH_TO_NOTES, "跳过"])
    await chat.send("gia", "男")
    assert (await conversation(services, "gia"))[1]["gender"] == "male"


async def test_back_typed_without_its_arrow_goes_back_rather_than_being_a_note(chat, services):
    for who, language, back in (("bea", "English", "back"), ("bo", "中文", "上一步")):
        await at_notes(chat, services, who, language)
        replies = await chat.send(who, back)
        assert keys(replies) == ["order-ask-tags"], [r.text for r in replies]


@pytest.mark.parametrize("language, typed", [("中文", "2楼"), ("中文", "２楼"), ("中文", "2层"), ("中文", "第2层"),
                                             ("English", "2 floors"), ("English", "2nd floor"), ("English", "2f"),
                                             ("English", "floor 2"), ("English", "１２")])
async def test_a_floor_written_with_its_unit(chat, services, language, typed):
    await at_notes(chat, services, "flo", language)
    await chat.send("flo", "/order")
    await answer_all(chat, "flo", TO_NOTES[language][:4])
    replies = await chat.send("flo", typed)
    assert keys(replies) == ["order-ask-phone"], [r.text for r in replies]
    assert (await conversation(services, "flo"))[1]["floor"] == (12 if typed == "１２" else 2)


async def test_a_floor_with_a_word_that_is_no_unit_is_refused(chat, services):
    await at_notes(chat, services, "flo", "English")
    await chat.send("flo", "/order")
    await answer_all(chat, "flo", PARCEL_TO_MY_ROOM[:4])
    for typed in ("2 rooms", "2-3", "floor"):
        await refused(chat, services, "flo", lambda: chat.send("flo", typed), "order-floor-format")


async def to_tip(chat, services, who, language):
    await at_notes(chat, services, who, language)
    skip, anyone = ("Skip", "Anyone") if language == "English" else ("跳过", "不限")
    await answer_all(chat, who, [skip, anyone, skip])
    assert (await conversation(services, who))[0] == "order.tip"


@pytest.mark.parametrize("language, typed, fen", [("中文", "5块钱", 500), ("中文", "５元", 500), ("中文", "￥3.5", 350),
                                                  ("中文", "无", 0), ("English", "¥5", 500), ("English", "5 yuan", 500),
                                                  ("English", "-", 0), ("English", "none", 0)])
async def test_a_tip_with_its_currency_or_none(chat, services, language, typed, fen):
    await to_tip(chat, services, "tim", language)
    replies = await chat.send("tim", typed)
    assert keys(replies) == ["order-ask-coupon"], [r.text for r in replies]
    assert (await conversation(services, "tim"))[1]["tip"] == fen


# '4,500 g' groups thousands (before, it was read as 4.5 g: the extra weight went unpaid); '2,5' is 2.5.
@pytest.mark.parametrize("typed, grams", [("3斤", 1500), ("500g", 500), ("500 克", 500), ("2.5公斤", 2500),
                                          ("4,500 g", 4500), ("1,250.5克", 1251), ("2,5", 2500)])
async def test_a_weight_in_jin_or_grams(chat, services, typed, grams):
    await at_notes(chat, services, "wei", "中文")
    await chat.send("wei", "/order")
    await answer_all(chat, "wei", ZH_TO_NOTES[:7])
    replies = await chat.send("wei", typed)
    assert keys(replies) == ["order-ask-size"], [r.text for r in replies]
    assert (await conversation(services, "wei"))[1]["weight_g"] == grams


@pytest.mark.parametrize("typed, minutes", [("45分钟", 45), ("1小时", 60), ("90 min", 90), ("1.5 h", 90),
                                             ("1小时30分钟", 90), ("1h30", 90), ("2 h 15 min", 135)])
async def test_queue_minutes_with_their_unit(chat, services, typed, minutes):
    await started(chat, "que")
    await chat.send("que", "/order")
    await chat.send("que", "Queue for me")
    await chat.press("que", "No particular place")
    await answer_all(chat, "que", ["Canteen 1", "Skip", "Lunch at window 3"])
    replies = await chat.send("que", typed)
    assert keys(replies) == ["order-ask-window"], [r.text for r in replies]
    assert (await conversation(services, "que"))[1]["queue_minutes"] == minutes


@pytest.mark.parametrize("language, typed", [("中文", "今晚"), ("English", "in 2 h"), ("English", "This evening")])
async def test_a_time_window_typed_by_its_button_without_the_hours(chat, services, language, typed):
    await at_notes(chat, services, "win", language)
    await chat.send("win", "/order")
    await answer_all(chat, "win", TO_NOTES[language][:9])
    replies = await chat.send("win", typed)
    assert keys(replies) == ["order-ask-tags"], [r.text for r in replies]
    assert (await conversation(services, "win"))[1]["window_start"] is not None


async def student_card(services, who):
    from sqlalchemy import select

    from storage.models import RunnerProfile, User
    from storage.uow import UnitOfWork
    from tests.factories import CIPHER

    async with UnitOfWork(services.db, write=False) as uow:
        uid = await uow.session.scalar(select(User.id).where(User.external_id == who))
        profile = await uow.session.get(RunnerProfile, uid)
    return CIPHER.decrypt(profile.student_no_enc), profile.gender


@pytest.mark.parametrize("language, number, gender, stored", [
    ("中文", "２０２４１２３４５６", "女", "female"), ("中文", "2024123456", "男生", "male"),
    ("English", "2024 123456", "female", "female"), ("English", "2024123456", "Male", "male")])
async def test_an_application_takes_a_full_width_student_number_and_a_typed_gender(chat, services, language, number,
                                                                                   gender, stored):
    await started(chat, "ada", language)
    await answer_all(chat, "ada", ["/apply", "张三", number])
    replies = await chat.send("ada", gender)
    assert keys(replies) == ["runner-apply-photo"], [r.text for r in replies]
    assert keys(await chat.photo("ada", "card")) == ["runner-apply-done"]
    assert await student_card(services, "ada") == ("2024123456", stored)


async def test_a_circled_digit_is_no_student_number(chat, services):
    await started(chat, "ada", "中文")
    await answer_all(chat, "ada", ["/apply", "张三"])
    assert keys(await chat.send("ada", "②⓪②④①②③④⑤⑥")) == ["runner-apply-number-invalid"]


@pytest.mark.parametrize("typed", ["１３８００１３８０００", "138－0013－8000", "（+86）13800138000"])
async def test_a_phone_number_typed_in_full_width(chat, services, typed):
    from tests.factories import CIPHER

    await at_notes(chat, services, "pho", "中文")
    await chat.send("pho", "/order")
    await answer_all(chat, "pho", ZH_TO_NOTES[:5])
    replies = await chat.send("pho", typed)
    assert keys(replies) == ["order-ask-description"], [r.text for r in replies]
    expected = "+8613800138000" if "86" in typed else "13800138000"
    assert CIPHER.decrypt((await conversation(services, "pho"))[1]["phone_enc"]) == expected


async def test_a_circled_digit_is_no_phone_number(chat, services):
    await at_notes(chat, services, "pho", "中文")
    await chat.send("pho", "/order")
    await answer_all(chat, "pho", ZH_TO_NOTES[:5])
    await refused(chat, services, "pho", lambda: chat.send("pho", "①③⑧⓪⓪①③⑧⓪⓪⓪"), "order-phone-format")


async def test_a_coupon_code_typed_in_full_width(chat, services, clock):
    from tests.handlers.test_ordering import add_coupon

    await add_coupon(services, clock, "WELCOME3")
    await at_notes(chat, services, "cou", "中文")
    replies = await answer_all(chat, "cou", ["跳过", "不限", "跳过", "2", "ｗｅｌｃｏｍｅ３"])
    assert "WELCOME3" in quote_of(replies).text


async def at_queue(chat, who):
    await started(chat, who)
    await chat.send(who, "/order")
    await chat.send(who, "Queue for me")
    await chat.press(who, "No particular place")
    await answer_all(chat, who, ["Canteen 1", "Skip", "Lunch at window 3"])


async def test_a_queueing_time_that_is_no_time_is_told_how_to_write_one_not_its_range(chat, services):
    # Before, "an hour or so" was answered "must be between 0 and 240 minutes", as if the number were wrong.
    await at_queue(chat, "que")
    said = await refused(chat, services, "que", lambda: chat.send("que", "an hour or so"), "error-queue-format")
    assert said.text.startswith('"an hour or so" is not a queueing time')
    said = await refused(chat, services, "que", lambda: chat.send("que", "5h"), "error-queue-minutes")
    assert said.text == "The queueing time must be between 0 and 240 minutes."
    await refused(chat, services, "que", lambda: chat.send("que", "1h75"), "error-queue-format")


async def test_a_floor_out_of_range_is_told_the_range(chat, services):
    # Before, floor 0 was answered "That building has only 15 floors".
    await at_notes(chat, services, "flo", "English")
    await chat.send("flo", "/order")
    await answer_all(chat, "flo", PARCEL_TO_MY_ROOM[:4])
    for typed in ("0", "16"):
        said = await refused(chat, services, "flo", lambda: chat.send("flo", typed), "error-floor-range")
        assert said.text == "The floor must be from 1 to 15, the floors that building has."


async def test_a_refused_update_sent_again_is_not_answered_twice(chat, services):
    # Before: its transaction, the record of the update included, rolled back, so a repeat was refused again.
    await started(chat, "rex")
    assert keys(await chat.send("rex", "/track 999", update_id="u-1")) == ["error-order-not-found"]
    assert await chat.send("rex", "/track 999", update_id="u-1") == []
    assert keys(await chat.send("rex", "/track 999", update_id="u-2")) == ["error-order-not-found"]
