"""Test harness: a mock Slack Web API and signed requests into the real Bolt app."""

from tests.support.blocks_check import assert_valid_delivery, block_problems, message_problems
from tests.support.mock_api import BOT_ID, BOT_USER_ID, RESPONSE_URL, Call, Failure, MockSlack
from tests.support.signed import SIGNING_SECRET, SignedRequest, Signer

__all__ = [
    "BOT_ID",
    "BOT_USER_ID",
    "RESPONSE_URL",
    "SIGNING_SECRET",
    "Call",
    "Failure",
    "MockSlack",
    "SignedRequest",
    "Signer",
    "assert_valid_delivery",
    "block_problems",
    "message_problems",
]
