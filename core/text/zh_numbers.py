"""Chinese readings of numbers: cardinals (一万零五), decimals (三点五) and digit strings (二零二四)."""
from __future__ import annotations

DIGITS = "零一二三四五六七八九"
_SMALL_UNITS = ("", "十", "百", "千")
_BIG_UNITS = ("", "万", "亿", "万亿")


def read_digits(digits: str) -> str:
    """Digit by digit, as years, phone numbers and codes are read: 2024 -> 二零二四."""
    return "".join(DIGITS[int(d)] for d in digits)


def _read_group(n: int) -> str:
    """0 < n < 10000, with zeros inside the group read once (1005 -> 一千零五)."""
    out: list[str] = []
    zero = False
    for power in (3, 2, 1, 0):
        d = n // 10**power % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(DIGITS[d] + _SMALL_UNITS[power])
    return "".join(out)


def read_integer(n: int) -> str:
    """A cardinal: 0 -> 零, 15 -> 十五, 110 -> 一百一十, 10005 -> 一万零五, -3 -> 负三."""
    if n < 0:
        return "负" + read_integer(-n)
    if n == 0:
        return "零"
    if n >= 10**16:
        return read_digits(str(n))
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out: list[str] = []
    need_zero = False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or g < 1000):
            out.append("零")
        out.append(_read_group(g) + _BIG_UNITS[i])
        need_zero = False
    text = "".join(out)
    # 10-19 at the start are said 十X, not 一十X; a leading 2 before 千/万/亿 is 两.
    if text.startswith("一十"):
        return text[1:]
    if text[:2] in ("二千", "二万", "二亿"):
        return "两" + text[1:]
    return text


def read_decimal(text: str) -> str:
    """A number as written, with optional sign and fraction: '-3.5' -> 负三点五, '1,200' -> 一千二百."""
    text = text.replace(",", "")
    sign = ""
    if text[:1] in "-−":
        sign, text = "负", text[1:]
    elif text[:1] == "+":
        sign, text = "正", text[1:]
    whole, _, frac = text.partition(".")
    spoken = read_integer(int(whole or "0"))
    if frac:
        spoken += "点" + read_digits(frac)
    return sign + spoken
