"""China's code tables and identifier checks: GB/T 2260 regions, GB/T 2261, GB 3304, GB/T 4658,
the platforms' own enumerations, resident ID numbers (GB 11643) and USCCs (GB 32100)."""

from gateway.codes import regions
from gateway.codes.idnumber import (
    IdNumberError,
    id_birth_date,
    id_check_char,
    id_gender,
    id_validator,
    is_valid_id_number,
    validate_id_number,
)
from gateway.codes.phone import is_landline, is_mobile, is_phone
from gateway.codes.regions import region_exists, region_status
from gateway.codes.shipped import code_table, shipped_tables
from gateway.codes.tables import CodeTable, make_table
from gateway.codes.uscc import UsccError, is_valid_uscc, uscc_check_char, validate_uscc

__all__ = [
    "CodeTable",
    "IdNumberError",
    "UsccError",
    "code_table",
    "id_birth_date",
    "id_check_char",
    "id_gender",
    "id_validator",
    "is_landline",
    "is_mobile",
    "is_phone",
    "is_valid_id_number",
    "is_valid_uscc",
    "make_table",
    "region_exists",
    "region_status",
    "regions",
    "shipped_tables",
    "uscc_check_char",
    "validate_id_number",
    "validate_uscc",
]
