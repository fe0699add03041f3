error-too-fast = 你发送得太快了，刚才发送的内容没有被处理。请稍等一分钟再继续。
error-generic = 出了点问题，请稍后再试。
# `status` is the status message: it formats this message's own $status (a status code) in words.
error-illegal-transition = 订单当前状态为“{ status }”，无法进行该操作。
error-not-allowed = 你没有权限进行该操作。
error-not-your-order = 这不是你的订单。
error-order-changed = 订单状态刚刚发生了变化，请重新查看。
error-reassign-same = 请选择另一位跑腿员。
error-no-coupon = 订单 #{ $order } 没有使用优惠券，按原价计算。
error-ledger = 支付记录失败。
error-ledger-key-reused = 支付记录与之前的记录冲突。
error-insufficient-funds = 余额不足。
error-unknown-building = 找不到地点“{ $name }”。请输入楼名、简称，或发送位置。
error-building-ambiguous = “{ $name }”可能指多个地点，你是指：{ $places }？请输入更完整的名称。
error-place-off-campus = 这个位置不在校园内。请选择一栋楼，或输入楼名。
error-place-near-no-building = 这个位置附近没有楼。请选择一栋楼，或输入楼名。
error-invalid-input = 输入无效。
error-weight-negative = 重量不能为负数。
error-too-heavy = 太重了：最多 { $max_kg } 公斤。
error-tip-range = 小费须在 0 到 { $max } 元之间。
error-floor-range = 楼层须在 1 到 { $floors } 之间（该楼共 { $floors } 层）。
error-queue-minutes = 排队时间须在 0 到 { $max } 分钟之间。
error-queue-format = “{ $text }”不是排队时长。请写分钟或小时，如 30、45分钟 或 1小时30分钟。
error-pickup-required = 这类跑腿需要填写取件地点。
not-eligible-not-runner = 你还不是跑腿员。
not-eligible-other-campus = 你是其他校区的跑腿员，本校区的订单只由本校区的跑腿员接。
not-eligible-not-approved = 你的跑腿员申请尚未通过审核。
not-eligible-rejected = 你的跑腿员申请未通过，可以发送 /apply 重新申请。
not-eligible-suspended = 你的跑腿员账号已被暂停。
not-eligible-quiz = 接第一单前，请先通过服务规则测验。
not-eligible-own-order = 不能接自己发布的订单。
not-eligible-credit = 你的信用分低于接单门槛。
not-eligible-too-many = 你同时进行的订单已达上限。
not-eligible-gender-preference = 下单同学指定了其他性别的跑腿员。
not-eligible-dorm-gender = 此单需送入你不能进入的宿舍楼。
not-eligible-too-far = 你离取件地点太远。
grab-won = 抢单成功！
grab-taken = 手慢了，这单已被别人抢走。
grab-gone = 这单已不再开放。
error-not-eligible = 你不能接这单。
error-weight-format = “{ $text }”不是有效的重量，请输入公斤数，例如 2.5。
error-goods-not-buy = 只有“帮我买”订单才有商品费。
error-goods-range = 商品费最多 { $max } 元。
error-goods-spent-needed = 请先说明订单 #{ $order } 的商品花了多少钱。
error-goods-spent-range = 订单 #{ $order } 的商品花费须在 0 到 { $max } 元之间：这是下单同学给的商品费。如果不够，请通过聊天告诉对方，只买商品费够买的部分。
error-goods-none = 订单 #{ $order } 没有商品费。
error-goods-told = 订单 #{ $order } 的商品花费已经记录。
error-extra-none = 订单 #{ $order } 现在没有需要下单同学补的差价。
error-reopen-picked-up = 订单 #{ $order } 已取件（物品在跑腿员手中或已送达），不能退回任务大厅：请用 complete 或 refund 处理。
error-extra-within = 订单 #{ $order } 的商品花费没有超过给的 { $max } 元商品费，不需要补差价。
error-extra-same = 已经请订单 #{ $order } 的下单同学补 { $extra } 元差价了。
# 客服结束一笔“帮我买”订单：跑腿员已取件（买好商品），却没说明商品花了多少钱。
error-goods-unsaid-operator = 订单 #{ $order } 的跑腿员已取件（买好商品），但还没说明商品花了多少钱，现在结束订单的话，跑腿员垫付的钱就拿不回来。请你写上商品花费，0 到 { $max } 元（学生给的商品费；什么都没买就写 ¥0），例如 { $event ->
    [operator_cancel] /cancelorder { $order } ¥32.5 店铺关门
    [resolve_complete] /resolve { $order } complete 花了 ¥32.5
   *[resolve_refund] /resolve { $order } refund 花了 ¥32.5
  }。未做任何处理。
error-goods-operator-range = 订单 #{ $order } 的商品花费须在 0 到 { $max } 元之间：这是学生给的商品费。未做任何处理。
error-goods-not-bought = 订单 #{ $order } 没有取件，商品没有买：不用写商品花费。未做任何处理。
