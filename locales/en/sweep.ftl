# Timers (handlers/sweep.py)
sweep-hall-reminder = Still waiting for a runner: order #{ $order }
sweep-late-reminder = Order #{ $order } should have been delivered by { $time }. Please deliver it now, or report a problem if something is wrong.
