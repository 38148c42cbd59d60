"""Services of letters home: campaigns (create, preview, send, resume), the sending run, replies."""

from homeward.apps.letters.services.campaigns import (
    campaign_create,
    campaign_preview,
    campaign_resume,
    campaign_send,
)
from homeward.apps.letters.services.replies import intentions_to_application, letter_reply
from homeward.apps.letters.services.sending import campaign_execute_now

__all__ = [
    "campaign_create",
    "campaign_execute_now",
    "campaign_preview",
    "campaign_resume",
    "campaign_send",
    "intentions_to_application",
    "letter_reply",
]
