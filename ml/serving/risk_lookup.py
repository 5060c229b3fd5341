"""What an application calls to read a customer's high-risk score from Redis.

One round trip per customer: a tiny Lua script returns the customer's value, or says whether
an export exists at all, atomically with respect to the exporter's switch. It never raises:
when Redis is down, slow, or holds no export, the caller gets a safe default it can act on and
a status saying why. Give the client short timeouts and no retries, so a dead Redis costs a
request milliseconds, not seconds:

    client = redis.Redis.from_url(url, socket_timeout=0.05, retry=Retry(NoBackoff(), 0))
    lookup = RiskLookup(client, "churn")
    risk = lookup.get("c000123")
    if risk.is_high_risk: ...

Statuses: `high_risk` (value present), `not_high_risk` (an export exists and the customer is
not in it), `no_export` (nothing exported, or it expired), `unavailable` (Redis error).

`lookup.defaulting_since` says since when this reader has been answering with safe defaults
(None while Redis answers): an application can report it, and alert when it grows.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RiskScore:
    customer_id: str
    status: str
    score: float | None = None
    risk_band: str | None = None
    model_version: int | None = None
    score_date: str | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def is_high_risk(self) -> bool:
        return self.status == "high_risk"

    @property
    def is_default(self) -> bool:
        """True when Redis could not say (no export, or Redis unavailable)."""
        return self.status in ("no_export", "unavailable")


# Returns the value; else 0 when an export exists without this customer, -1 when none does.
_LOOKUP = """
local value = redis.call('HGET', KEYS[1], ARGV[1])
if value then return value end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
return -1
"""


class RiskLookup:
    """Reads one model's high-risk export; see module docstring for the statuses."""

    def __init__(self, client: redis.Redis, model: str):
        self.client = client
        self.live = f"{{scoreline:{model}}}:high_risk"
        self.meta = f"{{scoreline:{model}}}:export"
        self.script = client.register_script(_LOOKUP)
        # When the current run of safe-default answers began (UTC); None while Redis answers.
        self.defaulting_since: datetime | None = None

    def get(self, customer_id: str) -> RiskScore:
        risk = self._get(customer_id)
        if not risk.is_default:
            self.defaulting_since = None
        elif self.defaulting_since is None:
            self.defaulting_since = datetime.now(UTC)
        return risk

    def _get(self, customer_id: str) -> RiskScore:
        try:
            value = self.script(keys=[self.live, self.meta], args=[customer_id])
        except (redis.RedisError, OSError) as exc:
            log.warning("risk lookup for %s fell back to the default: %s", customer_id, exc)
            return RiskScore(customer_id, "unavailable")
        if value == -1:
            return RiskScore(customer_id, "no_export")
        if value == 0:
            return RiskScore(customer_id, "not_high_risk")
        try:
            data = json.loads(value)
            return RiskScore(
                customer_id,
                "high_risk",
                score=float(data["score"]),
                risk_band=data["risk_band"],
                model_version=int(data["model_version"]),
                score_date=data["score_date"],
                reasons=list(data.get("reasons", [])),
            )
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("unreadable risk value for %s: %s", customer_id, exc)
            return RiskScore(customer_id, "unavailable")
