"""The Telegram channel (aiogram 3): adapter, rendering, payments, outbox sender."""
