"""An order its coupon pays in full: no text speaks of 0.00 yuan paid or refunded."""
import pytest

from core.order import Actor, Event
from locales import catalogue
from tests.factories import FREE_COUPON, act, make_order, make_user
from tests.handlers.test_tracking import speaks


@pytest.mark.parametrize(("language", "listed", "lines"), [
    ("en", "expired (paid by the coupon, nothing to refund)",
     ["Paid in full by the coupon", "Nobody took it: nothing to refund, the coupon had paid"]),
    ("zh_CN", "已过期（优惠券全额抵扣，无需退款）", ["优惠券全额抵扣，无需支付", "无人接单；优惠券全额抵扣，无需退款"]),
], ids=["en", "zh_CN"])
async def test_an_expired_order_its_coupon_paid_is_never_called_refunded(chat, services, clock, campus, language,
                                                                         listed, lines):
    alice = await make_user(services.db, campus, clock(), name="alice")
    await speaks(services.db, language, alice)
    order_id = await make_order(services.db, campus, alice, clock(), coupon=FREE_COUPON)
    await act(services.db, campus, order_id, Event.expire, Actor.system(), clock())
    t = catalogue(language)
    [listing] = await chat.send("alice", "/orders")
    assert listed in listing.text and t("status", status="expired") not in listing.text
    [card] = await chat.send("alice", f"/track {order_id}")
    assert all(line in card.text for line in lines) and t("status", status="expired") not in card.text
    # An order its student paid for still says it was refunded.
    bob = await make_user(services.db, campus, clock(), name="bob")
    await speaks(services.db, language, bob)
    paid_id = await make_order(services.db, campus, bob, clock())
    await act(services.db, campus, paid_id, Event.expire, Actor.system(), clock())
    [listing] = await chat.send("bob", "/orders")
    assert t("status", status="expired") in listing.text and listed not in listing.text
