"""The channel a campaign sends by, built from settings (``core.outreach.channels``)."""

from __future__ import annotations

from django.conf import settings

from homeward.core.outreach.channels import Channel, FileChannel, HttpGateway, PrintChannel


def channel_for(name: str, campaign_id: int) -> Channel:
    """The channel ``name`` for campaign ``campaign_id`` (file and print write under a directory of
    their own per campaign)."""
    directory = settings.HOMEWARD_LETTERS_DIR / f"campaign-{campaign_id}"
    if name == "file":
        return FileChannel(directory, per_minute=settings.HOMEWARD_LETTERS_FILE_PER_MINUTE)
    if name == "print":
        return PrintChannel(directory, per_minute=settings.HOMEWARD_LETTERS_PRINT_PER_MINUTE)
    if name == "sms":
        return HttpGateway(
            "sms", settings.HOMEWARD_SMS_GATEWAY_URL, settings.HOMEWARD_SMS_GATEWAY_KEY,
            per_minute=settings.HOMEWARD_SMS_PER_MINUTE,
        )  # fmt: skip
    if name == "wechat":
        return HttpGateway(
            "wechat", settings.HOMEWARD_WECHAT_TEMPLATE_URL, settings.HOMEWARD_WECHAT_TEMPLATE_KEY,
            per_minute=settings.HOMEWARD_WECHAT_PER_MINUTE,
        )  # fmt: skip
    raise ValueError(f"unknown channel {name!r}")


def needs_phone(name: str) -> bool:
    return name in ("sms", "wechat")
