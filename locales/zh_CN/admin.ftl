## 运营。只有运营人员看到这些，标有“发给用户”的通知除外。

# Heads the answer of an operators' command for an operator several campus files name (in their private chat).
admin-campus-heading = 【{ $campus }】

admin-event-name = { $event ->
    [pay] { $covered ->
        [yes] 优惠券全额抵扣
       *[no] 已支付
    }
    [unpaid_timeout] 超时未支付
    [accept] 已接单
    [release] 跑腿员放弃
    [pickup_timeout] 超时未取件
    [pickup] 已取件
    [deliver] 已送达
    [confirm] 已确认
    [auto_confirm] 自动确认
    [expire] 已过期
    [cancel] 学生取消
    [operator_cancel] { $refunded ->
        [no] 取消订单
       *[yes] 取消并退款
    }
    [reassign] 改派
    [take_back] 收回至任务大厅
    [report] 已报告异常
    [goods_bought] 已买好商品
    [extra_asked] 请学生补商品差价
    [extra_paid] 学生已补商品差价
    [extra_refused] 学生拒绝补商品差价
    [resolve_complete] 处理：完成
    [resolve_reopen] 处理：退回任务大厅
    [resolve_refund] { $refunded ->
        [no] 处理：按有利于学生的方式结案（无需退款）
       *[yes] 处理：退款
    }
    [drop_coupon] 放弃优惠券，改按原价
   *[other] { $event }
  }
admin-status-name = { $status ->
    [pending] 待审核
    [approved] 已通过
    [rejected] 已拒绝
    [open] 待处理
    [upheld] 已成立
    [dismissed] 已驳回
   *[other] { $status }
  }

admin-help = 运营命令：
    /applications · /approve 用户 · /reject 用户 原因 — 跑腿员申请
    /find 单号 — 订单、历史和操作 · /find 用户（名字、@名字或 用户 #编号）— 某人的身份、信用、钱包和最近订单
    /reassign 单号 跑腿员 · /cancelorder 单号 [原因] · /resolve 单号 complete|refund|reopen [给学生的补偿，如 ¥5] [备注]
    /complaints · /uphold 投诉号 [给投诉人的补偿，如 ¥5] [备注] · /dismiss 投诉号 [备注]
    /suspend 用户 [原因] · /restore 用户 · /credit 跑腿员 [+N/-N 原因] — 查看或调整信用分
    /withdrawals · /payout 提现号 · /refusepayout 提现号 原因
    /topup 用户 金额
    /today — 今日数据 · /report [天数，最多 31] — 最近几天的逐日报表和图表
    /pause [18:00 | 30分钟 | 2小时] [原因] — 暂停接单到那时，或到 /resume 为止（已下的订单照常进行） · /resume · /hours
    /hours set [星期] 07:00-23:30 … — 修改服务时间（优先于校区文件），如 /hours set 周一至周五 07:00-23:30 周六,周日 08:00-24:00 · /hours reset
    /coupon create 代码 金额|折扣% [最高X元] [最低消费] [次数上限] [有效天数] · /coupon stop 代码 · /coupons
    /pricing 计价规则 · /pricing set 规则 金额 · /pricing reset 规则 — 修改新报价的价格（覆盖校园配置文件）
    用户可写 #编号、渠道:账号 或名字。补偿由平台支付：/resolve 的补偿付给订单的学生；/uphold 的补偿付给投诉人，学生或跑腿员（存入跑腿钱包），每个订单每人一次；已成立的投诉（如 /resolve 一并认定的跑腿员投诉）也可再用 /uphold 补付。补偿要写成金额，如 ¥5、¥ 5、RMB5、5元 或 5.50块；单独的数字会被拒绝，以免“40 分钟才到”被当成补偿 40 元；写成金额却不是有效金额的（¥-5、5,5元）也会被拒绝，不会当作备注。
    /resolve 会一并处理该订单未决的投诉；若有不同判断，请先用 /uphold 或 /dismiss 单独处理。

admin-bad-number = “{ $text }”不是数字，请写成 12 这样。
# $what：被拒的是命令中的哪个金额（优惠券的优惠、最低消费或最高减免），否则是唯一的金额。
admin-amount-invalid = { $what ->
    [discount] 优惠“{ $text }”不是金额：请写减多少元，例如 5 或 5.50，或写百分比，例如 20%。
    [min_spend] 最低消费“{ $text }”不是金额：请写元，例如 10 或 10.50，0 表示不设。
    [cap] 最高减免“{ $text }”不是金额：请写最多减多少元，例如 5 或 5.50。
   *[amount] “{ $text }”不是金额，请写元，例如 5 或 5.50。
  }
admin-amount-range = { $what ->
    [discount] 优惠金额须大于 0，最多 { $max } 元。
    [min_spend] 最低消费须在 0 到 { $max } 元之间（0 表示不设）。
    [cap] 最高减免须大于 0，最多 { $max } 元。
   *[amount] 金额须大于 0，最多 { $max } 元。
  }
admin-user-not-found = 本校没有用户“{ $text }”。
admin-user-ambiguous = “{ $text }”匹配到多个用户：{ $matches }。请使用 #编号。

## 跑腿员申请
admin-applications-none = 没有待审核的跑腿员申请。
admin-applications-title = 有 { $count } 份申请待审核{ $more ->
    [yes] （显示 { $shown } 份）
   *[no] {""}
  }：
admin-application = { $who } 的申请
    真实姓名：{ $name }
    学号：{ $student_no }
    性别：{ $gender ->
        [male] 男
        [female] 女
       *[other] { $gender }
    }
    学生证照片：{ $card_photo ->
        [attached] 见附图
        [elsewhere] 在其他渠道提交，此处无法显示
       *[none] —
    }
    申请时间：{ $applied }
admin-button-approve = 通过
admin-button-reject = 拒绝
admin-ask-reject-reason = 为什么拒绝 #{ $user } 的申请？请写明原因（在群里请回复本条消息），申请人会看到。
admin-application-not-found = 用户 #{ $user } 没有在本校申请成为跑腿员。
admin-application-decided = #{ $user } 的申请已处理过（{ admin-status-name }）。
admin-application-replaced = #{ $user } 的那份申请已处理过，其后又重新提交了申请，请用 /applications 查看。
admin-card-withdrawn = 你已不再是运营人员，这张卡片不再向你显示。
admin-application-approved = 已通过：{ $who } 现在是跑腿员了。{ $quiz ->
    [passed] 其已通过答题，可以立即接单。
   *[ahead] 已提醒其参加答题。
  }
admin-application-rejected = 已拒绝：{ $who }。已发送原因：{ $reason }
admin-usage-approve = 请写 /approve 和申请人（编号、#编号或名字），例如 /approve 12。
admin-usage-reject = 请写 /reject、申请人（编号、#编号或名字）和原因，例如 /reject 12 照片不清晰。
# 发给用户
admin-runner-approved = 你的跑腿员申请已通过！{ $quiz ->
    [passed] 你已通过答题，现在就可以接单：/nearby 查看附近的订单。
   *[ahead] 发送 /quiz 完成简短的服务规则答题后即可接单。
  }
admin-runner-rejected = 你的跑腿员申请未通过。原因：{ $reason }。可以发送 /apply 重新申请。

## 订单
admin-order-people = 学生：{ $customer } · 跑腿员：{ $runner } · 下单时间：{ $created }
admin-order-rating = 评价：{ $stars }★{ $tagged ->
    [yes] {"，"}{ $tags }
   *[no] {""}
  }{ $commented ->
    [yes] {" · "}“{ $comment }”
   *[no] {""}
  }
admin-history-title = 历史：
admin-history-none = （暂无记录）
admin-history-line = { $time } { admin-event-name }：{ $before } → { $after } · { $actor }
admin-history-to = { $line } · 改派给 { $runner }
admin-history-note = { $line } · “{ $note }”
admin-history-complaint = { $line } · 投诉 #{ $complaint }
admin-actor = { $role ->
    [customer] 学生 { $who }
    [runner] 跑腿员 { $who }
    [operator] 运营 { $who }
   *[system] 系统
  }
# 订单卡片上的操作按钮：运营要做的事，而不是历史记录里的事件名。
admin-button-event = { $event ->
    [operator_cancel] { $refunded ->
        [no] 取消订单
       *[yes] 取消并退款
    }
    [reassign] 改派
    [resolve_complete] 完成并付款给跑腿员
    [resolve_reopen] 退回任务大厅
    [resolve_refund] { $refunded ->
        [no] 按有利于学生的方式结案
       *[yes] 退款给学生
    }
   *[other] { admin-event-name }
  }
admin-usage-find = 请写 /find 和订单号，例如 /find 12；或写某人（名字、@名字，或“用户”加 #编号），例如 /find alice 或 /find 用户 #34。
admin-user = { $who } · { $role ->
    [operator] 运营
    [runner] 跑腿员
   *[student] 学生
  }{ $suspended ->
    [yes] {" "}· 账号已暂停（/restore 恢复）
   *[no] {""}
  }
    钱包：{ $wallet } 元
admin-user-runner = { $status ->
    [approved] 跑腿员：信用分 { $credit }（{ admin-credit-standing }）{ $suspended ->
        [yes] ，已暂停：不能接单
       *[no] {""}
    } · 进行中 { $active } 单 · 已完成 { $completed } 单 · { $rating ->
        [none] 暂无评分
       *[other] 评分 { $rating }★
    } · 跑腿钱包 { $balance } 元
    [pending] 跑腿员申请自 { $applied } 起等待审核：用 /approve 或 /reject 处理（/applications 可查看）。
    [rejected] 跑腿员申请已被拒绝（{ $applied }）。
   *[other] 跑腿员申请：{ $status }
  }
admin-user-orders = { $side ->
    [student] 下的订单
   *[runner] 作为跑腿员接的订单
  }：{ $count ->
    [0] 无
   *[other] 共 { $count } 单{ $hidden ->
        [0] {""}
       *[other] ，显示最近 { $shown } 单
    }，最新的在前：
  }
admin-user-order = { $line } · { $created }
admin-usage-reassign = 请写 /reassign、订单号和跑腿员（#编号或名字），例如 /reassign 12 #34。
admin-ask-runner = 订单 #{ $order } 改派给谁？请写跑腿员的 #编号或名字（在群里请回复本条消息）。
admin-ask-runner-list = { admin-ask-runner }
    { $runners }
admin-reassign-runners = { $hidden ->
    [0] 可以接这单的跑腿员：
   *[other] 可以接这单的跑腿员共 { $count } 位，最合适的 { $shown } 位（距离近、手头单少的在前）：
  }
    { $lines }
admin-reassign-runner = { $who } · { $active ->
    [0] 没有进行中的订单
   *[other] { $active } 单进行中
  }
admin-reassign-none = 现在没有跑腿员能接这单：没有已通过审核、未被暂停、符合本单要求且机器人能联系到的跑腿员。
admin-not-a-runner = { $who } 不是跑腿员。
admin-runner-ineligible = { $who } 不能接这个订单：{ $reason ->
    [not-eligible-other-campus] 其他校区的跑腿员
    [not-eligible-not-approved] 不是已通过审核的跑腿员
    [not-eligible-rejected] 其跑腿员申请未通过
    [not-eligible-suspended] 已被暂停
    [not-eligible-quiz] 尚未通过答题
    [not-eligible-own-order] 这是其本人的订单
    [not-eligible-credit] 信用分低于接单门槛
    [not-eligible-gender-preference] 学生要求其他性别的跑腿员
    [not-eligible-dorm-gender] 送达地点是其不能进入的宿舍
   *[other] { $reason }
  }。
admin-runner-unreachable = 不能把订单交给 { $who }：机器人无法给对方发消息（从未启动机器人，或已屏蔽），订单详情到不了对方。未做任何改动；请对方打开机器人并点击“开始”。
admin-reassigned = 订单 #{ $order } 已改派给 { $who }，已通知两位跑腿员和学生。
admin-runner-unreachable-order = ⚠️ 订单 #{ $order }：机器人已无法给其跑腿员 { $who } 发消息（对方已屏蔽机器人），订单的消息到不了对方，订单详情可能也没有送达。{ $status ->
    [accepted] 请用 /reassign { $order } 加跑腿员的 #编号或名字改派给其他跑腿员。
   *[picked_up] 对方已取件，无法改派：请用 /find { $order } 查看，并通过其他方式联系对方。
  }
admin-student-unreachable-order = ⚠️ 订单 #{ $order }：机器人已无法给下单同学 { $who } 发消息（对方已屏蔽机器人），订单的消息到不了对方。{ $status ->
    [open] 还没有跑腿员接单，接单后对方也收不到通知：请用 /find { $order } 查看。
    [delivered] 订单已送达，对方不确认的话会自动完成；已通知其跑腿员 { $runner }。
   *[other] 已通知其跑腿员 { $runner }，对方可能需要你通过其他方式联系下单同学：请用 /find { $order } 查看。
  }
admin-usage-cancelorder = 请写 /cancelorder、订单号和原因（会告知学生和跑腿员），例如 /cancelorder 12 店铺关门。“帮我买”订单已取件、跑腿员却还没说明商品花费时，先写上商品花费（写成金额）：/cancelorder 12 ¥32.5 店铺关门（什么都没买就写 ¥0）。
admin-cancel-under-review = 订单 #{ $order } 正在处理异常（投诉或报告），不能取消：请用 /resolve { $order } refund（退款给学生）或 /resolve { $order } complete（向跑腿员付款）结案，可再加给学生的补偿和备注，例如 /resolve { $order } refund ¥5 物品损坏。
admin-order-cancelled = 订单 #{ $order } 已取消{ $paid ->
    [unpaid] 。订单还没有支付，没有扣款，也无需退款。
    [no] 。学生的优惠券抵扣了全部费用，学生没有付钱，也无需退款。
    [goods] 。学生支付的金额全部用于跑腿员代买的商品，无需退款。
   *[yes] ，已退回学生钱包 { $refund } 元。
  }{ admin-goods-repaid }
# 订单结束时还给跑腿员的垫付商品费。
admin-goods-repaid = { $repaid ->
    [yes] 已还给跑腿员垫付的商品费 { $spent } 元。
   *[no] {""}
  }
# $refund：学生实际拿回的金额（与取消或退款本身的计算相同）；$spent：跑腿员代买商品花掉、将付还给跑腿员的金额（$repaid 为 yes 时有）。
admin-confirm-event = { $event ->
    [operator_cancel] { $refunded ->
        [no] 取消订单 #{ $order }（{ $total } 元）？
       *[yes] 取消订单 #{ $order }（{ $total } 元）并退款 { $refund } 元给学生？
    }{ admin-confirm-goods }
    [resolve_complete] 完成订单 #{ $order }（{ $total } 元）并付款给跑腿员？
    [resolve_reopen] 将订单 #{ $order }（{ $total } 元）退回任务大厅，交给其他跑腿员？
    [resolve_refund] { $refunded ->
        [no] 订单 #{ $order }（{ $total } 元）按有利于学生的方式结案（无需退款）？
       *[yes] 将订单 #{ $order }（{ $total } 元）中的 { $refund } 元退款给学生？
    }{ admin-confirm-goods }
   *[other] 订单 #{ $order }（{ $total } 元）：{ admin-event-name }？
  }此操作无法撤销。
admin-confirm-goods = { $repaid ->
    [yes] 其中 { $spent } 元已用于购买商品，将付还给跑腿员。
   *[no] {""}
  }
admin-confirm-changed = 订单 #{ $order } 在询问之后可能有了变化（商品花费、付款）：尚未执行任何操作，问题已按现在的情况更新。请核对后再次确认。
admin-button-confirm = 确定：{ admin-button-event }

## 异常与投诉
admin-usage-resolve = 请写 /resolve、订单号、complete、refund 或 reopen（尚未取件的订单退回任务大厅，由其他跑腿员接单；原跑腿员按放弃订单扣信用分），可再加给学生的补偿金额（写成 ¥5、5元 或 5块）和备注，例如 /resolve 12 refund ¥5 物品损坏。“帮我买”订单已取件、跑腿员却还没说明商品花费时，在 complete 或 refund 后紧接着写上商品花费：/resolve 12 refund 花了 ¥32.5 ¥5 物品损坏（什么都没买就写 花了 ¥0）。
admin-compensation-invalid = “{ $text }”不是有效金额，请把补偿写成以元为单位的金额，例如 ¥5 或 5.50元。未做任何处理。
admin-compensation-unmarked = “{ $text }”是补偿金额吗？请写成金额，如 ¥{ $text } 或 { $text }元。备注以数字开头时，请在数字前加字，如“等了 { $text } 分钟”。未做任何处理。
admin-cost-invalid = “{ $text }”不是有效的商品花费，请写成以元为单位的金额，例如 ¥32.5；什么都没买就写 ¥0。未做任何处理。
admin-order-goods-unsaid = ⚠️ 跑腿员已取货（已购买商品），但还没说商品花了多少（学生给了 { $goods } 元）：结束这笔订单时需写明花费（/cancelorder、/resolve … 花了 ¥X），或由跑腿员告知（/picked）。
admin-spent-unmarked = “{ $text }”是商品花费吗？“花了”后请写成金额，如 花了 ¥{ $text } 或 花了 { $text }元；备注写在花费和补偿之后。未做任何处理。
admin-cost-unmarked = “{ $text }”是商品花费吗？请写成金额，如 ¥{ $text } 或 { $text }元。原因以数字开头时，请在数字前加字，如“等了 { $text } 分钟”。未做任何处理。
admin-resolved = 订单 #{ $order } 已处理：{ $outcome ->
    [complete] 完成，已向跑腿员付款
    [reopen] 已退回任务大厅，等待其他跑腿员接单；原跑腿员按放弃订单扣信用分
    [expired] 预约时间已过，无法再由其他跑腿员接单，订单结束并已退款给学生；原跑腿员按放弃订单扣信用分
    [covered] 按有利于学生的方式结案；这笔订单由优惠券全额抵扣，无需退款
    [goods] 按有利于学生的方式结案；学生所付款项已全部用于跑腿员代购的商品，无款可退
   *[refund] 已退款给学生
  }。{ admin-goods-repaid }{ $compensated ->
    [no] 无补偿。
   *[yes] 已向学生 { $student } 支付补偿 { $compensation } 元。
  }投诉成立 { $upheld } 件，驳回 { $dismissed } 件。{ $penalised ->
    [none] {""}
   *[other] 已扣被投诉跑腿员 { $penalised } 的信用分。
  }{ $left ->
    [none] {""}
   *[other] 跑腿员的投诉 { $left } 不随本次处理决定，仍待处理：请用 /uphold { $first }（如需补偿跑腿员，可加金额，例如 ¥5）或 /dismiss { $first }。
  }
admin-already-compensated = 订单 #{ $order } 已经给过{ $to ->
    [runner] 这位跑腿员
   *[student] 学生
  }补偿，未做任何操作。
admin-complaints-none = 没有待处理的投诉。
admin-complaints-title = 有 { $count } 件待处理投诉{ $more ->
    [yes] （显示 { $shown } 件）
   *[no] {""}
  }：
admin-complaint-line = 投诉 #{ $complaint }，订单 #{ $order }，来自 { $who }{ $runner ->
    [none] {""}
   *[other] {""}，被投诉跑腿员 { $runner }
  }，{ $time }（{ admin-status-name }）：{ $text }
admin-button-uphold = 成立
admin-button-dismiss = 驳回
admin-button-order = 订单 #{ $order }
admin-complaint-not-found = 没有投诉 #{ $complaint }。
admin-complaint-decided = 投诉 #{ $complaint } 已处理过（{ admin-status-name }）。
# 订单的 /resolve 一并决定了投诉后，投诉卡片显示的结果。
admin-complaint-resolved = 投诉 #{ $complaint } 已随订单 #{ $order } 的处理一并决定：{ admin-status-name }。
admin-complaint-done = 投诉 #{ $complaint } { admin-status-name }。{ $compensated ->
    [no] 无补偿。
   *[yes] 已向{ $to ->
        [runner] 跑腿员
       *[student] 学生
    } { $student } 支付补偿 { $compensation } 元。
  }{ $penalised ->
    [none] {""}
   *[other] 已扣被投诉跑腿员 { $penalised } 的信用分。
  }
admin-complaint-compensated = 投诉 #{ $complaint } 此前已成立；现已向{ $to ->
    [runner] 跑腿员
   *[student] 学生
  } { $student } 支付补偿 { $compensation } 元。
admin-usage-uphold = 请写 /uphold、投诉号，可再加给投诉人（学生或跑腿员）的补偿金额（写成 ¥5、5元 或 5块）和备注，例如 /uphold 3 ¥5 迟到且态度差。
admin-usage-dismiss = 请写 /dismiss、投诉号和备注，例如 /dismiss 3 按时送达。
# 发给用户
admin-compensated = 订单 #{ $order } 给你补偿了 { $amount } 元{ $to ->
    [runner] （已存入跑腿钱包，见 /income）
   *[student] （已存入钱包，见 /wallet）
  }，给你添麻烦了。
admin-complaint-upheld = 你对订单 #{ $order } 的投诉已成立。{ $given ->
    [yes] 备注：{ $note }
   *[no] {""}
  }
admin-complaint-dismissed = 你对订单 #{ $order } 的投诉经核实已驳回。{ $given ->
    [yes] 备注：{ $note }
   *[no] {""}
  }
# 跑腿员的投诉：客服把处理中的订单完成时一并成立。
admin-complaint-upheld-completed = 你对订单 #{ $order } 的投诉已成立：客服已完成该订单，报酬已付给你。{ $given ->
    [yes] 客服对订单的备注：{ $note }
   *[no] {""}
  }

## 用户
admin-usage-suspend = 请写 /suspend、用户（#编号或名字）和原因，例如 /suspend #12 多次爽约。
admin-usage-restore = 请写 /restore 和用户，例如 /restore #12。
admin-cannot-suspend-operator = { $who } 是运营人员，不能暂停。
admin-already-suspended = { $who } 已经被暂停。
admin-not-suspended = { $who } 没有被暂停。
admin-suspended = 已暂停 { $who }。{ $busy ->
    [no] 其名下没有进行中的订单。
   *[yes] {""}
  }{ $returned ->
    [none] {""}
   *[other] 其未取件的订单已退回任务大厅：{ $returned }。
  }{ $ended ->
    [none] {""}
   *[other] 其未取件、预约时间已过的订单已结束并退款：{ $ended }。
  }{ $count ->
    [0] {""}
   *[other] 仍归其名下的订单（已取件、已送达或处理中）：{ $orders }。可用 /find 查看每单可做的操作。
  }{ $placed ->
    [none] {""}
   *[other] 其下单的、仍在进行的订单（可用 /find 查看、/cancelorder 取消）：{ $placed }。
  }
admin-restored = 已恢复 { $who }。
# 发给用户
admin-you-suspended = 你的账号已被客服暂停。{ $runner ->
    [yes] 已赚的钱仍归你所有：你仍可查看收入（/income）并提现（/withdraw），也可查看钱包（/wallet）。
   *[no] 钱包里的钱仍归你所有：你仍可查看钱包（/wallet），相关事宜请联系客服。
  }{ $carried ->
    [0] {""}
   *[other] 你已取件的订单 { $carrying } 仍由你送达：可照常完成送达（/delivered { $first }）、查看订单（/track { $first }）并给下单同学发消息（/msg { $first } …），报酬照常结算。
  }{ $given ->
    [yes] 原因：{ $reason }
   *[no] {""}
  }
admin-you-restored = 你的账号已恢复，欢迎回来！

## 提现
admin-withdrawals-none = 没有待处理的提现。
admin-withdrawals-title = 有 { $count } 笔提现待处理{ $more ->
    [yes] （显示 { $shown } 笔）
   *[no] {""}
  }：
admin-withdrawal = 提现 #{ $id }：{ $amount } 元给 { $who }，申请于 { $time }。提现后钱包余额：{ $balance } 元。
admin-button-pay = 已打款
admin-button-refuse = 拒绝
admin-withdrawal-not-found = 没有提现 #{ $id }。
admin-withdrawal-decided = 提现 #{ $id } 已处理过（{ $status ->
    [approved] 已打款
    [rejected] 已拒绝
   *[other] { admin-status-name }
  }）。
admin-ask-refuse-reason = 为什么拒绝提现 #{ $id }？请写明原因（在群里请回复本条消息），跑腿员会看到。
admin-withdrawal-approved-done = 提现 #{ $id }（{ $amount } 元，给 { $who }）已标记为已打款。
admin-withdrawal-rejected-done = 提现 #{ $id }（{ $amount } 元）已拒绝，钱已退回 { $who } 的钱包。
admin-usage-payout = 请写 /payout 和提现号，例如 /payout 3。
admin-usage-refusepayout = 请写 /refusepayout、提现号和原因，例如 /refusepayout 3 账户有误。
# 发给用户
admin-withdrawal-approved = 你的 { $amount } 元提现已打款。
admin-withdrawal-rejected = 你的 { $amount } 元提现被拒绝，钱已退回钱包。原因：{ $reason }

## 钱包
admin-usage-topup = 请写 /topup、用户和金额（元），例如 /topup #12 50。
admin-topped-up = 已为 { $who } 充值 { $amount } 元，当前余额 { $balance } 元。
# 发给用户
admin-wallet-topped-up = 客服已为你的钱包充值 { $amount } 元，余额 { $balance } 元。

## 今日
admin-today = 今日（{ $date }）：
    新订单：{ $created }
    完成：{ $completed } · 成交额 { $revenue } 元 · 佣金 { $commission } 元
    取消：{ $cancelled } · 未支付关闭：{ $closed } · 过期：{ $expired } · 退款：{ $refunded }
    补偿支出：{ $compensation } 元
    平台承担优惠券：{ $coupons } 元 · 付给跑腿员的取消费：{ $fees } 元 · 退给学生：{ $refunds } 元
    活跃跑腿员：{ $runners }
    当前等待：{ $open } 单待接 · { $exceptions } 单待处理

## 报表
admin-usage-report = 请写 /report，可加上到今天为止的天数（1–{ $max }，不写为 7），例如 /report 30。
admin-report-days-range = “{ $text }”天：报表可以看 1–{ $max } 天。
admin-report = { $days ->
    [1] 今天（{ $last }）：
   *[other] 最近 { $days } 天（{ $first } 至 { $last }）：
  }
    新订单：{ $created } · 完成：{ $completed } · 未完成：{ $not_completed }（取消、未支付关闭、过期或退款）
    成交额 { $revenue } 元 · 佣金 { $commission } 元 · 补偿支出 { $compensation } 元
    平台承担优惠券 { $coupons } 元 · 付给跑腿员的取消费 { $fees } 元 · 退给学生 { $refunds } 元
    逐日（新订单 · 完成 · 未完成 · 成交额 · 优惠券 · 取消费 · 退款，金额单位：元）：
    { $lines }
    图表上半：每天结束的订单，🟩 完成 🟥 未完成。下半：成交额（元），🟧 其中佣金，🟦 其余部分。
admin-report-line = { $date }：{ $created } · { $completed } · { $not_completed } · { $revenue } · { $coupons } · { $fees } · { $refunds }

## 优惠券
admin-usage-coupon = 请写 /coupon create 代码 优惠 [最低消费，0 为不设] [次数上限，0 为不限] [有效天数，0 为不过期]。优惠写减多少元，或写百分比，其后可加最高减免（最高5元，或 cap 5）。每位同学默认只能用一次；在优惠后写“每人3次”（或 each 3）即每人可用 3 次（每人0次：每人不限次数）。例如 /coupon create WELCOME 3 10 100 30、/coupon create HALF 50% 最高5元 或 /coupon create LUNCH 2 0 200 30 每人5次；或 /coupon stop 代码。
admin-coupon-code-invalid = “{ $text }”不能作为优惠码：请用 3–32 个字母、数字、- 或 _。
admin-coupon-code-reserved = { $code } 不能作为优惠码：同学在优惠券问题里输入它，会被当作“不用优惠券”或“上一步”。请换一个优惠码。
admin-coupon-percent-invalid = 优惠“{ $text }”须是大于 0、最多 100 的百分比，例如 20%。
admin-coupon-uses-invalid = 使用次数“{ $text }”须是 0 到 { $max } 之间的整数（0 表示不限）。
admin-coupon-each-invalid = 每人使用次数“{ $text }”须是 0 到 { $max } 之间的整数（0 表示每人不限次数），例如 每人3次。
admin-coupon-days-invalid = 有效天数“{ $text }”须是 0 到 { $max } 之间的整数（0 表示不过期）。
admin-coupon-cap-fixed = 只有折扣券才能设最高减免（例如 20% 最高5元）：减 { $amount } 元的券每单就减这么多。未创建优惠券。
admin-coupon-exists = 优惠券码 { $code } 已被占用（全平台各校区共用优惠券码），请换一个。
admin-coupon-not-found = 本校没有优惠券 { $code }。
admin-coupon-ended = 优惠券 { $code } 已经结束。
admin-coupon-percent = 减 { $percent }%{ $cap ->
    [none] {""}
   *[other] ，最高减 { $cap } 元
  }
admin-coupon-amount = 减 { $amount } 元
admin-coupon-line = { $code }：{ $value } · { $min_spend ->
    [none] 无最低消费
   *[other] 最低消费 { $min_spend } 元
  } · { $max_uses ->
    [none] 已用 { $used } 次，总次数不限
   *[other] 已用 { $used }/{ $max_uses }{ $used_up ->
        [yes] ，已用完：有订单退款退回次数前无法使用
       *[no] {""}
    }
  } · { $each ->
    [0] 每人不限次数
    [1] 每人限用 1 次
   *[other] 每人限用 { $each } 次
  } · { $until ->
    [none] 长期有效
   *[other] 截止 { $until }
  }
admin-coupon-created = 已创建优惠券：{ $line }
admin-coupon-stopped = 优惠券 { $code } 已结束，不能再使用。
admin-coupons-none = 没有有效的优惠券。
admin-coupons = 有效的优惠券：{ $count } 张{ $hidden ->
    [0] {""}
   *[other] ，显示最新的 { $shown } 张（另有 { $hidden } 张较早的未列出）
  }。
    { $lines }
admin-button-cancel-step = 取消
admin-step-cancelled = 好的，已取消。
admin-question-not-yours = 这个问题不在等你的回答：它是其他运营人员提出的，或已经结束。如需自己处理，请直接使用命令（见 /admin）。
admin-paused = { $ends ->
    [at] 已暂停接单至 { $until }
   *[resume] 已暂停接单，发送 /resume 恢复
  }。{ $has_reason ->
    [yes] 告知学生的原因：{ $reason }。
   *[no] {""}
  }之前的订单照常进行。
admin-not-paused = 当前没有暂停接单。
admin-resumed = 已恢复接单。{ $open ->
    [yes] {""}
   *[no] 现在不在服务时间（{ $hours }），学生可以预约稍后的跑腿。
  }
# 其他操作员在别处（私聊）暂停或恢复接单时，发到操作员群。
admin-paused-by = ⏸ { $who } 暂停了接单，{ $ends ->
    [at] 到 { $until } 为止
   *[resume] 直到有人发送 /resume
  }。{ $has_reason ->
    [yes] 告知学生的原因：{ $reason }。
   *[no] {""}
  }
admin-resumed-by = ▶️ { $who } 已恢复接单。
admin-pause-when-invalid = “{ $text }”不是时间或时长，没有暂停接单。请写恢复接单的时间，例如 /pause 18:00（或 /pause 到18:00）、/pause 30分钟、/pause 两小时 或 /pause 半小时，后面可以加原因；只发 /pause 则暂停到 /resume 为止。以时间或数字开头的原因请写在时长之后，或加引号：/pause 2小时 只剩5个跑腿员，/pause “5个跑腿员请假”。
admin-pause-too-long = 暂停最长 { $days } 天；更长的停业请修改服务时间：/hours set。

## 计价规则（/pricing）
pricing-usage = 发送 /pricing 查看计价规则；/pricing set 规则 金额 修改一项（例如 /pricing set base.buy 5 或 /pricing set commission 12%）；/pricing reset 规则 恢复为校园配置文件中的金额。
pricing-title = { $campus }的计价规则：
pricing-line = { $rule }：{ $amount }{ $unit ->
    [percent] %
   *[yuan] {" "}元
  } — { $kind ->
    [base] { $which ->
        [parcel] 代取快递
        [buy] 帮我买
        [deliver] 帮我送
        [queue] 帮我排队
       *[custom] 自定义任务
    }起步价
    [distance] 超出包含距离后每一段距离
    [weight] 超出包含重量后每一公斤（不足一公斤按一公斤）
    [size] { $which ->
        [medium] 中件
        [large] 大件
       *[small] 小件
    }加价
    [stairs] 无电梯楼超出免费楼层后每爬一层
    [night] 夜间加价，{ $window }
    [peak] 高峰加价，{ $window }
    [urgent] 加急费
    [queue] 排队超过半小时后每半小时（不足半小时按半小时）
    [floor] 每单最低价
    [max_tip] 小费上限
    [max_goods] 商品费上限（帮我买）
   *[commission] 平台对服务费的抽成
  }{ $changed ->
    [yes] {" "}· 已在聊天中修改，配置文件为 { $file }{ $unit ->
    [percent] %
   *[yuan] {" "}元
  }
   *[no] {""}
  }
pricing-how = 修改后所有新报价立即生效；已下的订单保持原价。/pricing set 规则 金额 · /pricing reset 规则
pricing-set = { $rule } 已改为 { $amount }{ $unit ->
    [percent] %
   *[yuan] {" "}元
  }（配置文件为 { $file }{ $unit ->
    [percent] %
   *[yuan] {" "}元
  }）。此后的报价都按新金额；已下的订单保持原价。
pricing-set-by = { $who } 将计价规则 { $rule } 改为 { $amount }{ $unit ->
    [percent] %
   *[yuan] {" "}元
  }（配置文件为 { $file }{ $unit ->
    [percent] %
   *[yuan] {" "}元
  }）。
pricing-reset = { $rule } 已恢复为配置文件中的 { $file }{ $unit ->
    [percent] %
   *[yuan] {" "}元
  }。
pricing-reset-by = { $who } 将计价规则 { $rule } 恢复为配置文件中的 { $file }{ $unit ->
    [percent] %
   *[yuan] {" "}元
  }。
pricing-not-changed = { $rule } 没有修改过，已经是配置文件中的金额。
pricing-unknown-rule = 没有“{ $rule }”这项计价规则。可用规则：{ $rules }。
pricing-amount-invalid = “{ $text }”不是{ $percent ->
    [yes] 百分比，请写成 12 或 12.5% 这样。
   *[no] 金额，请写元数，例如 5 或 0.50。
  }
pricing-amount-range = 计价规则的金额须在 0 到 { $max } 元之间。
pricing-percent-range = 抽成须在 0% 到 100% 之间。
pricing-not-zero = { $rule } 不能为 0：{ $rule ->
    [floor] 每单都应有价格。
   *[other] “帮我买”订单需要能带商品费。
  }

## 信用分（/credit）
admin-usage-credit = 查看跑腿员的信用分：写 /credit 和跑腿员，例如 /credit #12；要修改，再写带正负号的分数和原因，例如 /credit #12 +10 超时是商家的原因。
admin-credit-not-runner = { $who } 不是跑腿员：只有跑腿员有信用分。
admin-credit-change-invalid = “{ $text }”不是分数变化：请带上正负号，例如 +10 或 -5。
admin-credit-change-range = 一次最多加减 { $max } 分。
admin-credit-at-bound = { $who } 的信用分为 { $credit }，已到这个方向的极限：没有改变。
admin-credit-reason = 请写上原因，跑腿员会看到。例如 /credit #12 +10 超时是商家的原因。
admin-credit-standing = { $standing ->
    [priority] 优先
    [normal] 良好
    [warning] 警告
    [restricted] 受限
    [below_floor] 低于接单门槛 { $floor } 分，不能接单
   *[suspended] 暂停
  }
admin-credit = { $who }：信用分 { $credit }（{ admin-credit-standing }）。{ $suspended ->
    [yes] 账号已暂停：在 /restore 恢复之前不能接单。
   *[no] {""}
  }
    最近变化：
    { $history }
admin-credit-no-history = （暂无）
admin-credit-event = { $event ->
    [completed] 完成订单
    [on_time] 准时送达
    [five_star] 五星好评
    [low_rating] 差评
    [released] 放弃订单
    [pickup_timeout] 超时未取件
    [late_delivery] 送达超时
    [complaint_upheld] 投诉成立
    [operator_adjustment] 运营调整
   *[other] { $event }
  }
admin-credit-line = { $time } { $change } { admin-credit-event } → { $score }{ $order ->
    [none] {""}
   *[other] {" "}· 订单 #{ $order }
  }{ $by ->
    [none] {""}
   *[other] {" "}· 由 { $by } 操作：“{ $reason }”
  }
admin-credit-adjusted = { $who }：信用分 { $before } → { $credit }（{ admin-credit-standing }）。{ $clamped ->
    [yes] （信用分已到最低或最高。）
   *[no] {""}
  }已通知对方并附上你的原因。
