"""Channels a letter goes out by, behind one interface (``Channel``).

A channel takes a batch of rendered letters under a ``batch_key`` and says, per letter, whether it
was delivered, handed over (sent, delivery to be confirmed) or failed. The same batch key handed
again (a campaign resumed after a crash) must not deliver a letter twice: the file and print
channels overwrite the batch's file (written to a temporary name, then renamed), the gateways pass
the letter id as the message's client reference, which a gateway de-duplicates.

- ``FileChannel`` (the default; the demo needs nothing external): one JSON-lines file per batch.
- ``PrintChannel``: one PDF per batch, one A5 page per worker with the link as a QR code.
- ``SmsGateway``, ``WechatTemplate``: HTTP adapters that refuse to send until configured
  (``HOMEWARD_SMS_GATEWAY_URL`` / ``HOMEWARD_WECHAT_TEMPLATE_URL`` and their keys).
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from homeward.core.errors import DomainError

DELIVERED, SENT, FAILED = "delivered", "sent", "failed"


class ChannelNotConfigured(DomainError):
    status = 409


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One rendered letter, addressed."""

    letter_id: int
    worker_id: int
    name: str
    phone: str
    text: str
    link: str


@dataclass(frozen=True, slots=True)
class Outcome:
    letter_id: int
    status: str  # DELIVERED, SENT or FAILED
    error: str = ""


class Channel(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def per_minute(self) -> int:  # letters a minute this channel may take; 0: no limit
        ...

    def deliver(self, batch_key: str, letters: Sequence[Outgoing]) -> list[Outcome]: ...


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True, slots=True)
class FileChannel:
    """Letters written to ``directory/<batch_key>.jsonl``, one JSON object a line: what an operator
    (or a test) reads as the outbox. Writing is delivering."""

    directory: Path
    per_minute: int = 0
    name: str = "file"

    def deliver(self, batch_key: str, letters: Sequence[Outgoing]) -> list[Outcome]:
        lines = (
            json.dumps(
                {"letter": x.letter_id, "worker": x.worker_id, "phone": x.phone, "text": x.text},
                ensure_ascii=False,
            )
            for x in letters
        )
        _atomic_write(self.directory / f"{batch_key}.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))
        return [Outcome(x.letter_id, DELIVERED) for x in letters]


@dataclass(frozen=True, slots=True)
class PrintChannel:
    """Printable letters: ``directory/<batch_key>.pdf``, one A5 page per worker, the link as a QR code
    (the permits' font and QR drawing). Delivered once printed and posted: ``sent`` here."""

    directory: Path
    per_minute: int = 0
    name: str = "print"

    def deliver(self, batch_key: str, letters: Sequence[Outgoing]) -> list[Outcome]:
        from homeward.core.outreach.printed import letters_pdf

        _atomic_write(self.directory / f"{batch_key}.pdf", letters_pdf(letters))
        return [Outcome(x.letter_id, SENT) for x in letters]


@dataclass(frozen=True, slots=True)
class HttpGateway:
    """A message gateway taking ``POST url`` with JSON ``{to, text, client_ref}`` and a bearer key.
    Without a URL and a key it refuses to send (``channel_not_configured``): nothing is marked sent.
    The payload is the common shape of Chinese SMS / WeChat template relays; a gateway with another
    shape needs its own adapter."""

    name: str
    url: str = ""
    key: str = ""
    per_minute: int = 600
    timeout: float = 10.0

    def configured(self) -> bool:
        return bool(self.url and self.key)

    def deliver(self, batch_key: str, letters: Sequence[Outgoing]) -> list[Outcome]:
        if not self.configured():
            raise ChannelNotConfigured(
                f"渠道 {self.name} 未配置网关地址和密钥，不能发送 (channel {self.name} is not configured)",
                "channel_not_configured",
            )
        out = []
        for x in letters:
            body = json.dumps({"to": x.phone, "text": x.text, "client_ref": f"letter-{x.letter_id}"})
            request = urllib.request.Request(
                self.url,
                data=body.encode("utf-8"),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured https URL)
                    ok = 200 <= response.status < 300
            except OSError as exc:
                out.append(Outcome(x.letter_id, FAILED, str(exc)[:200]))
                continue
            out.append(Outcome(x.letter_id, SENT if ok else FAILED, "" if ok else f"HTTP {response.status}"))
        return out
