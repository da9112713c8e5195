"""What is said: the knowledge, matching, answers, commands, onboarding and insights, as data.

No Slack here (no slack_bolt, slack_sdk or Block Kit): `bot.render` draws what this returns and
`bot.slack` sends it.
"""
