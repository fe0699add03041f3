live-kept = Thanks! While you carry order { $orders }, the student can see where you are. Stop sharing any time.
live-not-kept = You have no order on its way, so no student sees your location. While you share it, { $offers ->
    [yes] you may be offered orders near you, and /nearby lists the orders nearest to you first.
   *[no] /nearby lists the orders nearest to you first.
  } Once you carry an order, it is kept and the student can see where you are.
location-not-asked = Nothing here is asking for a location right now, so yours was not kept{ $live ->
    [yes] ; you can stop sharing it
   *[no] {""}
  }. A location you share is used when the order form asks for a place (send /order to order an errand), and a runner's live location while they carry an order, so that the student can see where it is.
where-usage = Send /where and the order number, like /where 12.
where-not-on-the-way = Order #{ $order } has no runner on the way, so there is no position to show.
where-scheduled = Order #{ $order } is for { $window }: its runner's position is shown once that time begins.
where-unknown = The runner of order #{ $order } has not shared a position yet. Try again later, or send them a message with /msg { $order }.
where-near = Order #{ $order }: your runner was last seen at { $time } ({ $minutes } min ago) near { $place }.
where-away = Order #{ $order }: your runner was last seen at { $time } ({ $minutes } min ago), about { $distance } m from { $place }.
