start-welcome = 你好 { $name }！欢迎使用{ $campus }跑腿：同学帮同学，校园跑腿。请选择语言。
start-pick-language = 请选择语言。
start-language-set = 已切换为中文。
language-name = { $lang ->
    [zh_CN] 中文
   *[en] English
  }
menu-title = 你想做什么？
menu-order = 发布跑腿
menu-my-orders = 我的订单
menu-wallet = 钱包
menu-help = 帮助
menu-nearby = 可接订单
menu-income = 我的收入
idle-hint = 没看懂，请从菜单中选择，或发送 /help。
idle-unreadable = 我只能读文字、按钮、图片和位置，读不了贴纸、语音或文件。请从菜单中选择，或发送 /help。
-student-commands = /order 发布跑腿 · /orders 我的订单 · /track 单号 详情与进度 · /where 单号 跑腿员位置 · /msg 单号 内容 联系跑腿员 · /cancel 单号 取消订单（只发 /cancel 退出下单表单） · /confirm 单号 · /rate 单号 · /complain 单号 内容 · /wallet 钱包 · /hours 服务时间 · /language 语言 · /menu 菜单
help-student = { -student-commands }
    想做跑腿员赚钱？发送 /apply
help-student-applied = { -student-commands }
    { $status ->
        [rejected] 你的跑腿员申请未通过，可以发送 /apply 重新申请。
       *[other] 你的跑腿员申请正在等待客服审核，发送 /apply 可查看进度。
    }
help-student-runner = { -student-commands }
help-runner = 跑腿员：/quiz 服务规则测验 · /nearby [楼名] 附近订单（或分享位置） · /grab 单号 · /picked 单号 [代买花费] · /delivered 单号 · /release 单号 · /msg 单号 内容 · /income 收入 · /withdraw 金额 提现
help-operator = 运营：/admin 查看全部运营命令（审核、订单、投诉、提现、充值、优惠券、/today 今日数据、/report 报表、/pause 暂停接单）
error-unknown-command = 没有 /{ $command } 这个命令，发送 /help 查看命令列表。
error-operators-only = 只有客服可以这样做。
error-private-only = 请在与机器人的私聊中使用。
error-group-relay = { $command ->
        [complain] 投诉没有提交
       *[other] 消息没有转达
    }：群里的每个人都能看到你在群里发的内容。请在与机器人的私聊中重新发送 /{ $command }。
error-suspended = 你的账号已被暂停。你仍可使用 /wallet；跑腿员仍可使用 /income 和 /withdraw（已赚的钱仍归你所有）。其他事项请联系客服。
error-stale-choice = 这个按钮来自之前的消息，已经失效。
error-decided-already = 已经处理过了，卡片已更新为处理结果。
error-text-too-long = 内容太长（{ $length } 字），最多 { $limit } 字。
start-campus-kept = 你已登记在{ $campus }，仍留在该校区；如需换到其他校区，请联系该校区的客服。
