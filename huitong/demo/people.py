"""The demo city's residents and enterprises, generated from a seed (no Faker).

Everything comes from one ``random.Random``, so the same seed and sizes give the same people.
ID numbers carry the division code that was in force where and when the person was born, taken
from the shipped GB/T 2260 table (someone born in 余杭 in 1985 has 330125 余杭县, not 330110),
so they validate the way real ones do. Families share a 户号 and an address.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from huitong.standards.divisions import division_table, level_of
from huitong.standards.idcard import make_id_number
from huitong.standards.uscc import ALPHABET, make_credit_code

CITY = "330100"  # 杭州市: the demo city
AS_OF = date(2025, 12, 31)  # the newest birth and registration date: fixed, so runs are alike
HOME_WEIGHT = {"330110": 6, "330113": 5}  # the demo's own districts (余杭, 临平) hold most people
# Districts created after some residents were born: their IDs carry the older district's code.
CARVED_FROM = {"330113": "330110", "330114": "330104", "330108": "330106"}
FALLBACK = "330106"  # 西湖区, listed since 1980

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
)
# earlier surnames in the list are more common (a rough Zipf curve), as cumulative weights
SURNAME_WEIGHTS = tuple(itertools.accumulate(1 / (rank + 1) ** 0.7 for rank in range(len(SURNAMES))))
COMPOUND = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫")
MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林阳建国志海峰晨昊轩博睿泽瑞天鸿锦诚"
FEMALE = "芳娜敏静丽艳娟霞秀英玲婷雪慧琳颖倩洁佳萍燕红梅莉月晶妍欣怡雨涵诗梦瑶璐薇琪悦彤婉思馨蕾紫"
EITHER = "文晓春云嘉子一安言可"
STREETS = {
    "330102": ("湖滨街道", "清波街道", "小营街道", "望江街道", "凯旋街道"),
    "330105": ("米市巷街道", "湖墅街道", "大关街道", "和睦街道", "祥符街道"),
    "330106": ("文新街道", "翠苑街道", "古荡街道", "西溪街道", "留下街道"),
    "330108": ("西兴街道", "长河街道", "浦沿街道"),
    "330109": ("城厢街道", "北干街道", "蜀山街道", "新塘街道"),
    "330110": ("五常街道", "仓前街道", "闲林街道", "良渚街道", "仁和街道", "中泰街道"),
    "330111": ("富春街道", "东洲街道", "银湖街道"),
    "330112": ("锦城街道", "锦北街道", "青山湖街道"),
    "330113": ("临平街道", "南苑街道", "东湖街道", "星桥街道", "乔司街道", "崇贤街道"),
    "330114": ("白杨街道", "下沙街道", "河庄街道"),
    "330122": ("城南街道", "桐君街道"),
    "330127": ("千岛湖镇", "文昌镇"),
    "330182": ("新安江街道", "洋溪街道"),
}
ROADS = (
    "文一西路",
    "文二路",
    "天目山路",
    "莫干山路",
    "良睦路",
    "五常大道",
    "荆长路",
    "龙舟路",
    "人民大道",
    "迎宾路",
    "南苑大街",
    "世纪大道",
    "星桥路",
    "东湖路",
    "建设一路",
    "江南大道",
    "学林街",
    "新安路",
)
RELATIONS = ("户主", "配偶", "子", "女")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                   "155", "156", "157", "158", "159", "177", "180", "181", "182", "183", "186", "187",
                   "188", "189", "198", "199")  # fmt: skip


@dataclass(frozen=True)
class Person:
    id_number: str
    name: str
    sex: str  # GB/T 2261.1: 1 male, 2 female
    birth: date
    district: str  # where they live now (a current county-level code)
    address: str
    mobile: str
    household: str  # 户号
    relation: str  # 与户主关系

    @property
    def sex_zh(self) -> str:
        return "男" if self.sex == "1" else "女"


@dataclass(frozen=True)
class Enterprise:
    credit_code: str
    name: str
    legal_rep: Person
    kind: str
    capital: int  # 万元
    scope: str
    registered: date
    district: str
    address: str


@cache
def districts() -> tuple[tuple[str, str], ...]:
    """The city's county-level divisions in force now, from the shipped table: (code, name)."""
    table = division_table()
    today = date.today()
    codes = [c for c in table.codes_at(today) if c[:4] == CITY[:4] and level_of(c) == "county"]
    return tuple((c, table.lookup(c, today).name) for c in codes)  # type: ignore[union-attr]


@cache
def _predecessors() -> dict[str, frozenset[str]]:
    """Code → every older code of the province that became it (330125 余杭县 → 330110 余杭区)."""
    table = division_table()
    seen: set[str] = set()
    for year in range(1980, date.today().year + 1):
        seen.update(c for c in table.codes_at(date(year, 6, 30)) if c[:2] == CITY[:2])
    out: dict[str, set[str]] = {}
    for code in seen:
        for later in table.successors(code):
            out.setdefault(later, set()).add(code)
    return {k: frozenset(v) for k, v in out.items()}


@cache
def _lineage(district: str) -> tuple[str, ...]:
    """The district's code and every older code that became it, newest first."""
    table = division_table()
    older = sorted(
        _predecessors().get(district, ()), key=lambda c: table.windows(c)[-1].valid_from, reverse=True
    )
    chain = [district, *older]
    if district in CARVED_FROM:
        chain += _lineage(CARVED_FROM[district])
    return tuple(chain)


@cache
def birth_region(district: str, year: int) -> str:
    """The code on the ID of someone born in ``year`` where ``district`` is now."""
    table = division_table()
    on = date(year, 6, 30)
    return next((c for c in _lineage(district) if table.is_valid(c, on)), FALLBACK)


class Town:
    """Draws names, dates, addresses and numbers; remembers what must stay unique."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.ids: set[str] = set()
        self.mobiles: set[str] = set()
        self.codes = [c for c, _ in districts()]
        self.names = dict(districts())
        self.weights = [HOME_WEIGHT.get(c, 1) for c in self.codes]

    def surname(self) -> str:
        if self.rng.random() < 0.01:
            return self.rng.choice(COMPOUND)
        return self.rng.choices(SURNAMES, cum_weights=SURNAME_WEIGHTS)[0]

    def given(self, sex: str) -> str:
        pool = (MALE if sex == "1" else FEMALE) + EITHER
        n = 1 if self.rng.random() < 0.3 else 2
        return "".join(self.rng.choice(pool) for _ in range(n))

    def district(self) -> str:
        return self.rng.choices(self.codes, self.weights)[0]

    def address(self, district: str) -> str:
        r = self.rng
        street = r.choice(STREETS.get(district, ("城区街道",)))
        return (
            f"浙江省杭州市{self.names[district]}{street}{r.choice(ROADS)}{r.randint(1, 999)}号"
            f"{r.randint(1, 30)}幢{r.randint(1, 4)}单元{r.randint(1, 28)}{r.randint(1, 4):02d}室"
        )

    def mobile(self) -> str:
        while True:
            m = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if m not in self.mobiles:
                self.mobiles.add(m)
                return m

    def id_number(self, district: str, birth: date, sex: str) -> str:
        region = birth_region(district, birth.year)
        while True:
            seq = self.rng.randrange(0, 1000)
            if (seq % 2 == 1) != (sex == "1"):
                seq = (seq + 1) % 1000
            number = make_id_number(region, birth, seq)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def birth(self, low_age: int, high_age: int) -> date:
        days = self.rng.randint(low_age * 365, high_age * 365 + 364)
        return AS_OF - timedelta(days=days)

    def person(self, *, district, address, household, relation, birth, sex=None, surname=None) -> Person:
        sex = sex or self.rng.choice("12")
        name = (surname or self.surname()) + self.given(sex)
        return Person(
            self.id_number(district, birth, sex),
            name,
            sex,
            birth,
            district,
            address,
            self.mobile(),
            household,
            relation,
        )


def generate_people(count: int, seed: int = 2026) -> list[Person]:
    """``count`` residents in households: a head, often a spouse, and children."""
    town = Town(random.Random(seed))
    r = town.rng
    people: list[Person] = []
    household = 0
    while len(people) < count:
        household += 1
        district = town.district()
        address = town.address(district)
        number = f"{district}{household:08d}"
        head = town.person(
            district=district, address=address, household=number, relation="户主", birth=town.birth(22, 88)
        )
        family = [head]
        age = (AS_OF - head.birth).days // 365
        if r.random() < 0.7:
            partner = "2" if head.sex == "1" else "1"
            b = head.birth + timedelta(days=r.randint(-5 * 365, 5 * 365))
            family.append(
                town.person(
                    district=district,
                    address=address,
                    household=number,
                    relation="配偶",
                    birth=min(b, AS_OF - timedelta(days=20 * 365)),
                    sex=partner,
                )
            )
        father = next((p for p in family if p.sex == "1"), head)
        surname = next((c for c in COMPOUND if father.name.startswith(c)), father.name[0])
        for _ in range(r.choice((0, 1, 1, 2, 2, 3)) if age > 24 else 0):
            low, high = max(0, age - 40), age - 22
            sex = r.choice("12")
            family.append(
                town.person(
                    district=district,
                    address=address,
                    household=number,
                    relation="子" if sex == "1" else "女",
                    birth=town.birth(low, high),
                    sex=sex,
                    surname=surname if r.random() < 0.9 else None,
                )
            )
        people.extend(family)
    return people[:count]


INDUSTRIES = {
    "科技": "技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发",
    "网络科技": "网络技术服务；信息系统集成服务；互联网销售（除销售需要许可的商品）",
    "贸易": "货物进出口；日用百货销售；五金产品批发；电子产品销售",
    "餐饮管理": "餐饮管理；食品经营（销售预包装食品）；外卖递送服务",
    "建筑工程": "建设工程施工；住宅室内装饰装修；建筑材料销售",
    "电子商务": "互联网销售；服装服饰零售；化妆品零售；国内贸易代理",
    "生物医药": "医学研究和试验发展；第二类医疗器械销售；药品零售",
    "文化传媒": "组织文化艺术交流活动；广告设计、代理；会议及展览服务",
    "物流": "普通货物仓储服务；道路货物运输（不含危险货物）；国内货物运输代理",
    "智能装备": "智能机器人的研发；工业自动控制系统装置制造；机械设备销售",
    "茶业": "茶叶种植；初级农产品收购；食用农产品零售",
    "农业开发": "蔬菜种植；水果种植；休闲观光活动",
}
WORDS = (  # two of these make a 字号
    "华信恒达鼎盛博远云栖青禾启明锦程新元瑞丰天成海纳远航诚泰安和嘉禾明德正阳汇通西溪良渚钱塘运河星桥超山"
    "九州东方盛世宏图金桥银湖春晖秋实晨光新禾"
)
BRANDS = tuple(WORDS[i : i + 2] for i in range(0, len(WORDS), 2))
MAX_ENTERPRISES = 10_000  # well inside the names the words can make
KINDS = {  # 企业类型 → the name's ending
    "有限责任公司（自然人独资）": "有限公司",
    "有限责任公司（自然人投资或控股）": "有限公司",
    "股份有限公司（非上市、自然人投资或控股）": "股份有限公司",
}


def generate_enterprises(count: int, people: list[Person], seed: int = 2026) -> list[Enterprise]:
    """``count`` enterprises with valid 统一社会信用代码, legal representatives drawn from the adults."""
    if count > MAX_ENTERPRISES:
        raise ValueError(f"at most {MAX_ENTERPRISES} enterprises, asked for {count}")
    r = random.Random(seed + 1)
    town = Town(r)
    adults = [p for p in people if (AS_OF - p.birth).days >= 22 * 365]
    codes: set[str] = set()
    names: set[str] = set()
    out: list[Enterprise] = []
    while len(out) < count:
        rep = r.choice(adults)
        district = town.district()
        body = "MA2" + "".join(r.choice(ALPHABET) for _ in range(5))  # 2015-on codes start MA
        code = make_credit_code("9", "1", district, body)
        industry = r.choice(list(INDUSTRIES))
        kind = r.choice(list(KINDS))
        name = f"杭州{''.join(r.sample(BRANDS, 2))}{industry}{KINDS[kind]}"
        if code in codes or name in names:
            continue
        codes.add(code)
        names.add(name)
        earliest = max(rep.birth + timedelta(days=22 * 365), date(2000, 1, 1))
        span = (AS_OF - earliest).days
        out.append(
            Enterprise(
                code,
                name,
                rep,
                kind,
                r.choice((10, 30, 50, 100, 200, 500, 1000, 3000)),
                INDUSTRIES[industry],
                earliest + timedelta(days=r.randint(0, max(span, 0))),
                district,
                town.address(district),
            )
        )
    return out
