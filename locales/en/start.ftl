start-welcome = Hi { $name }! Welcome to paotui at { $campus }: errands on campus, done by fellow students. Please pick your language.
start-pick-language = Please pick your language.
start-language-set = Language set to English.
language-name = { $lang ->
    [zh_CN] 中文
   *[en] English
  }
menu-title = What would you like to do?
menu-order = New errand
menu-my-orders = My orders
menu-wallet = Wallet
menu-help = Help
menu-nearby = Open orders
menu-income = My income
idle-hint = I did not understand that. Choose from the menu, or send /help.
idle-unreadable = I can only read text, buttons, photos and locations, not stickers, voice messages or files. Choose from the menu, or send /help.
-student-commands = /order new errand · /orders my orders · /track N details and history · /where N where is my runner · /msg N text to the runner · /cancel N cancel an order (/cancel alone leaves the order form) · /confirm N · /rate N · /complain N text · /wallet · /hours service hours · /language · /menu
help-student = { -student-commands }
    Want to earn money as a runner? /apply
help-student-applied = { -student-commands }
    { $status ->
        [rejected] Your runner application was not approved; you may apply again: /apply
       *[other] Your runner application is waiting for an operator's decision: /apply shows where it stands.
    }
help-student-runner = { -student-commands }
help-runner = Runner: /quiz service rules quiz · /nearby [building] open orders (or share your location) · /grab N · /picked N [yuan spent, buy tasks] · /delivered N · /release N · /msg N text · /income · /withdraw yuan
help-operator = Operator: /admin lists every operator command (applications, orders, complaints, withdrawals, top-ups, coupons, /today, /report, /pause)
error-unknown-command = I don't know the command /{ $command }. Send /help for the list.
error-operators-only = Only operators can do that.
error-private-only = Please use that in a private chat with the bot.
error-group-relay = { $command ->
        [complain] Your complaint was not filed
       *[other] Your message was not passed on
    }: everyone in the group can read what you type there. Please send /{ $command } again in your private chat with the bot.
error-suspended = Your account is suspended. Still open to you: /wallet, and for a runner /income and /withdraw (what you earned stays yours). For anything else, contact the service desk.
error-stale-choice = That button is from an earlier message and no longer works.
error-decided-already = Already decided: the card now shows what became of it.
error-text-too-long = That text is too long ({ $length } characters); at most { $limit }.
start-campus-kept = You are registered at { $campus } and stay there; to move to another campus, ask its operators.
