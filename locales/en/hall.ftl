hall-grab-button = Grab
hall-grab-usage = Which order? Write its number, like /grab 12, or press Grab under an order.
hall-won-details-private = The full details of order #{ $order } follow.
hall-taken = #{ $order } { $route }: taken.
hall-gone = #{ $order } { $route }: no longer available.
hall-handover = You may not enter this dorm: hand over at { $place }.
hall-student-unreachable = ⚠️ The student cannot get messages from the bot right now (they blocked or stopped it): what you send them through the bot will not reach them. Call them if they left a phone number above; otherwise the operators can help: /complain { $order }
hall-offer = Order #{ $order } is offered to you first, until { $time }. Take it?
hall-offer-accept = Accept
hall-offer-decline = Decline
hall-offer-customer = Your order #{ $order } is offered to the runner you chose first; if they don't take it by { $time }, it goes to the task hall.
hall-favourite-passed-over = The runner you chose can't take order #{ $order } right now, { $to ->
    [runner] so it is offered to another runner first.
   *[hall] so it is in the task hall for every runner.
  }
hall-offer-ended = The offer of order #{ $order } has ended.
hall-offer-over = The offer of order #{ $order } is no longer open.
hall-offer-declined = You declined order #{ $order }; it goes to the task hall.
hall-offer-taken = You took order #{ $order }: its details are below.
hall-nearby-none = There are no open orders right now.
hall-nearby-title = { $count } open { $count ->
    [one] order
   *[other] orders
  }{ $place ->
    [none] {""}
   *[other] {""}, nearest to { $place } first
  }{ $more ->
    [yes] {""} (showing { $shown })
   *[no] {""}
  }:
hall-nearby-you = you
hall-nearby-share-hint = Share your location to see the orders nearest to you first, or name a building: /nearby Library
hall-nearby-off-campus = That location is outside { $campus }, so there are no orders near it. Share your location on campus, or name a building: /nearby Library
hall-distance = { $metres } m to the pickup
grab-offered = This order is offered to another runner first. Try again after { $time }.
grab-already-yours = This order is already yours.
grab-delivered-by-you = You delivered this order already: it is no longer open.
