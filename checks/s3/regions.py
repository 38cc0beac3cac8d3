"""AWS region codes (commercial, GovCloud, China, European Sovereign Cloud) and their console names,
so a region typed as "US East (N. Virginia)", an availability zone or an endpoint maps to its code.

Taken from botocore's partitions.json (1.43); kept here so the offline check imports no SDK.
"""

from __future__ import annotations

import re
import unicodedata

REGIONS: dict[str, str] = {
    "af-south-1": "Africa (Cape Town)",
    "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-east-2": "Asia Pacific (Taipei)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-south-2": "Asia Pacific (Hyderabad)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-southeast-3": "Asia Pacific (Jakarta)",
    "ap-southeast-4": "Asia Pacific (Melbourne)",
    "ap-southeast-5": "Asia Pacific (Malaysia)",
    "ap-southeast-6": "Asia Pacific (New Zealand)",
    "ap-southeast-7": "Asia Pacific (Thailand)",
    "ca-central-1": "Canada (Central)",
    "ca-west-1": "Canada West (Calgary)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-central-2": "Europe (Zurich)",
    "eu-north-1": "Europe (Stockholm)",
    "eu-south-1": "Europe (Milan)",
    "eu-south-2": "Europe (Spain)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-west-3": "Europe (Paris)",
    "il-central-1": "Israel (Tel Aviv)",
    "me-central-1": "Middle East (UAE)",
    "me-south-1": "Middle East (Bahrain)",
    "mx-central-1": "Mexico (Central)",
    "sa-east-1": "South America (Sao Paulo)",
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "cn-north-1": "China (Beijing)",
    "cn-northwest-1": "China (Ningxia)",
    "eusc-de-east-1": "AWS European Sovereign Cloud (Germany)",
    "us-gov-east-1": "AWS GovCloud (US-East)",
    "us-gov-west-1": "AWS GovCloud (US-West)",
}

_CODE_IN_TEXT = re.compile(r"([a-z]{2,4}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2})")


def _squash(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def _names() -> dict[str, str]:
    """Squashed console names (full and the part in parentheses, when unique) -> code."""
    names: dict[str, str] = {}
    seen: dict[str, int] = {}
    for code, description in REGIONS.items():
        forms = {description, description.replace("Europe (", "EU (")}
        inner = re.search(r"\(([^)]*)\)", description)
        if inner and not description.startswith("AWS"):  # GovCloud's "(US-East)" alone would mislead
            forms.add(inner.group(1))
        for form in forms:
            key = _squash(form)
            seen[key] = seen.get(key, 0) + 1
            names[key] = code
    return {key: code for key, code in names.items() if seen[key] == 1}


_NAMES = _names()


def suggest_region(value: str) -> str | None:
    """The region code `value` most likely means, or None when it is not recognisable."""
    text = value.strip().strip("\"'").lower().replace("_", "-").replace(" ", "-")
    if text in REGIONS:
        return text
    found = _CODE_IN_TEXT.search(text)  # an endpoint, an ARN or an availability zone like us-east-1a
    if found and found.group(1) in REGIONS:
        return found.group(1)
    return _NAMES.get(_squash(value))
