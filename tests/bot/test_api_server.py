"""Where the bot sends its Bot API requests: the configured base URL, Telegram's test environment, local mode."""
from bot.telegram.app import api_server, make_bot


async def test_the_bot_talks_to_the_test_environment_when_so_set(fake_bot_api, settings):
    bot = make_bot(settings.model_copy(update={"telegram_test_environment": True}))
    try:
        me = await bot.get_me()
    finally:
        await bot.session.close()
    assert me.username == fake_bot_api.bot_user["username"]
    assert [r.test_environment for r in fake_bot_api.calls("getMe")] == [True]


async def test_by_default_the_bot_talks_to_the_production_environment(fake_bot_api, settings):
    bot = make_bot(settings)
    try:
        await bot.get_me()
    finally:
        await bot.session.close()
    assert [r.test_environment for r in fake_bot_api.calls("getMe")] == [False]


def test_a_self_hosted_server_in_local_mode(settings):
    server = api_server(settings.model_copy(update={"telegram_api_base": "http://bot-api:8081/",
                                                    "telegram_api_local": True}))
    assert server.is_local
    assert server.api_url("123:abc", "getMe") == "http://bot-api:8081/bot123:abc/getMe"
    assert server.file_url("123:abc", "photos/1.jpg") == "http://bot-api:8081/file/bot123:abc/photos/1.jpg"
