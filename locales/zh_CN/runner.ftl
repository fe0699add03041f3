runner-not-a-runner = 你还不是跑腿员。发送 /apply 申请成为跑腿员。
runner-start-bot-first = 请先私聊机器人（发送 /start），然后再试。
runner-apply-hint = 发送 /apply 申请成为跑腿员。
runner-quiz-hint = 发送 /quiz 参加答题，很快就好。
runner-apply-status = { $status ->
    [pending] 你已经提交过申请，客服正在审核。
    [approved] 你已是认证跑腿员。{ $quiz ->
        [yes] {""}
       *[no] 接第一单前请先通过服务规则答题：/quiz
    }
   *[rejected] 你的跑腿员申请未通过，可以发送 /apply 重新申请。
  }
runner-apply-already = 你的申请刚刚已有结果，发送 /apply 查看状态。
runner-apply-intro = 申请成为跑腿员：需要你的真实姓名、学号、性别和学生证照片。这些信息加密保存，只有客服审核时可见。
runner-apply-name = 你的真实姓名是？
runner-apply-name-invalid = 请输入真实姓名（最多 32 个字）。
runner-apply-number = 你的学号是？
runner-apply-number-invalid = “{ $text }”不是学号：请输入 5 到 20 位数字。
runner-apply-gender = 你的性别？（宿舍规定：跑腿员只能进入同性别宿舍楼。）
runner-gender = { $gender ->
    [male] 男
   *[female] 女
  }
runner-apply-photo = 最后一步：请发送学生证照片。
runner-apply-photo-needed = 请发送学生证照片（图片，不是文字）。
runner-apply-done = 谢谢！申请已提交，客服审核后会通知你。等待期间可以先参加规则答题：/quiz
runner-application-operators = 新的跑腿员申请：{ $name }（#{ $user }，{ $gender ->
    [male] 男
   *[female] 女
  }）。用 /applications 审核。
runner-quiz-intro = 服务规则答题：共 { $total } 题，答对 { $mark } 题即通过。
runner-quiz-q1 = 第 { $n }/{ $total } 题：同学的电话或房间号可以告诉谁？
runner-quiz-q1-a1 = 其他跑腿员
runner-quiz-q1-a2 = 谁都不行，只用于本次配送
runner-quiz-q1-a3 = 谁问都可以
runner-quiz-q2 = 第 { $n }/{ $total } 题：抢到订单后去不了，怎么办？
runner-quiz-q2-a1 = 不管它，等它超时
runner-quiz-q2-a2 = 私下让朋友去
runner-quiz-q2-a3 = 立即用 /release 放弃订单
runner-quiz-q3 = 第 { $n }/{ $total } 题：送往你不能进入的宿舍楼，在哪里交接？
runner-quiz-q3-a1 = 在该楼的交接点
runner-quiz-q3-a2 = 照样进去
runner-quiz-q3-a3 = 放在路边
runner-quiz-q4 = 第 { $n }/{ $total } 题：什么时候标记“已送达”？
runner-quiz-q4-a1 = 一取到就标记
runner-quiz-q4-a2 = 同学拿到东西后
runner-quiz-q4-a3 = 随时都行
runner-quiz-already = 你已经通过答题了。
runner-quiz-failed = 答对 { $score }/{ $total } 题，需要 { $mark } 题。再看看题目，发送 /quiz 重试。
runner-quiz-passed = 答对 { $score }/{ $total } 题，通过！{ $approved ->
    [yes] 现在可以接单了：/nearby
   *[no] 申请通过后即可接单。
  }
runner-btn-picked = 已取件
runner-btn-delivered = 已送达
runner-btn-release = 放弃订单
runner-btn-chat = 联系下单同学
runner-order-needed = 哪个订单？请写订单号，例如 /{ $command } 12。
runner-picked-up = 订单 #{ $order } 已取件，已通知下单同学。你可以现在发送一张物品照片（可选）。
runner-picked-up-chatting = 订单 #{ $order } 已取件，已通知下单同学。聊天仍在继续：你发送的消息（包括物品照片）仍会转给对方。发送 /menu 结束。
runner-picked-up-unreachable = 订单 #{ $order } 已取件。下单同学目前收不到机器人的消息（可能屏蔽了机器人），因此没有通知到对方，物品照片也无法转给对方。送达后请点击“已送达”。
runner-chat-left = 你已退出订单 #{ $order } 的聊天：之后发送的消息不再转发。如需继续留言，请发送 /msg { $order } 加上你的消息。
runner-photo-skip = 不拍照
runner-photo-ask = 请发送订单 #{ $order } 的物品照片，或点击“不拍照”。
runner-photo-skipped = 好的，订单 #{ $order } 不发照片。送达后请点击“已送达”。
runner-photo-sent = 照片已发给订单 #{ $order } 的下单同学。
runner-ask-spent = 订单 #{ $order } 的商品花了多少钱？请写元数，例如 32.50；下单同学给的商品费是 { $goods } 元。订单完成时报销你的花费。
runner-ask-spent-extra = 订单 #{ $order } 的下单同学还没有补 { $extra } 元商品差价：补了之后会通知你，然后就可以送达。也可以重新说明花费：{ $goods } 元以内就不用补差价（只交付商品费够买的部分）。
runner-extra-asked = 订单 #{ $order } 的商品花了 { $spent } 元，比给的 { $goods } 元多 { $extra } 元。已请下单同学补 { $extra } 元差价；对方答复后会通知你，补了之后再送达。金额有误：/picked { $order } 加金额。
runner-extra-unanswerable = 订单 #{ $order } 的下单同学现在无法答复补差价请求（收不到机器人的消息，或账号已被暂停）。请交付给的 { $goods } 元够买的部分并说明实际花费，或在订单卡片上报告问题。
runner-extra-too-many = 已经请订单 #{ $order } 的下单同学补差价 { $most } 次了。请在聊天中和对方商量：说明 { $goods } 元以内的花费，或在订单卡片上报告问题。
runner-extra-over-max = 订单 #{ $order } 的商品总共最多 { $max } 元。请通过聊天问下单同学要买什么，再说明实际花费。
runner-spent-all = 全部 { $amount } 元
runner-spent-within = 不要差价：只花了 { $amount } 元
runner-spent-cancel = 稍后再说
runner-spent-cancelled = 请在送达订单 #{ $order } 前说明商品花了多少钱：点“已送达”时会再问，或发送 /picked { $order } 32.50。
runner-spent-format = “{ $text }”不是商品花费。请写元数，例如 32.50，或 0。
runner-spent-settled = 订单 #{ $order } 的商品花费已按 { $spent } 元结清（学生已补差价），无需再填写。送达后请点“已送达”。
runner-spent-too-late = 订单 #{ $order } 已不在你的配送中，没有记录。
runner-trip-over = 订单 #{ $order } 已不在你的配送中（已结束或等待客服处理），现在无需拍照或送达。
runner-photo-unreachable = 订单 #{ $order } 的下单同学目前收不到机器人的消息（可能屏蔽了机器人），照片没有转出。送达后请点击“已送达”。
runner-pickup-photo-notice = 跑腿员已取到订单 #{ $order }{ $shown ->
    [yes] {""}，这是物品照片。
   *[no] {""}，并拍了物品照片。
  }{ $captioned ->
    [yes] 附言：{ $message }
   *[no] {""}
  }
runner-delivered = 订单 #{ $order } 已标记送达。等待同学确认收货；确认后（或稍后自动确认）你将收到报酬。
runner-release-too-late = 订单 #{ $order } 已取件，不能放弃。如有问题，请报告异常。
runner-release-confirm = 确定放弃订单 #{ $order }？{ $window_over ->
    [yes] 预约时间已过，订单将结束并退款给下单同学，
   *[other] 订单将回到任务大厅，
  }{ $penalty ->
    [0] 你的信用分已是最低（{ $credit }），不会再扣。
   *[other] 你的信用分将扣 { $penalty } 分（当前 { $credit }）。
  }
runner-release-yes = 确定放弃
runner-release-no = 不放弃
runner-released = 你已放弃订单 #{ $order }。{ $penalty ->
    [0] 信用分已是最低，仍为 { $credit }。
   *[other] 信用分 −{ $penalty }，现在为 { $credit }。
  }
runner-release-kept = 订单 #{ $order } 仍由你配送。
runner-release-not-yours = { $how ->
    [released] 你已放弃订单 #{ $order }，它已不再由你配送。
   *[taken] 订单 #{ $order } 已不再由你配送：它已被收回（客服改派给了其他跑腿员，或超时未取件）。
  }
runner-no-rating = 暂无评分
# 跑腿员消息里的信用状态（core.credit.told_standing）
runner-credit-standing = { $standing ->
    [priority] 优先
    [normal] 良好
    [warning] 警告
    [restricted] 受限
    [below_floor] 低于接单门槛 { $floor } 分，回到 { $floor } 分之前不能接单
   *[suspended] 暂停
  }
runner-income = 我的收入
    钱包：{ $balance } 元（提现冻结中：{ $held } 元）
    今日收入：{ $today } 元 · 本周：{ $week } 元
    已完成订单：{ $completed }
    信用分：{ $credit }（{ runner-credit-standing }）
    评分：{ $rating }{ $ratings ->
        [0] {""}
       *[other] （{ $ratings } 条评价）
    }
runner-withdraw-ask = 你的钱包有 { $balance } 元。要提现多少？请写金额（元），例如 20，或全部提现。
runner-withdraw-all = 全部提现 { $amount } 元
runner-withdraw-cancel = 取消
runner-withdraw-cancelled = 没有提现。
runner-withdraw-nothing = 你的钱包有 { $balance } 元，暂时没有可提现的钱。完成跑腿订单的收入会进入钱包。
runner-withdraw-amount = “{ $text }”不是可提现的金额。请写大于 0 的元数，例如 20。
runner-withdraw-pending = 你的提现申请 #{ $withdrawal }（{ $amount } 元）仍在等待客服处理，请在其打款或被拒后再申请下一笔。
runner-withdraw-too-much = 无法提现 { $amount } 元：你的钱包只有 { $balance } 元。
runner-withdraw-requested = 已申请提现 #{ $withdrawal }，金额 { $amount } 元，客服将为你打款。钱包余额：{ $balance } 元。
runner-withdrawal-operators = 提现 #{ $withdrawal }：{ $name }（#{ $user }）申请 { $amount } 元。{ $suspended ->
    [yes] 此人已被暂停，但已赚的钱仍归其所有。
   *[no] {""}
  }见 /withdrawals。
# 发给用户：运营的 /credit
runner-credit-adjusted = 客服调整了你的信用分 { $change }，现在为 { $credit }（{ runner-credit-standing }）。原因：{ $reason }
runner-credit-complaint = 关于订单 #{ $order } 的投诉经核实成立：你的信用分变动 { $change }，现在为 { $credit }（{ runner-credit-standing }）。
