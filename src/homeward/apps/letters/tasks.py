"""Background work of letters home (ids-only arguments)."""

from __future__ import annotations

from django.tasks import task

from homeward.apps.letters.services.sending import campaign_execute_now


@task()
def campaign_execute(campaign_id: int) -> str:
    """Send Campaign ``campaign_id``; enqueued on commit by ``campaign_send`` / ``campaign_resume``."""
    return campaign_execute_now(campaign_id)
