# An order a coupon paid in full: the refund notices say so rather than "0.00 yuan went back".
-nothing-back = Your coupon covered all of it, so you paid nothing and nothing went back to your wallet.
# What a student paid went all to the goods their runner bought (a coupon paid the fee): nothing to give back.
-all-to-goods = All you paid went to the goods your runner bought, so nothing went back to your wallet.
notice-paid = { $covered ->
    [yes] Your order #{ $order } is waiting for a runner.
   *[no] Paid: your order #{ $order } is waiting for a runner.
  }
notice-closed-unpaid = Order #{ $order } was closed because it was not paid in time.
notice-accepted = A runner took your order #{ $order }.{ $handover ->
    [none] {""}
   *[other] {" "}They may not enter your dorm, so they will hand it over at { $handover }.
  }
# To the runner an order is now with, first line of their details message: they took it (a Grab, /grab, an
# offer accepted), or an operator gave it to them (/reassign).
notice-you-won = { $how ->
    [reassigned] An operator gave you order #{ $order }. Here are the details.
   *[taken] Order #{ $order } is yours now. Here are the details.
  }
notice-hall-new = New order #{ $order }
notice-hall-taken = Order #{ $order } has been taken.
notice-hall-gone = Order #{ $order } is no longer available.
notice-runner-released = Your runner gave order #{ $order } back; it is in the task hall again.
notice-runner-timed-out = Your runner did not pick up order #{ $order } in time; it is in the task hall again.
notice-taken-back = Your runner can no longer do order #{ $order }; it is in the task hall again, for another runner.
# To the runner: an operator took it back (they were suspended). Not their doing, so their credit is untouched.
# $window_over (here, in notice-pickup-timeout and notice-reopened-runner): yes when a scheduled errand's window is
# over, so instead of going back to the hall it ended (refunded).
notice-taken-back-runner = Order #{ $order } is no longer yours: { $window_over ->
    [yes] an operator took it back, and as its time window is over, it has ended.
   *[other] an operator gave it back to the task hall.
  } Do not go for it.
# To the runner carrying it, or the student, when the other reported a problem (/complain): an operator decides.
notice-on-hold = { $by ->
    [customer] The student reported a problem with order #{ $order }: it is on hold until an operator looks at it.{ $carrying ->
        [yes] {" "}Keep what you carry and wait for them.
       *[no] {""}
    }
   *[runner] Your runner reported a problem with order #{ $order }: it is on hold until an operator looks at it.
  }
notice-pickup-timeout = Order #{ $order } was not picked up in time { $window_over ->
    [yes] and its time window is over, so it has ended.
   *[other] and went back to the hall.
  } Your credit score went down.
notice-picked-up = Your order #{ $order } has been picked up.
notice-delivered = Your order #{ $order } has been delivered. Please confirm.
notice-completed = Order #{ $order } is complete. You earned { $amount } yuan{ $bought ->
    [yes] , and the { $spent } yuan you spent on the goods came back to your wallet.
   *[other] .{ notice-goods-repaid }
  }
# The end of an order, to its runner: what the goods they laid out paid them back, and whose word it was.
notice-goods-repaid = { $bought ->
    [yes] {" "}The { $spent } yuan you spent on the goods came back to your wallet.
    [service] {" "}You had not said what the goods cost, so the service put them at { $spent } yuan: that came back to your wallet.
    [service-none] {" "}You had not said what the goods cost, and the service found none were bought, so nothing came back for them.
   *[no] {""}
  }
# …and to its student, when the service said what the goods cost.
notice-goods-decided = { $bought ->
    [service] {" "}Your runner had not said what the goods cost, so the service put them at { $spent } yuan, which paid the runner back.
   *[other] {""}
  }
notice-completed-customer = Order #{ $order } is complete. Thank you!{ $back ->
    [yes] {" "}{ $change } yuan of the money for the goods went back to your wallet.
   *[no] {""}
  }{ notice-goods-decided }
notice-auto-confirmed = Order #{ $order } was confirmed automatically.{ $back ->
    [yes] {" "}{ $change } yuan of the money for the goods went back to your wallet.
   *[no] {""}
  }
notice-bought = Your runner bought the goods of order #{ $order } for { $spent } yuan and is on the way. { $goods } yuan was given for them: what was not spent goes back to your wallet when the order completes.
notice-extra-asked = The goods of order #{ $order } cost { $spent } yuan, { $extra } yuan more than the { $goods } yuan you gave for them. Your runner asks you to pay the { $extra } yuan difference; until you answer, they cannot hand the order over. If you refuse, your runner is told, and settles it with you in the chat or reports it to an operator.
notice-extra-ended = Order #{ $order }: the { $extra } yuan goods difference { $how ->
    [paid] is paid.
    [refused] was refused; your runner was told.
    [withdrawn] is no longer asked: your runner settled for what the goods money pays for.
    [changed] is no longer asked: your runner asks for another amount instead, in the message below.
   *[ended] is no longer asked: the order has moved on.
  }
notice-extra-paid = The student of order #{ $order } paid the { $extra } yuan goods difference: you are paid back the { $spent } yuan you spent when the order completes. You can deliver it now.
notice-extra-refused = The student of order #{ $order } will not pay the { $extra } yuan goods difference. Settle it with them in the chat: hand over only what the { $goods } yuan given pays for and say what that cost (/picked { $order } and the amount, { $goods } or less), or report a problem from the order's card for an operator to look at.
notice-expired = Nobody took order #{ $order } in time. { $refunded ->
    [no] { -nothing-back }
    [goods] { -all-to-goods }
   *[yes] { $amount } yuan went back to your wallet.
  }
# To the student: their scheduled errand's runner gave it up (or an operator took it back) after its time window
# had passed, so it ends, refunded, instead of going back to the hall.
notice-window-over = { $why ->
    [release] Your runner gave order #{ $order } back
    [pickup_timeout] Your runner did not pick up order #{ $order } in time
    [take_back] Your runner can no longer do order #{ $order }
   *[other] An operator took order #{ $order } from its runner
  } and its time has passed, so nobody else can take it now. { $refunded ->
    [no] { -nothing-back }
    [goods] { -all-to-goods }
   *[yes] { $amount } yuan went back to your wallet.
  }
notice-cancelled = Order #{ $order } is cancelled. { $refunded ->
    [no] { -nothing-back }
    [goods] { -all-to-goods }
   *[yes] { $refund } yuan went back to your wallet.
  }{ notice-cancelled-coupon }
notice-cancelled-all-fee = Order #{ $order } is cancelled. The runner was already on the way, so all { $fee } yuan you paid went to them as the cancellation fee; nothing went back to your wallet.{ notice-cancelled-coupon }
# A late cancellation's fee the student's coupon paid, all ($coupon: all) or what their payment did not bear (part).
notice-cancelled-coupon = { $coupon ->
    [all] {" "}The runner was already on the way: their { $coupon_fee } yuan cancellation fee was paid from your coupon { $code }, which now counts as used.
    [part] {" "}The other { $coupon_fee } yuan of the runner's cancellation fee was paid from your coupon { $code }, which now counts as used.
   *[none] {""}
  }
notice-cancelled-unpaid = Order #{ $order } is cancelled. It was not paid, so nothing was charged.
notice-cancelled-runner = Order #{ $order } was cancelled by the student.
notice-cancelled-by-operator = Order #{ $order } was cancelled by the service. { $refunded ->
    [no] { -nothing-back }
    [goods] { -all-to-goods }
   *[yes] { $refund } yuan went back to your wallet.
  }{ notice-goods-decided }{ $given ->
    [yes] {" "}Reason: { $reason }
   *[no] {""}
  }
notice-cancelled-by-operator-unpaid = Order #{ $order } was cancelled by the service. It was not paid, so nothing was charged.{ $given ->
    [yes] {" "}Reason: { $reason }
   *[no] {""}
  }
notice-reassigned = Your order #{ $order } has a new runner.
notice-reopened = An operator looked at your order #{ $order }: it is back in the task hall, for another runner.
# To the runner: the order they reported (or that was reported) before pickup went back to the hall (or ended).
notice-reopened-runner = { $window_over ->
    [yes] An operator took order #{ $order } off you, and as its time window is over, it has ended:
   *[other] An operator gave order #{ $order } back to the task hall:
  } it is no longer yours, and counts as released.{ $given ->
    [yes] {" "}Note: { $reason }
   *[no] {""}
  }
notice-reassigned-away = Order #{ $order } was given to another runner.
notice-payment-not-applied = ⚠️ A payment of { $amount } yuan for order #{ $order } was booked into the student's wallet, but paying the order with it failed (see the service log). The order still waits for payment.
notice-exception = Order #{ $order } was reported and needs an operator.
notice-refunded = { $refunded ->
    [no] Order #{ $order } was closed in your favour. { -nothing-back }
    [goods] Order #{ $order } was closed in your favour. { -all-to-goods }
   *[yes] Order #{ $order } was refunded: { $amount } yuan went back to your wallet.
  }{ notice-goods-decided }
notice-details-ended = Order #{ $order } has ended for you: the student's phone, room, description and notes are no longer shown.
notice-undelivered = ⚠️ { $channel ->
        [telegram] Telegram
       *[other] { $channel }
    } could not deliver { $what ->
        [hall] the task-hall post
        [details] the runner's details (the student's phone and room)
        [offer] the offer to a runner
       *[other] a message
    } of order #{ $order }, and will not try again: { $reason ->
        [blocked] the person blocked the bot
        [deactivated] the person's account was deleted
        [not-started] the person never started the bot
        [kicked] the bot is no longer in that group
        [chat-gone] that chat does not exist (any more)
        [no-rights] the bot may not send messages in that chat
        [too-long] the message was too long
        [bad-request] the message was refused as invalid
        [outage] it could not be reached, however often it was tried
       *[other] it answered "{ $detail }"
    }. See /find { $order }.
# To the runner when an order ends other than by its delivery: who ended it and what it pays them (the ledger's
# answer: the cancellation fee of a student's late cancellation, nothing after the service's cancel or refund).
notice-cancelled-runner-fee = Order #{ $order } was cancelled by the student after the free minutes: the cancellation fee, { $fee } yuan, went to your wallet.
notice-cancelled-by-service-runner = Order #{ $order } was cancelled by the service: you no longer deliver it, and nothing is paid to you for it.{ notice-goods-repaid }{ $given ->
    [yes] {" "}Reason: { $reason }
   *[no] {""}
  }
notice-refunded-runner = Order #{ $order } was closed by the service with a refund to the student: nothing is paid to you for it.{ notice-goods-repaid }{ $given ->
    [yes] {" "}Note: { $reason }
   *[no] {""}
  }
