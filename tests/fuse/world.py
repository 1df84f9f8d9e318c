"""A small city for base-library tests: three departments' people records (公安 户籍, 民政 低保,
市场监管 从业人员健康证) over overlapping residents, and a 人口基础库 entry of the 大数据局 to fuse them
into, all through the real catalog and store.

The residents are made so that an exact ID decides who is who: every resident has a distinct name,
birth date and address, and the noise a user meets in real exports is there on purpose: a
traditional-character name (陳麗華 for 陈丽华), a legacy 15-digit ID, a record without any ID, a
resident 民政 knows at another address (moved), a name 民政 misheard, a phone number 健康证 has newer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa

from huitong.access import SYSTEM, Actor
from huitong.catalog import service as catalog
from huitong.catalog.model import DataItem, DataType
from huitong.org import service as org
from huitong.standards.elements import Grade
from huitong.standards.idcard import make_id_number
from huitong.store import Store
from tests.world import World, spec

POLICE_ITEMS = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    DataItem("姓名", DataType.C, 50, element="DE01002", required=True),
    DataItem("性别", DataType.C, 1, element="DE01003"),
    DataItem("出生日期", DataType.D, element="DE01004"),
    DataItem("住址", DataType.C, 200, element="DE03002"),
]
CIVIL_ITEMS = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    DataItem("姓名", DataType.C, 50, element="DE01002", required=True),
    DataItem("住址", DataType.C, 200, element="DE03002"),
    # 民政 holds the phone numbers of 低保 households as 重要 (a vulnerable group)
    DataItem("手机号码", DataType.C, 11, element="DE04001", grade=Grade.important),
]
MARKET_ITEMS = [
    DataItem("档案编号", DataType.C, 30, is_key=True, required=True),
    DataItem("姓名", DataType.C, 50, element="DE01002", required=True),
    DataItem("公民身份号码", DataType.C, 18, element="DE01001"),
    DataItem("出生日期", DataType.D, element="DE01004"),
    DataItem("住址", DataType.C, 200, element="DE03002"),
    DataItem("手机号码", DataType.C, 11, element="DE04001"),
]
# the base library's entry: 住址 and 手机号码 declared without an element (一般2级 by default), so
# that fusing graded inputs into it has to raise them
TARGET_ITEMS = [
    DataItem("基础库标识", DataType.C, 20, is_key=True, required=True),
    DataItem("姓名", DataType.C, 50, element="DE01002"),
    DataItem("公民身份号码", DataType.C, 18, element="DE01001"),
    # graded stricter than any input's 出生日期: fusion must leave it so
    DataItem("出生日期", DataType.D, element="DE01004", grade=Grade.important),
    DataItem("性别", DataType.C, 1, element="DE01003"),
    DataItem("住址", DataType.C, 200),
    DataItem("手机号码", DataType.C, 11),
    DataItem("来源记录数", DataType.I),
    DataItem("字段来源", DataType.M),
]

SURNAMES = "赵钱孙李周吴郑王冯褚卫蒋沈韩杨朱秦尤许何吕施孔曹严华金魏陶姜谢邹喻柏水窦章云苏潘葛奚范彭郎鲁韦昌马苗凤花方俞任袁柳"
GIVEN = [
    "建国", "秀英", "志强", "桂兰", "海燕", "文博", "雨桐", "子轩", "振华", "丽娟",
    "明辉", "晓峰", "思远", "佳怡", "国栋", "春梅", "宏伟", "婷婷", "立新", "晨曦",
]  # fmt: skip
ROADS = [
    "文三路",
    "天目山路",
    "莫干山路",
    "解放路",
    "延安路",
    "凤起路",
    "庆春路",
    "体育场路",
    "武林路",
    "湖墅南路",
]

POLICE_RANGE = range(0, 50)  # 户籍: residents 0-49
CIVIL_RANGE = range(30, 60)  # 低保: 30-59 (30-49 also in 户籍)
MARKET_RANGE = range(40, 70)  # 健康证: 40-69
TRADITIONAL = 31  # 民政 writes resident 31's name in traditional characters
LEGACY = 33  # 民政 still has resident 33's 15-digit ID
MOVED = 35  # 民政 knows resident 35 at another address
NO_ID = 65  # 市场监管's record of resident 65 has no ID number (only in 健康证)
MISHEARD = 37  # 民政 wrote resident 37's name with a homophone (晓锋 for 晓峰): a name conflict
NEW_PHONE = 52  # 健康证 has a newer phone number of resident 52 than 民政: a phone conflict
MISTYPED = 44  # 公安 can mistype resident 44's 出生日期 (police_rows(mistyped=True)): 民政 has none


@dataclass(frozen=True)
class Resident:
    n: int
    name: str
    born: date
    gender: str
    id_number: str
    address: str
    phone: str


def resident(n: int) -> Resident:
    born = date(1950 + n % 45, 1 + n % 12, 1 + (n * 7) % 28)
    gender = "1" if n % 2 else "2"
    # the 17th digit of an ID is odd for men: the sequence carries the gender
    seq = 10 * (n % 50) + (1 if gender == "1" else 2)
    name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 3) % len(GIVEN)]
    if n == TRADITIONAL:
        name = "陈丽华"
    return Resident(
        n=n,
        name=name,
        born=born,
        gender=gender,
        id_number=make_id_number("330106", born, seq),
        address=f"{ROADS[n % len(ROADS)]}{100 + n}号{1 + n % 9}幢{101 + n}室",
        phone=f"139{57100000 + n * 37:08d}",
    )


def legacy_id(id18: str) -> str:
    """The 15-digit form of an ID number issued before 1999 (century and check digit dropped)."""
    return id18[:6] + id18[8:17]


def moved_address(r: Resident) -> str:
    return f"余杭区良渚街道玉鸟路{r.n}号"


def misheard(name: str) -> str:
    return name.replace("峰", "锋")


def new_phone(r: Resident) -> str:
    return f"138{68200000 + r.n:08d}"


def mistyped_birth(r: Resident) -> date:
    """The 出生日期 公安 typed for resident MISTYPED: a day off (its ID number says otherwise)."""
    return r.born.replace(day=r.born.day % 28 + 1)


def police_rows(
    people: range = POLICE_RANGE, moved: dict[int, str] | None = None, mistyped: bool = False
) -> pa.Table:
    """``mistyped``: 公安's 出生日期 of resident MISTYPED is a day off."""
    rs = [resident(n) for n in people]
    moved = moved or {}
    return pa.table(
        {
            "公民身份号码": [r.id_number for r in rs],
            "姓名": [r.name for r in rs],
            "性别": [r.gender for r in rs],
            "出生日期": pa.array(
                [mistyped_birth(r) if mistyped and r.n == MISTYPED else r.born for r in rs], pa.date32()
            ),
            "住址": [moved.get(r.n, r.address) for r in rs],
        }
    )


def reissued_id(r: Resident) -> str:
    """Another valid number for the same place and birth date (公安 re-issues a 重号, a duplicated
    number): the record of a department that has not caught up carries this one."""
    return make_id_number("330106", r.born, 900 + r.n % 50)


def civil_rows(reissued: tuple[int, ...] = ()) -> pa.Table:
    """``reissued``: residents 民政 still knows under the number 公安 has since replaced."""
    rs = [resident(n) for n in CIVIL_RANGE]

    def number(r: Resident) -> str:
        if r.n in reissued:
            return reissued_id(r)
        return legacy_id(r.id_number) if r.n == LEGACY else r.id_number

    return pa.table(
        {
            "公民身份号码": [number(r) for r in rs],
            "姓名": [
                misheard(r.name) if r.n == MISHEARD else "陳麗華" if r.n == TRADITIONAL else r.name
                for r in rs
            ],
            "住址": [moved_address(r) if r.n == MOVED else r.address for r in rs],
            "手机号码": [r.phone for r in rs],
        }
    )


FORMER_NAME = "欧阳晓梅"  # a surname no resident has


def market_rows(former: int | None = None) -> pa.Table:
    """``former``: the record of resident NO_ID is instead resident ``former`` under a former name
    (another surname), at an address of years ago, without any ID: nothing in it matches them."""
    rs = [resident(n) for n in MARKET_RANGE]
    rows = {
        "档案编号": [f"JKZ{r.n:05d}" for r in rs],
        "姓名": [r.name for r in rs],
        "公民身份号码": [None if r.n == NO_ID else r.id_number for r in rs],
        "出生日期": [r.born for r in rs],
        "住址": [r.address for r in rs],
        "手机号码": [new_phone(r) if r.n == NEW_PHONE else r.phone for r in rs],
    }
    if former is not None:
        at, who = MARKET_RANGE.index(NO_ID), resident(former)
        rows["姓名"][at], rows["出生日期"][at] = FORMER_NAME, who.born
        rows["住址"][at], rows["手机号码"][at] = "拱墅区和睦路8号", None
    rows["出生日期"] = pa.array(rows["出生日期"], pa.date32())
    return pa.table(rows)


@dataclass
class City:
    world: World
    store: Store
    police: str  # catalog codes
    civil: str
    market: str
    target: str
    op: Actor
    actors: dict[str, Actor] = field(default_factory=dict)

    @property
    def db(self):
        return self.world.db

    def actor(self, name: str) -> Actor:
        return self.actors.get(name) or self.world.actor(name)


def publish_entry(world: World, who: Actor, provider: str, name: str, items: list[DataItem], **more) -> str:
    """A catalog entry of ``provider`` made by ``who``, submitted and approved by the operator."""
    with world.db.session() as s:
        code = catalog.create(s, who, spec(provider, name=name, items=items, **more)).code
        catalog.submit(s, who, code)
        catalog.review(s, world.actor("op"), code, "approve")
    return code


def build_city(
    world: World,
    url: str,
    warehouse: Path,
    *,
    load: bool = True,
    market_authority: str | None = None,
    police_data: pa.Table | None = None,
    civil_data: pa.Table | None = None,
    market_data: pa.Table | None = None,
) -> City:
    """The four catalog entries (published), and unless ``load`` is false the three inputs' data
    (``police_data``, ``civil_data``, ``market_data``: other rows than the usual). ``market_authority``: the
    department the 健康证 entry names as 数源部门 (none: it is its own source)."""
    with world.db.session() as s:
        user = org.add_user(s, SYSTEM, "sjj", "SJJ", world.bureau, ["dept_admin"], None)
        bureau_admin = org.actor_for(user)
    police = publish_entry(world, world.actor("ga"), world.police, "常住人口户籍信息", POLICE_ITEMS)
    civil = publish_entry(world, world.actor("mz"), world.civil, "最低生活保障对象信息", CIVIL_ITEMS)
    market = publish_entry(
        world,
        world.actor("sj"),
        world.market,
        "食品从业人员健康证信息",
        MARKET_ITEMS,
        authoritative_code=market_authority,
    )
    target = publish_entry(world, bureau_admin, world.bureau, "人口基础库", TARGET_ITEMS)
    store = Store(url, warehouse)
    city = City(world, store, police, civil, market, target, world.actor("op"), {"sjj": bureau_admin})
    if load:
        for code, items, rows in (
            (police, POLICE_ITEMS, police_rows() if police_data is None else police_data),
            (civil, CIVIL_ITEMS, civil_rows() if civil_data is None else civil_data),
            (market, MARKET_ITEMS, market_rows() if market_data is None else market_data),
        ):
            store.ensure_table(code, items)
            store.write(code, rows)
    return city


def add_target(city: City, name: str) -> str:
    """Another base-library entry of the 大数据局 (a second fusion writes to its own)."""
    return publish_entry(city.world, city.actors["sjj"], city.world.bureau, name, TARGET_ITEMS)


ROLES = {
    "police": {
        "record_id": "公民身份号码",
        "name": "姓名",
        "id_number": "公民身份号码",
        "gender": "性别",
        "birth_date": "出生日期",
        "address": "住址",
    },
    "civil": {
        "record_id": "公民身份号码",
        "name": "姓名",
        "id_number": "公民身份号码",
        "address": "住址",
        "phone": "手机号码",
    },
    "market": {
        "record_id": "档案编号",
        "name": "姓名",
        "id_number": "公民身份号码",
        "birth_date": "出生日期",
        "address": "住址",
        "phone": "手机号码",
    },
}


def definition(
    city: City,
    code: str = "renkou",
    order=("police", "civil", "market"),
    target: str | None = None,
    **extra,
) -> dict:
    """The 人口库 definition over the city's inputs, in ``order`` of priority."""
    return {
        "code": code,
        "name": "人口库",
        "kind": "person",
        "target": target or city.target,
        "inputs": [{"resource": getattr(city, which), "roles": dict(ROLES[which])} for which in order],
        **extra,
    }
