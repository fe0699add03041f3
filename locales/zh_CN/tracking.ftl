track-no-orders = 你还没有订单。发送 /order 下单。
track-list-title = 你最近的订单：
track-carried-title = 你正在配送的订单：
track-view-button = 查看 #{ $order }
track-history-title = 进度：
track-history-line = { $time }  { $event ->
    [created] 下单
    [pay] { $covered ->
        [yes] 优惠券全额抵扣，无需支付
       *[no] 已支付
    }
    [unpaid_timeout] 超时未支付，已关闭
    [accept] 跑腿员已接单
    [release] 跑腿员放弃了订单
    [pickup_timeout] 超时未取件，已退回任务大厅
    [pickup] 已取件
    [deliver] 已送达
    [confirm] 已确认收货
    [auto_confirm] 已自动确认收货
    [expire] { $covered ->
        [yes] 无人接单；优惠券全额抵扣，无需退款
       *[no] 无人接单，已退款
    }
    [cancel] 下单同学取消了订单
    [operator_cancel] 客服取消了订单
    [reassign] 已改派给其他跑腿员
    [take_back] 原跑腿员无法继续，已退回任务大厅
    [report] 已报告异常，等待客服处理
    [resolve_complete] 客服处理完毕：已完成
    [resolve_reopen] 客服处理完毕：已退回任务大厅，等待其他跑腿员接单
    [resolve_refund] { $covered ->
        [yes] { $viewer ->
            [runner] 客服处理完毕，按有利于下单同学的方式结案；优惠券全额抵扣，无需退款
           *[customer] 客服处理完毕，按有利于你的方式结案；优惠券全额抵扣，无需退款
        }
        [goods] { $viewer ->
            [runner] 客服处理完毕，按有利于下单同学的方式结案；款项已全部用于代购商品，无需退款
           *[customer] 客服处理完毕，按有利于你的方式结案；你所付款项已全部用于代购商品，无需退款
        }
       *[no] 客服处理完毕：已退款
    }
    [drop_coupon] 不用优惠券，改按原价
    [goods_bought] 已买好商品
    [extra_asked] { $viewer ->
        [runner] 商品超出商品费：你已请下单同学补差价
       *[customer] 商品超出商品费：跑腿员请你补差价
    }
    [extra_paid] 已补商品差价
    [extra_refused] 已拒绝补商品差价
   *[other] { $event }
  }
track-auto-confirm-at = 如无操作，将于 { $time } 自动确认收货。
track-card-rating = 你的评分：{ $stars } / 5
# 跑腿员又查看了更新的订单卡片（/track）后，较早的卡片不再显示订单内容。
track-card-retired = 订单 #{ $order }：下方有这张订单更新的卡片，这张不再更新（/track { $order } 可再次查看）。
track-confirm-button = 确认收货
track-rate-button = 评价跑腿员
track-cancel-button = 取消订单（{ $refunded ->
    [no] 不退回钱包
   *[yes] { $refund } 元退回钱包
  }）
track-coupon-gone = 这个订单无法按现价支付：{ $reason }你可以不用优惠券按原价支付，或取消这个订单。
track-covered-unpaid = 优惠券 { $code } 全额抵扣，无需支付。下单后订单会发布到任务大厅。
track-place-covered-button = 下单（无需支付）
track-chat-button = { $other ->
    [runner] 给跑腿员留言
   *[customer] 给下单同学留言
  }
track-where-button = 跑腿员在哪
track-cancel-unpaid-button = 取消订单
track-reply-button = 回复
track-report-button = 报告问题
track-need-number = 请写上订单号，例如 /{ $command } 12。发送 /orders 查看你的订单。
track-not-now = 订单 #{ $order } 当前状态为“{ $status }”，无法进行该操作。
track-cancel-confirm = 确定取消订单 #{ $order } 吗？{ $charged ->
    [all] 跑腿员已经出发，你支付的 { $fee } 元将全部作为跑腿补偿给跑腿员，不会退回钱包。
    [yes] 跑腿员已经出发，{ $fee } 元将作为跑腿补偿给跑腿员，{ $refund } 元退回你的钱包。
    [coupon] 跑腿员已经出发，将从你的优惠券 { $code } 中支付 { $coupon_fee } 元跑腿补偿给跑腿员；你没有支付任何费用，因此没有金额退回钱包。
    [coupon-back] 跑腿员已经出发，将从你的优惠券 { $code } 中支付 { $coupon_fee } 元跑腿补偿给跑腿员；你支付的 { $refund } 元退回你的钱包。
    [free] 这笔订单由优惠券全额抵扣，你没有支付任何费用，因此没有金额退回钱包。
   *[no] { $refund } 元将全额退回你的钱包。
  }{ track-cancel-coupon }
track-cancel-coupon = { $coupon ->
    [all] 该优惠券随后视为已使用。
    [part] 跑腿补偿其余的 { $coupon_fee } 元由你的优惠券 { $code } 支付，该优惠券随后视为已使用。
   *[none] {""}
  }
track-cancel-confirm-unpaid = 确定取消订单 #{ $order } 吗？该订单尚未支付，不会产生任何费用。
track-cancel-yes = 确定取消
track-cancel-no = 不取消
track-cancel-terms-changed = 取消条件已变化{ $why ->
    [grace] ：免费取消时间已过。
   *[other] 。
  }
track-cancel-after-pickup = 订单 #{ $order } 已取件，不能再取消。如有问题，请发送 /complain { $order } 并说明情况。
track-cancel-under-review = 订单 #{ $order } 已有人报告问题，正在由客服处理，因此无法取消。客服会决定如何处理（包括是否退款）并通知你。
track-already-confirmed = 你已确认过订单 #{ $order } 的收货，无需再操作。
track-rate-ask = 订单 #{ $order } 的跑腿员表现如何？请选择 1 到 5 星。
track-stars = { $stars }★
track-rate-tags-ask = { $stars }★。还想补充什么吗？点击选择，再点一次取消，最后点“完成”。
track-rate-tag = { $selected ->
    [yes] ✓{" "}
   *[no] {""}
  }{ $tag ->
    [on_time] 准时
    [polite] 礼貌
    [careful] 细心
    [late] 迟到
    [rude] 态度差
   *[damaged] 物品损坏
  }
track-rate-done = 完成
track-rate-chosen = 你对订单 #{ $order } 的评价：{ $stars }★{ $tagged ->
    [yes] {"，"}{ $tags }
   *[no] {""}
  }
track-rate-tag-sep = 、
track-rate-use-buttons = 请用按钮评分，或发送 /menu 退出。
track-rate-comment-ask = 想给跑腿员留句评语吗？直接输入，或点击跳过。
track-rate-skip = 跳过
track-rate-thanks = 谢谢！你给订单 #{ $order } 评了 { $stars }★。
track-already-rated = 订单 #{ $order } 已评价过，评价不能修改。
track-rated-runner = 下单同学给订单 #{ $order } 评了 { $stars }★{ $tagged ->
    [yes] （{ $tags }）
   *[no] {""}
  }。{ $credited ->
    [yes] 你的信用分变动 { $change }，现在为 { $credit }（{ runner-credit-standing }）。
   *[no] {""}
  }{ $commented ->
    [yes] 留言：“{ $comment }”
   *[no] {""}
  }
track-chat-enter = 现在你发送的所有消息都会通过机器人转给订单 #{ $order } 的{ $other ->
    [runner] 跑腿员
   *[customer] 下单同学
  }，双方手机号不会公开。发送 /menu 结束。
track-chat-still-open = 你仍在给订单 #{ $order } 的{ $other ->
    [runner] 跑腿员
   *[customer] 下单同学
  }留言：你发送的消息都会通过机器人转给对方。发送 /menu 结束。
track-chat-closed = 订单 #{ $order } 当前状态为“{ $status }”，已无法再留言。
track-chat-no-runner-yet = 订单 #{ $order } 还没有跑腿员接单；有人接单后就可以给跑腿员留言了。
track-chat-ended = 订单 #{ $order } 的留言已结束，消息不再转发。
track-chat-text-only = 只能转发文字和图片。发送 /menu 结束聊天。
track-relay = { $sender_role ->
    [runner] 你的跑腿员
   *[customer] 下单同学
  }（订单 #{ $order }）：{ $message }
track-relay-photo = { $sender_role ->
    [runner] 你的跑腿员
   *[customer] 下单同学
  }发来一张图片（订单 #{ $order }{ $shown ->
    [no] ；图片发自另一个应用，此处无法显示
   *[yes] {""}
  }）{ $captioned ->
    [yes] ：{ $message }
   *[no] 。
  }
track-relay-sent = 已转给{ $other ->
    [runner] 跑腿员
   *[customer] 下单同学
  }。
track-relay-too-fast = 你短时间内给{ $other ->
    [runner] 跑腿员
   *[customer] 下单同学
  }发送的消息太多，这条未转达。请稍等一分钟，或把内容合并成一条发送。
track-relay-unreachable = { $other ->
    [runner] 跑腿员
   *[customer] 下单同学
  }目前收不到机器人的消息（可能屏蔽了机器人），这条消息没有转出。客服可以帮忙：/complain { $order }
track-customer-unreachable = ⚠️ 订单 #{ $order }：下单同学已收不到机器人的消息（对方屏蔽或停用了机器人），你通过机器人发给对方的消息不会送达，对方也看不到订单进展。{ $told ->
    [yes] 已通知客服。
   *[no] {""}
  }{ $status ->
    [delivered] 订单已送达：对方不确认的话，会自动完成。
   *[other] 请按约定继续；如果无法交付，客服可以帮忙：/complain { $order }
  }
track-customer-reachable = 订单 #{ $order }：下单同学又能收到机器人的消息了，你通过机器人发给对方的消息会送达。
track-msg-usage = 请在订单号后写上消息，例如 /msg 12 我到楼下了。
track-complain-ask = 订单 #{ $order } 出了什么问题？请用一条消息说明，客服会查看。发送 /menu 退出。
track-complain-in-words = 图片无法转给客服：请用文字说明订单 #{ $order } 出了什么问题（也可以写在图片的说明里）。发送 /menu 退出。
track-complain-usage = 请说明出了什么问题。
track-complain-not-now = 订单 #{ $order } 当前状态为“{ $status }”，暂时无需投诉。
track-complain-never-taken = 订单 #{ $order } 在跑腿接单前就已取消，没有可投诉的跑腿。
track-complaint-exists = 你对订单 #{ $order } 已有一条待处理的投诉（#{ $complaint }），客服会尽快回复。
track-complaint-recorded = 你对订单 #{ $order } 的投诉 #{ $complaint } 已记录，客服会尽快处理。{ $reported ->
    [yes] 在此之前订单将暂停。
   *[no] {""}
  }{ $with_photo ->
    [yes] 客服会收到你随图片发送的文字，图片本身无法转给客服。
   *[no] {""}
  }
track-complaint-operators = 投诉 #{ $complaint }：订单 #{ $order }，来自{ $role ->
    [runner] 跑腿员
   *[customer] 下单同学
  }：{ $message }
