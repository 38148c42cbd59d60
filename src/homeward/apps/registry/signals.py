"""Signals other apps listen to, so that the registry does not import them."""

from django.dispatch import Signal

# Sent after an import has committed successfully, with ``kind`` ("roster", "police", "carrier").
import_completed = Signal()
