# The student's ordering conversation (handlers/ordering.py) and wallet (handlers/wallet.py).
order-ask-type = What kind of errand?
order-choose-one = Please choose one of the options.
order-photo-not-read = Photos are not read here: please type your answer (or write it as the photo's caption).
order-choose-among = "{ $text }" could be: { $options }. Please choose one of them.
order-option-sep = {", "}
order-closed = Sorry, we are closed. Service hours: { $hours }.
order-closed-now = We are closed right now (service hours: { $hours }), but you can schedule an errand for later.
order-hours-window = { $days } { $times }
order-hours-range = { $start }–{ $end }
order-hours-sep = {"; "}
order-every-day = every day
order-day-sep = {", "}
order-day-range = { $first }–{ $last }
order-day = { $day ->
    [mon] Mon
    [tue] Tue
    [wed] Wed
    [thu] Thu
    [fri] Fri
    [sat] Sat
   *[sun] Sun
  }
order-place = { $name }
order-ask-pickup = { $task ->
    [buy] Where should the runner buy it?
    [queue] Where is the queue? You can skip this.
    [custom] Where does the task start? You can skip this.
   *[other] Where should the runner pick it up?
  } Send a building name or short name, or share your location.
order-no-pickup = No particular place
order-ask-dropoff = Where should it go? Send a building name or short name, or share your location.
order-ask-room = Your room in { $place }, for delivery to your door (like 3-502)? Or meet the runner at the entrance.
order-use-saved = Use { $saved }
order-no-room = Meet me at the entrance
order-room-empty = Please write your room number, or choose to meet at the entrance.
order-ask-floor = Which floor is the room on? (1–{ $floors })
order-floor = { $floor }F
order-floor-format = "{ $text }" is not a floor number.
order-ask-phone = A phone number your runner may call? It is stored encrypted and shown only to your runner. You can skip this.
order-phone-format = "{ $text }" is not a phone number.
order-contact-not-yours = That is someone else's contact card. Your runner calls the number you give here, so please share your own or type it. Nothing was changed.
order-contact-not-asked = Nothing here is asking for a phone number right now, so that contact was not kept. When you order an errand (send /order), its phone question takes your number, typed or shared.
order-skip = Skip
order-back = « Back
order-ask-description = { $task ->
    [parcel] Which parcel? Write the pickup code and anything that helps find it.
    [buy] What should the runner buy? Write the items and how much.
    [deliver] What should be delivered?
    [queue] What is the queue for?
   *[other] What is the task?
  }
order-description-empty = Please describe the errand in a few words.
order-ask-queue = How long do you expect to queue, in minutes?
order-minutes = { $minutes } min
order-ask-weight = About how heavy is it, in kg? Like 2.5
order-kg = { $kg } kg
order-ask-size = How big is it?
order-size = { $size ->
    [medium] Medium (a box)
    [large] Large (two hands)
   *[small] Small (fits a bag)
  }
order-ask-window = When?
order-window-choice-now = Now
order-window-choice-urgent = Now, urgent (+{ $amount } yuan)
order-window-in = In { $hours } h ({ $start }–{ $end })
order-window-evening = This evening ({ $start }–{ $end })
order-window-format = "{ $text }" is not a time. Write "now", a time like 19:30, or a window like 19:00-20:00.
order-window-past = That time has already passed.
order-window-outside-hours = { $start } is outside the service hours ({ $hours }). { $again ->
    [order] Please start the errand again with /order and choose another time.
   *[step] Please choose another time.
  }
order-place-gone = A place of this errand ({ $place }) is no longer on the campus map. Please start the errand again with /order.
order-window-passed = The time you chose has passed. Please start the errand again with /order.
order-ask-tags = Anything the runner should keep in mind? Tap to choose, then Done.
order-tag-toggle = { $on ->
    [yes] ✓
   *[no] ○
  } { tag }
order-done = Done
order-ask-notes = Any notes for the runner? Write them, or skip.
order-ask-gender = Which runner may take it?
order-gender = { $gender ->
    [female] Female runner
    [male] Male runner
   *[any] Anyone
  }
order-ask-runner = A favourite runner to offer it to first? Send their name or handle, or skip.
order-runner-unknown = I know no approved runner called "{ $name }" on this campus.
order-runner-ambiguous = Several runners are called "{ $name }". Please send their handle instead.
order-runner-self = You cannot run your own errand.
order-ask-tip = A tip for the runner? All of it goes to them (0 to { $max } yuan).
order-tip-none = No tip
order-yuan = { $amount } yuan
order-ask-goods = How much money for the goods? Give the most they may cost (up to { $max } yuan): you pay it with the order, the runner is paid back what they spend, and the rest comes back to your wallet.
order-goods-format = "{ $text }" is not an amount for the goods. Write yuan, more than 0, like 30 or 12.50.
order-tip-format = "{ $text }" is not an amount. Write yuan, like 2 or 2.50.
order-ask-coupon = Do you have a coupon? Send its code, or skip.
order-no-coupon = No coupon
order-coupon-unknown = There is no coupon "{ $code }".
order-coupon-expired = Coupon { $code } is not valid now.
order-coupon-used-up = Coupon { $code } has been used up.
order-coupon-already-used = { $each ->
    [1] You have already used coupon { $code }.
   *[other] You have already used coupon { $code } { $each } times, as many as it allows each student.
  }
order-coupon-min-spend = Coupon { $code } needs a service fee of at least { $min } yuan.
order-quote = { $text }
order-quote-title = Please check your errand ({ price-base }):
order-quote-changed = The price has changed since you looked. Please check again:
order-summary-door = Delivered to your door
order-summary-gender = Runner: { $gender ->
    [female] female only
   *[male] male only
  }
order-summary-runner = Offered first to { $name }
order-confirm = Confirm
order-edit = Edit
order-cancel = Cancel
order-draft-cancelled = OK, nothing was ordered.
order-form-abandoned = OK, I closed the order form; nothing was ordered. Send /order to start a new one.
order-form-closed-for-chat = The order form you were filling in is closed; nothing was ordered. Send /order to start again once you are done messaging.
order-created = Order #{ $order } is placed: { $total } yuan. Please pay within { $minutes ->
    [one] a minute
   *[other] { $minutes } minutes
  }. Your wallet: { $balance } yuan.
order-pay-wallet = Pay with wallet
# An order its coupon pays in full: placed and paid at once, nothing to pay.
order-covered = Order #{ $order } is placed. Coupon { $code } covers all of it, so there is nothing to pay.
order-covered-coupon-gone = Order #{ $order } is placed, but its coupon can no longer be counted: { $reason } Its price counts on that coupon: pay the full price without it, or cancel the order. Nothing has been charged.
wallet-balance = Wallet balance: { $balance } yuan
wallet-recent = Recent:
wallet-line = { $date } { $kind ->
    [topup] Top-up ({ $detail })
    [pay] Paid order #{ $detail }
    [extra] Goods difference of order #{ $detail }
    [refund] Refund for order #{ $detail }
    [cancel] Refund for cancelled order #{ $detail }
    [goods] Goods money left over from order #{ $detail }
    [compensation] Compensation
   *[other] Other
  } { $amount }
# How money came into the wallet (a top-up's provider, core.ledger.top_up).
wallet-provider = { $provider ->
    [cash] cash
    [telegram] Telegram payment
    [wechat] WeChat Pay
   *[other] another way
  }
wallet-no-movements = No movements yet.
wallet-topup-hint = To add money, ask the service desk, or pay an order directly where your app offers it.
wallet-suspended-hint = Your account is suspended: this money stays yours, though it pays for nothing now. Ask the service desk about it.
wallet-insufficient = Your balance is { $balance } yuan, the order costs { $total } yuan: { $missing } yuan is missing.
wallet-paid = Paid { $amount } yuan for order #{ $order } from your wallet. Balance: { $balance } yuan.
wallet-already-paid = Order #{ $order } is already paid.
wallet-pay-too-late = The time to pay order #{ $order } is over: it is being closed, and nothing was charged. Place it again if you still need it.
wallet-not-payable = Order #{ $order } can no longer be paid: it is { $status }.
wallet-provider-paid = Received { $amount } yuan: order #{ $order } is paid.
wallet-charge-seen = This payment was received already; nothing more to do.
wallet-payment-not-applied = Received { $amount } yuan: it is in your wallet (balance { $balance } yuan), but it could not pay order #{ $order } just now. The operators were told; you can pay the order from your wallet.
wallet-payment-kept = Received { $amount } yuan. Order #{ $order } no longer waits for this payment, so the money is in your wallet (balance { $balance } yuan).
wallet-payment-wrong-amount = Received { $amount } yuan, but order #{ $order } costs { $total } yuan, so this payment did not pay it: the money is in your wallet (balance { $balance } yuan). The order still waits for its { $total } yuan.
wallet-payment-not-yours = Received { $amount } yuan, but order #{ $order } is not yours, so this payment did not pay it: the money is in your wallet (balance { $balance } yuan).
wallet-payment-unmatched = Received { $amount } yuan, but the payment names none of our orders, so it paid for nothing: the money is in your wallet (balance { $balance } yuan), where it can pay your orders.
extra-pay-wallet = Pay the { $extra } yuan difference from my wallet
extra-refuse = Refuse the difference
extra-paid = Paid the { $extra } yuan goods difference of order #{ $order } from your wallet. Balance: { $balance } yuan.
extra-provider-paid = Received { $amount } yuan: the { $extra } yuan goods difference of order #{ $order } is paid.{ $rest ->
    [yes] {" "}The other { $kept } yuan is in your wallet (balance { $balance } yuan).
   *[no] {""}
  }
extra-payment-kept = Received { $amount } yuan. Order #{ $order } no longer asks for this difference, so the money is in your wallet (balance { $balance } yuan).
extra-refused = You refused the { $extra } yuan goods difference of order #{ $order }. Your runner was told: they settle it with you in the chat, handing over what the { $goods } yuan you gave pays for, or report it to an operator.
extra-insufficient = Your balance is { $balance } yuan, the difference is { $extra } yuan: { $missing } yuan is missing.
extra-not-asked = You are not asked for a goods difference of order #{ $order } now: it was paid, refused or withdrawn, or the order moved on. Nothing was charged.
extra-changed = Your runner no longer asks { $shown } yuan for the goods of order #{ $order }: they now say the goods cost { $spent } yuan and ask for { $extra } yuan. Nothing was charged.
# Telegram: a short message that takes the location or phone button (a reply keyboard) away when the next message has inline buttons (bot/telegram/render.py)
tg-location-done = OK.
wallet-coupon-gone = Order #{ $order } cannot be paid: { $reason } Its price counts on that coupon: pay the full price without it, or cancel the order. Nothing has been charged.
wallet-payment-kept-coupon = Received { $amount } yuan: it is in your wallet (balance { $balance } yuan) and did not pay order #{ $order }: { $reason } Its price counts on that coupon: pay the full price without it (your wallet can), or cancel the order.
wallet-payment-kept-suspended = Received { $amount } yuan: it is in your wallet (balance { $balance } yuan). Your account is suspended, so it did not pay order #{ $order }. Contact the service desk.
wallet-full-price-button = Pay { $total } yuan without the coupon
# The order's bill again, without the coupon's line, then its total and the payment choices.
wallet-full-price = Order #{ $order } at its full price, without coupon { $code }:
wallet-full-price-due = Please pay by { $time }.
order-paused = Ordering is paused { $ends ->
    [at] until { $until }
   *[resume] for now; the operators will reopen it
  }.{ $has_reason ->
    [yes] {" "}Reason: { $reason }.
   *[no] {""}
  } Orders already placed go on as usual.
hours-info = Service hours: { $hours }.
hours-open = Ordering is open now: /order
hours-closed = We are closed right now{ $later ->
    [yes] , but you can schedule an errand for later today: /order
   *[no] {"."}
  }

## Service hours set from chat (/hours set, /hours reset)
hours-source = { $changed ->
    [yes] These hours were set from chat (/hours set); /hours reset goes back to the campus file's.
   *[no] These are the campus file's hours; /hours set changes them.
  }
hours-usage = Write /hours to see the service hours. Operators: /hours set [days] 07:00-23:30 … (days like mon-fri or sat,sun hold for the times after them; no days: every day; 22:00-02:00 runs past midnight, 24:00 is midnight), or /hours reset for the campus file's.
hours-set-invalid = "{ $text }" is neither days nor a time range. Write it like /hours set mon-fri 07:00-23:30 sat,sun 08:00-24:00.
hours-set-empty = { $text } starts and ends at the same time. Write a range like 07:00-23:30; 22:00-02:00 runs past midnight.
hours-set-no-range = Give the times after the days, like /hours set mon-fri 07:00-23:30 sat,sun 08:00-24:00.
hours-set-too-many = At most { $max } time ranges.
hours-set-overlap = Two of the time ranges overlap on { order-day }. A day may have several ranges, apart from each other, like /hours set mon-fri 07:00-12:00 13:00-23:30 sat,sun 08:00-24:00.
hours-not-changed = The service hours are the campus file's already.
hours-set = 🕒 Service hours are now: { $hours }. { $open ->
    [yes] Ordering is open now.
    [paused] Ordering is paused now, though (/resume ends the pause).
   *[no] Ordering is closed now.
  } Orders already placed keep their times.
hours-reset = 🕒 Service hours are the campus file's again: { $hours }. { $open ->
    [yes] Ordering is open now.
    [paused] Ordering is paused now, though (/resume ends the pause).
   *[no] Ordering is closed now.
  }
hours-set-by = 🕒 { $who } set the service hours: { $hours }. { $open ->
    [yes] Ordering is open now.
    [paused] Ordering is paused now, though (/resume ends the pause).
   *[no] Ordering is closed now.
  }
hours-reset-by = 🕒 { $who } put the campus file's service hours back: { $hours }. { $open ->
    [yes] Ordering is open now.
    [paused] Ordering is paused now, though (/resume ends the pause).
   *[no] Ordering is closed now.
  }
