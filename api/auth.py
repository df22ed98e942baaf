"""Who is calling: signed bearer tokens carrying a role (docs/architecture.md#who-may-do-what)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

import jwt

from application.settings import Settings
from domain.meta import Actor, ActorKind

ISSUER = "careledger"
ALGORITHM = "HS256"


class Role(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    INCIDENT_COMMANDER = "incident_commander"
    COMPLIANCE_OFFICER = "compliance_officer"
    ANALYST = "analyst"
    ADMIN = "admin"


ACTOR_KINDS = {
    Role.CUSTOMER: ActorKind.CUSTOMER,
    Role.SUPERVISOR: ActorKind.SUPERVISOR,
    Role.INCIDENT_COMMANDER: ActorKind.SUPERVISOR,
    Role.ADMIN: ActorKind.SUPERVISOR,
}


class AuthenticationError(Exception):
    """No token, or one that is not ours, expired or malformed."""


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    # The department whose queue an agent or supervisor works (need-to-know access).
    department: str | None = None
    # When the token it came with expires (seconds since the epoch); not part of who it is.
    expires_at: float | None = field(default=None, compare=False)

    @property
    def actor(self) -> Actor:
        return Actor(ACTOR_KINDS.get(self.role, ActorKind.AGENT), self.subject, self.role.value)

    @property
    def customer_id(self) -> UUID | None:
        """The customer this caller is, for the customer role."""
        if self.role is not Role.CUSTOMER:
            return None
        try:
            return UUID(self.subject)
        except ValueError:
            return None

    def is_customer(self, customer_id: UUID) -> bool:
        return self.customer_id == customer_id


def issue_token(
    settings: Settings,
    role: Role,
    subject: str,
    ttl_s: int = 8 * 3600,
    department: str | None = None,
) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "sub": subject,
        "role": role.value,
        "iat": now,
        "exp": now + ttl_s,
    }
    if department is not None:
        claims["department"] = department
    return jwt.encode(claims, settings.resolved_token_secret(), algorithm=ALGORITHM)


def verify_token(settings: Settings, token: str) -> Principal:
    return _decode(settings.resolved_token_secret(), token)


def _decode(secret: bytes, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss"]},
        )
        department = claims.get("department")
        return Principal(
            subject=str(claims["sub"]),
            role=Role(claims["role"]),
            department=None if department is None else str(department),
            expires_at=float(claims["exp"]),
        )
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        raise AuthenticationError(f"invalid bearer token: {error}") from None


def bearer_token(header: str | None) -> str:
    if not header:
        raise AuthenticationError("missing bearer token (Authorization: Bearer …)")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be `Bearer <token>`")
    return token.strip()


class TokenVerifier:
    """Verifies bearer tokens, remembering each verified one until it expires.

    A client sends the same token with every request; checking its signature and claims again
    each time cost about 5 % of a command's CPU. The secret is read once, here.
    """

    def __init__(self, settings: Settings, capacity: int = 4096) -> None:
        self._secret = settings.resolved_token_secret()
        self._capacity = capacity
        self._verified: dict[str, Principal] = {}

    def principal(self, header: str | None) -> Principal:
        token = bearer_token(header)
        known = self._verified.get(token)
        if known is not None and known.expires_at is not None and known.expires_at > time.time():
            return known
        principal = _decode(self._secret, token)
        if len(self._verified) >= self._capacity:
            self._verified.clear()
        self._verified[token] = principal
        return principal
