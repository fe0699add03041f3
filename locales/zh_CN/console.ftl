# 本地控制台渠道（bot/console/）：在终端里同时扮演多个人。
console-welcome = paotui 控制台 · 校园 { $campus } · 时间 { $time }
    扮演任何人："@alice /start" 以 alice 的身份发送；单独输入 "@alice" 切换为 alice，之后直接输入即可。
    按钮："#2" 按下 alice 的第 2 个按钮，"[English]" 按标签按下；"hall#1" 按下任务大厅最新一条消息的第 1 个按钮。
    "@loc 30.2621,120.1215" 发送位置，"@photo card.jpg" 发送照片，"@clock +31m" 让时间前进并运行定时任务，"/quit" 退出。
console-prompt-none = （未选择）
console-to = [发给 @{ $persona }]
console-to-edited = [发给 @{ $persona } · 已修改]
console-hall = [大厅 #{ $number }]
console-hall-edited = [大厅 · 已修改 #{ $number }]
console-edited = [已修改]
console-photo = [照片 { $photo }]
console-chart = [图表：{ $path }]
console-ask-location = （发送位置：@loc 纬度,经度）
console-clock = 时间 { $time } · 定时任务：{ $report }
console-error = ！{ $message }
console-error-syntax = 应为 "@角色 输入"、"@clock +31m" 或以 # 开头的注释，而不是：{ $text }
console-error-persona = "{ $name }" 不能作为角色名：请使用字母、数字和 _（最多 32 个），且不能是 clock、sweep、loc、photo、contact 或 hall。
console-error-choose-persona = 请先选择你的身份：输入 @alice（或任意名字）。
console-error-empty-input = 没有要以 @{ $persona } 身份发送的内容。
console-error-no-buttons = @{ $persona } 没有可以按的按钮。
console-error-no-button = @{ $persona } 没有按钮 { $which }。可用按钮：{ $buttons }
console-error-no-hall = 任务大厅还没有消息。
console-error-no-hall-message = 大厅没有第 #{ $number } 条消息。
console-error-hall-no-buttons = 大厅消息 #{ $number } 没有按钮。
console-error-hall-no-button = 大厅消息 #{ $number } 没有按钮 { $which }。可用按钮：{ $buttons }
console-error-location = "{ $text }" 不是位置：请写成 @loc 30.2621,120.1215
console-error-photo = @photo 需要一个文件名，例如 @photo card.jpg
console-error-contact = @contact 需要一个电话号码，例如 @contact +8613800000000
console-error-clock = "{ $text }" 不是时间步长：请写成 +31m、+2h、+1d、+90s 或 2026-11-23T10:00+08:00 这样的时间
console-error-clock-too-far = "{ $text }" 把时间拨得太远了：一次最多 +3650d（十年），且不能超过 9999 年
console-error-start = --start "{ $text }" 不是时间：请写成 2026-11-23T10:00+08:00 这样的时间（不带时区时按校园时间）
console-error-line = 第 { $line } 行：{ $message }
console-crash = 第 { $line } 行运行出错，已停止。
console-bad-file = 无法运行脚本 { $path }：{ $reason }
console-bad-lines = 脚本中有 { $count } 行无效，未运行任何内容。
console-summary-title = == 最终状态 ==
console-summary-order = 订单 #{ $order } { $task }：{ $status } · 下单 @{ $customer } · 跑腿员 { $runner } · 合计 { $total } · 跑腿员所得 { $share } · 平台佣金 { $commission }
console-summary-no-orders = 没有订单
console-summary-nobody = —
console-summary-balance = { $kind ->
    [runner] @{ $who } 跑腿收入余额 { $amount }
   *[customer] @{ $who } 钱包 { $amount }
  }
console-summary-account = { $account } { $amount }
console-summary-ledger = 账本合计 { $amount }（每笔资金往来都平衡）
console-summary-done = { $errors ->
    [0] 脚本运行完毕：共 { $lines } 行，没有错误
   *[other] 脚本运行完毕：共 { $lines } 行，其中 { $errors } 行无法执行
  }
console-bye = 再见。
