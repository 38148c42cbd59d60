"""Services of letters home: campaigns (create, preview, send, resume), the sending run, replies
(the form and SMS keywords)."""

from homeward.apps.letters.services.campaigns import (
    campaign_create,
    campaign_preview,
    campaign_resume,
    campaign_send,
)
from homeward.apps.letters.services.keywords import sms_keywords_receive
from homeward.apps.letters.services.replies import intentions_to_application, letter_reply, reply_record
from homeward.apps.letters.services.sending import campaign_execute_now

__all__ = [
    "campaign_create",
    "campaign_execute_now",
    "campaign_preview",
    "campaign_resume",
    "campaign_send",
    "intentions_to_application",
    "letter_reply",
    "reply_record",
    "sms_keywords_receive",
]
