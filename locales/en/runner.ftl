runner-not-a-runner = You are not a runner yet. Send /apply to become one.
runner-start-bot-first = Please start a private chat with the bot first (send it /start), then try again.
runner-apply-hint = Send /apply to become a runner.
runner-quiz-hint = Send /quiz to take it: it is short.
runner-apply-status = { $status ->
    [pending] You have applied already; an operator is reviewing your application.
    [approved] You are an approved runner.{ $quiz ->
        [yes] {""}
       *[no] {" "}Before your first order, pass the short rules quiz: /quiz
    }
   *[rejected] Your runner application was not approved. You may apply again with /apply.
  }
runner-apply-already = Your application was decided in the meantime; send /apply to see where it stands.
runner-apply-intro = Become a runner: I need your real name, student number, gender and a photo of your student card. They are stored encrypted and only operators see them, to check your application.
runner-apply-name = What is your real name?
runner-apply-name-invalid = Please write your real name (at most 32 characters).
runner-apply-number = What is your student number?
runner-apply-number-invalid = "{ $text }" is not a student number: write 5 to 20 digits.
runner-apply-gender = Your gender? (Dorm rules: runners enter only dorms of their own gender.)
runner-gender = { $gender ->
    [male] Male
   *[female] Female
  }
runner-apply-photo = Last step: send a photo of your student card.
runner-apply-photo-needed = Please send a photo of your student card (a picture, not text).
runner-apply-done = Thank you! Your application is in. You will hear from us when an operator has checked it; meanwhile you can take the rules quiz: /quiz
runner-application-operators = New runner application from { $name } (#{ $user }, { $gender ->
    [male] male
   *[female] female
  }). Review it with /applications.
runner-quiz-intro = The service rules quiz: { $total } questions, { $mark } right answers to pass.
runner-quiz-q1 = Question { $n } of { $total }: who may you give a student's phone number or room to?
runner-quiz-q1-a1 = Other runners
runner-quiz-q1-a2 = Nobody: it is only for this delivery
runner-quiz-q1-a3 = Anyone who asks
runner-quiz-q2 = Question { $n } of { $total }: you grabbed an order but cannot pick it up. What do you do?
runner-quiz-q2-a1 = Nothing; it will time out
runner-quiz-q2-a2 = Ask a friend to go without telling anyone
runner-quiz-q2-a3 = Release it at once with /release
runner-quiz-q3 = Question { $n } of { $total }: the delivery is to a dorm you may not enter. Where do you hand it over?
runner-quiz-q3-a1 = At the dorm's transfer point
runner-quiz-q3-a2 = I go in anyway
runner-quiz-q3-a3 = I leave it on the street
runner-quiz-q4 = Question { $n } of { $total }: when do you mark an order delivered?
runner-quiz-q4-a1 = As soon as I have picked it up
runner-quiz-q4-a2 = When the student has it in hand
runner-quiz-q4-a3 = Whenever I like
runner-quiz-already = You have passed the quiz already.
runner-quiz-failed = { $score } of { $total } right; you need { $mark }. Read the questions again and retry with /quiz.
runner-quiz-passed = { $score } of { $total } right: passed! { $approved ->
    [yes] You can take orders now: /nearby
   *[no] You can take orders as soon as your application is approved.
  }
runner-btn-picked = Picked up
runner-btn-delivered = Delivered
runner-btn-release = Release
runner-btn-chat = Message the student
runner-order-needed = Which order? Write its number, like /{ $command } 12.
runner-picked-up = Order #{ $order } is picked up; the student has been told. You can send a photo of the item now (optional).
runner-picked-up-chatting = Order #{ $order } is picked up; the student has been told. Your chat with them goes on: what you send (a photo of the item too) still goes to them. Send /menu to stop.
runner-picked-up-unreachable = Order #{ $order } is picked up. The student cannot get messages from the bot right now (they may have blocked it), so they were not told, and a photo could not be passed on either. Press "Delivered" once you have handed it over.
runner-chat-left = You left the chat about order #{ $order }: what you send now is no longer passed on. To write there again, send /msg { $order } followed by your message.
runner-photo-skip = No photo
runner-photo-ask = Send a photo of the item of order #{ $order }, or press "No photo".
runner-photo-skipped = All right, no photo for order #{ $order }. Press "Delivered" once you have handed it over.
runner-photo-sent = The photo went to the student of order #{ $order }.
runner-ask-spent = What did the goods of order #{ $order } cost? Write yuan, like 32.50; the student gave { $goods } yuan for them. You are paid back what you spent when the order completes.
runner-ask-spent-extra = The student of order #{ $order } has not paid the { $extra } yuan goods difference yet: you can deliver once they pay, and you are told. Or say another cost: { $goods } yuan or less asks for no difference (hand over only what it pays for).
runner-extra-asked = The goods of order #{ $order } cost { $spent } yuan, { $extra } yuan more than the { $goods } yuan given. The student is asked to pay the { $extra } yuan difference; you are told when they answer, and deliver once they pay. Another figure: /picked { $order } and the amount.
runner-extra-unanswerable = The student of order #{ $order } cannot answer a request for the difference now (they cannot get the bot's messages, or their account is suspended). Hand over what the { $goods } yuan given pays for and say what that cost, or report a problem from the order's card.
runner-extra-too-many = The student of order #{ $order } was asked for a difference { $most } times already. Settle it with them in the chat: say a cost of { $goods } yuan or less, or report a problem from the order's card.
runner-extra-over-max = The goods of order #{ $order } may cost at most { $max } yuan in all. Ask the student through the chat what to buy, then say what it cost.
runner-spent-all = All { $amount } yuan
runner-spent-within = Drop the difference: only { $amount } yuan spent
runner-spent-cancel = Later
runner-spent-cancelled = Say what the goods of order #{ $order } cost before you deliver it: "Delivered" asks again, or write /picked { $order } 32.50.
runner-spent-format = "{ $text }" is not what the goods cost. Write yuan, like 32.50, or 0.
runner-spent-settled = The goods of order #{ $order } are settled already at { $spent } yuan (the student paid the difference): nothing more to say. Press "Delivered" once you have handed it over.
runner-spent-too-late = Order #{ $order } is no longer on its way with you, so nothing was recorded.
runner-trip-over = Order #{ $order } is no longer on its way with you (it ended, or waits for an operator), so there is nothing to photograph or deliver now.
runner-photo-unreachable = The student of order #{ $order } cannot get messages from the bot right now (they may have blocked it), so the photo was not passed on. Press "Delivered" once you have handed it over.
runner-pickup-photo-notice = Your runner picked up order #{ $order }{ $shown ->
    [yes] {""}; here is a photo of it.
   *[no] {""} and took a photo of it.
  }{ $captioned ->
    [yes] {" "}They wrote: { $message }
   *[no] {""}
  }
runner-delivered = Order #{ $order } is marked delivered. The student is asked to confirm; you are paid when they do (or automatically later).
runner-release-too-late = You have picked up order #{ $order } already, so you cannot release it. If something is wrong, report it.
runner-release-confirm = Release order #{ $order }? { $window_over ->
    [yes] Its time window is over, so it ends (the student is refunded),
   *[other] It goes back to the task hall
  } and { $penalty ->
    [0] your credit score stays at { $credit }, the lowest it goes.
   *[other] your credit score drops by { $penalty } (now { $credit }).
  }
runner-release-yes = Yes, release it
runner-release-no = No, keep it
runner-released = You released order #{ $order }. { $penalty ->
    [0] Credit score unchanged: { $credit }, the lowest it goes.
   *[other] Credit score −{ $penalty }: now { $credit }.
  }
runner-release-kept = You keep order #{ $order }.
runner-release-not-yours = { $how ->
    [released] You released order #{ $order } already: it is no longer yours.
   *[taken] Order #{ $order } is no longer yours: it was taken off you (an operator gave it to another runner, or it was not picked up in time).
  }
runner-no-rating = no ratings yet
# a runner's credit standing, in their messages (core.credit.told_standing)
runner-credit-standing = { $standing ->
    [priority] priority
    [normal] good
    [warning] warning
    [restricted] restricted
    [below_floor] below { $floor }: you cannot take orders until it is back at { $floor }
   *[suspended] suspended
  }
runner-income = Your income
    Wallet: { $balance } yuan (held for withdrawal: { $held } yuan)
    Earned today: { $today } yuan · this week: { $week } yuan
    Completed orders: { $completed }
    Credit score: { $credit } ({ runner-credit-standing })
    Rating: { $rating }{ $ratings ->
        [0] {""}
        [one] {" "}(1 rating)
       *[other] {" "}({ $ratings } ratings)
    }
runner-withdraw-ask = Your wallet holds { $balance } yuan. How much do you want to withdraw? Write the amount in yuan, like 20, or withdraw it all.
runner-withdraw-all = Withdraw all { $amount } yuan
runner-withdraw-cancel = Cancel
runner-withdraw-cancelled = Nothing was withdrawn.
runner-withdraw-nothing = Your wallet holds { $balance } yuan: there is nothing to withdraw yet. Money from your completed errands comes into it.
runner-withdraw-amount = "{ $text }" is not an amount you can withdraw. Write yuan, more than 0, like 20.
runner-withdraw-pending = Your withdrawal #{ $withdrawal } of { $amount } yuan still waits for an operator. Ask for the next one once it is paid out or refused.
runner-withdraw-too-much = You cannot withdraw { $amount } yuan: your wallet holds { $balance } yuan.
runner-withdraw-requested = Withdrawal #{ $withdrawal } of { $amount } yuan requested; an operator will pay it out. Your wallet now holds { $balance } yuan.
runner-withdrawal-operators = Withdrawal #{ $withdrawal }: { $name } (#{ $user }) asks for { $amount } yuan.{ $suspended ->
    [yes] {" "}They are suspended; what they earned is still theirs.
   *[no] {""}
  } See /withdrawals.
# to the user: an operator's /credit
runner-credit-adjusted = The service changed your credit score by { $change }: it is now { $credit } ({ runner-credit-standing }). Reason: { $reason }
# to the user: a complaint about their part in an order was upheld (/uphold, /resolve)
runner-credit-complaint = A complaint about order #{ $order } was upheld: your credit score changed by { $change } and is now { $credit } ({ runner-credit-standing }).
