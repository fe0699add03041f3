# 优惠券全额抵扣的订单：退款通知如实说明，而不是“0.00 元已退回”。
-nothing-back = 这笔订单由优惠券全额抵扣，你没有支付任何费用，因此没有金额退回钱包。
-all-to-goods = 你支付的金额全部用于跑腿员代买的商品，因此没有金额退回钱包。
notice-paid = { $covered ->
    [yes] 订单 #{ $order } 正在等待跑腿员接单。
   *[no] 支付成功，订单 #{ $order } 正在等待跑腿员接单。
  }
notice-closed-unpaid = 订单 #{ $order } 超时未支付，已关闭。
notice-accepted = 跑腿员已接下你的订单 #{ $order }。{ $handover ->
    [none] {""}
   *[other] 跑腿员不能进入你的宿舍楼，将在{ $handover }交接。
  }
# 给接到订单的跑腿员，详情消息的第一行：自己接的（抢单、/grab、接受派单），或客服改派给他的（/reassign）。
notice-you-won = { $how ->
    [reassigned] 客服把订单 #{ $order } 交给了你，详情如下。
   *[taken] 订单 #{ $order } 现在由你配送，详情如下。
  }
notice-hall-new = 新订单 #{ $order }
notice-hall-taken = 订单 #{ $order } 已被抢。
notice-hall-gone = 订单 #{ $order } 已失效。
notice-runner-released = 跑腿员放弃了订单 #{ $order }，已重新发布到任务大厅。
notice-runner-timed-out = 跑腿员未按时取件，订单 #{ $order } 已重新发布到任务大厅。
notice-taken-back = 原跑腿员无法继续接单，订单 #{ $order } 已重新发布到任务大厅，等待其他跑腿员接单。
# $window_over（此处及 notice-pickup-timeout、notice-reopened-runner）：预约时间已过时为 yes，订单结束（退款）而不回到任务大厅。
notice-taken-back-runner = 订单 #{ $order } 已由客服收回{ $window_over ->
    [yes] ，预约时间已过，订单已结束
   *[other] 至任务大厅
  }，不再由你配送，请勿前往取件。
notice-on-hold = { $by ->
    [customer] 下单同学报告了订单 #{ $order } 的问题：订单暂停，等待客服处理。{ $carrying ->
        [yes] 请保管好物品，等候客服联系。
       *[no] {""}
    }
   *[runner] 跑腿员报告了订单 #{ $order } 的问题：订单暂停，等待客服处理。
  }
notice-pickup-timeout = 订单 #{ $order } 超时未取件，{ $window_over ->
    [yes] 预约时间已过，订单已结束
   *[other] 已退回任务大厅
  }，信用分已扣除。
notice-picked-up = 你的订单 #{ $order } 已取件。
notice-delivered = 你的订单 #{ $order } 已送达，请确认收货。
notice-completed = 订单 #{ $order } 已完成，你获得 { $amount } 元{ $bought ->
    [yes] ，垫付的商品费 { $spent } 元也已退回你的钱包。
   *[other] 。{ notice-goods-repaid }
  }
# 订单结束时告诉跑腿员：垫付的商品费退回了多少，是谁说的花费。
notice-goods-repaid = { $bought ->
    [yes] 你垫付的商品费 { $spent } 元已退回你的钱包。
    [service] 你没有说明商品花了多少钱，客服按 { $spent } 元计，这笔钱已退回你的钱包。
    [service-none] 你没有说明商品花了多少钱，客服认定没有买商品，因此没有商品费退给你。
   *[no] {""}
  }
# ……以及告诉下单同学：商品花费是客服定的。
notice-goods-decided = { $bought ->
    [service] 跑腿员没有说明商品花了多少钱，客服按 { $spent } 元计，这部分商品费已付给跑腿员。
   *[other] {""}
  }
notice-completed-customer = 订单 #{ $order } 已完成，感谢使用！{ $back ->
    [yes] 未花完的商品费 { $change } 元已退回你的钱包。
   *[no] {""}
  }{ notice-goods-decided }
notice-auto-confirmed = 订单 #{ $order } 已自动确认收货。{ $back ->
    [yes] 未花完的商品费 { $change } 元已退回你的钱包。
   *[no] {""}
  }
notice-bought = 跑腿员已为订单 #{ $order } 买好商品，花费 { $spent } 元，正在送来。商品费共 { $goods } 元，未花完的部分会在订单完成时退回你的钱包。
notice-extra-asked = 订单 #{ $order } 的商品花了 { $spent } 元，比你给的 { $goods } 元商品费多 { $extra } 元。跑腿员请你补 { $extra } 元差价；在你答复之前，跑腿员无法送达。如果拒绝，会通知跑腿员，由跑腿员在聊天中和你商量，或报告给客服。
notice-extra-ended = 订单 #{ $order }：{ $extra } 元商品差价{ $how ->
    [paid] 已支付。
    [refused] 已被你拒绝，已告知跑腿员。
    [withdrawn] 不再需要：跑腿员按商品费够买的部分结算。
    [changed] 不再需要：跑腿员改为请你补另一个金额，见下一条消息。
   *[ended] 不再需要：订单已有新的进展。
  }
notice-extra-paid = 订单 #{ $order } 的下单同学已补 { $extra } 元商品差价：订单完成时报销你花的 { $spent } 元。现在可以送达了。
notice-extra-refused = 订单 #{ $order } 的下单同学不补 { $extra } 元商品差价。请在聊天中和对方商量：只交付给的 { $goods } 元够买的部分，并说明实际花费（/picked { $order } 加金额，不超过 { $goods } 元），或在订单卡片上报告问题，请客服查看。
notice-expired = 订单 #{ $order } 无人接单{ $refunded ->
    [no] 。{ -nothing-back }
    [goods] 。{ -all-to-goods }
   *[yes] ，{ $amount } 元已退回钱包。
  }
# 给学生：预约跑腿的时间段已过，跑腿员放弃（或被客服收回）后订单结束并退款，不再回到任务大厅。
notice-window-over = { $why ->
    [release] 跑腿员放弃了订单 #{ $order }
    [pickup_timeout] 跑腿员未按时取件，订单 #{ $order } 已被收回
    [take_back] 原跑腿员无法继续完成订单 #{ $order }
   *[other] 客服已从跑腿员处收回订单 #{ $order }
  }，预约时间已过，无法再由其他跑腿员接单{ $refunded ->
    [no] 。{ -nothing-back }
    [goods] 。{ -all-to-goods }
   *[yes] ，{ $amount } 元已退回钱包。
  }
notice-cancelled = 订单 #{ $order } 已取消{ $refunded ->
    [no] 。{ -nothing-back }
    [goods] 。{ -all-to-goods }
   *[yes] ，{ $refund } 元已退回你的钱包。
  }{ notice-cancelled-coupon }
notice-cancelled-all-fee = 订单 #{ $order } 已取消。跑腿员当时已经出发，你支付的 { $fee } 元全部作为跑腿补偿给了跑腿员，没有金额退回你的钱包。{ notice-cancelled-coupon }
notice-cancelled-coupon = { $coupon ->
    [all] 跑腿员当时已经出发，其 { $coupon_fee } 元跑腿补偿已从你的优惠券 { $code } 中支付，该优惠券已视为使用过。
    [part] 跑腿补偿其余的 { $coupon_fee } 元已由你的优惠券 { $code } 支付，该优惠券已视为使用过。
   *[none] {""}
  }
notice-cancelled-unpaid = 订单 #{ $order } 已取消。订单还没有支付，没有扣任何钱。
notice-cancelled-runner = 订单 #{ $order } 已被下单同学取消。
notice-cancelled-by-operator = 订单 #{ $order } 已被客服取消{ $refunded ->
    [no] 。{ -nothing-back }
    [goods] 。{ -all-to-goods }
   *[yes] ，{ $refund } 元已退回你的钱包。
  }{ notice-goods-decided }{ $given ->
    [yes] 原因：{ $reason }
   *[no] {""}
  }
notice-cancelled-by-operator-unpaid = 订单 #{ $order } 已被客服取消。订单还没有支付，没有扣任何钱。{ $given ->
    [yes] 原因：{ $reason }
   *[no] {""}
  }
notice-reassigned = 你的订单 #{ $order } 已更换跑腿员。
notice-reopened = 客服已处理你的订单 #{ $order }：订单已退回任务大厅，等待其他跑腿员接单。
notice-reopened-runner = { $window_over ->
    [yes] 客服已收回订单 #{ $order }，预约时间已过，订单已结束
   *[other] 客服已将订单 #{ $order } 退回任务大厅
  }：该订单不再由你配送，按放弃订单计。{ $given ->
    [yes] 备注：{ $reason }
   *[no] {""}
  }
notice-reassigned-away = 订单 #{ $order } 已改派给其他跑腿员。
notice-payment-not-applied = ⚠️ 订单 #{ $order } 的一笔 { $amount } 元付款已存入学生钱包，但用它支付订单时出错（详见服务日志）。订单仍在等待付款。
notice-exception = 订单 #{ $order } 被报告异常，需要客服处理。
notice-refunded = { $refunded ->
    [no] 订单 #{ $order } 已按退款结案。{ -nothing-back }
    [goods] 订单 #{ $order } 已按退款结案。{ -all-to-goods }
   *[yes] 订单 #{ $order } 已退款，{ $amount } 元已退回你的钱包。
  }{ notice-goods-decided }
notice-details-ended = 订单 #{ $order } 对你已结束，下单同学的电话、房间号、物品描述和备注不再显示。
notice-undelivered = ⚠️ { $channel ->
        [telegram] Telegram
       *[other] { $channel }
    } 未能送达订单 #{ $order } 的{ $what ->
        [hall] 任务大厅帖子
        [details] 跑腿员详情（下单同学的电话和房间号）
        [offer] 派给跑腿员的邀请
       *[other] 消息
    }，不会再试：{ $reason ->
        [blocked] 对方已屏蔽机器人
        [deactivated] 对方的账号已注销
        [not-started] 对方从未启动机器人
        [kicked] 机器人已不在该群中
        [chat-gone] 该聊天不存在或已被删除
        [no-rights] 机器人在该聊天中没有发消息的权限
        [too-long] 消息太长
        [bad-request] 消息格式无效，被拒收
        [outage] 多次重试后仍无法连接
       *[other] 平台返回“{ $detail }”
    }。请用 /find { $order } 查看。
# 订单不是以送达结束时发给跑腿员：是谁结束的，以及你能得到什么（以账本为准：学生超时取消时的跑腿补偿；客服取消或退款则没有报酬）。
notice-cancelled-runner-fee = 订单 #{ $order } 已被下单同学取消。因已超过免费取消时间，{ $fee } 元跑腿补偿已转入你的钱包。
notice-cancelled-by-service-runner = 订单 #{ $order } 已被客服取消，你无需继续配送，这单不会给你报酬。{ notice-goods-repaid }{ $given ->
    [yes] 原因：{ $reason }
   *[no] {""}
  }
notice-refunded-runner = 订单 #{ $order } 经客服处理已退款给学生，这单不会给你报酬。{ notice-goods-repaid }{ $given ->
    [yes] 备注：{ $reason }
   *[no] {""}
  }
