# The local console channel (bot/console/): a terminal where you act as several people at once.
console-welcome = paotui console · campus { $campus } · clock { $time }
    Act as anyone: "@alice /start" sends as alice; "@alice" alone switches to alice, then type as alice.
    Buttons: "#2" presses alice's button 2, "[English]" presses it by label; "hall#1" presses button 1 of the latest task-hall message.
    "@loc 30.2621,120.1215" shares a location, "@photo card.jpg" sends a photo, "@clock +31m" moves time on and runs the timers, "/quit" ends.
console-prompt-none = (nobody)
console-to = [to @{ $persona }]
console-to-edited = [to @{ $persona } · edited]
console-hall = [hall #{ $number }]
console-hall-edited = [hall · edited #{ $number }]
console-edited = [edited]
console-photo = [photo { $photo }]
console-chart = [chart: { $path }]
console-ask-location = (share a location: @loc LAT,LON)
console-clock = clock { $time } · timers: { $report }
console-error = ! { $message }
console-error-syntax = expected "@persona input", "@clock +31m" or a # comment, not: { $text }
console-error-persona = "{ $name }" cannot be a persona: use letters, digits and _ (at most 32), and not clock, sweep, loc, photo, contact or hall.
console-error-choose-persona = Choose who you are first: type @alice (or any name).
console-error-empty-input = Nothing to send for @{ $persona }.
console-error-no-buttons = @{ $persona } has no buttons to press.
console-error-no-button = @{ $persona } has no button { $which }. Buttons: { $buttons }
console-error-no-hall = Nothing has been posted in the task hall yet.
console-error-no-hall-message = There is no hall message #{ $number }.
console-error-hall-no-buttons = Hall message #{ $number } has no buttons.
console-error-hall-no-button = Hall message #{ $number } has no button { $which }. Buttons: { $buttons }
console-error-location = "{ $text }" is not a location: write @loc 30.2621,120.1215
console-error-photo = @photo needs a file name, like @photo card.jpg
console-error-contact = @contact needs a phone number, like @contact +8613800000000
console-error-clock = "{ $text }" is not a time step: write +31m, +2h, +1d, +90s or a time like 2026-11-23T10:00+08:00
console-error-clock-too-far = "{ $text }" moves the clock too far: at most +3650d (ten years) at a time, and never past the year 9999
console-error-start = --start "{ $text }" is not a time: write one like 2026-11-23T10:00+08:00 (without an offset it is campus time)
console-error-line = line { $line }: { $message }
console-crash = line { $line } crashed; stopping.
console-bad-file = Cannot run the script { $path }: { $reason }
console-bad-lines = { $count ->
    [one] The script has a line that is not valid; nothing was run.
   *[other] The script has { $count } lines that are not valid; nothing was run.
  }
console-summary-title = == final state ==
console-summary-order = order #{ $order } { $task }: { $status } · customer @{ $customer } · runner { $runner } · total { $total } · runner share { $share } · commission { $commission }
console-summary-no-orders = no orders
console-summary-nobody = —
console-summary-balance = { $kind ->
    [runner] @{ $who } runner balance { $amount }
   *[customer] @{ $who } wallet { $amount }
  }
console-summary-account = { $account } { $amount }
console-summary-ledger = ledger total { $amount } (every movement balances)
console-summary-done = { $errors ->
    [0] script finished: { $lines } lines, no errors
   *[other] script finished: { $lines } lines, { $errors } line(s) could not be run
  }
console-bye = Bye.
