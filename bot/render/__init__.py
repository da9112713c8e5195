"""How it looks: pure builders from the core's data to Block Kit, plain text and PNG.

No Slack client here: `bot.slack` sends what these return.
"""
