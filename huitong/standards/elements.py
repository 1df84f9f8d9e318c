"""标准数据元 (standard data elements): the registry that data items (信息项) map to.

A data element fixes what a field means, its 目录 data type letter (字符型 C, 数值型 N,
日期型 D, 日期时间型 T, 逻辑型 L), its length, value domain (代码表), format, validator, default
分类分级 grade and display masking, so every department's "身份证号" column is checked alike.

Identifier scheme (identifiers are stored in the database and never change or get re-used):
``DE`` + 2-digit group + 3-digit serial, e.g. ``DE01001``.  Groups: 01 person (人员),
02 organisation (法人和其他组织), 03 place (区划与地址), 04 contact (联系方式), 05 general (通用).
Groups 01-89 are reserved for built-ins; locally defined elements use groups 90-99.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from huitong.standards.dates import parse_date
from huitong.standards.divisions import validate_division_code
from huitong.standards.findings import CheckResult, Finding, error, not_text
from huitong.standards.gender import GENDER_CODES, normalise_gender
from huitong.standards.idcard import validate_id_number
from huitong.standards.orgcode import validate_org_code
from huitong.standards.phone import validate_landline, validate_mobile, validate_phone
from huitong.standards.uscc import validate_credit_code

DATA_TYPES = {"C": "字符型", "N": "数值型", "D": "日期型", "T": "日期时间型", "L": "逻辑型"}


class Grade(StrEnum):
    """分类分级 grade: 一般1-4级, 重要, 核心; ordered from least to most sensitive."""

    general_1 = "general_1"
    general_2 = "general_2"
    general_3 = "general_3"
    general_4 = "general_4"
    important = "important"
    core = "core"

    @property
    def rank(self) -> int:
        return _GRADE_RANK[self]

    @property
    def label_zh(self) -> str:
        return GRADE_LABELS[self.value]

    @classmethod
    def parse(cls, value: str, field_name: str | None = None) -> Grade:
        """Accept the English value or the Chinese label (一般2级)."""
        from huitong.errors import Problem, invalid

        text = str(value).strip()
        for member in cls:
            if text in (member.value, member.label_zh):
                return member
        choices = ", ".join(f"{m.value} ({m.label_zh})" for m in cls)
        raise invalid(
            f"{field_name or 'grade'}: {text!r} is not one of {choices}",
            Problem(f"{text!r} is not one of {choices}", field=field_name, value=text),
        )


_GRADE_RANK = {g: n for n, g in enumerate(Grade)}  # least to most sensitive


GRADE_LABELS = {
    "general_1": "一般1级",
    "general_2": "一般2级",
    "general_3": "一般3级",
    "general_4": "一般4级",
    "important": "重要",
    "core": "核心",
}


def max_grade(*grades: Grade | str) -> Grade:
    """The most sensitive of the grades (a dataset is graded by its most sensitive field)."""
    if not grades:
        raise ValueError("max_grade needs at least one grade")
    return max((Grade(g) for g in grades), key=lambda g: g.rank)


def validate_email(value: str) -> CheckResult:
    if not isinstance(value, str):
        return not_text(value, "email", "电子邮箱")
    text = value.strip()
    if re.fullmatch(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", text):
        return CheckResult(text.lower() if text.isascii() else text)
    return CheckResult(
        None,
        (error("format", f"{text!r} is not an email address (name@domain)", f"{text!r} 不是有效的电子邮箱"),),
    )


VALIDATORS: dict[str, Callable[[str], CheckResult]] = {
    "id_number": validate_id_number,
    "credit_code": validate_credit_code,
    "org_code": validate_org_code,
    "division_code": validate_division_code,
    "mobile": validate_mobile,
    "landline": validate_landline,
    "phone": validate_phone,
    "gender": normalise_gender,
    "date": parse_date,
    "email": validate_email,
}


SUBJECT_VALIDATORS = frozenset({"id_number", "credit_code"})  # values that name a person or a body


def validator_function(name: str) -> Callable[[str], CheckResult]:
    """A validator by name: the built-ins, then those plugins bring (``huitong_validators``)."""
    fn = VALIDATORS.get(name)
    if fn is None:
        from huitong import plugins  # plugins load on first use of a name that is not built in

        fn = plugins.additions(plugins.hook().huitong_validators(), VALIDATORS, "validator").get(name)
    if fn is None:
        raise UnknownValidator(f"unknown validator {name!r}")
    return fn


class UnknownValidator(ValueError):
    pass


def is_validator(name: str) -> bool:
    """Whether a validator of this name exists (a plugin clashing with a built-in still raises)."""
    try:
        validator_function(name)
    except UnknownValidator:
        return False
    return True


@dataclass(frozen=True)
class DataElement:
    """One standard field definition."""

    identifier: str
    name_zh: str
    name_en: str
    data_type: str = "C"
    length: int | None = None
    value_domain: dict[str, str] | None = None  # 代码表: code -> label
    pattern: str | None = None
    validator: str | None = None  # a built-in validator or one a plugin brings
    default_grade: Grade = Grade.general_2
    mask_rule: str = "none"
    description: str = ""
    # whether a value names a data subject (a person or a body), so evidence of reading it
    # answers "who used my data"; by default, elements validated as an ID number or credit code
    identifies_subject: bool | None = None

    def __post_init__(self) -> None:
        if self.data_type not in DATA_TYPES:
            raise ValueError(
                f"data element {self.identifier}: data type {self.data_type!r} is not one of "
                f"{', '.join(DATA_TYPES)}"
            )
        if self.validator is not None and not is_validator(self.validator):
            raise ValueError(f"data element {self.identifier}: unknown validator {self.validator!r}")
        if self.identifies_subject is None:
            object.__setattr__(self, "identifies_subject", self.validator in SUBJECT_VALIDATORS)


BUILTIN_ELEMENTS: tuple[DataElement, ...] = (
    DataElement(
        "DE01001",
        "公民身份号码",
        "citizen_id",
        "C",
        18,
        validator="id_number",
        default_grade=Grade.general_4,
        mask_rule="id_number",
        description="GB 11643 公民身份号码, 18 characters with MOD 11-2 check",
    ),
    DataElement(
        "DE01002",
        "姓名",
        "person_name",
        "C",
        50,
        default_grade=Grade.general_3,
        mask_rule="name",
        description="自然人姓名",
    ),
    DataElement(
        "DE01003",
        "性别",
        "gender",
        "C",
        1,
        value_domain=GENDER_CODES,
        validator="gender",
        default_grade=Grade.general_2,
        description="GB/T 2261.1 性别代码",
    ),
    DataElement(
        "DE01004",
        "出生日期",
        "birth_date",
        "D",
        10,
        validator="date",
        default_grade=Grade.general_3,
        description="YYYY-MM-DD",
    ),
    DataElement(
        "DE02001",
        "统一社会信用代码",
        "credit_code",
        "C",
        18,
        validator="credit_code",
        default_grade=Grade.general_1,
        description="GB 32100 统一社会信用代码",
    ),
    DataElement(
        "DE02002",
        "组织机构代码",
        "org_code",
        "C",
        10,
        validator="org_code",
        default_grade=Grade.general_1,
        description="GB 11714 组织机构代码, XXXXXXXX-C",
    ),
    DataElement(
        "DE02003",
        "单位名称",
        "org_name",
        "C",
        200,
        default_grade=Grade.general_1,
        description="法人或其他组织的名称",
    ),
    DataElement(
        "DE02004",
        "法定代表人",
        "legal_representative",
        "C",
        50,
        default_grade=Grade.general_2,
        mask_rule="name",
        description="法定代表人姓名",
    ),
    DataElement(
        "DE03001",
        "行政区划代码",
        "division_code",
        "C",
        6,
        pattern=r"\d{6}",
        validator="division_code",
        default_grade=Grade.general_1,
        description="GB/T 2260 行政区划代码",
    ),
    DataElement(
        "DE03002",
        "住址",
        "address",
        "C",
        200,
        default_grade=Grade.general_3,
        mask_rule="address",
        description="住址或地址",
    ),
    DataElement(
        "DE04001",
        "手机号码",
        "mobile",
        "C",
        11,
        validator="mobile",
        default_grade=Grade.general_3,
        mask_rule="mobile",
        description="11位手机号码",
    ),
    DataElement(
        "DE04002",
        "固定电话",
        "landline",
        "C",
        20,
        validator="landline",
        default_grade=Grade.general_2,
        description="区号-号码[-分机]",
    ),
    DataElement(
        "DE04003",
        "联系电话",
        "phone",
        "C",
        20,
        validator="phone",
        default_grade=Grade.general_3,
        mask_rule="mobile",
        description="手机号码或固定电话",
    ),
    DataElement(
        "DE04004",
        "电子邮箱",
        "email",
        "C",
        100,
        validator="email",
        default_grade=Grade.general_3,
        mask_rule="email",
        description="电子邮件地址",
    ),
    DataElement(
        "DE05001",
        "日期",
        "date",
        "D",
        10,
        validator="date",
        default_grade=Grade.general_1,
        description="YYYY-MM-DD",
    ),
)
ELEMENTS_BY_ID = {el.identifier: el for el in BUILTIN_ELEMENTS}


def get_builtin(key: str) -> DataElement:
    """A built-in element by identifier, Chinese name or English name."""
    for el in BUILTIN_ELEMENTS:
        if key in (el.identifier, el.name_zh, el.name_en):
            return el
    raise KeyError(f"no built-in data element {key!r}")


_BOOLEAN = {"true", "false", "1", "0", "y", "n", "yes", "no", "是", "否", "t", "f"}


def _type_problem(data_type: str, text: str) -> tuple[str, str] | None:
    """(English, Chinese) description of the expected type if ``text`` does not fit it."""
    if data_type == "N" and not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", text):
        return "a number", "数值"
    if data_type == "L" and text.lower() not in _BOOLEAN:
        return "a boolean (true/false, 是/否, 1/0)", "逻辑值"
    if data_type == "D" and not parse_date(text).ok:
        return "a date", "日期"
    if data_type == "T":
        try:
            datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            return "a date-time (YYYY-MM-DD HH:MM:SS)", "日期时间"
    return None


def validate_value(element: DataElement, value: str | None) -> CheckResult:
    """Apply the element's validator, then its length, pattern and value domain.

    The validator runs first so length and domain are checked on the normalised value
    (``男`` becomes ``1`` before the 代码表 is consulted).
    """
    if value is None:
        return not_text(value, element.name_en, element.name_zh)
    text = str(value).strip()
    findings: list[Finding] = []
    if element.validator:
        result = validator_function(element.validator)(text)
        findings.extend(result.findings)
        if not result.ok:
            return CheckResult(result.value, tuple(findings))
        text = result.value if result.value is not None else text
    type_problem = _type_problem(element.data_type, text) if not element.validator else None
    if type_problem:
        findings.append(
            error(
                "data_type",
                f"{element.name_en}: {text!r} is not {type_problem[0]}",
                f"{element.name_zh} {text!r} 不是{type_problem[1]}",
            )
        )
    if element.length is not None and len(text) > element.length:
        findings.append(
            error(
                "too_long",
                f"{element.name_en}: {len(text)} characters, at most {element.length}",
                f"{element.name_zh}长度为 {len(text)}，超过 {element.length}",
            )
        )
    if element.pattern and not re.fullmatch(element.pattern, text):
        findings.append(
            error(
                "pattern",
                f"{element.name_en}: {text!r} does not match {element.pattern}",
                f"{element.name_zh} {text!r} 不符合格式 {element.pattern}",
            )
        )
    if element.value_domain is not None and text not in element.value_domain:
        findings.append(
            error(
                "not_in_domain",
                f"{element.name_en}: {text!r} is not in the code table ({', '.join(element.value_domain)})",
                f"{element.name_zh} {text!r} 不在代码表中",
            )
        )
    return CheckResult(text, tuple(findings))
