"""ISO 4217 currency codes an organization can keep its money in.

Ref: ISO 4217 list one (current currencies), as published by SIX, the maintenance agency. Fund
codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW), precious metals and the X-codes for testing
and "no currency" are left out: they do not price goods in a shop.
"""

from __future__ import annotations

DEFAULT_CURRENCY = "USD"
_CODES = """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
    GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
    KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR
    MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR
    SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX
    USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
ISO_4217 = frozenset(_CODES.split())


def currency_code(value: str) -> str:
    """The ISO 4217 code `value` names (case and surrounding spaces ignored), or ValueError saying why."""
    code = value.strip().upper()
    if code not in ISO_4217:
        raise ValueError(
            f"{value!r} is not an ISO 4217 currency code; expected three letters such as USD, EUR or GBP"
        )
    return code
