price-base = { $task ->
    [parcel] 代取快递
    [buy] 帮我买
    [deliver] 帮我送
    [queue] 帮我排队
   *[custom] 万能帮
  }
price-distance = 距离 { $metres } 米
price-weight = 超重 { $kg } 公斤
price-size = { $size ->
    [medium] 中件
    [large] 大件
   *[small] 小件
  }
price-stairs = 爬楼 { $floors } 层（无电梯）
price-night = 夜间服务 { $start }–{ $end }
price-peak = 高峰时段 { $start }–{ $end }
price-urgent = 加急
price-queue-time = 排队 { $minutes } 分钟
price-floor-adjust = 起步价补足
price-tip = 小费（全部归跑腿员）
price-discount = 优惠券 { $code }
price-goods = 商品费（上限，未花完的退回）
quote-goods-extra = 商品差价（购买后补付）
price-total = 合计
price-commission = 平台佣金
price-runner-share = 跑腿员所得

# python main.py quote: the rules operators changed from chat (/pricing) that priced it, or why none could be read.
quote-at-format = --at “{ $text }”不是时间，请写成 2026-11-23T22:30 这样。
quote-changed-rules = （在聊天中修改过的计价规则：{ $rules }）
quote-changes-unread = 无法读取在聊天中修改的计价规则（{ $error }）：仅按校区文件计价。
