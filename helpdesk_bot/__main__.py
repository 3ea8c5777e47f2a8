"""``python3 -m helpdesk_bot`` is the ``helpdesk-bot`` command."""

from helpdesk_bot.cli import main

main(prog_name="helpdesk-bot")
