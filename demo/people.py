"""Fake but realistic customers: Chinese names, +86 mobile numbers, Beijing addresses."""

from __future__ import annotations

from application.customers import ContactDetails
from demo.draw import Draw
from demo.world import REGION_WEIGHTS, REGIONS, Region

SURNAMES = (
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("赵", "zhao"),
    ("黄", "huang"),
    ("周", "zhou"),
    ("吴", "wu"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("胡", "hu"),
    ("朱", "zhu"),
    ("高", "gao"),
    ("林", "lin"),
    ("何", "he"),
    ("郭", "guo"),
    ("马", "ma"),
    ("罗", "luo"),
)
GIVEN = (
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀英", "xiuying"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("桂英", "guiying"),
    ("浩然", "haoran"),
    ("子涵", "zihan"),
    ("雨欣", "yuxin"),
    ("思远", "siyuan"),
    ("一鸣", "yiming"),
    ("欣怡", "xinyi"),
    ("梓轩", "zixuan"),
)
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "135",
    "136",
    "138",
    "139",
    "150",
    "152",
    "158",
    "159",
    "176",
    "177",
    "180",
    "186",
    "187",
    "188",
    "189",
    "191",
    "199",
)
MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "outlook.com", "gmail.com")
STREETS = (
    "建国路",
    "朝阳北路",
    "中关村大街",
    "学院路",
    "东四十条",
    "西直门外大街",
    "丰台北路",
    "鲁谷路",
    "新华大街",
    "回龙观东大街",
    "望京街",
    "三里屯路",
    "知春路",
    "南锣鼓巷",
)
COMPOUNDS = (
    "阳光小区",
    "金地花园",
    "华润公寓",
    "远洋新干线",
    "万科城市花园",
    "首开国风",
    "融科资讯中心",
    "SOHO现代城",
    "天通苑",
    "富力城",
)


class Person:
    def __init__(self, contact: ContactDetails, region: Region) -> None:
        self.contact = contact
        self.region = region


def person(draw: Draw) -> Person:
    surname, surname_pinyin = draw.pick(SURNAMES)
    given, given_pinyin = draw.pick(GIVEN)
    region = draw.weighted(list(zip(REGIONS, REGION_WEIGHTS, strict=True)))
    mobile = f"{draw.pick(MOBILE_PREFIXES)}{draw.integer(0, 9999):04d}{draw.integer(0, 9999):04d}"
    phone = f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}"
    email = (
        f"{given_pinyin}.{surname_pinyin}{draw.integer(1, 99)}@{draw.pick(MAIL_DOMAINS)}"
        if draw.chance(0.7)
        else None
    )
    address = (
        f"北京市{region.district}{draw.pick(STREETS)}{draw.integer(1, 300)}号"
        f"{draw.pick(COMPOUNDS)}{draw.integer(1, 20)}号楼{draw.integer(1, 6)}单元"
        f"{draw.integer(1, 28)}{draw.integer(1, 4):02d}室"
    )
    contact = ContactDetails(name=surname + given, phone=phone, email=email, address=address)
    return Person(contact, region)
