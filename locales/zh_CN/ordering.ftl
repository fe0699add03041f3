# 下单对话（handlers/ordering.py）与钱包（handlers/wallet.py）。
order-ask-type = 要跑什么腿？
order-choose-one = 请从选项中选择一个。
order-photo-not-read = 这里不会读取图片内容，请直接输入文字回答（或写在图片的说明里）。
order-choose-among = “{ $text }”可能是：{ $options }。请选择其中一个。
order-option-sep = 、
order-closed = 抱歉，现在不在服务时间。服务时间：{ $hours }。
order-closed-now = 现在不在服务时间（{ $hours }），但你可以预约稍后的时间。
order-hours-window = { $days } { $times }
order-hours-range = { $start }–{ $end }
order-hours-sep = ；
order-every-day = 每天
order-day-sep = 、
order-day-range = { $first }至{ $last }
order-day = { $day ->
    [mon] 周一
    [tue] 周二
    [wed] 周三
    [thu] 周四
    [fri] 周五
    [sat] 周六
   *[sun] 周日
  }
order-place = { $name }
order-ask-pickup = { $task ->
    [buy] 在哪里买？
    [queue] 在哪里排队？可以跳过。
    [custom] 从哪里开始？可以跳过。
   *[other] 在哪里取件？
  }请输入楼名或简称，或发送位置。
order-no-pickup = 不指定地点
order-ask-dropoff = 送到哪里？请输入楼名或简称，或发送位置。
order-ask-room = 送到{ $place }哪个房间（例如 3-502）？也可以在楼门口交接。
order-use-saved = 使用 { $saved }
order-no-room = 楼门口交接
order-room-empty = 请填写房间号，或选择楼门口交接。
order-ask-floor = 房间在几楼？（1–{ $floors }）
order-floor = { $floor } 楼
order-floor-format = “{ $text }”不是楼层数字。
order-ask-phone = 留一个跑腿员可以拨打的电话？加密保存，只给接单的跑腿员看。可以跳过。
order-phone-format = “{ $text }”不是电话号码。
order-contact-not-yours = 这是别人的名片。跑腿员会拨打你在这里留的号码，请分享你自己的号码或直接输入。没有做任何更改。
order-contact-not-asked = 现在没有需要电话号码的地方，所以这张名片没有被保存。下单时（发送 /order），表单询问电话时可以输入号码，或分享你的号码。
order-skip = 跳过
order-back = « 上一步
order-ask-description = { $task ->
    [parcel] 取哪个快递？请写取件码等有助于找到它的信息。
    [buy] 要买什么？请写清物品和数量。
    [deliver] 要送什么？
    [queue] 排什么队？
   *[other] 要做什么？
  }
order-description-empty = 请用几句话描述这次跑腿。
order-ask-queue = 预计要排队多少分钟？
order-minutes = { $minutes } 分钟
order-ask-weight = 大约多重（公斤）？例如 2.5
order-kg = { $kg } 公斤
order-ask-size = 有多大？
order-size = { $size ->
    [medium] 中件（一个箱子）
    [large] 大件（要两只手）
   *[small] 小件（一个袋子装得下）
  }
order-ask-window = 什么时候？
order-window-choice-now = 现在
order-window-choice-urgent = 现在，加急（+{ $amount } 元）
order-window-in = { $hours } 小时后（{ $start }–{ $end }）
order-window-evening = 今晚（{ $start }–{ $end }）
order-window-format = “{ $text }”不是时间。请输入“现在”、时间如 19:30，或时段如 19:00-20:00。
order-window-past = 这个时间已经过了。
order-window-outside-hours = { $start } 不在服务时间内（{ $hours }）。{ $again ->
    [order] 请发送 /order 重新下单并换个时间。
   *[step] 请换个时间。
  }
order-place-gone = 此跑腿任务中的地点（{ $place }）已不在校园地图上，请发送 /order 重新下单。
order-window-passed = 你选的时间已经过了，请用 /order 重新下单。
order-ask-tags = 有什么要跑腿员注意的？点选后按“完成”。
order-tag-toggle = { $on ->
    [yes] ✓
   *[no] ○
  } { tag }
order-done = 完成
order-ask-notes = 给跑腿员的备注？直接输入，或跳过。
order-ask-gender = 希望谁来接单？
order-gender = { $gender ->
    [female] 女生跑腿员
    [male] 男生跑腿员
   *[any] 不限
  }
order-ask-runner = 想优先派给熟悉的跑腿员吗？发送对方的名字或账号，或跳过。
order-runner-unknown = 本校没有名为“{ $name }”的已认证跑腿员。
order-runner-ambiguous = 有多位跑腿员叫“{ $name }”，请发送对方的账号。
order-runner-self = 不能给自己跑腿。
order-ask-tip = 给跑腿员小费吗？全部归跑腿员（0 到 { $max } 元）。
order-tip-none = 不给小费
order-yuan = { $amount } 元
order-ask-goods = 商品费给多少？请写商品最多花多少钱（不超过 { $max } 元）：随订单一起支付，跑腿员花多少报销多少，剩下的退回你的钱包。
order-goods-format = “{ $text }”不是商品费金额。请写大于 0 的元数，例如 30 或 12.50。
order-tip-format = “{ $text }”不是金额，请输入元，例如 2 或 2.50。
order-ask-coupon = 有优惠券吗？发送券码，或跳过。
order-no-coupon = 不用优惠券
order-coupon-unknown = 没有“{ $code }”这张优惠券。
order-coupon-expired = 优惠券 { $code } 现在不可用。
order-coupon-used-up = 优惠券 { $code } 已被领完。
order-coupon-already-used = { $each ->
    [1] 你已经用过优惠券 { $code }。
   *[other] 你已经用过优惠券 { $code } { $each } 次，已达每人可用的次数。
  }
order-coupon-min-spend = 优惠券 { $code } 需要服务费满 { $min } 元。
order-quote = { $text }
order-quote-title = 请核对你的跑腿（{ price-base }）：
order-quote-changed = 价格已变化，请重新核对：
order-summary-door = 送货上门
order-summary-gender = 跑腿员：{ $gender ->
    [female] 仅限女生
   *[male] 仅限男生
  }
order-summary-runner = 优先派给 { $name }
order-confirm = 确认
order-edit = 修改
order-cancel = 取消
order-draft-cancelled = 好的，没有下单。
order-form-abandoned = 好的，已关闭下单表单，没有下单。发送 /order 可重新下单。
order-form-closed-for-chat = 你正在填写的下单表单已关闭，没有下单。留言结束后可发送 /order 重新下单。
order-created = 订单 #{ $order } 已生成：{ $total } 元。请在 { $minutes } 分钟内支付。钱包余额：{ $balance } 元。
order-pay-wallet = 用钱包支付
# An order its coupon pays in full: placed and paid at once, nothing to pay.
order-covered = 订单 #{ $order } 已下单。优惠券 { $code } 全额抵扣，无需支付。
order-covered-coupon-gone = 订单 #{ $order } 已生成，但它的优惠券已无法使用：{ $reason }它的价格算上了这张优惠券：你可以不用优惠券按原价支付，或取消这个订单。没有扣任何钱。
wallet-balance = 钱包余额：{ $balance } 元
wallet-recent = 最近记录：
wallet-line = { $date } { $kind ->
    [topup] 充值（{ $detail }）
    [pay] 支付订单 #{ $detail }
    [extra] 订单 #{ $detail } 补商品差价
    [refund] 订单 #{ $detail } 退款
    [cancel] 取消订单 #{ $detail } 退款
    [goods] 订单 #{ $detail } 未花完的商品费
    [compensation] 补偿
   *[other] 其他
  } { $amount }
# How money came into the wallet (a top-up's provider, core.ledger.top_up).
wallet-provider = { $provider ->
    [cash] 现金
    [telegram] Telegram 支付
    [wechat] 微信支付
   *[other] 其他方式
  }
wallet-no-movements = 暂无记录。
wallet-topup-hint = 如需充值，请联系客服，或在支持的应用内直接支付订单。
wallet-suspended-hint = 你的账号已被暂停：这些钱仍归你所有，但目前不能用于支付。相关事宜请联系客服。
wallet-insufficient = 你的余额为 { $balance } 元，订单需 { $total } 元，还差 { $missing } 元。
wallet-paid = 已从钱包为订单 #{ $order } 支付 { $amount } 元。余额：{ $balance } 元。
wallet-already-paid = 订单 #{ $order } 已经支付过了。
wallet-pay-too-late = 订单 #{ $order } 的支付时间已过，订单即将关闭，没有扣款。如仍需要，请重新下单。
wallet-not-payable = 订单 #{ $order } 已无法支付：当前状态为{ $status }。
wallet-provider-paid = 已收到 { $amount } 元：订单 #{ $order } 已支付。
wallet-charge-seen = 这笔付款已经收到过了，无需再操作。
wallet-payment-not-applied = 已收到 { $amount } 元，已存入你的钱包（余额 { $balance } 元），但暂时未能支付订单 #{ $order }。已通知客服；你也可以用钱包支付该订单。
wallet-payment-kept = 已收到 { $amount } 元。订单 #{ $order } 已不再等待这笔付款，钱已存入你的钱包（余额 { $balance } 元）。
wallet-payment-wrong-amount = 已收到 { $amount } 元，但订单 #{ $order } 的金额是 { $total } 元，所以这笔付款没有支付它：钱已存入你的钱包（余额 { $balance } 元）。这个订单仍在等待支付 { $total } 元。
wallet-payment-not-yours = 已收到 { $amount } 元，但订单 #{ $order } 不是你的，所以这笔付款没有支付它：钱已存入你的钱包（余额 { $balance } 元）。
wallet-payment-unmatched = 已收到 { $amount } 元，但这笔付款没有对应任何订单，所以没有支付任何订单：钱已存入你的钱包（余额 { $balance } 元），可以用来支付你的订单。
extra-pay-wallet = 用钱包补 { $extra } 元差价
extra-refuse = 拒绝补差价
extra-paid = 已用钱包为订单 #{ $order } 补 { $extra } 元商品差价。余额：{ $balance } 元。
extra-provider-paid = 已收到 { $amount } 元：订单 #{ $order } 的 { $extra } 元商品差价已补。{ $rest ->
    [yes] 其余 { $kept } 元已存入你的钱包（余额 { $balance } 元）。
   *[no] {""}
  }
extra-payment-kept = 已收到 { $amount } 元。订单 #{ $order } 已不再需要这笔差价，钱已存入你的钱包（余额 { $balance } 元）。
extra-refused = 你拒绝了订单 #{ $order } 的 { $extra } 元商品差价。已告知跑腿员：由跑腿员在聊天中和你商量，交付你给的 { $goods } 元够买的部分，或报告给客服。
extra-insufficient = 你的余额是 { $balance } 元，差价是 { $extra } 元，还差 { $missing } 元。
extra-not-asked = 订单 #{ $order } 现在不需要你补差价：差价已支付、已拒绝或已撤回，或订单已有新的进展。没有扣任何钱。
extra-changed = 跑腿员不再为订单 #{ $order } 的商品请你补 { $shown } 元：现在商品花了 { $spent } 元，请你补 { $extra } 元。没有扣任何钱。
# Telegram: a short message that takes the location or phone button (a reply keyboard) away when the next message has inline buttons (bot/telegram/render.py)
tg-location-done = 好的。
wallet-coupon-gone = 订单 #{ $order } 无法支付：{ $reason }它的价格算上了这张优惠券：你可以不用优惠券按原价支付，或取消这个订单。没有扣任何钱。
wallet-payment-kept-coupon = 已收到 { $amount } 元：钱已存入你的钱包（余额 { $balance } 元），没有支付订单 #{ $order }：{ $reason }它的价格算上了这张优惠券：你可以不用优惠券按原价支付（可以用钱包付），或取消这个订单。
wallet-payment-kept-suspended = 已收到 { $amount } 元：钱已存入你的钱包（余额 { $balance } 元）。你的账号已被暂停，所以没有用它支付订单 #{ $order }。请联系客服。
wallet-full-price-button = 不用优惠券，按原价 { $total } 元支付
# The order's bill again, without the coupon's line, then its total and the payment choices.
wallet-full-price = 订单 #{ $order } 不用优惠券 { $code }，按原价计算：
wallet-full-price-due = 请在 { $time } 前支付。
order-paused = { $ends ->
    [at] 暂停接单至 { $until }
   *[resume] 暂停接单中，恢复时间等客服通知
  }。{ $has_reason ->
    [yes] 原因：{ $reason }。
   *[no] {""}
  }已下的订单照常进行。
hours-info = 服务时间：{ $hours }。
hours-open = 现在可以下单：/order
hours-closed = 现在不在服务时间{ $later ->
    [yes] ，但可以预约今天稍后的跑腿：/order
   *[no] 。
  }

## Service hours set from chat (/hours set, /hours reset)
hours-source = { $changed ->
    [yes] 这是在聊天中设置的服务时间（/hours set）；/hours reset 恢复校区文件的设置。
   *[no] 这是校区文件的服务时间；/hours set 可以修改。
  }
hours-usage = 发送 /hours 查看服务时间。客服：/hours set [星期] 07:00-23:30 …（如 周一至周五、周六,周日，对其后的时间段生效；不写星期即每天；22:00-02:00 跨过午夜，24:00 即午夜），或 /hours reset 恢复校区文件的设置。
hours-set-invalid = “{ $text }”既不是星期也不是时间段。请这样写：/hours set 周一至周五 07:00-23:30 周六,周日 08:00-24:00。
hours-set-empty = { $text } 的开始和结束时间相同。请写成 07:00-23:30 这样的时间段；22:00-02:00 跨过午夜。
hours-set-no-range = 请在星期后写时间，如 /hours set 周一至周五 07:00-23:30 周六,周日 08:00-24:00。
hours-set-too-many = 最多 { $max } 个时间段。
hours-set-overlap = 有两个时间段在{ order-day }重叠。一天可以有几个互不重叠的时间段，如 /hours set 周一至周五 07:00-12:00 13:00-23:30 周六,周日 08:00-24:00。
hours-not-changed = 服务时间已经是校区文件的设置。
hours-set = 🕒 服务时间已改为：{ $hours }。{ $open ->
    [yes] 现在可以下单。
    [paused] 不过现在暂停接单中（/resume 结束暂停）。
   *[no] 现在不在服务时间。
  }已下的订单时间不变。
hours-reset = 🕒 服务时间已恢复为校区文件的设置：{ $hours }。{ $open ->
    [yes] 现在可以下单。
    [paused] 不过现在暂停接单中（/resume 结束暂停）。
   *[no] 现在不在服务时间。
  }
hours-set-by = 🕒 { $who } 修改了服务时间：{ $hours }。{ $open ->
    [yes] 现在可以下单。
    [paused] 不过现在暂停接单中（/resume 结束暂停）。
   *[no] 现在不在服务时间。
  }
hours-reset-by = 🕒 { $who } 恢复了校区文件的服务时间：{ $hours }。{ $open ->
    [yes] 现在可以下单。
    [paused] 不过现在暂停接单中（/resume 结束暂停）。
   *[no] 现在不在服务时间。
  }
