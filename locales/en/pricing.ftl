price-base = { $task ->
    [parcel] Parcel pickup
    [buy] Buy for me
    [deliver] Deliver an item
    [queue] Queue for me
   *[custom] Custom task
  }
price-distance = Distance { $metres } m
price-weight = Extra weight { $kg } kg
price-size = { $size ->
    [medium] Medium size
    [large] Large size
   *[small] Small size
  }
price-stairs = Stairs, { $floors } { $floors ->
    [one] floor
   *[other] floors
  } (no lift)
price-night = Night service { $start }–{ $end }
price-peak = Peak hours { $start }–{ $end }
price-urgent = Urgent
price-queue-time = Queueing { $minutes } min
price-floor-adjust = Raised to the minimum price
price-tip = Tip for the runner
price-discount = Coupon { $code }
price-goods = Money for the goods (at most; what is not spent comes back)
quote-goods-extra = Goods difference, paid after the purchase
price-total = Total
price-commission = Platform commission
price-runner-share = Runner receives

# python main.py quote: the rules operators changed from chat (/pricing) that priced it, or why none could be read.
quote-at-format = --at "{ $text }" is not a time: write it like 2026-11-23T22:30.
quote-changed-rules = (pricing rules changed from chat: { $rules })
quote-changes-unread = The pricing changes made from chat could not be read ({ $error }): priced by the campus file alone.
