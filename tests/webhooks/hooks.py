"""What the webhook tests share: the admin who registers endpoints and a signing secret."""

from __future__ import annotations

import base64

from domain.meta import Actor, ActorKind

ADMIN = Actor(ActorKind.AGENT, "admin-wang", "admin")
SECRET = "whsec_" + base64.b64encode(b"s" * 32).decode()
