error-generic = Something went wrong. Please try again.
error-too-fast = You are sending faster than the bot takes: what you sent just now was not read. Please wait a minute, then go on.
# `status` is the status message: it formats this message's own $status (a status code) in words.
error-illegal-transition = This order is { status } now, so that is not possible.
error-not-allowed = You are not allowed to do that.
error-not-your-order = That order is not yours.
error-order-changed = The order changed in the meantime. Please look at it again.
error-reassign-same = Choose a different runner.
error-no-coupon = Order #{ $order } has no coupon: it costs its full price.
error-ledger = The payment could not be recorded.
error-ledger-key-reused = The payment record conflicts with an earlier one.
error-insufficient-funds = Your balance is not enough.
error-unknown-building = I don't know the place "{ $name }". Try its name, a short name, or share your location.
error-building-ambiguous = "{ $name }" could be several places. Did you mean: { $places }? Type more of the name.
error-place-off-campus = That location is outside the campus. Pick a building or type its name.
error-place-near-no-building = That location is not near any building. Pick a building or type its name.
error-invalid-input = That input is not valid.
error-weight-negative = The weight cannot be negative.
error-too-heavy = That is too heavy: at most { $max_kg } kg.
error-tip-range = The tip must be between 0 and { $max } yuan.
error-floor-range = The floor must be from 1 to { $floors }, the floors that building has.
error-queue-minutes = The queueing time must be between 0 and { $max } minutes.
error-queue-format = "{ $text }" is not a queueing time. Write minutes or hours, like 30, 45 min or 1h30.
error-pickup-required = This kind of errand needs a pickup place.
not-eligible-not-runner = You are not a runner yet.
not-eligible-other-campus = You are a runner of another campus: orders here are for this campus's runners.
not-eligible-not-approved = Your runner application has not been approved yet.
not-eligible-rejected = Your runner application was not approved. You may apply again with /apply.
not-eligible-suspended = Your runner account is suspended.
not-eligible-quiz = Please pass the service rules quiz before your first order.
not-eligible-own-order = You cannot take your own order.
not-eligible-credit = Your credit score is below the minimum for taking orders.
not-eligible-too-many = You already carry the most orders allowed at once.
not-eligible-gender-preference = The student asked for a runner of another gender.
not-eligible-dorm-gender = This delivery goes into a dorm you may not enter.
not-eligible-too-far = You are too far from the pickup point.
grab-won = You got the order.
grab-taken = Someone else took this order.
grab-gone = This order is no longer open.
error-not-eligible = You cannot take this order.
error-weight-format = "{ $text }" is not a weight. Write kilograms, like 2.5.
error-goods-not-buy = Only a buy-for-me errand comes with money for goods.
error-goods-range = The money for the goods may be at most { $max } yuan.
error-goods-spent-needed = Say what the goods of order #{ $order } cost first.
error-goods-spent-range = The goods of order #{ $order } may cost 0 to { $max } yuan: that is the money the student gave for them. If they cost more, tell the student through the chat and buy only what it pays for.
error-goods-none = Order #{ $order } has no money for goods.
error-goods-told = What the goods of order #{ $order } cost is already recorded.
error-extra-none = The student of order #{ $order } is not asked for a goods difference now.
error-reopen-picked-up = Order #{ $order } was picked up already (its runner has the goods, or delivered them), so it cannot go back to the task hall: resolve it with complete or refund.
error-extra-within = The goods of order #{ $order } cost no more than the { $max } yuan given for them, so there is no difference to ask for.
error-extra-same = The student of order #{ $order } is already asked for { $extra } yuan.
# An operator ending a buy task whose runner picked it up (bought the goods) but never said what they cost.
error-goods-unsaid-operator = The runner of order #{ $order } picked up (bought) the goods but has not said what they cost, so ending the order now would not pay them back. Give the cost yourself, from 0 to { $max } yuan (the money the student gave for them; ¥0 if nothing was bought), like { $event ->
    [operator_cancel] /cancelorder { $order } ¥32.5 shop closed
    [resolve_complete] /resolve { $order } complete spent ¥32.5
   *[resolve_refund] /resolve { $order } refund spent ¥32.5
  }. Nothing was done.
error-goods-operator-range = The goods of order #{ $order } may cost 0 to { $max } yuan: that is the money the student gave for them. Nothing was done.
error-goods-not-bought = Order #{ $order } was never picked up, so its goods were not bought: leave their cost out. Nothing was done.
