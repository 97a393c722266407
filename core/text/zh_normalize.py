"""Chinese text normalisation: the written forms of numbers and symbols -> the words said.

``normalize_zh('2024年3月5日，气温-3.5°C')`` -> ``'二零二四年三月五日，气温零下三点五摄氏度'``.
Each rule is one regex and one function; rules run in order, most specific first, and what a
rule writes contains no digits, so later rules cannot read it again.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from .zh_numbers import read_decimal, read_digits, read_integer

_NUM = r"[-−+]?\d+(?:,\d{3})*(?:\.\d+)?"

# Longest symbols first so "km/h" wins over "km" and "m".
UNITS: dict[str, str] = {
    "km/h": "公里每小时", "m/s": "米每秒", "kWh": "千瓦时", "kbps": "千比特每秒", "Mbps": "兆比特每秒",
    "mAh": "毫安时", "km²": "平方公里", "m²": "平方米", "m³": "立方米", "km": "公里", "cm": "厘米",
    "mm": "毫米", "nm": "纳米", "kg": "千克", "mg": "毫克", "ml": "毫升", "mL": "毫升", "TB": "太字节",
    "GB": "吉字节", "MB": "兆字节", "KB": "千字节", "kB": "千字节", "GHz": "吉赫兹", "MHz": "兆赫兹",
    "kHz": "千赫兹", "Hz": "赫兹", "kW": "千瓦", "W": "瓦", "V": "伏", "h": "小时", "min": "分钟",
    "ms": "毫秒", "s": "秒", "m": "米", "g": "克", "t": "吨", "L": "升", "l": "升",
}
CURRENCY_PREFIX = {"¥": "元", "￥": "元", "$": "美元", "US$": "美元", "€": "欧元", "£": "英镑", "HK$": "港元"}


def _date_ymd(m: re.Match) -> str:
    y, mo, d = m.group("y"), m.group("mo"), m.group("d")
    return f"{read_digits(y)}年{read_integer(int(mo))}月{read_integer(int(d))}日"


def _year(m: re.Match) -> str:
    return read_digits(m.group(1)) + "年"


def _month_day(m: re.Match) -> str:
    return read_integer(int(m.group(1))) + m.group(2)


def _clock(m: re.Match) -> str:
    h, mi, s, sharp = int(m.group("h")), int(m.group("mi")), m.group("s"), m.group("z")
    out = ("两" if h == 2 else read_integer(h)) + "点"
    if mi:
        out += ("零" if mi < 10 else "") + read_integer(mi) + "分"
    elif not s or sharp:
        out += "整"
    if s:
        out += read_integer(int(s)) + "秒"
    return out


def _temperature(m: re.Match) -> str:
    value, scale = m.group(1), m.group(2)
    name = "华氏度" if scale.upper().endswith("F") else "摄氏度"
    if value[:1] in "-−":
        return "零下" + read_decimal(value[1:]) + name
    return read_decimal(value) + name


def _percent(m: re.Match) -> str:
    value = m.group(1)
    sign = "负" if value[:1] in "-−" else ""
    return sign + "百分之" + read_decimal(value.lstrip("-−+"))


def _currency_prefix(m: re.Match) -> str:
    return read_decimal(m.group(2)) + CURRENCY_PREFIX[m.group(1)]


def _unit(m: re.Match) -> str:
    return read_decimal(m.group(1)) + UNITS[m.group(2)]


def _range(m: re.Match) -> str:
    return read_decimal(m.group(1)) + "到" + read_decimal(m.group(2))


def _two_counted(m: re.Match) -> str:
    return "两"


def _number(m: re.Match) -> str:
    text = m.group(0)
    digits = text.lstrip("-−+")
    # Long digit strings and ones with a leading zero are codes or phone numbers: digit by digit.
    if "." not in digits and "," not in digits and (len(digits) > 9 or (len(digits) > 1 and digits[0] == "0")):
        return read_digits(digits)
    return read_decimal(text)


# Before a measure word a lone 2 is said 两 (两个人, 两小时), not 二.
_COUNTED = "个|位|次|天|年|周|岁|件|本|条|张|只|种|名|辆|台|小时|分钟|秒|倍|遍|份|家|层|杯|块|点"
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_CUR_ALT = "|".join(re.escape(c) for c in sorted(CURRENCY_PREFIX, key=len, reverse=True))

RULES: tuple[tuple[re.Pattern, Callable[[re.Match], str]], ...] = (
    (re.compile(r"(?P<y>\d{4})年(?P<mo>\d{1,2})月(?P<d>\d{1,2})[日号]"), _date_ymd),
    (re.compile(r"(?<!\d)(?P<y>\d{4})[-/.](?P<mo>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)"), _date_ymd),
    (re.compile(r"(?<!\d)(\d{2,4})年"), _year),
    (re.compile(r"(?<!\d)(\d{1,2})([月日号])"), _month_day),
    (re.compile(r"(?<![\d:])(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?(?![\d:])(?P<z>整)?"), _clock),
    (re.compile(rf"({_NUM})\s*(°C|℃|°F|℉|°)"), _temperature),
    (re.compile(rf"({_NUM})\s*[%％]"), _percent),
    (re.compile(rf"({_CUR_ALT})\s*({_NUM})"), _currency_prefix),
    (re.compile(rf"({_NUM})\s*({_UNIT_ALT})(?![A-Za-z])"), _unit),
    (re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[-~～]\s*(\d+(?:\.\d+)?)(?![\d.])"), _range),
    (re.compile(rf"(?<![\d.,第])2(?![\d.,])(?=\s*(?:{_COUNTED}))"), _two_counted),
    (re.compile(r"(?<![A-Za-z\d])[-−+]?\d+(?:,\d{3})*(?:\.\d+)?|\d+"), _number),
)


def normalize_zh(text: str) -> str:
    """Rewrite numbers, dates, times, money, percentages, temperatures and units as Chinese words.

    Latin words are left in place (the front end decides what to do with them); digits glued
    to Latin letters (``A4``) are read as numbers too, so no digit ever reaches an engine.
    """
    for pattern, rewrite in RULES:
        text = pattern.sub(rewrite, text)
    return text
