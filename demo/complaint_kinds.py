"""What complaints are about: categories by what happened to the order, their subcategories,
severities, departments, remedies, and what customers write."""

from __future__ import annotations

from dataclasses import dataclass

from demo.draw import Draw
from demo.facts import Fate, OrderFacts

Weighted = tuple[tuple[tuple[str, str], float], ...]

BY_FATE: dict[Fate | None, Weighted] = {
    Fate.LATE: ((("logistics", "late_delivery"), 80), (("product_quality", "cold_food"), 20)),
    Fate.REDELIVERED: (
        (("logistics", "delivery_failed"), 60),
        (("service_attitude", "courier_rude"), 40),
    ),
    Fate.RETURNED: ((("logistics", "delivery_failed"), 70), (("after_sales", "refund_delay"), 30)),
    Fate.CANCELLED: (
        (("after_sales", "refund_delay"), 70),
        (("service_attitude", "merchant_rude"), 30),
    ),
    Fate.DELIVERED: (
        (("product_quality", "missing_item"), 14),
        (("product_quality", "wrong_item"), 12),
        (("product_quality", "cold_food"), 10),
        (("product_quality", "spilled"), 8),
        (("service_attitude", "courier_rude"), 9),
        (("service_attitude", "merchant_rude"), 6),
        (("after_sales", "invoice_missing"), 7),
        (("after_sales", "charged_twice"), 5),
        (("privacy", "phone_number_leaked"), 5),
        (("privacy", "address_exposed"), 3),
        (("food_safety", "foreign_object"), 6),
        (("food_safety", "spoiled_food"), 4),
        (("logistics", "left_at_wrong_door"), 6),
        (("logistics", "courier_route"), 5),
    ),
    None: ((("privacy", "unwanted_marketing"), 60), (("after_sales", "account_charge"), 40)),
}
COVERAGE = (
    ("product_quality", "missing_item"),
    ("service_attitude", "courier_rude"),
    ("after_sales", "invoice_missing"),
    ("privacy", "phone_number_leaked"),
    ("logistics", "left_at_wrong_door"),
    ("food_safety", "foreign_object"),
)
SEVERITIES = {
    "food_safety": (("major", 70), ("urgent", 30)),
    "privacy": (("general", 50), ("major", 50)),
}
USUAL_SEVERITY = (("general", 78), ("major", 18), ("urgent", 4))
DEPARTMENTS = {
    "logistics": (("logistics", 1),),
    "product_quality": (("merchant_relations", 60), ("quality", 40)),
    "service_attitude": (("customer_service", 1),),
    "after_sales": (("after_sales", 1),),
    "food_safety": (("quality", 1),),
    "privacy": (("technical", 1),),
}
REMEDIES = {
    "logistics": (("partial_refund", 45), ("voucher", 35), ("apology", 20)),
    "product_quality": (
        ("partial_refund", 40),
        ("redelivery", 25),
        ("full_refund", 15),
        ("voucher", 20),
    ),
    "service_attitude": (("apology", 60), ("voucher", 40)),
    "after_sales": (("partial_refund", 40), ("apology", 40), ("voucher", 20)),
    "food_safety": (("full_refund", 80), ("voucher", 20)),
    "privacy": (("apology", 70), ("voucher", 30)),
}
FUNDED_BY = {"logistics": "courier", "product_quality": "merchant", "food_safety": "merchant"}
OUTCOMES = {
    "full_refund": "refunded",
    "partial_refund": "refunded",
    "redelivery": "redelivered",
    "voucher": "compensated",
    "apology": "explained",
}
TEXTS = {
    "late_delivery": "My order came {late} minutes after the promised time and the food was cold.",
    "cold_food": "Everything arrived cold; the soup was not even warm.",
    "delivery_failed": "The courier said I was unreachable but I was at home the whole time.",
    "courier_rude": "The courier shouted at me at the door and threw the bag on the floor.",
    "merchant_rude": "The restaurant hung up on me when I asked about my order.",
    "refund_delay": "My order was cancelled but I have not received the refund yet.",
    "missing_item": "One of the dishes is missing from the bag.",
    "wrong_item": "I received someone else's order.",
    "spilled": "The noodles spilled all over the bag; the lid was not closed.",
    "invoice_missing": "I need a fapiao (invoice) for this order and cannot get one.",
    "charged_twice": "I was charged twice for the same order.",
    "phone_number_leaked": "The courier sent me personal messages after the delivery.",
    "address_exposed": "My full address was printed on the outside of the bag.",
    "foreign_object": "I found a piece of plastic in my food.",
    "spoiled_food": "The meat smelled off and tasted sour.",
    "left_at_wrong_door": "The courier left my order at the wrong building.",
    "courier_route": "The courier rode around for 20 minutes before coming to my building.",
    "unwanted_marketing": "I keep getting marketing SMS although I unsubscribed twice.",
    "account_charge": "There is a membership charge on my account I never agreed to.",
    "food_poisoning": "After eating the cold noodles at lunch I had stomach cramps and vomiting.",
}
ROOT_CAUSES = {
    "food_poisoning": (
        "cold noodle batch kept above 8 °C for hours (fridge failure)",
        "daily fridge temperature log; suspend until inspection passes",
    ),
    "foreign_object": (
        "packaging film fell into the prep line",
        "remove film before the prep area; line check each shift",
    ),
    "spoiled_food": ("meat stored past its use-by date", "first-in first-out labels audited"),
}
GENERIC_ROOT_CAUSE = ("process gap found in review", "briefing and checklist updated")


@dataclass(frozen=True)
class Kind:
    category: str
    subcategory: str
    severity: str
    department: str


def kind_of(draw: Draw, order: OrderFacts | None, slot: int) -> Kind:
    """A complaint's classification: the first few cover every category, then by the order's
    fate."""
    if order is not None and slot < len(COVERAGE):
        category, sub = COVERAGE[slot]
    else:
        category, sub = draw.weighted(BY_FATE[None if order is None else order.fate])
    severity = draw.weighted(SEVERITIES.get(category, USUAL_SEVERITY))
    if slot == 1:
        severity = "major"
    return Kind(category, sub, severity, draw.weighted(DEPARTMENTS[category]))


def text_of(kind: Kind, order: OrderFacts | None) -> str:
    late = 0 if order is None else int(order.late_by.total_seconds() // 60)
    return TEXTS[kind.subcategory].format(late=late)
