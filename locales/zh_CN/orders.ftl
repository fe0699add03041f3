error-order-number = “{ $text }”不是订单号，请输入数字，例如 12。
# 行文中的列表（locales.Catalogue.join），以及只列出前几项时的结尾。
list-sep = 、
list-more = 等
error-order-not-found = 没有 #{ $order } 这个订单。
order-route = { $pickup } → { $dropoff }
# 订单卡片和列表中任务类型的名称。
task-name = { $task ->
    [parcel] 代取快递
    [buy] 帮我买
    [deliver] 帮我送
    [queue] 帮我排队
   *[custom] 万能帮
  }
order-line = #{ $order } { task-name } · { $route } · { $total } 元 · { $status }
order-line-runner = #{ $order } { task-name } · { $route } · { $status }
status = { $status ->
    [awaiting_payment] 待支付
    [open] 等待接单
    [accepted] 跑腿员已接单
    [picked_up] 已取件
    [delivered] 已送达
    [completed] 已完成
    [closed] 已关闭（未支付）
    [expired] 已过期（已退款）
    [cancelled] 已取消
    [exception] 异常处理中
   *[refunded] 已退款
  }
status-goods = 已关闭（款项已全部用于代购商品，无需退款）
# The status of an order its coupon paid in full, where the plain one would say "refunded".
status-covered = { $status ->
    [expired] 已过期（优惠券全额抵扣，无需退款）
   *[refunded] 已关闭（优惠券全额抵扣，无需退款）
  }
order-quote-line = { $label }：{ $amount }
order-card-description = { $task ->
    [queue] 排队
    [custom] 任务
   *[other] 物品
  }：{ $text }
order-card-notes = 备注：{ $text }
order-card-goods = 商品费：最多 { $goods } 元；跑腿员花多少报销多少，剩下的退给下单同学。
order-card-goods-spent = 商品实际花费 { $spent } 元（商品费 { $goods } 元）。
order-card-goods-extra = 商品花了 { $spent } 元，比给的 { $goods } 元商品费多 { $extra } 元：{ $reader ->
    [customer] 跑腿员请你补差价。
    [runner] 你已请下单同学补差价。
   *[other] 跑腿员请下单同学补差价。
  }
order-card-queue = 预计排队：约 { $minutes } 分钟
hall-card-goods = 需代买商品，最多 { $goods } 元：由你先垫付，订单完成时报销。
order-card-tags = 要求：{ $tags }
order-card-total = 合计：{ $total } 元
order-card-pickup-by = 请在 { $time } 前取件：超时订单将退回任务大厅，并扣你的信用分。
order-card-deliver-by = 请在 { $time } 前送达。
order-card-share = 本单收入：{ $share } 元
# 跑腿员看到的、不是以送达结束的订单：账本实际付给他的钱，或订单已不归他。
order-card-fee = 你获得跑腿补偿：{ $fee } 元
order-card-unpaid = 这单不会给你报酬。
order-status-not-yours = 已不由你配送
order-card-room = 房间：{ $room }
order-card-phone = 电话：{ $phone }
order-card-contact-in-details = 房间和电话：见上方订单 #{ $order } 的详情消息，仅在订单由你负责时显示。
order-window-now = 尽快
order-window = { $start } 至 { $end }
# 订单卡片上的时间（大厅帖子已不再显示）：预约的时间段，或加急。
order-card-when = 时间：{ $window }{ $urgent ->
    [yes] {" "}· 加急
   *[no] {""}
  }
tag = { $tag ->
    [no_knock] 不要敲门
    [fragile] 易碎
    [call_on_arrival] 到了打电话
    [leave_at_door] 放门口
   *[other] { $tag }
  }
hall-card = 新跑腿 #{ $order }：{ $task ->
    [parcel] 代取快递
    [buy] 帮我买
    [deliver] 帮我送
    [queue] 帮我排队
   *[custom] 万能帮
  }
    { $route }
    报酬：{ $share } 元 · { $size ->
        [medium] 中件
        [large] 大件
       *[small] 小件
    } · { $weight } 公斤 · { $window }{ $urgent ->
    [yes] {" "}· 加急
   *[no] {""}
  }
