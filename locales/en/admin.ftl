## Operators. Only operators see these, except the notices to runners and students (marked "to the user").

# Heads the answer of an operators' command for an operator several campus files name (in their private chat).
admin-campus-heading = [{ $campus }]

admin-event-name = { $event ->
    [pay] { $covered ->
        [yes] paid in full by the coupon
       *[no] paid
    }
    [unpaid_timeout] not paid in time
    [accept] taken
    [release] released by the runner
    [pickup_timeout] not picked up in time
    [pickup] picked up
    [deliver] delivered
    [confirm] confirmed
    [auto_confirm] confirmed automatically
    [expire] expired
    [cancel] cancelled by the student
    [operator_cancel] { $refunded ->
        [no] cancel
       *[yes] cancel and refund
    }
    [reassign] reassign
    [take_back] taken back into the hall
    [report] reported
    [goods_bought] goods bought
    [extra_asked] goods difference asked
    [extra_paid] goods difference paid
    [extra_refused] goods difference refused
    [resolve_complete] resolve: complete
    [resolve_reopen] resolve: back to the task hall
    [resolve_refund] { $refunded ->
        [no] resolve: in the student's favour (nothing to refund)
       *[yes] resolve: refund
    }
    [drop_coupon] coupon left out: full price
   *[other] { $event }
  }
admin-status-name = { $status ->
    [pending] pending
    [approved] approved
    [rejected] rejected
    [open] open
    [upheld] upheld
    [dismissed] dismissed
   *[other] { $status }
  }

admin-help = Operator commands:
    /applications · /approve user · /reject user reason — runner applications
    /find N — an order, its history and actions · /find user (a name, @name or user #id) — a person: role, standing, wallet, latest orders
    /reassign N runner · /cancelorder N [reason] · /resolve N complete|refund|reopen [compensation to the student, like ¥5] [note]
    /complaints · /uphold N [compensation to whoever complained, like ¥5] [note] · /dismiss N [note] — N is the complaint number
    /suspend user [reason] · /restore user · /credit runner [+N/-N reason] — see or change a credit score
    /withdrawals · /payout N · /refusepayout N reason — N is the withdrawal number
    /topup user yuan
    /today — today's figures · /report [days, up to 31] — the last days, day by day, with a chart
    /pause [18:00 | 30m | 2h] [reason] — no new orders until then, or until /resume (orders placed go on) · /resume · /hours
    /hours set [days] 07:00-23:30 … — service hours, over the campus file, like /hours set mon-fri 07:00-23:30 sat,sun 08:00-24:00 · /hours reset
    /coupon create CODE yuan|percent% [cap yuan] [min spend] [max uses] [days] · /coupon stop CODE · /coupons
    /pricing — the pricing rules · /pricing set RULE amount · /pricing reset RULE — prices of new quotes, over the campus file
    A user is #id, channel:id, or a name. A compensation is paid by the platform: /resolve's to the order's student; /uphold's to whoever made the complaint, the student or a runner (into their runner wallet), once per order and person, also on a complaint upheld already (as /resolve upholds a runner's). It is written as money, like ¥5, ¥ 5, RMB5, 5元 or 5.50块: a bare number is refused, so "40 minutes late" is never paid as 40 yuan; money written wrong (¥-5, 5,5元) is refused too, never taken into the note.
    /resolve decides the order's open complaints too; decide one first with /uphold or /dismiss if you see it otherwise.

admin-bad-number = "{ $text }" is not a number. Write it like 12.
# $what: which of a command's amounts was refused (a coupon's discount, minimum spend or cap), else one amount.
admin-amount-invalid = { $what ->
    [discount] The discount "{ $text }" is not an amount: write the yuan off, like 5 or 5.50, or a percentage, like 20%.
    [min_spend] The minimum spend "{ $text }" is not an amount: write yuan, like 10 or 10.50, or 0 for none.
    [cap] The cap "{ $text }" is not an amount: write the most yuan it takes off, like 5 or 5.50.
   *[amount] "{ $text }" is not an amount. Write yuan, like 5 or 5.50.
  }
admin-amount-range = { $what ->
    [discount] The discount must be more than 0 and at most { $max } yuan.
    [min_spend] The minimum spend must be from 0 to { $max } yuan (0 for none).
    [cap] The cap must be more than 0 and at most { $max } yuan.
   *[amount] The amount must be more than 0 and at most { $max } yuan.
  }
admin-user-not-found = There is no user "{ $text }" on this campus.
admin-user-ambiguous = "{ $text }" matches several users: { $matches }. Use the #id.

## Runner applications
admin-applications-none = No runner applications are waiting.
admin-applications-title = { $count ->
    [one] One application is waiting:
   *[other] { $count } applications are waiting{ $more ->
        [yes] {" "}(showing { $shown })
       *[no] {""}
    }:
  }
admin-application = Application from { $who }
    Real name: { $name }
    Student number: { $student_no }
    Gender: { $gender ->
        [male] male
        [female] female
       *[other] { $gender }
    }
    Student card photo: { $card_photo ->
        [attached] attached
        [elsewhere] sent on another channel, not shown here
       *[none] —
    }
    Applied: { $applied }
admin-button-approve = Approve
admin-button-reject = Reject
admin-ask-reject-reason = Why is the application of #{ $user } rejected? Write the reason (in a group: reply to this message); the applicant will read it.
admin-application-not-found = User #{ $user } has not applied to be a runner here.
admin-application-decided = The application of #{ $user } is already { admin-status-name }.
admin-application-replaced = This application of #{ $user } was decided already, and they have applied again since: see /applications.
admin-card-withdrawn = This card is no longer shown to you: you are not an operator any more.
admin-application-approved = Approved: { $who } is a runner now. { $quiz ->
    [passed] They passed the quiz already, so they can take orders at once.
   *[ahead] They were told to take the quiz.
  }
admin-application-rejected = Rejected: { $who }. Reason sent: { $reason }
admin-usage-approve = Write /approve and the applicant (their number, #id or name), like /approve 12.
admin-usage-reject = Write /reject, the applicant (their number, #id or name) and the reason, like /reject 12 photo unreadable.
# to the user
admin-runner-approved = Your runner application was approved! { $quiz ->
    [passed] You passed the quiz already, so you can take orders now: /nearby lists those near you.
   *[ahead] Send /quiz to take the short service rules quiz, then you can take orders.
  }
admin-runner-rejected = Your runner application was not approved. Reason: { $reason }. You may apply again with /apply.

## Orders
admin-order-people = Student: { $customer } · Runner: { $runner } · Created: { $created }
admin-order-rating = Rating: { $stars }★{ $tagged ->
    [yes] {" — "}{ $tags }
   *[no] {""}
  }{ $commented ->
    [yes] {" · "}"{ $comment }"
   *[no] {""}
  }
admin-history-title = History:
admin-history-none = (no events yet)
admin-history-line = { $time } { admin-event-name }: { $before } → { $after } · { $actor }
admin-history-to = { $line } · to { $runner }
admin-history-note = { $line } · "{ $note }"
admin-history-complaint = { $line } · complaint #{ $complaint }
admin-actor = { $role ->
    [customer] student { $who }
    [runner] runner { $who }
    [operator] operator { $who }
   *[system] system
  }
# An order card's action buttons: what the operator does, not the history's name of the event.
admin-button-event = { $event ->
    [operator_cancel] { $refunded ->
        [no] Cancel
       *[yes] Cancel and refund
    }
    [reassign] Reassign
    [resolve_complete] Complete and pay the runner
    [resolve_reopen] Back to the task hall
    [resolve_refund] { $refunded ->
        [no] Close in the student's favour
       *[yes] Refund the student
    }
   *[other] { admin-event-name }
  }
admin-usage-find = Write /find and the order number, like /find 12, or a person (their name, @name, or user and their #id), like /find alice or /find user #34.
admin-user = { $who } · { $role ->
    [operator] operator
    [runner] runner
   *[student] student
  }{ $suspended ->
    [yes] {" "}· account suspended (/restore lifts it)
   *[no] {""}
  }
    Wallet: { $wallet } yuan
admin-user-runner = { $status ->
    [approved] Runner: credit { $credit } ({ admin-credit-standing }){ $suspended ->
        [yes] , suspended: takes no orders
       *[no] {""}
    } · orders: { $active } active, { $completed } completed · { $rating ->
        [none] not rated yet
       *[other] rated { $rating }★
    } · runner wallet { $balance } yuan
    [pending] Runner application waiting since { $applied }: /approve or /reject it (/applications shows it).
    [rejected] Runner application rejected ({ $applied }).
   *[other] Runner application: { $status }
  }
admin-user-orders = { $side ->
    [student] Orders placed
   *[runner] Orders taken as runner
  }: { $count ->
    [0] none
   *[other] { $count }{ $hidden ->
        [0] {""}
       *[other] , the latest { $shown } shown
    }, newest first:
  }
admin-user-order = { $line } · { $created }
admin-usage-reassign = Write /reassign, the order number and the runner (#id or name), like /reassign 12 #34.
admin-ask-runner = Who should take order #{ $order }? Write the runner's #id or name (in a group: reply to this message).
admin-ask-runner-list = { admin-ask-runner }
    { $runners }
admin-reassign-runners = { $hidden ->
    [0] Runners who can take it:
   *[other] Runners who can take it: the { $shown } most suitable of { $count } (nearest and least busy first):
  }
    { $lines }
admin-reassign-runner = { $who } · { $active ->
    [0] no active orders
    [one] 1 active order
   *[other] { $active } active orders
  }
admin-reassign-none = No runner can take it now: none is approved, active, allowed this order and reachable by the bot.
admin-not-a-runner = { $who } is not a runner.
admin-runner-ineligible = { $who } cannot take this order: { $reason ->
    [not-eligible-other-campus] a runner of another campus
    [not-eligible-not-approved] not an approved runner
    [not-eligible-rejected] their runner application was rejected
    [not-eligible-suspended] suspended
    [not-eligible-quiz] has not passed the quiz
    [not-eligible-own-order] it is their own order
    [not-eligible-credit] credit score below the floor
    [not-eligible-gender-preference] the student asked for a runner of another gender
    [not-eligible-dorm-gender] the delivery goes into a dorm they may not enter
   *[other] { $reason }
  }.
admin-runner-unreachable = { $who } cannot be given the order: the bot cannot write to them (they never started it, or blocked it), so the order's details would not reach them. Nothing was changed; ask them to open the bot and press Start.
admin-reassigned = Order #{ $order } now belongs to { $who }. Both runners and the student were told.
admin-runner-unreachable-order = ⚠️ Order #{ $order }: the bot can no longer write to its runner { $who } (they blocked it), so its messages do not reach them, perhaps not even its details. { $status ->
    [accepted] Give it to another runner with /reassign { $order } and their #id or name.
   *[picked_up] They have picked it up, so it cannot be reassigned: see it with /find { $order } and reach them another way.
  }
admin-student-unreachable-order = ⚠️ Order #{ $order }: the bot can no longer write to its student { $who } (they blocked it), so the order's messages do not reach them. { $status ->
    [open] No runner has taken it yet, and they will not hear when one does: see it with /find { $order }.
    [delivered] It is delivered and completes on its own if they do not confirm it; its runner { $runner } was told.
   *[other] Its runner { $runner } was told and may need you to reach the student another way: see it with /find { $order }.
  }
admin-usage-cancelorder = Write /cancelorder, the order number and a reason (the student and the runner are told it), like /cancelorder 12 shop closed. A buy-for-me errand picked up before its runner said what the goods cost needs the cost first, written as money: /cancelorder 12 ¥32.5 shop closed (¥0 if nothing was bought).
admin-cancel-under-review = Order #{ $order } is under review (a complaint or a report), so it cannot be cancelled: close it with /resolve { $order } refund (the student is refunded) or /resolve { $order } complete (the runner is paid), optionally with a compensation to the student and a note, like /resolve { $order } refund ¥5 item damaged.
admin-order-cancelled = Order #{ $order } is cancelled. { $paid ->
    [unpaid] It was not paid, so nothing was charged and no refund was due.
    [no] The student's coupon covered all of it, so they paid nothing and no refund was due.
    [goods] All the student paid went to the goods the runner bought, so no refund was due.
   *[yes] Refunded to the student's wallet: { $refund } yuan.
  }{ admin-goods-repaid }
# What an order's end paid its runner back for goods they bought.
admin-goods-repaid = { $repaid ->
    [yes] {" "}The runner was paid back { $spent } yuan for the goods.
   *[no] {""}
  }
# $refund: what the student gets back, as the cancellation or refund itself computes it; $spent: what went on goods
# the runner bought, which they are paid back ($repaid: "yes" when there is any).
admin-confirm-event = { $event ->
    [operator_cancel] { $refunded ->
        [no] Cancel order #{ $order } ({ $total } yuan)?
       *[yes] Cancel order #{ $order } ({ $total } yuan) and refund { $refund } yuan to the student?
    }{ admin-confirm-goods }
    [resolve_complete] Complete order #{ $order } ({ $total } yuan) and pay the runner?
    [resolve_reopen] Put order #{ $order } ({ $total } yuan) back in the task hall for another runner?
    [resolve_refund] { $refunded ->
        [no] Close order #{ $order } ({ $total } yuan) in the student's favour, with nothing to refund?
       *[yes] Refund { $refund } yuan of order #{ $order } ({ $total } yuan) to the student?
    }{ admin-confirm-goods }
   *[other] Order #{ $order } ({ $total } yuan): { admin-event-name }?
  } This cannot be undone.
admin-confirm-goods = { $repaid ->
    [yes] {" "}{ $spent } yuan of it went on the goods, which the runner is paid back.
   *[no] {""}
  }
admin-confirm-changed = Order #{ $order } may have changed since you were asked (what the goods cost, a payment): nothing was done, and the question now says what Yes does. Check it and confirm again.
admin-button-confirm = { $event ->
    [operator_cancel] { $refunded ->
        [no] Yes, cancel it
       *[yes] Yes, cancel and refund
    }
    [resolve_complete] Yes, complete it
    [resolve_reopen] Yes, back to the hall
    [resolve_refund] { $refunded ->
        [no] Yes, close it
       *[yes] Yes, refund
    }
   *[other] Yes
  }

## Exceptions and complaints
admin-usage-resolve = Write /resolve, the order number, complete, refund or reopen (back to the task hall for another runner, for an order not picked up yet; its runner is charged as for a release), then optionally a compensation to the student written as money (¥5, 5元 or 5块) and a note, like /resolve 12 refund ¥5 item damaged. A buy-for-me errand picked up before its runner said what the goods cost needs the cost right after complete or refund: /resolve 12 refund spent ¥32.5 ¥5 item damaged (spent ¥0 if nothing was bought).
admin-compensation-invalid = "{ $text }" is not an amount. Write the compensation as money in yuan, like ¥5 or 5.50元. Nothing was done.
admin-compensation-unmarked = Is "{ $text }" a compensation? Write it as money, like ¥{ $text } or { $text }元. A note that starts with a number needs a word before it, like "waited { $text } minutes". Nothing was done.
admin-cost-invalid = "{ $text }" is not what the goods cost. Write it as money in yuan, like ¥32.5, or ¥0 if nothing was bought. Nothing was done.
admin-order-goods-unsaid = ⚠️ The runner picked up (bought) the goods but has not said what they cost, of the { $goods } yuan given: whoever ends this order gives the cost (/cancelorder, /resolve … spent ¥X), or the runner says it (/picked).
admin-spent-unmarked = Is "{ $text }" what the goods cost? After "spent", write it as money, like spent ¥{ $text } or spent { $text }元; a note goes after any cost and compensation. Nothing was done.
admin-cost-unmarked = Is "{ $text }" what the goods cost? Write it as money, like ¥{ $text } or { $text }元. A reason that starts with a number needs a word before it, like "waited { $text } minutes". Nothing was done.
admin-resolved = Order #{ $order } resolved: { $outcome ->
    [complete] completed, the runner is paid
    [reopen] back in the task hall for another runner; the runner who had it is charged as for a release
    [expired] ended and refunded to the student: its time window is over, so no other runner may take it; the runner who had it is charged as for a release
    [covered] closed in the student's favour; their coupon covered all of it, so there was nothing to refund
    [goods] closed in the student's favour; all they paid went to the goods the runner bought, so there was nothing to refund
   *[refund] refunded to the student
  }.{ admin-goods-repaid } { $compensated ->
    [no] No compensation.
   *[yes] Compensation paid to the student { $student }: { $compensation } yuan.
  } Complaints upheld: { $upheld }, dismissed: { $dismissed }.{ $penalised ->
    [none] {""}
   *[other] {" "}Credit taken from the runner the complaint was about: { $penalised }.
  }{ $left ->
    [none] {""}
   *[other] {" "}The runner's complaint { $left } is no part of this resolution and stays open: decide it with /uphold { $first } (with a compensation to the runner if due, like ¥5) or /dismiss { $first }.
  }
admin-already-compensated = { $to ->
    [runner] This runner
   *[student] The student
  } was already compensated for order #{ $order }. Nothing was done.
admin-complaints-none = No open complaints.
admin-complaints-title = { $count ->
    [one] One open complaint:
   *[other] { $count } open complaints{ $more ->
        [yes] {" "}(showing { $shown })
       *[no] {""}
    }:
  }
admin-complaint-line = Complaint #{ $complaint } on order #{ $order } by { $who }{ $runner ->
    [none] {""}
   *[other] {""}, about the runner { $runner }
  }, { $time } ({ admin-status-name }): { $text }
admin-button-uphold = Uphold
admin-button-dismiss = Dismiss
admin-button-order = Order #{ $order }
admin-complaint-not-found = There is no complaint #{ $complaint }.
admin-complaint-decided = Complaint #{ $complaint } is already { admin-status-name }.
# A complaint card, once the order's /resolve decided the complaint with it.
admin-complaint-resolved = Complaint #{ $complaint } was decided with order #{ $order }'s resolution: { admin-status-name }.
admin-complaint-done = Complaint #{ $complaint } { admin-status-name }. { $compensated ->
    [no] No compensation.
   *[yes] Compensation paid to the { $to ->
        [runner] runner
       *[student] student
    } { $student }: { $compensation } yuan.
  }{ $penalised ->
    [none] {""}
   *[other] {" "}Credit taken from the runner the complaint was about: { $penalised }.
  }
admin-complaint-compensated = Complaint #{ $complaint } was upheld already; now compensation paid to the { $to ->
    [runner] runner
   *[student] student
  } { $student }: { $compensation } yuan.
admin-usage-uphold = Write /uphold, the complaint number, then optionally a compensation to whoever made the complaint, the student or a runner, written as money (¥5, 5元 or 5块) and a note, like /uphold 3 ¥5 late and rude.
admin-usage-dismiss = Write /dismiss, the complaint number and a note, like /dismiss 3 delivered on time.
# to the user
admin-compensated = You received { $amount } yuan compensation for order #{ $order }{ $to ->
    [runner] {""}, in your runner wallet (/income)
   *[student] {""}, in your wallet (/wallet)
  }. Sorry for the trouble.
admin-complaint-upheld = Your complaint about order #{ $order } was upheld.{ $given ->
    [yes] {" "}Note: { $note }
   *[no] {""}
  }
admin-complaint-dismissed = Your complaint about order #{ $order } was reviewed and dismissed.{ $given ->
    [yes] {" "}Note: { $note }
   *[no] {""}
  }
# A runner's complaint, upheld as the operator completes the order under review.
admin-complaint-upheld-completed = Your complaint about order #{ $order } was upheld: an operator completed the order, and you are paid for it.{ $given ->
    [yes] {" "}The operator's note on the order: { $note }
   *[no] {""}
  }

## Users
admin-usage-suspend = Write /suspend, the user (#id or name) and a reason, like /suspend #12 repeated no-shows.
admin-usage-restore = Write /restore and the user, like /restore #12.
admin-cannot-suspend-operator = { $who } is an operator and cannot be suspended.
admin-already-suspended = { $who } is already suspended.
admin-not-suspended = { $who } is not suspended.
admin-suspended = { $who } is suspended.{ $busy ->
    [no] {" "}They have no orders under way.
   *[yes] {""}
  }{ $returned ->
    [none] {""}
   *[other] {" "}Orders they had not picked up are back in the task hall: { $returned }.
  }{ $ended ->
    [none] {""}
   *[other] {" "}Orders they had not picked up whose time window is over have ended, refunded: { $ended }.
  }{ $count ->
    [0] {""}
   *[other] {" "}Orders still theirs (picked up, delivered or under review): { $orders }. See each with /find for what it allows.
  }{ $placed ->
    [none] {""}
   *[other] {" "}Orders they placed, still under way (see them with /find, stop them with /cancelorder): { $placed }.
  }
admin-restored = { $who } is restored.
# to the user
admin-you-suspended = Your account has been suspended by the service. { $runner ->
    [yes] What you earned stays yours: you can still see your income (/income) and withdraw it (/withdraw), and see your wallet (/wallet).
   *[no] The money in your wallet stays yours: you can still see it (/wallet); ask the service desk about it.
  }{ $carried ->
    [0] {""}
    [one] {" "}The order you picked up, { $carrying }, stays yours to deliver: finish it (/delivered { $first }), see it (/track { $first }) and write to its student (/msg { $first } …) as before; you are paid for it as usual.
   *[other] {" "}The orders you picked up, { $carrying }, stay yours to deliver: finish them (/delivered { $first }), see them (/track { $first }) and write to their students (/msg { $first } …) as before; you are paid for them as usual.
  }{ $given ->
    [yes] {" "}Reason: { $reason }
   *[no] {""}
  }
admin-you-restored = Your account is active again. Welcome back!

## Withdrawals
admin-withdrawals-none = No withdrawals are waiting.
admin-withdrawals-title = { $count ->
    [one] One withdrawal is waiting:
   *[other] { $count } withdrawals are waiting{ $more ->
        [yes] {" "}(showing { $shown })
       *[no] {""}
    }:
  }
admin-withdrawal = Withdrawal #{ $id }: { $amount } yuan to { $who }, asked { $time }. Wallet after it: { $balance } yuan.
admin-button-pay = Paid out
admin-button-refuse = Refuse
admin-withdrawal-not-found = There is no withdrawal #{ $id }.
admin-withdrawal-decided = Withdrawal #{ $id } is already { $status ->
    [approved] paid out
    [rejected] refused
   *[other] { admin-status-name }
  }.
admin-ask-refuse-reason = Why is withdrawal #{ $id } refused? Write the reason (in a group: reply to this message); the runner will read it.
admin-withdrawal-approved-done = Withdrawal #{ $id } of { $amount } yuan to { $who } is marked paid out.
admin-withdrawal-rejected-done = Withdrawal #{ $id } of { $amount } yuan refused; the money went back to { $who }'s wallet.
admin-usage-payout = Write /payout and the withdrawal number, like /payout 3.
admin-usage-refusepayout = Write /refusepayout, the withdrawal number and a reason, like /refusepayout 3 wrong account.
# to the user
admin-withdrawal-approved = Your withdrawal of { $amount } yuan has been paid out.
admin-withdrawal-rejected = Your withdrawal of { $amount } yuan was refused and is back in your wallet. Reason: { $reason }

## Wallets
admin-usage-topup = Write /topup, the user and the amount in yuan, like /topup #12 50.
admin-topped-up = Topped up { $amount } yuan for { $who }. Their balance: { $balance } yuan.
# to the user
admin-wallet-topped-up = { $amount } yuan was added to your wallet at the service desk. Balance: { $balance } yuan.

## Today
admin-today = Today, { $date }:
    Orders created: { $created }
    Completed: { $completed } · revenue { $revenue } yuan · commission { $commission } yuan
    Cancelled: { $cancelled } · closed unpaid: { $closed } · expired: { $expired } · refunded: { $refunded }
    Compensation paid: { $compensation } yuan
    Coupons paid by the platform: { $coupons } yuan · cancellation fees to runners: { $fees } yuan · refunds to students: { $refunds } yuan
    Active runners: { $runners }
    Waiting now: { $open } open · { $exceptions } under review

## Report
admin-usage-report = Write /report and, if you like, how many days up to today it covers (1 to { $max }, 7 when not said), like /report 30.
admin-report-days-range = "{ $text }" days: a report covers 1 to { $max } days.
admin-report = { $days ->
    [1] Today, { $last }:
   *[other] The last { $days } days, { $first } to { $last }:
  }
    Orders created: { $created } · completed: { $completed } · not completed: { $not_completed } (cancelled, closed unpaid, expired or refunded)
    Revenue { $revenue } yuan · commission { $commission } yuan · compensation paid { $compensation } yuan
    Coupons paid by the platform { $coupons } yuan · cancellation fees to runners { $fees } yuan · refunds to students { $refunds } yuan
    Day by day (created · completed · not completed · revenue · coupons · cancellation fees · refunds, in yuan):
    { $lines }
    Chart, above: orders ended each day, 🟩 completed 🟥 not completed. Below: revenue in yuan, 🟧 commission at its foot, 🟦 the rest.
admin-report-line = { $date }: { $created } · { $completed } · { $not_completed } · { $revenue } · { $coupons } · { $fees } · { $refunds }

## Coupons
admin-usage-coupon = Write /coupon create CODE discount [min spend, 0 for none] [max uses, 0 for no limit] [days valid, 0 for no end]. The discount is yuan off, or a percentage with an optional cap in yuan after it (cap 5, or 最高5元). Each student may use a coupon once; "each 3" after the discount allows 3 uses per student (each 0: no limit per student). Like /coupon create WELCOME 3 10 100 30, /coupon create HALF 50% cap 5 or /coupon create LUNCH 2 0 200 30 each 5 — or /coupon stop CODE.
admin-coupon-code-invalid = "{ $text }" cannot be a coupon code: use 3–32 letters, digits, - or _.
admin-coupon-code-reserved = { $code } cannot be a coupon code: students typing it at the coupon question would be taken to mean "no coupon" or "back". Choose another code.
admin-coupon-percent-invalid = The discount "{ $text }" must be a percentage more than 0 and at most 100, like 20%.
admin-coupon-uses-invalid = The number of uses "{ $text }" must be a whole number from 0 (no limit) to { $max }.
admin-coupon-each-invalid = The uses per student "{ $text }" must be a whole number from 0 (no limit per student) to { $max }, like each 3.
admin-coupon-days-invalid = The number of days valid "{ $text }" must be a whole number from 0 (no end) to { $max }.
admin-coupon-cap-fixed = Only a percentage coupon takes a cap (like 20% cap 5): a coupon of { $amount } yuan off takes off exactly that. Nothing was created.
admin-coupon-exists = The code { $code } is taken already (codes are shared by every campus of the service): choose another.
admin-coupon-not-found = There is no coupon { $code } on this campus.
admin-coupon-ended = The coupon { $code } has already ended.
admin-coupon-percent = { $percent }% off{ $cap ->
    [none] {""}
   *[other] , at most { $cap } yuan
  }
admin-coupon-amount = { $amount } yuan off
admin-coupon-line = { $code }: { $value } · { $min_spend ->
    [none] no minimum spend
   *[other] min spend { $min_spend } yuan
  } · { $max_uses ->
    [none] used { $used }, no overall limit
   *[other] used { $used }/{ $max_uses }{ $used_up ->
        [yes] , used up: nobody can use it until a refund gives a use back
       *[no] {""}
    }
  } · { $each ->
    [0] no limit per student
    [1] once per student
   *[other] { $each } times per student
  } · { $until ->
    [none] no end date
   *[other] until { $until }
  }
admin-coupon-created = Coupon created: { $line }
admin-coupon-stopped = The coupon { $code } has ended; it can no longer be used.
admin-coupons-none = No coupons are active.
admin-coupons = Active coupons: { $count }{ $hidden ->
    [0] {""}
   *[other] , the newest { $shown } shown ({ $hidden ->
        [one] { $hidden } older one
       *[other] { $hidden } older ones
    } left out)
  }.
    { $lines }
admin-button-cancel-step = Cancel
admin-step-cancelled = OK, cancelled.
admin-question-not-yours = That question is not waiting for your answer: another operator asked it, or it is over. To decide yourself, use the command (see /admin).
admin-paused = Ordering is paused { $ends ->
    [at] until { $until }
   *[resume] until you send /resume
  }.{ $has_reason ->
    [yes] {" "}Students are told why: { $reason }.
   *[no] {""}
  } Orders placed before go on as usual.
admin-not-paused = Ordering is not paused.
admin-resumed = Ordering is open again.{ $open ->
    [yes] {""}
   *[no] {" "}It is outside service hours now ({ $hours }): students can schedule errands for later.
  }
# To the operators' chat when another operator pauses or resumes elsewhere (privately).
admin-paused-by = ⏸ { $who } paused ordering { $ends ->
    [at] until { $until }
   *[resume] until /resume
  }.{ $has_reason ->
    [yes] {" "}Students are told why: { $reason }.
   *[no] {""}
  }
admin-resumed-by = ▶️ { $who } resumed ordering.
admin-pause-when-invalid = "{ $text }" is not a time or a length of time, so nothing was paused. Write when ordering reopens, like /pause 18:00 (or until 18:00), /pause 30m, /pause 2h, /pause half an hour or /pause for 2 hours, then the reason if you like; /pause alone pauses until /resume. A reason that starts with a time or a number goes after the end, or in quotes: /pause 2h 5 runners left, /pause "5 runners left".
admin-pause-too-long = A pause lasts at most { $days } days; for a longer closure change the service hours: /hours set.

## Pricing rules (/pricing)
pricing-usage = Write /pricing to see the pricing rules, /pricing set RULE AMOUNT to change one (like /pricing set base.buy 5 or /pricing set commission 12%), or /pricing reset RULE to go back to the campus file's amount.
pricing-title = Pricing rules of { $campus }:
pricing-line = { $rule }: { $amount }{ $unit ->
    [percent] %
   *[yuan] {" "}yuan
  } — { $kind ->
    [base] base price of { $which ->
        [parcel] a parcel pickup
        [buy] buy for me
        [deliver] delivering an item
        [queue] queueing
       *[custom] a custom task
    }
    [distance] each distance step past the included walk
    [weight] each started kilogram past the included weight
    [size] { $which ->
        [medium] medium size
        [large] large size
       *[small] small size
    }
    [stairs] each floor climbed past the free floors, in a building without a lift
    [night] night surcharge, { $window }
    [peak] peak hours surcharge, { $window }
    [urgent] urgent surcharge
    [queue] each started half hour of queueing past the first
    [floor] the lowest price of an errand
    [max_tip] the largest tip
    [max_goods] the most money for goods (buy for me)
   *[commission] the platform's commission on the service fee
  }{ $changed ->
    [yes] {" "}· changed from chat; the campus file says { $file }{ $unit ->
    [percent] %
   *[yuan] {" "}yuan
  }
   *[no] {""}
  }
pricing-how = A change prices every quote from now on; orders already placed keep their price. /pricing set RULE AMOUNT · /pricing reset RULE
pricing-set = { $rule } is now { $amount }{ $unit ->
    [percent] %
   *[yuan] {" "}yuan
  } (the campus file says { $file }{ $unit ->
    [percent] %
   *[yuan] {" "}yuan
  }). Quotes from now on use it; orders already placed keep their price.
pricing-set-by = { $who } changed the pricing rule { $rule } to { $amount }{ $unit ->
    [percent] %
   *[yuan] {" "}yuan
  } (the campus file says { $file }{ $unit ->
    [percent] %
   *[yuan] {" "}yuan
  }).
pricing-reset = { $rule } is back to the campus file's { $file }{ $unit ->
    [percent] %
   *[yuan] {" "}yuan
  }.
pricing-reset-by = { $who } set the pricing rule { $rule } back to the campus file's { $file }{ $unit ->
    [percent] %
   *[yuan] {" "}yuan
  }.
pricing-not-changed = { $rule } was not changed: it is already the campus file's amount.
pricing-unknown-rule = There is no pricing rule "{ $rule }". The rules: { $rules }.
pricing-amount-invalid = "{ $text }" is not { $percent ->
    [yes] a percentage. Write it like 12 or 12.5%.
   *[no] an amount. Write yuan, like 5 or 0.50.
  }
pricing-amount-range = A pricing rule's amount must be between 0 and { $max } yuan.
pricing-percent-range = The commission must be between 0% and 100%.
pricing-not-zero = { $rule } cannot be 0: { $rule ->
    [floor] every errand must cost something.
   *[other] a buy-for-me errand must be able to carry some money for the goods.
  }

## Credit (/credit)
admin-usage-credit = Write /credit and the runner to see their credit score, like /credit #12; add a change with its sign and why, to change it, like /credit #12 +10 the late delivery was the shop's fault.
admin-credit-not-runner = { $who } is not a runner: only runners have a credit score.
admin-credit-change-invalid = "{ $text }" is not a change of score: write it with its sign, like +10 or -5.
admin-credit-change-range = A change can be at most { $max } points either way.
admin-credit-at-bound = { $who } has { $credit } points, as far as the score goes that way: nothing changed.
admin-credit-reason = Write why, too: the runner is told it. Like /credit #12 +10 the late delivery was the shop's fault.
admin-credit-standing = { $standing ->
    [priority] priority
    [normal] good
    [warning] warning
    [restricted] restricted
    [below_floor] below the grab floor of { $floor }: cannot take orders
   *[suspended] suspended
  }
admin-credit = { $who }: credit score { $credit } ({ admin-credit-standing }).{ $suspended ->
    [yes] {" "}Account suspended: they take no orders until /restore.
   *[no] {""}
  }
    Recent changes:
    { $history }
admin-credit-no-history = (none yet)
admin-credit-event = { $event ->
    [completed] order completed
    [on_time] on time
    [five_star] five-star rating
    [low_rating] low rating
    [released] order released
    [pickup_timeout] not picked up in time
    [late_delivery] delivered late
    [complaint_upheld] complaint upheld
    [operator_adjustment] changed by an operator
   *[other] { $event }
  }
admin-credit-line = { $time } { $change } { admin-credit-event } → { $score }{ $order ->
    [none] {""}
   *[other] {" "}· order #{ $order }
  }{ $by ->
    [none] {""}
   *[other] {" "}· by { $by }: "{ $reason }"
  }
admin-credit-adjusted = { $who }: credit score { $before } → { $credit } ({ admin-credit-standing }).{ $clamped ->
    [yes] {" "}(The score stops at its lowest or highest.)
   *[no] {""}
  } They were told, with your reason.
