"""Currencies' minor units: how many decimal places an amount in minor units has."""

from __future__ import annotations

# ISO 4217 currencies whose minor unit is not 1/100.
_MINOR_DIGITS = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
}


def minor_digits(currency: str) -> int:
    """Decimal places of the currency's minor unit (JPY 0, GBP 2, KWD 3)."""
    return _MINOR_DIGITS.get(currency.upper(), 2)
