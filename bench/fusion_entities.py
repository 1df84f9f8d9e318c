"""Labelled synthetic legal entities (法人库) as 市场监管 and 税务 hold them, to measure linkage (多源融合).

Entities: a company in a county in force today, named [city] + 字号 + industry + form
(有限公司 70%, 有限责任公司 20%, 股份有限公司 10%; 15% written 恒达（杭州）科技有限公司), established
1993-2023.  Its 统一社会信用代码 is 9 (工商) 1 (企业) + county + 主体标识码 + checks: the 主体标识码 is
the old 组织机构代码 (8 digits + check) for an entity established before 2015, 'MA' + 6 characters
after.  5% of entities have a branch (a distinct entity: 杭州恒达科技有限公司西湖分公司, its own
code and address); 2% are in a pair with the same 字号, industry and form in another city
(names equal once the city is dropped).

Departments: 市场监管 holds 92% of entities (住所, the registered address), 税务 80% (生产经营地址,
a second registration for 3%); every entity is in at least one.  税务's file is GBK.

Noise, per record, rates for 市场监管 / 税务 (``RATES``):

=======================  ==============  =============================================================
kind                     rate            what
=======================  ==============  =============================================================
code_org_only            8% / 40%        only the 组织机构代码, no credit code (of pre-2015 entities)
code_missing             0.5% / 2%       neither code
org_code_shown           20% / 50%       the 组织机构代码 beside the credit code (pre-2015 entities)
org_code_format          30% / 30%       12345678X or 12345678 X for 12345678-X
credit_typo              0.3% / 1%       one character wrong (the check fails)
credit_transposed        0.2% / 0.5%     two neighbouring characters swapped
credit_confusable        0.1% / 0.3%     O for 0, I for 1
name_form                5% / 10%        有限公司 ↔ 有限责任公司
name_city_dropped        10% / 20%       杭州恒达科技有限公司 → 恒达科技有限公司
name_province            3% / 5%         浙江恒达科技有限公司
name_brackets            30% / 50%       half-width () for （）, of names with brackets
name_whitespace          1% / 3%         stray blanks
address_other            0 / 15%         the business address, another place than the 住所
address_*                as for people   short prefix, 省/市 dropped, compact, full-width, blanks
=======================  ==============  =============================================================

Tags: ``branch``, ``lookalike``, ``pre2015`` and ``duplicate_in_department``.
"""

from __future__ import annotations

import random
from datetime import date

import numpy as np

from bench import fusion_address as addr
from bench import fusion_noise as noise
from bench.fusion_records import Builder, Generated
from huitong.standards.divisions import division_table, level_of
from huitong.standards.uscc import ALPHABET, make_credit_code

DEPARTMENTS = ("市场监管", "税务")
ROLES = ("record_id", "source", "name", "credit_code", "org_code", "address")
SPECS: dict[str, dict[str, str]] = {
    "市场监管": {
        "record_id": "主体身份代码",
        "name": "企业名称",
        "credit_code": "统一社会信用代码",
        "org_code": "组织机构代码",
        "address": "住所",
    },
    "税务": {
        "record_id": "DJXH",
        "name": "NSRMC",
        "credit_code": "SHXYDM",
        "org_code": "ZZJGDM",
        "address": "SCJYDZ",
    },
}
PREFIX = {"市场监管": "SJ", "税务": "SW"}
ENCODINGS = {"税务": "gbk"}
RATES: dict[str, tuple[float, float]] = {
    "code_org_only": (0.08, 0.40),
    "code_missing": (0.005, 0.02),
    "org_code_shown": (0.20, 0.50),
    "org_code_format": (0.30, 0.30),
    "credit_typo": (0.003, 0.01),
    "credit_transposed": (0.002, 0.005),
    "credit_confusable": (0.001, 0.003),
    "name_form": (0.05, 0.10),
    "name_city_dropped": (0.10, 0.20),
    "name_province": (0.03, 0.05),
    "name_brackets": (0.30, 0.50),
    "name_whitespace": (0.01, 0.03),
    "address_other": (0, 0.15),
    "address_abbreviated": (0.03, 0.05),
    "address_compact": (0.05, 0.10),
    "address_fullwidth": (0.01, 0.03),
    "address_whitespace": (0.01, 0.03),
}
DEPTH = {"市场监管": (0.8, 0.15, 0.05), "税务": (0.5, 0.3, 0.2)}
HOLDS, DUPLICATE, BRANCHES, LOOKALIKES = (0.92, 0.80), 0.03, 0.05, 0.02
BRANDS = "恒达华信金鼎宏远新源正泰永安天成盛世博远鑫诚中联汇通东方瑞丰德润嘉禾亿达长城宏图海纳明珠远航佳和"
INDUSTRIES = noise.words(
    "科技 贸易 建设工程 餐饮管理 物流 医药 食品 电子 机械制造 文化传媒 房地产开发 "
    "农业发展 信息技术 环保科技 建材 服饰 汽车销售 物业管理 广告 教育咨询 网络科技 "
    "生物科技 新能源 供应链管理 装饰工程"
)
FORMS = ("有限公司", "有限责任公司", "股份有限公司")
_ADDRESS_RATES = [{k: v[d] for k, v in RATES.items() if k.startswith("address_")} for d in range(2)]
_MA_CHARS = ALPHABET  # no I, O, Z, S, V


def _city(path: list[str]) -> str:
    """The city in a company name: 杭州 for [浙江省, 杭州市, 西湖区], 北京 for [北京市, 东城区]."""
    return noise.abbreviated(path[-2]) if len(path) >= 2 else noise.abbreviated(path[0])


def _brand(r: random.Random) -> str:
    i = r.randrange(0, len(BRANDS) - 1, 2)
    j = r.randrange(0, len(BRANDS) - 1, 2)
    return BRANDS[i] + BRANDS[j + 1]


def _body8(pre2015: bool, r: random.Random) -> str:
    if pre2015:
        return str(r.randint(1, 7)) + f"{r.randrange(10**7):07d}"
    return "MA" + "".join(r.choice(_MA_CHARS) for _ in range(6))


def _entities(n: int, rng: np.random.Generator, r: random.Random) -> list[dict]:
    table = division_table()
    counties = [c for c in table.codes_at(date(2021, 7, 1)) if level_of(c) == "county"]
    years = rng.integers(1993, 2024, n).tolist()
    county_idx = rng.integers(0, len(counties), n).tolist()
    by_city: dict[str, list[str]] = {}
    for c in counties:
        by_city.setdefault(c[:4], []).append(c)
    out: list[dict] = []
    codes: set[str] = set()

    def add(county: str, brand: str, industry: str, form: str, year: int, tags: list[str], branch_of=None):
        path = table.names_path(county)
        city = _city(path)
        if branch_of is not None:
            place = path[-1][:-1] if len(path[-1]) > 2 and path[-1][-1] in "区县市" else path[-1]
            bracket = r.random() < 0.3
            name = (
                branch_of["name"] + ("（" if bracket else "") + f"{place}分公司" + ("）" if bracket else "")
            )
        elif r.random() < 0.15:
            name = f"{brand}（{city}）{industry}{form}"
        else:
            name = f"{city}{brand}{industry}{form}"
        while True:
            code = make_credit_code("9", "1", county, _body8(year < 2015, r))
            if code not in codes:
                break
        codes.add(code)
        out.append(
            {
                "eid": f"E{len(out):07d}",
                "name": name,
                "city": city,
                "province": path[0],
                "code": code,
                "pre2015": year < 2015,
                "path": path,
                "home": addr.town_place(r),
                "business": addr.town_place(r),
                "tags": tags + (["pre2015"] if year < 2015 else []),
            }
        )
        return out[-1]

    for k in range(n):
        form = FORMS[0] if r.random() < 0.7 else FORMS[1] if r.random() < 0.67 else FORMS[2]
        brand, industry = _brand(r), r.choice(INDUSTRIES)
        county, year = counties[county_idx[k]], years[k]
        entity = add(county, brand, industry, form, year, [])
        if r.random() < LOOKALIKES / 2:
            other = county
            while other[:4] == county[:4]:
                other = r.choice(counties)
            entity["tags"].append("lookalike")
            add(other, brand, industry, form, r.randint(1993, 2023), ["lookalike"])
        if r.random() < BRANCHES:
            entity["tags"].append("branch")
            add(
                r.choice(by_city[county[:4]]),
                brand,
                industry,
                form,
                max(year, r.randint(1993, 2023)),
                ["branch"],
                entity,
            )
    return out


def _name(e: dict, d: int, r: random.Random, kinds: list[str]) -> str:
    name = e["name"]

    def hit(kind: str) -> bool:
        if r.random() < RATES[kind][d]:
            kinds.append(kind)
            return True
        return False

    if "有限责任公司" in name and hit("name_form"):
        name = name.replace("有限责任公司", "有限公司", 1)
    elif "有限公司" in name and "股份" not in name and hit("name_form"):
        name = name.replace("有限公司", "有限责任公司", 1)
    if name.startswith(e["city"]) and hit("name_city_dropped"):
        name = name[len(e["city"]) :]
    if not name.startswith(e["city"]) and hit("name_province"):
        name = noise.abbreviated(e["province"]) + name
    if "（" in name and hit("name_brackets"):
        name = name.replace("（", "(").replace("）", ")")
    if hit("name_whitespace"):
        name = noise.spaced(name, r)
    return name


def _codes(e: dict, d: int, r: random.Random, kinds: list[str]) -> tuple[str | None, str | None]:
    def hit(kind: str) -> bool:
        if r.random() < RATES[kind][d]:
            kinds.append(kind)
            return True
        return False

    if hit("code_missing"):
        return None, None
    code = e["code"]
    org = f"{code[8:16]}-{code[16]}"
    if e["pre2015"] and hit("org_code_format"):
        org = r.choice((org.replace("-", ""), org.replace("-", " ")))
    if e["pre2015"] and hit("code_org_only"):
        return None, org
    if hit("credit_typo"):
        code = noise.digit_typo(code, r, 17, ALPHABET)
    elif r.random() < RATES["credit_transposed"][d] and (t := noise.transposed(code, r)):
        code = t
        kinds.append("credit_transposed")
    elif r.random() < RATES["credit_confusable"][d] and (t := noise.confusable(code, r)):
        code = t
        kinds.append("credit_confusable")
    return code, (org if e["pre2015"] and hit("org_code_shown") else None)


def generate_entities(entities: int, seed: int = 0) -> Generated:
    """About ``entities`` × 1.07 legal entities (with branches and look-alikes) in 市场监管 and 税务."""
    rng = np.random.default_rng(seed)
    r = random.Random(int(rng.integers(2**62)))
    ents = _entities(entities, rng, r)
    n = len(ents)
    u = rng.random((n, 2))
    holds = [u[:, 0] < HOLDS[0], u[:, 1] < HOLDS[1]]
    holds[1] |= ~holds[0]
    builder = Builder({dept: list(spec.values()) for dept, spec in SPECS.items()})
    for d, dept in enumerate(DEPARTMENTS):
        held = np.flatnonzero(holds[d])
        if dept == "税务":
            held = np.concatenate([held, -1 - held[rng.random(len(held)) < DUPLICATE]])
        held = held[rng.permutation(len(held))].tolist()
        for k, i in enumerate(held):
            e = ents[i if i >= 0 else -1 - i]
            kinds = list(e["tags"]) + (["duplicate_in_department"] if i < 0 else [])
            name = _name(e, d, r, kinds)
            credit, org = _codes(e, d, r, kinds)
            parts = e["home"]
            if r.random() < RATES["address_other"][d]:
                parts = e["business"]
                kinds.append("address_other")
            depth = r.choices((0, 1, 2), DEPTH[dept])[0]
            address, more = addr.render(e["path"], parts, r, depth, _ADDRESS_RATES[d])
            by_role = {
                "record_id": f"{PREFIX[dept]}{k + 1:08d}",
                "name": name,
                "credit_code": credit,
                "org_code": org,
                "address": address,
            }
            builder.add(dept, [by_role[role] for role in SPECS[dept]], e["eid"], kinds + more)
    return Generated(builder.tables(), SPECS, builder.truth(), builder.errors(), ROLES, "entities", ENCODINGS)
