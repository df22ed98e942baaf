"""Words an older event recorded in plain text, read back as Unsealed by the upcasters: the
readers hand them on to need-to-know like sealed values, and webhooks leave them out."""

from __future__ import annotations

from typing import Any

from api.graphql.history import reason_text
from domain.meta import Reason
from domain.values import Sealed, Unsealed, unsealed
from projections.views.webhook_payload import OMITTED, public


def test_the_upcaster_step_wraps_plain_words_and_leaves_sealed_ones() -> None:
    sealed = Sealed(subject="s", token="v1.t")
    state: dict[str, Any] = {"cause": "old oven", "corrective_action": sealed, "other": "x"}
    unsealed(state, "cause", "corrective_action", "missing")
    assert state == {"cause": Unsealed("old oven"), "corrective_action": sealed, "other": "x"}


def test_a_reason_recorded_in_plain_words_is_revealed_as_unsealed() -> None:
    seen: list[object] = []

    def stand_in(value: Sealed | Unsealed) -> Any:
        seen.append(value)
        return {"sealed": True}  # the caller may not read it

    assert reason_text(Reason("called_on_behalf", "his sister rang"), stand_in) == "[sealed]"
    assert seen == [Unsealed("his sister rang")]
    assert reason_text(Reason("accepted"), stand_in) == ""
    assert len(seen) == 1


def test_webhooks_leave_unsealed_words_out() -> None:
    assert public(Unsealed("old words")) is OMITTED
    assert public({"reason": Unsealed("old words"), "party": "customer"}) == {"party": "customer"}
