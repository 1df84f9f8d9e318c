"""The files and tables departments hand over, written the way they really arrive.

公安 sends a GBK CSV export with a title line, 民政 a spreadsheet with a title row and a merged
two-row header, 市场监管 a table in its old registration system (SQLite, pinyin-initial column
names), 人社 NDJSON from its 金保 interface and 公安's 流动人口 system a JSON document. Each
carries a few deliberate defects (wrong check digits, blank required values, impossible dates,
births in the future, a repeated record) so the rejects and quality pages have something to
show; :class:`Defects` counts them so the demo can say what to expect.
"""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from huitong.demo.people import AS_OF, Enterprise, Person, Town, districts
from huitong.standards.divisions import division_table, level_of
from huitong.standards.idcard import make_id_number

SOURCE_DIR = "sources"  # under the demo's data directory
WEBHOOK = "http://127.0.0.1:8765/webhooks/huitong"  # 民政's receiver (not running in the demo)


@dataclass(frozen=True)
class SourcePlan:
    """One department source: where it is, how it loads, and what a person confirmed."""

    name: str
    dept: str  # the provider department's key in catalog_data
    resource: str  # the catalog resource's name
    kind: str
    config: dict[str, Any]
    mode: str = "full"
    schedule: str | None = None
    fixes: dict[str, str] = field(default_factory=dict)  # column → item the proposal missed
    options: dict[str, dict] = field(default_factory=dict)  # item → ItemOptions as a dict
    load: bool = True  # False: left for the worker's first scheduled run


@dataclass
class Defects:
    """How many rows of each kind of defect were written, per source."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, source: str, kind: str, n: int = 1) -> None:
        self.counts.setdefault(source, {}).setdefault(kind, 0)
        self.counts[source][kind] += n

    def total(self, source: str) -> int:
        return sum(self.counts.get(source, {}).values())


def bad_check(number: str) -> str:
    """The same number with a wrong check character (a typing slip in the last place)."""
    right = number[-1]
    return number[:-1] + ("0" if right != "0" else "1")


def _birth_text(b: date, n: int) -> str:
    """Dates as departments write them: mostly ISO, some with slashes or 年月日."""
    return (f"{b:%Y-%m-%d}", f"{b.year}/{b.month}/{b.day}", f"{b.year}年{b.month}月{b.day}日")[n % 7 % 3]


def _write_gbk_csv(path: Path, title: str, header: list[str], rows: list[list[Any]], note: str) -> None:
    buf = io.StringIO()
    buf.write(title + "\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    w.writerow(["合计", len(rows)])
    buf.write(note + "\n")
    path.write_bytes(buf.getvalue().encode("gbk"))


POLICE_HEADER = [
    "序号",
    "身份证号",
    "姓名",
    "性别",
    "出生日期",
    "民族",
    "户号",
    "与户主关系",
    "住址",
    "联系电话",
]


def police_export(path: Path, people: list[Person], defects: Defects, name: str) -> int:
    """公安 常住人口 export: every resident, a few with slips the police system let through."""
    rows = []
    for n, p in enumerate(people, start=1):
        number, who, born = p.id_number, p.name, _birth_text(p.birth, n)
        if n % 331 == 0:
            number = bad_check(number)
            defects.add(name, "wrong ID check digit")
        elif n % 997 == 0:
            who = ""
            defects.add(name, "blank 姓名 (required)")
        elif n % 1499 == 0:  # a birth date typed a decade ahead: the ID says 2035
            future = date(2035 + n % 5, p.birth.month, min(p.birth.day, 28))
            number = make_id_number(p.id_number[:6], future, int(p.id_number[14:17]))
            born = f"{future:%Y-%m-%d}"
            defects.add(name, "birth date in the future")
        rows.append([n, number, who, p.sex_zh, born, "汉族", p.household, p.relation, p.address, p.mobile])
        if n in (8, 15, 22):  # the same resident exported twice, right below (kept in one read batch)
            rows.append([n, *rows[-1][1:]])
            defects.add(name, "repeated ID number")
    _write_gbk_csv(
        path,
        "杭州市公安局常住人口户籍信息（人口管理系统导出）",
        POLICE_HEADER,
        rows,
        "制表：杭州市公安局人口管理支队（数据截至2025年12月31日）",
    )
    return len(rows)


def police_changes(path: Path, people: list[Person], seed: int) -> list[Person]:
    """The next day's 公安 export: people who moved, a corrected name, newborns (an upsert)."""
    r = random.Random(seed + 7)
    town = Town(r)
    sample = r.sample(people, min(70, len(people) // 20))
    changed = [replace(p, address=town.address(p.district)) for p in sample[:60]]
    changed += [replace(p, name=p.name[:-1] + r.choice("华明玲")) for p in sample[60:]]
    heads = [p for p in people if p.relation == "户主" and (AS_OF - p.birth).days < 40 * 365]
    for parent in r.sample(heads, min(30, len(heads))):
        born = AS_OF - timedelta(days=r.randint(0, 60))
        sex = r.choice("12")
        changed.append(
            town.person(
                district=parent.district,
                address=parent.address,
                household=parent.household,
                relation="子" if sex == "1" else "女",
                birth=born,
                sex=sex,
                surname=parent.name[0],
            )
        )
    write_police_csv(path, "杭州市公安局常住人口变动信息（日增量）", police_rows(changed))
    return changed


def police_rows(people: list[Person]) -> list[list[Any]]:
    """公安's export rows of these people, numbered from 1."""
    return [
        [
            n,
            p.id_number,
            p.name,
            p.sex_zh,
            f"{p.birth:%Y-%m-%d}",
            "汉族",
            p.household,
            p.relation,
            p.address,
            p.mobile,
        ]
        for n, p in enumerate(people, start=1)
    ]


def write_police_csv(path: Path, title: str, rows: list[list[Any]]) -> None:
    """An increment as 公安's system writes it (GBK, title row, 制表 note)."""
    _write_gbk_csv(path, title, POLICE_HEADER, rows, "制表：杭州市公安局人口管理支队")


def dibao_workbook(
    path: Path, people: list[Person], defects: Defects, name: str, seed: int
) -> list[tuple[Person, str]]:
    """民政 低保 roll: title row, merged two-row header, 合计 and notes below. About one in eight
    recipients is listed at an older address than the one 公安 holds. Returns (person, address
    as 民政 wrote it)."""
    import openpyxl

    r = random.Random(seed + 3)
    town = Town(r)
    heads = [p for p in people if p.relation == "户主"]
    chosen = sorted(r.sample(heads, max(20, len(heads) * 6 // 100)), key=lambda p: p.household)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "低保名册"
    ws["A1"] = "杭州市最低生活保障对象花名册（2025年12月）"
    ws.merge_cells("A1:H1")
    ws["A2"] = "序号"
    ws.merge_cells("A2:A3")
    ws["B2"] = "基本信息"
    ws.merge_cells("B2:E2")
    ws["F2"] = "救助情况"
    ws.merge_cells("F2:H2")
    for col, label in zip("BCDEFGH", ["身份证号码", "姓名", "家庭住址", "联系电话", "救助类型", "月救助金额（元）",
                                      "审批日期"], strict=True):  # fmt: skip
        ws[f"{col}3"] = label
    listed = []
    total = 0.0
    for n, p in enumerate(chosen, start=1):
        number, who, phone, address = p.id_number, p.name, p.mobile, p.address
        if n % 8 == 3:  # 民政 still has the address from the last review
            address = town.address(p.district)
            defects.add(name, "address differs from 公安 (not a reject)")
        if n % 97 == 12:
            number = bad_check(number)
            defects.add(name, "wrong ID check digit")
        elif n % 113 == 50:
            who = None
            defects.add(name, "blank 姓名 (required)")
        elif n % 89 == 70:
            phone = phone[:-1]
            defects.add(name, "mobile with 10 digits")
        amount = r.choice((1185.0, 1185.0, 895.5, 640.0, 1420.0))
        total += amount
        rural = p.district in ("330122", "330127", "330182")
        approved = date(2025, r.randint(1, 12), r.randint(1, 28))
        row = [n, number, who, address, phone, "农村低保" if rural else "城市低保", amount, approved]
        ws.append(row)
        ws.cell(ws.max_row, 2).number_format = "@"  # ID numbers kept as text, as they should be
        listed.append((p, address))
    ws.append([])
    ws.append(["合计", None, None, None, None, None, total])
    ws.append(["注：1. 数据截至2025年12月；2. 金额单位为元；3. 家庭住址以最近一次入户核查为准。"])
    ws.append(["制表人：民政局社会救助处", None, None, "审核人：王主任", None, "填报日期：2026年1月5日"])
    wb.save(path)
    return listed


def legacy_registry(path: Path, enterprises: list[Enterprise], defects: Defects, name: str) -> int:
    """市场监管's old 企业登记 system: one table, pinyin-initial columns, dates as YYYYMMDD text."""
    if path.exists():
        path.unlink()
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE T_QY_DJXX (ID INTEGER PRIMARY KEY, TYSHXYDM TEXT, QYMC TEXT, FDDBR TEXT, "
        "QYLX TEXT, ZCZB REAL, JYFW TEXT, CLRQ TEXT, ZS TEXT, DJJG TEXT, GXSJ TEXT)"
    )
    rows = []
    for n, e in enumerate(enterprises, start=1):
        code, company, founded = e.credit_code, e.name, f"{e.registered:%Y%m%d}"
        if n % 211 == 0:
            code = code[:-1] + ("0" if code[-1] != "0" else "1")
            defects.add(name, "wrong credit-code check character")
        elif n % 307 == 0:
            company = None
            defects.add(name, "blank 企业名称 (required)")
        elif n % 401 == 0:
            founded = f"{e.registered.year}0230"  # 30 February
            defects.add(name, "impossible date")
        authority = f"杭州市{dict(districts())[e.district]}市场监督管理局"
        rows.append((n, code, company, e.legal_rep.name, e.kind, float(e.capital), e.scope, founded,
                     e.address, authority, f"{AS_OF:%Y-%m-%d} 23:00:00"))  # fmt: skip
    con.executemany("INSERT INTO T_QY_DJXX VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.commit()
    con.close()
    return len(rows)


def insurance_ndjson(
    path: Path, people: list[Person], enterprises: list[Enterprise], defects: Defects, name: str, seed: int
) -> int:
    """人社 参保 records from the 金保 interface, one JSON object a line."""
    r = random.Random(seed + 5)
    working = [p for p in people if 18 * 365 <= (AS_OF - p.birth).days <= 62 * 365]
    lines = []
    for n, p in enumerate(working, start=1):
        if r.random() > 0.55:
            continue
        status = r.choice(("参保缴费", "参保缴费", "参保缴费", "暂停缴费", "终止参保"))
        number = p.id_number
        if n % 509 == 0:
            status = "待核实"  # not in the code table
            defects.add(name, "参保状态 not in the code table")
        elif n % 673 == 0:
            number = number[:17]
            defects.add(name, "ID number cut to 17 characters")
        base = r.randrange(4462, 24930, 10)
        lines.append(
            {
                "sfzhm": number,
                "xm": p.name,
                "cbzt": status,
                "jfjs": f"{base:,.2f}",
                "dwmc": r.choice(enterprises).name,
            }
        )
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    return len(lines)


def migrant_json(path: Path, count: int, defects: Defects, name: str, seed: int) -> int:
    """公安 流动人口 system's JSON answer: people from other provinces living in the city."""
    r = random.Random(seed + 11)
    town = Town(r)
    table = division_table()
    origins = [c for c in table.codes_at(date(1995, 6, 30)) if c[:2] in ("34", "36", "41", "43", "51")]
    origins = [c for c in origins if level_of(c) == "county" and table.is_valid(c, date(1975, 1, 1))]
    items = []
    for n in range(1, count + 1):
        birth = town.birth(18, 55)
        sex = r.choice("12")
        number = make_id_number(r.choice(origins), birth, r.randrange(0, 500) * 2 + (sex == "1"))
        registered = AS_OF - timedelta(days=r.randint(0, 700))
        if n % 53 == 0:
            number = bad_check(number)
            defects.add(name, "wrong ID check digit")
        district = town.district()
        # 备注, free text the registrar types: every third one carries the landlord's mobile number,
        # which the catalog entry does not declare (discovery finds it: 未申报的个人信息)
        note = (
            f"房东{town.surname()}先生，电话1{r.choice('3578')}{r.randrange(10**9):09d}"
            if n % 3 == 0
            else "已核验"
        )
        items.append(
            {
                "zjhm": number,
                "xm": town.surname() + town.given(sex),
                "jzdz": town.address(district),
                "djrq": f"{registered:%Y-%m-%d}",
                "yxqz": f"{registered + timedelta(days=365):%Y-%m-%d}",
                "bz": note,
            }
        )
    doc = {"code": 0, "msg": "成功", "data": {"total": len(items), "items": items}}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return len(items)


# 卫健's clerks type names by ear and in old forms: what a fusion must see through
HOMOPHONES = {
    "晓": "小",
    "伟": "玮",
    "丽": "莉",
    "明": "铭",
    "静": "婧",
    "华": "骅",
    "杰": "洁",
    "玲": "琳",
    "婷": "亭",
}
TRADITIONAL = {
    "张": "張",
    "陈": "陳",
    "刘": "劉",
    "杨": "楊",
    "黄": "黃",
    "赵": "趙",
    "吴": "吳",
    "孙": "孫",
    "马": "馬",
    "华": "華",
    "伟": "偉",
    "晓": "曉",
    "丽": "麗",
    "红": "紅",
    "军": "軍",
}
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def health_records(path: Path, people: list[Person], defects: Defects, name: str, seed: int) -> int:
    """卫健's 居民电子健康档案: about half the residents, each with a record number of its own; an ID
    number on three records in five, names as clerks heard them, dates in 年月日, addresses without
    the city, some residents at an address 公安 does not know yet (moved)."""
    rng = random.Random(seed + 17)
    rows = []
    for n, p in enumerate(people, start=1):
        if n % 2:
            continue
        who, born, where = p.name, p.birth, p.address
        number = p.id_number if rng.random() < 0.6 else ""
        r = rng.random()
        if r < 0.06:
            who = who[0] + "".join(HOMOPHONES.get(c, c) for c in who[1:])
            defects.add(name, "name typed by its sound (homophone)")
        elif r < 0.12:
            who = "".join(TRADITIONAL.get(c, c) for c in who)
            defects.add(name, "name in traditional characters")
        elif r < 0.15 and len(who) == 3:
            who = who[0] + who[2] + who[1]
            defects.add(name, "given-name characters swapped")
        if rng.random() < 0.02 and born.day <= 12 and born.day != born.month:
            born = date(born.year, born.day, born.month)
            defects.add(name, "day and month swapped")
        where = where.removeprefix("浙江省").removeprefix("杭州市")
        if rng.random() < 0.1:
            where = where.translate(FULLWIDTH)
        if rng.random() < 0.03:
            where = Town(rng).address(p.district)
            defects.add(name, "moved: an address 公安 does not hold")
        rows.append(
            [
                f"WJ{330100:06d}{n:08d}",
                who,
                number,
                p.sex_zh,
                f"{born.year}年{born.month}月{born.day}日",
                where,
                p.mobile,
            ]
        )
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["档案编号", "姓名", "公民身份号码", "性别", "出生日期", "住址", "手机号码"])
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return len(rows)


def taxpayers(path: Path, enterprises: list[Enterprise], defects: Defects, name: str, seed: int) -> int:
    """税务's 纳税人登记: every enterprise; those registered before 2015 still carry the old
    纳税人识别号 (region + 组织机构代码) and no credit code; names with 有限责任公司 for 有限公司."""
    rng = random.Random(seed + 19)
    rows = []
    for e in enterprises:
        org = e.credit_code[8:17]
        company = e.name
        if rng.random() < 0.1:
            company = company.replace("有限公司", "有限责任公司")
            defects.add(name, "有限责任公司 written for 有限公司")
        where = e.address.removeprefix("浙江省")
        if e.registered.year < 2015 or rng.random() < 0.15:
            rows.append(
                [
                    e.credit_code[2:8] + org,
                    company,
                    "",
                    f"{org[:8]}-{org[8]}",
                    where,
                    f"{e.registered:%Y-%m-%d}",
                ]
            )
            defects.add(name, "old 纳税人识别号 only (组织机构代码)")
        else:
            rows.append(
                [
                    e.credit_code,
                    company,
                    e.credit_code,
                    f"{org[:8]}-{org[8]}",
                    where,
                    f"{e.registered:%Y-%m-%d}",
                ]
            )
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["纳税人识别号", "单位名称", "统一社会信用代码", "组织机构代码", "住所", "登记日期"])
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode("gbk"))  # the 征管 system exports GBK
    return len(rows)


INSURANCE_CODES = {"1": "参保缴费", "2": "暂停缴费", "3": "终止参保"}


@dataclass
class Handed:
    """What the departments handed over: the sources to register and what the demo needs later."""

    plans: list[SourcePlan]
    defects: Defects
    dibao: list[tuple[Person, str]]  # 低保 recipients with the address 民政 holds
    directory: Path
    rows: dict[str, int]  # rows written per source


def write_sources(data_dir: Path, people: list[Person], enterprises: list[Enterprise], seed: int) -> Handed:
    """Write every department's hand-over under ``<data_dir>/sources`` and say how each loads."""
    d = data_dir / SOURCE_DIR
    d.mkdir(parents=True, exist_ok=True)
    defects = Defects()
    dibao = dibao_workbook(d / "民政_低保名册.xlsx", people, defects, "mz-dibao", seed)
    rows = {
        "ga-hukou": police_export(d / "公安_常住人口.csv", people, defects, "ga-hukou"),
        "mz-dibao": len(dibao),
        "sc-qydj": legacy_registry(d / "scjg_legacy.db", enterprises, defects, "sc-qydj"),
        "rs-cbxx": insurance_ndjson(d / "人社_参保.ndjson", people, enterprises, defects, "rs-cbxx", seed),
        "wj-jkda": health_records(d / "卫健_健康档案.csv", people, defects, "wj-jkda", seed),
        "sw-nsrdj": taxpayers(d / "税务_纳税人登记.csv", enterprises, defects, "sw-nsrdj", seed),
        "ga-ldrk": migrant_json(
            d / "公安_流动人口.json", max(40, len(people) // 60), defects, "ga-ldrk", seed
        ),
    }
    plans = [
        SourcePlan("ga-hukou", "ga", "常住人口户籍信息", "csv", {"path": str(d / "公安_常住人口.csv")},
                   mode="upsert", schedule="0 2 * * *"),
        SourcePlan("mz-dibao", "mz", "最低生活保障对象信息", "xlsx", {"path": str(d / "民政_低保名册.xlsx")},
                   schedule="0 3 5 * *"),
        SourcePlan(
            "sc-qydj", "sc", "企业登记注册信息", "sql",
            {"url": f"sqlite:///{d / 'scjg_legacy.db'}", "table": "T_QY_DJXX"},
            mode="upsert", schedule="30 1 * * *", fixes={"CLRQ": "登记日期", "ZS": "住址"},
        ),
        SourcePlan("rs-cbxx", "rs", "社会保险参保信息", "ndjson", {"path": str(d / "人社_参保.ndjson")},
                   options={"参保状态": {"codes": INSURANCE_CODES}}),
        SourcePlan("wj-jkda", "wj", "居民电子健康档案信息", "csv", {"path": str(d / "卫健_健康档案.csv")}),
        SourcePlan("sw-nsrdj", "sw", "纳税人登记信息", "csv", {"path": str(d / "税务_纳税人登记.csv")}),
        SourcePlan("ga-ldrk", "ga", "流动人口居住登记信息", "json",
                   {"path": str(d / "公安_流动人口.json"), "records_path": "data.items"},
                   mode="upsert", schedule="0 1 * * *", load=False),
    ]  # fmt: skip
    return Handed(plans, defects, dibao, d, rows)


def write_changes(handed: Handed, people: list[Person], seed: int) -> SourcePlan:
    """公安's next-day increment, loaded after the sharing so subscribers hear of it."""
    path = handed.directory / "公安_常住人口_变动.csv"
    handed.rows["ga-hukou-daily"] = len(police_changes(path, people, seed))
    return SourcePlan("ga-hukou-daily", "ga", "常住人口户籍信息", "csv", {"path": str(path)}, mode="upsert")
