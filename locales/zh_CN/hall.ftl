hall-grab-button = 抢单
hall-grab-usage = 哪个订单？请写订单号，例如 /grab 12，或点击订单下方的“抢单”。
hall-won-details-private = 订单 #{ $order } 的完整信息如下。
hall-taken = #{ $order } { $route }：已被抢。
hall-gone = #{ $order } { $route }：已失效。
hall-handover = 你不能进入该宿舍楼：请在{ $place }交接。
hall-student-unreachable = ⚠️ 下单同学目前收不到机器人的消息（对方屏蔽或停用了机器人）：你通过机器人发给对方的消息不会送达。如上方留有电话，请直接打电话联系；否则可向客服求助：/complain { $order }
hall-offer = 订单 #{ $order } 优先派给你，{ $time } 前有效。接单吗？
hall-offer-accept = 接单
hall-offer-decline = 不接
hall-offer-customer = 你的订单 #{ $order } 已优先派给你指定的跑腿员；若 { $time } 前未接单，将发布到任务大厅。
hall-favourite-passed-over = 你指定的跑腿员暂时无法接订单 #{ $order }，{ $to ->
    [runner] 已改为优先派给其他跑腿员。
   *[hall] 已发布到任务大厅，所有跑腿员都可接单。
  }
hall-offer-ended = 订单 #{ $order } 的优先派单已结束。
hall-offer-over = 订单 #{ $order } 的优先派单已结束。
hall-offer-declined = 你已拒绝订单 #{ $order }，它将发布到任务大厅。
hall-offer-taken = 你已接下订单 #{ $order }，详情见下方。
hall-nearby-none = 现在没有待接订单。
hall-nearby-title = 共 { $count } 个待接订单{ $place ->
    [none] {""}
   *[other] ，离{ $place }最近的在前
  }{ $more ->
    [yes] （显示 { $shown } 个）
   *[no] {""}
  }：
hall-nearby-you = 你
hall-nearby-share-hint = 分享你的位置，即可看到离你最近的订单；或写楼名：/nearby 图书馆
hall-nearby-off-campus = 这个位置不在{ $campus }校园内，附近没有订单。请在校园内分享位置，或写楼名：/nearby 图书馆
hall-distance = 距取件点 { $metres } 米
grab-offered = 该订单正优先派给另一位跑腿员，请在 { $time } 后再试。
grab-already-yours = 这个订单已经是你的了。
grab-delivered-by-you = 这个订单你已经送达，不再开放抢单。
