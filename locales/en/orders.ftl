error-order-number = "{ $text }" is not an order number. Write it like 12.
# A list in running text (locales.Catalogue.join), and what ends the first few of a longer one.
list-sep = {", "}
list-more = {", …"}
error-order-not-found = There is no order #{ $order }.
order-route = { $pickup } → { $dropoff }
# A task type in words, as order cards and lists name it.
task-name = { $task ->
    [parcel] Parcel pickup
    [buy] Buy for me
    [deliver] Deliver an item
    [queue] Queue for me
   *[custom] Custom task
  }
order-line = #{ $order } { task-name } · { $route } · { $total } yuan · { $status }
order-line-runner = #{ $order } { task-name } · { $route } · { $status }
status = { $status ->
    [awaiting_payment] awaiting payment
    [open] waiting for a runner
    [accepted] runner on the way
    [picked_up] picked up
    [delivered] delivered
    [completed] completed
    [closed] closed (unpaid)
    [expired] expired (refunded)
    [cancelled] cancelled
    [exception] under review
   *[refunded] refunded
  }
# A refunded order whose money all went to the goods the runner bought: nothing came back.
status-goods = closed (all of it went to the goods bought, nothing to refund)
# The status of an order its coupon paid in full, where the plain one would say "refunded".
status-covered = { $status ->
    [expired] expired (paid by the coupon, nothing to refund)
   *[refunded] closed (paid by the coupon, nothing to refund)
  }
order-quote-line = { $label }: { $amount }
order-card-description = { $task ->
    [queue] Queue
    [custom] Task
   *[other] Item
  }: { $text }
order-card-notes = Notes: { $text }
order-card-goods = Money for the goods: up to { $goods } yuan; the runner is paid back what they spend, the rest goes back to the student.
order-card-goods-spent = Goods bought for { $spent } yuan of the { $goods } yuan given for them.
order-card-goods-extra = The goods cost { $spent } yuan, { $extra } yuan more than the { $goods } yuan given for them: { $reader ->
    [customer] the runner asks you for the difference.
    [runner] you asked the student for the difference.
   *[other] the runner asks the student for the difference.
  }
order-card-queue = Queueing expected: about { $minutes } min
hall-card-goods = Buys goods for up to { $goods } yuan: you lay it out and are paid back when the order completes.
order-card-tags = Please: { $tags }
order-card-total = Total: { $total } yuan
order-card-pickup-by = Pick up by { $time }: past it the order goes back to the hall, and your credit drops.
order-card-deliver-by = Deliver by { $time }.
order-card-share = You receive: { $share } yuan
# A runner's card of an order that ended other than by delivery: what the ledger paid them, or that it is not theirs.
order-card-fee = You receive the cancellation fee: { $fee } yuan
order-card-unpaid = You receive nothing for this order.
order-status-not-yours = no longer yours
order-card-room = Room: { $room }
order-card-phone = Phone: { $phone }
order-card-contact-in-details = Room and phone: in the message with order #{ $order }'s details, above. They are shown there only while the order is yours.
order-window-now = as soon as possible
order-window = between { $start } and { $end }
# The time on an order's cards, once the hall post that showed it is gone: a scheduled window, or urgent.
order-card-when = When: { $window }{ $urgent ->
    [yes] {" "}· URGENT
   *[no] {""}
  }
tag = { $tag ->
    [no_knock] don't knock
    [fragile] fragile
    [call_on_arrival] call on arrival
    [leave_at_door] leave at the door
   *[other] { $tag }
  }
hall-card = New errand #{ $order }: { $task ->
    [parcel] parcel pickup
    [buy] buy for me
    [deliver] deliver an item
    [queue] queue for me
   *[custom] custom task
  }
    { $route }
    Pay: { $share } yuan · { $size ->
        [medium] medium
        [large] large
       *[small] small
    } · { $weight } kg · { $window }{ $urgent ->
    [yes] {" "}· URGENT
   *[no] {""}
  }
