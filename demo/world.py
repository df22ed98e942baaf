"""The demo's city: districts of Beijing, restaurant brands with their menus, order channels,
courier fleets, and how busy each hour of the day is."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Region:
    code: str
    district: str  # as written in an address


REGIONS = (
    Region("chaoyang", "朝阳区"),
    Region("haidian", "海淀区"),
    Region("dongcheng", "东城区"),
    Region("xicheng", "西城区"),
    Region("fengtai", "丰台区"),
    Region("shijingshan", "石景山区"),
    Region("tongzhou", "通州区"),
    Region("changping", "昌平区"),
)
REGION_WEIGHTS = (24, 20, 10, 10, 12, 5, 10, 9)


@dataclass(frozen=True)
class Brand:
    name: str
    prep_min: float  # median minutes in the kitchen
    menu: tuple[tuple[str, str], ...]  # (dish, unit price)


BRANDS = (
    Brand(
        "Golden Dumpling",
        12,
        (
            ("pork and cabbage dumplings", "24.00"),
            ("shrimp dumplings", "32.00"),
            ("hot and sour soup", "10.00"),
            ("cucumber salad", "8.00"),
        ),
    ),
    Brand(
        "Lucky Noodle Bar",
        9,
        (
            ("cold sesame noodles", "18.00"),
            ("beef noodle soup", "28.00"),
            ("zhajiang noodles", "22.00"),
            ("marinated egg", "4.00"),
        ),
    ),
    Brand(
        "Sichuan Pepper House",
        16,
        (
            ("mapo tofu", "26.00"),
            ("kung pao chicken", "36.00"),
            ("twice-cooked pork", "42.00"),
            ("steamed rice", "3.00"),
        ),
    ),
    Brand(
        "Peking Duck Corner",
        20,
        (
            ("half roast duck", "88.00"),
            ("duck pancakes", "12.00"),
            ("scallion pancake", "10.00"),
            ("plum juice", "8.00"),
        ),
    ),
    Brand(
        "Hotpot Express",
        18,
        (
            ("spicy beef hotpot set", "78.00"),
            ("tofu skin", "12.00"),
            ("lamb slices", "45.00"),
            ("sesame sauce", "4.00"),
        ),
    ),
    Brand(
        "Jianbing Master",
        6,
        (("classic jianbing", "9.00"), ("jianbing with sausage", "12.00"), ("soy milk", "4.00")),
    ),
    Brand(
        "Bubble Tea Lab",
        5,
        (
            ("brown sugar milk tea", "19.00"),
            ("mango pomelo sago", "22.00"),
            ("jasmine green tea", "15.00"),
        ),
    ),
    Brand(
        "Burger Station",
        8,
        (
            ("double cheeseburger", "32.00"),
            ("fries", "12.00"),
            ("fried chicken wings", "26.00"),
            ("cola", "8.00"),
        ),
    ),
    Brand(
        "Cantonese Congee",
        10,
        (
            ("preserved egg congee", "16.00"),
            ("rice noodle rolls", "18.00"),
            ("shrimp har gow", "28.00"),
        ),
    ),
    Brand(
        "Xinjiang Skewers",
        14,
        (("lamb skewers x10", "45.00"), ("naan bread", "6.00"), ("big plate chicken", "68.00")),
    ),
    Brand(
        "Sushi Garden",
        15,
        (("salmon set", "68.00"), ("california roll", "32.00"), ("miso soup", "8.00")),
    ),
    Brand(
        "Yunnan Rice Noodles",
        11,
        (
            ("crossing-the-bridge noodles", "35.00"),
            ("mint beef salad", "24.00"),
            ("fried goat cheese", "18.00"),
        ),
    ),
)

FOOD_SAFETY_BRAND = "Lucky Noodle Bar"


@dataclass(frozen=True)
class Restaurant:
    brand: Brand
    region: Region

    @property
    def name(self) -> str:
        return f"{self.brand.name} · {self.region.code.title()}"


RESTAURANTS = tuple(Restaurant(brand, region) for region in REGIONS for brand in BRANDS)

# where orders come in (domain.meta.Channel), and how often
ORDER_CHANNELS = (
    ("app", 60),
    ("web", 11),
    ("platform", 12),
    ("api", 5),
    ("phone", 5),
    ("chat", 3),
    ("sms", 2),
    ("email", 2),
)
COMPLAINT_CHANNELS = (("app", 40), ("phone", 25), ("chat", 20), ("email", 8), ("web", 7))
CONFIRMATION_VIA = (("app", 70), ("sms", 25), ("email", 5))
SURVEY_VIA = (("app", 70), ("sms", 20), ("email", 10))
PROVIDERS = ("fleet-east", "fleet-west", "crowd-riders", "partner-shansong")
DELIVERY_FEE = (Decimal("3.00"), Decimal("4.00"), Decimal("5.00"), Decimal("6.00"))

# orders per hour of the day, relative (hour 8 is 08:00-09:00); breakfast, lunch, tea, dinner,
# late-night snacks
HOURLY_DEMAND = {
    8: 4,
    9: 3,
    10: 4,
    11: 14,
    12: 17,
    13: 9,
    14: 4,
    15: 4,
    16: 4,
    17: 9,
    18: 15,
    19: 13,
    20: 7,
    21: 5,
    22: 3,
}
