track-no-orders = You have no orders yet. Send /order to place one.
track-list-title = Your recent orders:
track-carried-title = Orders you are carrying now:
track-view-button = Open #{ $order }
track-history-title = History:
track-history-line = { $time }  { $event ->
    [created] Order placed
    [pay] { $covered ->
        [yes] Paid in full by the coupon
       *[no] Paid
    }
    [unpaid_timeout] Closed: not paid in time
    [accept] A runner took it
    [release] The runner gave it back
    [pickup_timeout] Not picked up in time, back in the hall
    [pickup] Picked up
    [deliver] Delivered
    [confirm] Delivery confirmed
    [auto_confirm] Confirmed automatically
    [expire] { $covered ->
        [yes] Nobody took it: nothing to refund, the coupon had paid
       *[no] Nobody took it: refunded
    }
    [cancel] Cancelled by the student
    [operator_cancel] Cancelled by the service
    [reassign] Given to another runner
    [take_back] Back in the hall: its runner can no longer do it
    [report] Reported: waiting for an operator
    [resolve_complete] Resolved by an operator: completed
    [resolve_reopen] Resolved by an operator: back in the task hall for another runner
    [resolve_refund] { $covered ->
        [yes] { $viewer ->
            [runner] Resolved by an operator in the student's favour: nothing to refund, the coupon had paid
           *[customer] Resolved by an operator in your favour: nothing to refund, the coupon had paid
        }
        [goods] { $viewer ->
            [runner] Resolved by an operator in the student's favour: nothing to refund, all of it went to the goods
           *[customer] Resolved by an operator in your favour: nothing to refund, all you paid went to the goods
        }
       *[no] Resolved by an operator: refunded
    }
    [drop_coupon] Coupon left out: full price
    [goods_bought] Goods bought
    [extra_asked] { $viewer ->
        [runner] The goods cost more: you asked the student for the difference
       *[customer] The goods cost more: the runner asked you for the difference
    }
    [extra_paid] Goods difference paid
    [extra_refused] Goods difference refused
   *[other] { $event }
  }
track-auto-confirm-at = If you do nothing, it is confirmed automatically at { $time }.
track-card-rating = Your rating: { $stars } / 5
# A runner's older order card once newer ones were asked for (/track): it no longer shows the order.
track-card-retired = Order #{ $order }: a newer card of this order is further down, and this one is no longer kept up to date (/track { $order } shows it again).
track-confirm-button = Confirm delivery
track-rate-button = Rate the runner
track-cancel-button = Cancel ({ $refunded ->
    [no] nothing back to your wallet
   *[yes] { $refund } yuan back to your wallet
  })
track-coupon-gone = This order cannot be paid at its price: { $reason } Pay the full price without the coupon, or cancel the order.
track-covered-unpaid = Coupon { $code } covers all of it: there is nothing to pay. Place the order to send it to the task hall.
track-place-covered-button = Place order (nothing to pay)
track-chat-button = { $other ->
    [runner] Message your runner
   *[customer] Message the student
  }
track-where-button = Where is my runner?
track-cancel-unpaid-button = Cancel order
track-reply-button = Reply
track-report-button = Report a problem
track-need-number = Which order? Add its number, like /{ $command } 12. /orders lists yours.
track-not-now = Order #{ $order } is { $status } now, so that is not possible.
track-cancel-confirm = Cancel order #{ $order }? { $charged ->
    [all] The runner is already on the way, so all { $fee } yuan you paid goes to them for the trip; nothing goes back to your wallet.
    [yes] The runner is already on the way, so { $fee } yuan goes to them for the trip; { $refund } yuan goes back to your wallet.
    [coupon] The runner is already on the way, so they get { $coupon_fee } yuan for the trip, paid from your coupon { $code }; you paid nothing, so nothing goes back to your wallet.
    [coupon-back] The runner is already on the way, so they get { $coupon_fee } yuan for the trip, paid from your coupon { $code }; the { $refund } yuan you paid goes back to your wallet.
    [free] Your coupon covered all of it, so you paid nothing and nothing goes back to your wallet.
   *[no] The full { $refund } yuan goes back to your wallet.
  }{ track-cancel-coupon }
# A late cancellation whose fee the student's coupon pays, all ($coupon: all) or what their payment does not bear
# (part): the coupon then counts as used (a cancellation whose fee their payment bears gives it back).
track-cancel-coupon = { $coupon ->
    [all] {" "}Your coupon then counts as used.
    [part] {" "}The other { $coupon_fee } yuan of their fee is paid from your coupon { $code }, which then counts as used.
   *[none] {""}
  }
track-cancel-confirm-unpaid = Cancel order #{ $order }? It is not paid yet, so nothing is charged.
track-cancel-yes = Yes, cancel it
track-cancel-no = No, keep it
# Why the terms changed: the free time ran out (a fee now), or the order moved otherwise (its runner gave it back).
track-cancel-terms-changed = The cancellation terms changed since you asked{ $why ->
    [grace] : the free cancellation time is over.
   *[other] .
  }
track-cancel-after-pickup = Order #{ $order } has already been picked up, so it can no longer be cancelled. If something is wrong, send /complain { $order } and what happened.
track-cancel-under-review = Order #{ $order } is under review after a problem was reported, so it can no longer be cancelled. An operator decides what happens to it, a refund included, and tells you.
track-already-confirmed = You have already confirmed order #{ $order }; nothing more to do.
track-rate-ask = How did the runner do on order #{ $order }? Pick 1 to 5 stars.
track-stars = { $stars }★
track-rate-tags-ask = { $stars }★. Anything to add? Tap to select, tap again to remove, then Done.
track-rate-tag = { $selected ->
    [yes] ✓{" "}
   *[no] {""}
  }{ $tag ->
    [on_time] On time
    [polite] Polite
    [careful] Careful
    [late] Late
    [rude] Rude
   *[damaged] Damaged
  }
track-rate-done = Done
track-rate-chosen = Your rating of order #{ $order }: { $stars }★{ $tagged ->
    [yes] {" — "}{ $tags }
   *[no] {""}
  }
track-rate-tag-sep = {", "}
track-rate-use-buttons = Please use the buttons to rate, or send /menu to stop.
track-rate-comment-ask = Would you like to leave a comment for the runner? Write it, or skip.
track-rate-skip = Skip
track-rate-thanks = Thank you! You gave order #{ $order } { $stars }★.
track-already-rated = Order #{ $order } has already been rated; a rating cannot be changed.
track-rated-runner = The student rated order #{ $order }: { $stars }★{ $tagged ->
    [yes] {" — "}{ $tags }
   *[no] {""}
  }.{ $credited ->
    [yes] {" "}Your credit score changed by { $change } and is now { $credit } ({ runner-credit-standing }).
   *[no] {""}
  }{ $commented ->
    [yes] {" "}Their comment: "{ $comment }"
   *[no] {""}
  }
track-chat-enter = Everything you send now goes to { $other ->
    [runner] your runner
   *[customer] the student
  } of order #{ $order } through the bot; phone numbers stay private. Send /menu to stop.
track-chat-still-open = You are still messaging { $other ->
    [runner] your runner
   *[customer] the student
  } of order #{ $order }: everything you send goes to them through the bot. Send /menu to stop.
track-chat-closed = You can no longer message about order #{ $order }: it is { $status } now.
track-chat-no-runner-yet = No runner has taken order #{ $order } yet; you can message them once one does.
track-chat-ended = The chat about order #{ $order } has ended; messages are no longer passed on.
track-chat-text-only = Only text and photos can be passed on. Send /menu to stop chatting.
track-relay = { $sender_role ->
    [runner] Your runner
   *[customer] The student
  } about order #{ $order }: { $message }
track-relay-photo = { $sender_role ->
    [runner] Your runner
   *[customer] The student
  } sent a photo about order #{ $order }{ $shown ->
    [no] {" "}(it cannot be shown here: it was sent on another app)
   *[yes] {""}
  }{ $captioned ->
    [yes] : { $message }
   *[no] .
  }
track-relay-sent = Sent to { $other ->
    [runner] your runner
   *[customer] the student
  }.
track-relay-too-fast = You sent { $other ->
    [runner] your runner
   *[customer] the student
  } many messages in a short time: this one was not passed on. Please wait a minute, or put it in one message.
track-relay-unreachable = { $other ->
    [runner] Your runner
   *[customer] The student
  } cannot get messages from the bot right now (they may have blocked it), so this was not passed on. The operators can help: /complain { $order }
track-customer-unreachable = ⚠️ Order #{ $order }: the student can no longer get messages from the bot (they blocked or stopped it), so what you send them through the bot will not reach them, and they do not hear how the order goes.{ $told ->
    [yes] {" "}The operators were told.
   *[no] {""}
  } { $status ->
    [delivered] It is delivered: if they do not confirm it, it completes on its own.
   *[other] Carry on as agreed; if you cannot hand it over, the operators can help: /complain { $order }
  }
track-customer-reachable = Order #{ $order }: the student can get messages from the bot again, so what you send them through it reaches them.
track-msg-usage = Write the message after the order number, like /msg 12 I am at the door.
track-complain-ask = What went wrong with order #{ $order }? Describe it in one message; an operator will read it. Send /menu to stop.
track-complain-in-words = Photos cannot be passed on to the operators: please describe what went wrong with order #{ $order } in words (a caption under the photo counts). Send /menu to stop.
track-complain-usage = Please describe what went wrong.
track-complain-not-now = Order #{ $order } is { $status }; there is nothing to complain about yet.
track-complain-never-taken = Order #{ $order } was cancelled before any runner took it, so there is no runner to complain about.
track-complaint-exists = You already have an open complaint (#{ $complaint }) about order #{ $order }. An operator will answer it.
track-complaint-recorded = Your complaint #{ $complaint } about order #{ $order } is recorded; an operator will look at it.{ $reported ->
    [yes] {" "}The order is on hold until then.
   *[no] {""}
  }{ $with_photo ->
    [yes] {" "}The operators get the words you sent with the photo; the photo itself cannot be passed on to them.
   *[no] {""}
  }
track-complaint-operators = Complaint #{ $complaint } about order #{ $order } from the { $role ->
    [runner] runner
   *[customer] student
  }: { $message }
