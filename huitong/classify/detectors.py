"""The built-in Chinese detectors: one DuckDB predicate per kind, the column-name hints, and a per-value
reference for each predicate.

A predicate reads one *cleaned* value (``upper(trim(CAST(v AS VARCHAR)))``, empty as NULL) and is
true when the value is of the kind: check digits for 公民身份号码 (GB 11643), 统一社会信用代码
(GB 32100) and bank cards (Luhn), the shipped table for 行政区划代码 and surnames, patterns for the rest.
The SQL is what runs over a table; the Python references are what the tests hold it to, value by value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from huitong.classify.kinds import Kind
from huitong.standards import sql_forms
from huitong.standards.divisions import division_table
from huitong.standards.idcard import validate_id_number
from huitong.standards.surnames import surname_of
from huitong.standards.uscc import validate_credit_code
from huitong.workdays import CHINA

SURNAME_TABLE = "huitong_surnames"  # registered beside the scanned table: (surname VARCHAR)
DIVISION_TABLE = "huitong_divisions"  # (code VARCHAR): every code ever listed

MOBILE = r"(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}"
LANDLINE = r"\(?0[1-9][0-9]{1,2}\)?[- ]?[2-9][0-9]{6,7}(?:-[0-9]{1,6})?"
BANK_CARD = r"[1-9][0-9]{15,18}"
PLATE = (
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z]"
    r"(?:[A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF]|[A-HJ-NP-Z0-9]{4}[挂学警港澳])"
)
PASSPORT = r"[EG][0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|C[0-9]{8}|C[A-HJ-NP-Z][0-9]{7}|[HM][0-9]{8}(?:[0-9]{2})?"
EMAIL = r"[A-Z0-9._%+-]+@[A-Z0-9-]+(?:\.[A-Z0-9-]+)*\.[A-Z]{2,}"  # values are upper-cased first
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
IPV4 = rf"(?:{_OCTET}\.){{3}}{_OCTET}"
IPV6 = r"(?:[0-9A-F]{1,4}:){7}[0-9A-F]{1,4}|(?:[0-9A-F]{1,4}:){1,6}:(?:[0-9A-F]{1,4}:){0,5}[0-9A-F]{1,4}"
NAME = r"\p{Han}{2,4}"  # beginning with a surname
ETHNIC_NAME = r"\p{Han}{1,10}·\p{Han}{1,10}"  # names transcribed from other languages, joined by ·
ADDRESS_WORDS = r"省|自治区|市|区|县|旗|镇|乡|街道|村|路|街|巷|弄|号|栋|幢|单元|室|组"
_SENTENCE = r"[，。！？；,!?;]"
# An identifier inside text: the value's own kind must not swallow it (an ID next to letters is no ID)
EMBEDDED_ID = r"(?:^|[^0-9A-Z])([1-9][0-9]{16}[0-9X])(?:[^0-9A-Z]|$)"
EMBEDDED_MOBILE = r"(?:^|[^0-9])1[3-9][0-9]{9}(?:[^0-9]|$)"
EMBEDDED_EMAIL = r"[A-Z0-9._%+-]+@[A-Z0-9-]+\.[A-Z]{2,}"
# text, not an identifier alone: longer than a mobile number, with a character no identifier has
FREE_TEXT_MIN = 12
_NOT_ONLY_IDENTIFIER = r"[^0-9A-Z@._+-]"
BIRTH_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d")
EARLIEST_BIRTH = date(1900, 1, 1)


def today() -> date:
    """Today in China (Asia/Shanghai): a birth date or a 14th birthday turns on China's midnight."""
    return datetime.now(CHINA).date()


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _full(pattern: str) -> Callable[[str], str]:
    return lambda c: f"regexp_full_match({c}, {_lit(pattern)})"


_BYTES_0F = 0x0F0F0F0F0F0F0F0F
_BYTES_03 = 0x0303030303030303
_BYTES_01 = 0x0101010101010101


def _luhn_bytes(x: str) -> str:
    """The Luhn sum of the digits packed as nibbles in ``x`` (an even count, the doubled ones in the
    high nibble of each byte), as byte-wise arithmetic: a doubled digit d is 2d - 9 when d >= 5, and
    d >= 5 exactly when bit 3 of d + 3 is set; the bytes (each <= 18) are summed as ``% 255``."""
    high = f"(({x} >> 4) & {_BYTES_0F})"
    over = f"((({high} + {_BYTES_03}) >> 3) & {_BYTES_01})"
    return f"((({x} & {_BYTES_0F}) + {high} * 2 - {over} * 9) % 255)"


def _luhn_sql(c: str) -> str:
    """Luhn over a value of 1-20 ASCII digits: left-padded with zeros to 20 (which keeps every digit's
    place from the right, so the 1st, 3rd ... 19th are doubled) and read as two hexadecimal integers
    of 16 and 4 digits.  Far cheaper than a lambda over the characters."""
    padded = f"lpad({c}, 20, '0')"
    first = _luhn_bytes(f"('0x' || substr({padded}, 1, 16))::UBIGINT")
    last = _luhn_bytes(f"('0x' || substr({padded}, 17, 4))::UBIGINT")
    return f"({first} + {last}) % 10 = 0"


def _bank_card_sql(c: str) -> str:
    # CASE, not AND: the casts must never see a value the pattern rejects
    return (
        f"(CASE WHEN {c} IS NULL THEN NULL WHEN regexp_full_match({c}, {_lit(BANK_CARD)})"
        f" THEN {_luhn_sql(c)} ELSE false END)"
    )


def _division_sql(c: str) -> str:
    return f"(regexp_full_match({c}, '[0-9]{{6}}') AND {c} IN (SELECT code FROM {DIVISION_TABLE}))"


def _name_sql(c: str) -> str:
    compound = f"(length({c}) > 2 AND substr({c}, 1, 2) IN (SELECT surname FROM {SURNAME_TABLE}))"
    single = f"substr({c}, 1, 1) IN (SELECT surname FROM {SURNAME_TABLE})"
    return (
        f"((regexp_full_match({c}, {_lit(NAME)}) AND ({compound} OR {single}))"
        f" OR regexp_full_match({c}, {_lit(ETHNIC_NAME)}))"
    )


_TWO_ADDRESS_WORDS = f"(?:{ADDRESS_WORDS}).*(?:{ADDRESS_WORDS})"


def _address_sql(c: str) -> str:
    return (
        f"(length({c}) BETWEEN 6 AND 80 AND NOT regexp_matches({c}, {_lit(_SENTENCE)})"
        f" AND regexp_matches({c}, {_lit(_TWO_ADDRESS_WORDS)}))"
    )


def birth_sql(c: str) -> str:
    """The date a cleaned value holds in one of the forms departments write, or NULL."""
    formats = "[" + ", ".join(_lit(f) for f in BIRTH_FORMATS) + "]"
    return f"CAST(try_strptime({c}, {formats}) AS DATE)"


def _birth_date_sql(c: str) -> str:
    d = birth_sql(c)
    return f"({d} BETWEEN DATE '{EARLIEST_BIRTH.isoformat()}' AND DATE '{today().isoformat()}')"


# what any embedded identifier needs (11 digits in a row, or an @): most text has neither, and is
# spared the extraction and the check digit
_MAY_HOLD_IDENTIFIER = r"[0-9]{11}|@"


def _free_text_sql(c: str) -> str:
    embedded_id = sql_forms.valid_sql("id_number", f"regexp_extract({c}, {_lit(EMBEDDED_ID)}, 1)")
    return (
        f"(CASE WHEN {c} IS NULL THEN NULL"
        f" WHEN length({c}) < {FREE_TEXT_MIN} OR NOT regexp_matches({c}, {_lit(_MAY_HOLD_IDENTIFIER)})"
        f" OR NOT regexp_matches({c}, {_lit(_NOT_ONLY_IDENTIFIER)}) THEN false"
        f" ELSE coalesce({embedded_id}, false)"
        f" OR regexp_matches({c}, {_lit(EMBEDDED_MOBILE)}) OR regexp_matches({c}, {_lit(EMBEDDED_EMAIL)}) END)"
    )


def _vocabulary_sql(words: str) -> Callable[[str], str]:
    return lambda c: f"regexp_matches({c}, {_lit(words)})"


# --- per-value references (cleaned values in, the same answer as the SQL out) ---------------------


def _luhn(text: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(text)):
        d = ord(ch) - 48
        total += (2 * d - (9 if d > 4 else 0)) if i % 2 else d
    return total % 10 == 0


def _ref_full(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern, re.ASCII)
    return lambda v: compiled.fullmatch(v) is not None


def _ref_id(v: str) -> bool:
    checked = validate_id_number(v)
    return checked.ok and checked.value == v and len(v) == 18


def _ref_uscc(v: str) -> bool:
    checked = validate_credit_code(v)
    return checked.ok and checked.value == v


def _ref_bank_card(v: str) -> bool:
    return re.fullmatch(BANK_CARD, v, re.ASCII) is not None and _luhn(v)


def _ref_division(v: str) -> bool:
    return re.fullmatch(r"[0-9]{6}", v, re.ASCII) is not None and bool(division_table().windows(v))


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ffff]")


def _is_han(text: str) -> bool:
    return bool(text) and all(_HAN.fullmatch(ch) for ch in text)


def _ref_name(v: str) -> bool:
    if v.count("·") == 1:
        left, _, right = v.partition("·")
        return 1 <= len(left) <= 10 and 1 <= len(right) <= 10 and _is_han(left) and _is_han(right)
    return 2 <= len(v) <= 4 and _is_han(v) and surname_of(v) is not None


def _ref_address(v: str) -> bool:
    return 6 <= len(v) <= 80 and not re.search(_SENTENCE, v) and re.search(_TWO_ADDRESS_WORDS, v) is not None


def parse_birth(v: str) -> date | None:
    """The reference of :func:`birth_sql`."""
    if v.isdigit() and len(v) != 8:  # DuckDB reads YYYYMMDD as fixed widths, Python's strptime does not
        return None
    for form in BIRTH_FORMATS:
        try:
            return datetime.strptime(v, form).date()
        except ValueError:
            continue
    return None


def _ref_birth(v: str, today_: date | None = None) -> bool:
    d = parse_birth(v)
    return d is not None and EARLIEST_BIRTH <= d <= (today_ or today())


def _ref_free_text(v: str) -> bool:
    if len(v) < FREE_TEXT_MIN or not re.search(_NOT_ONLY_IDENTIFIER, v):
        return False
    m = re.search(EMBEDDED_ID, v)
    return bool(
        (m and _ref_id(m.group(1)))
        or re.search(EMBEDDED_MOBILE, v, re.ASCII)
        or re.search(EMBEDDED_EMAIL, v, re.ASCII)
    )


HEALTH_WORDS = (
    r"高血压|糖尿病|癌|肿瘤|残疾|精神|心脏病|艾滋|HIV|乙肝|肝炎|结核|哮喘|抑郁|阳性|过敏|病史|住院|手术"
)
RELIGION_WORDS = r"佛教|道教|伊斯兰教|基督教|天主教|东正教|无宗教信仰"
CRIMINAL_WORDS = r"判处|有期徒刑|拘役|缓刑|盗窃罪|诈骗罪|服刑|刑满释放|前科|犯罪"


@dataclass(frozen=True)
class Detector:
    kind: Kind
    hint: re.Pattern[str]  # the column's name (or its data item's) suggests the kind
    predicate: Callable[[str], str]  # SQL over a cleaned column reference
    reference: Callable[[str], bool]  # the same test, one cleaned value at a time
    evidence: str  # what a value that passes has passed, for the person who reviews the finding
    needs_hint: bool = False  # too common a shape to count without a telling column name


def _hint(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


DETECTORS: tuple[Detector, ...] = (
    Detector(
        Kind.id_number,
        _hint(r"身份证|身份号码|证件号|sfz|zjhm|id_?card|id_?no|id_?number"),
        lambda c: f"coalesce({sql_forms.valid_sql('id_number', c)}, false)",
        _ref_id,
        "GB 11643 check digit and birth date",
    ),
    Detector(
        Kind.uscc,
        _hint(r"信用代码|tyshxydm|uscc|credit"),
        lambda c: f"coalesce({sql_forms.valid_sql('credit_code', c)}, false)",
        _ref_uscc,
        "GB 32100 check character",
    ),
    Detector(
        Kind.bank_card,
        _hint(r"银行卡|卡号|账号|帐号|yhk|bank|card|account"),
        _bank_card_sql,
        _ref_bank_card,
        "Luhn check digit",
    ),
    Detector(
        Kind.mobile,
        _hint(r"手机|移动电话|电话|联系方式|sjh|lxdh|mobile|phone|tel"),
        _full(MOBILE),
        _ref_full(MOBILE),
        "mobile number pattern (1[3-9] + 9 digits)",
    ),
    Detector(
        Kind.landline,
        _hint(r"座机|固定电话|固话|电话|lxdh|phone|tel"),
        _full(LANDLINE),
        _ref_full(LANDLINE),
        "area code + 7-8 digit number",
    ),
    Detector(
        Kind.plate,
        _hint(r"车牌|号牌|hphm|cph|plate"),
        _full(PLATE),
        lambda v: re.fullmatch(PLATE, v) is not None,
        "plate pattern (province + letter + 5-6)",
    ),
    Detector(
        Kind.passport,
        _hint(r"护照|通行证|回乡证|hzhm|passport|permit"),
        _full(PASSPORT),
        _ref_full(PASSPORT),
        "passport or permit pattern",
    ),
    Detector(
        Kind.email,
        _hint(r"邮箱|邮件|email|e_mail|mail"),
        _full(EMAIL),
        _ref_full(EMAIL),
        "e-mail address pattern",
    ),
    Detector(
        Kind.ip,
        _hint(r"(?:^|_)ip(?:$|_|地址|dz)|ip地址"),
        lambda c: f"regexp_full_match({c}, {_lit(IPV4 + '|' + IPV6)})",
        _ref_full(IPV4 + "|" + IPV6),
        "IPv4 or IPv6 address",
    ),
    Detector(
        Kind.division_code,
        _hint(r"区划|xzqh|division|region|地区代码|行政区"),
        _division_sql,
        _ref_division,
        "in the shipped GB/T 2260 table",
        needs_hint=True,
    ),
    Detector(
        Kind.person_name,
        _hint(r"姓名|名字|联系人|负责人|法定代表人|法人代表|户主|申请人|xm$|^xm|name"),
        _name_sql,
        _ref_name,
        "2-4 Han characters beginning with a surname",
    ),
    Detector(
        Kind.address,
        _hint(r"地址|住址|住所|居住地|户籍地|dz$|^dz|zz$|address|addr"),
        _address_sql,
        _ref_address,
        "two or more address words (省/市/区/路/号…)",
    ),
    Detector(
        Kind.birth_date,
        _hint(r"出生|生日|csrq|birth|dob"),
        _birth_date_sql,
        _ref_birth,
        "a date between 1900 and today",
        needs_hint=True,
    ),
    Detector(
        Kind.free_text_with_identifiers,
        _hint(r"备注|说明|描述|内容|情况|意见|bz|remark|note|desc|memo|content"),
        _free_text_sql,
        _ref_free_text,
        "text holding an ID number, mobile number or e-mail",
    ),
    Detector(
        Kind.health,
        _hint(r"诊断|疾病|病史|病情|健康|残疾|医疗|就诊|体检|血型|过敏|病种|zd|diagnos|disease|health"),
        _vocabulary_sql(HEALTH_WORDS),
        lambda v: re.search(HEALTH_WORDS, v) is not None,
        "health words",
        needs_hint=True,
    ),
    Detector(
        Kind.religion,
        _hint(r"宗教|信仰|zjxy|religion"),
        _vocabulary_sql(RELIGION_WORDS),
        lambda v: re.search(RELIGION_WORDS, v) is not None,
        "religion words",
        needs_hint=True,
    ),
    Detector(
        Kind.criminal_record,
        _hint(r"犯罪|刑事|前科|违法记录|判决|服刑|criminal|convict"),
        _vocabulary_sql(CRIMINAL_WORDS),
        lambda v: re.search(CRIMINAL_WORDS, v) is not None,
        "criminal-record words",
        needs_hint=True,
    ),
    Detector(
        Kind.finance,
        _hint(r"收入|工资|薪|存款|余额|贷款|资产|房产|负债|公积金|纳税额|income|salary|balance|loan|deposit"),
        lambda c: f"regexp_full_match({c}, '-?[0-9]+(?:\\.[0-9]+)?')",
        _ref_full(r"-?[0-9]+(?:\.[0-9]+)?"),
        "amounts in a financial column",
        needs_hint=True,
    ),
)
BY_KIND = {d.kind: d for d in DETECTORS}
# Where the name alone is the evidence, a column whose values fit the vocabulary less often still
# counts, since the values (an amount, a free-form diagnosis) cannot prove the kind.
NAME_ONLY = {Kind.health, Kind.religion, Kind.criminal_record, Kind.finance}


def minor_sql(birth: str, *, age: int) -> str:
    """True when a birth date (a DATE expression) is of a child younger than ``age`` today."""
    return f"({birth} > DATE '{today().isoformat()}' - INTERVAL {int(age)} YEAR)"


def id_birth_sql(c: str) -> str:
    """The birth date inside a valid 18-digit ID number."""
    return f"CAST(try_strptime(substr({c}, 7, 8), '%Y%m%d') AS DATE)"


def clean(value: object) -> str | None:
    """The reference of the cleaning every predicate reads: text, trimmed, upper-cased; empty is None."""
    if value is None:
        return None
    text = str(value).strip().upper()
    return text or None
