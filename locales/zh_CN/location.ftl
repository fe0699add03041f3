live-kept = 谢谢！在你配送订单 { $orders } 期间，下单同学可以看到你的位置。随时可以停止共享。
live-not-kept = 你目前没有进行中的订单，学生看不到你的位置。共享期间，{ $offers ->
    [yes] 你可能会收到附近订单的派单，/nearby 也会把离你最近的订单排在前面。
   *[no] /nearby 会把离你最近的订单排在前面。
  }一旦你开始配送订单，位置就会被保存，下单同学可以看到你在哪里。
location-not-asked = 现在没有需要位置的地方，所以你的位置没有被保存{ $live ->
    [yes] ，你可以停止共享
   *[no] {""}
  }。下单时，表单询问地点时可以用共享的位置作答（发送 /order 下单）；跑腿员配送订单时，会使用其实时位置，让下单同学看到他在哪里。
where-usage = 请发送 /where 加单号，例如 /where 12。
where-not-on-the-way = 订单 #{ $order } 目前没有跑腿员在路上，暂无位置可看。
where-scheduled = 订单 #{ $order } 预约在 { $window }：到那时才显示跑腿员的位置。
where-unknown = 订单 #{ $order } 的跑腿员还没有共享位置。请稍后再试，或用 /msg { $order } 给 TA 发消息。
where-near = 订单 #{ $order }：跑腿员最后出现于 { $time }（{ $minutes } 分钟前），在{ $place }附近。
where-away = 订单 #{ $order }：跑腿员最后出现于 { $time }（{ $minutes } 分钟前），距{ $place }约 { $distance } 米。
