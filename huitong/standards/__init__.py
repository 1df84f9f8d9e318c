"""标准数据元 (standard data elements) and the validators behind them.

Pure functions over the national standards a government data platform meets every day:
公民身份号码 (GB 11643), 统一社会信用代码 (GB 32100), 组织机构代码 (GB 11714),
行政区划代码 (GB/T 2260, with validity windows), 性别代码 (GB/T 2261.1), phone numbers, dates,
and display masking.  Every validator returns a :class:`CheckResult`; nothing here does I/O
beyond reading the shipped division table.
"""

from huitong.standards.dates import parse_date
from huitong.standards.divisions import (
    RESIDENCE_PERMIT_REGIONS,
    Division,
    DivisionTable,
    division_table,
    validate_division_code,
)
from huitong.standards.elements import (
    BUILTIN_ELEMENTS,
    ELEMENTS_BY_ID,
    VALIDATORS,
    DataElement,
    Grade,
    get_builtin,
    max_grade,
    validate_email,
    validate_value,
)
from huitong.standards.findings import CheckResult, Finding
from huitong.standards.gender import GENDER_CODES, normalise_gender
from huitong.standards.idcard import (
    IdInfo,
    id_check_char,
    make_id_number,
    parse_id_number,
    validate_id_number,
)
from huitong.standards.masking import RULES as MASK_RULES
from huitong.standards.masking import mask
from huitong.standards.orgcode import org_check_char, validate_org_code
from huitong.standards.phone import validate_landline, validate_mobile, validate_phone
from huitong.standards.uscc import make_credit_code, uscc_check_char, validate_credit_code

__all__ = [
    "BUILTIN_ELEMENTS",
    "ELEMENTS_BY_ID",
    "GENDER_CODES",
    "MASK_RULES",
    "RESIDENCE_PERMIT_REGIONS",
    "VALIDATORS",
    "CheckResult",
    "DataElement",
    "Division",
    "DivisionTable",
    "Finding",
    "Grade",
    "IdInfo",
    "division_table",
    "get_builtin",
    "id_check_char",
    "make_credit_code",
    "make_id_number",
    "mask",
    "max_grade",
    "normalise_gender",
    "org_check_char",
    "parse_date",
    "parse_id_number",
    "uscc_check_char",
    "validate_credit_code",
    "validate_division_code",
    "validate_email",
    "validate_id_number",
    "validate_landline",
    "validate_mobile",
    "validate_org_code",
    "validate_phone",
    "validate_value",
]
