"""Countries, currencies, time zones and languages as a section is set up with them."""

from __future__ import annotations

import pytest

from tracker.domain.errors import DomainError
from tracker.domain.regions import (
    check_country,
    check_section_language,
    check_time_zone,
    country_choices,
    country_codes,
    country_name,
    currency_choices,
    time_zone_choices,
)


def test_the_countries_are_iso_3166s_own():
    codes = country_codes()
    assert len(codes) == 249
    assert {"GB", "SE", "PK", "MX"} <= codes
    assert not codes & {"EU", "UN", "ZZ", "XK", "EZ", "QO"}
    assert check_country(" se ") == "SE"
    for bad in ("EU", "XX", "", "GBR", "S\x00"):
        with pytest.raises(DomainError, match="is not an ISO 3166-1 alpha-2 country code"):
            check_country(bad)


def test_countries_are_named_and_sorted_in_the_readers_language():
    assert country_name("SE", "sv") == "Sverige"
    assert country_name("DE", "fr") == "Allemagne"
    assert country_name("EU") is None
    names = [name for _code, name in country_choices("en")]
    assert names == sorted(names, key=str.casefold)
    assert dict(country_choices("de"))["GB"] == "Vereinigtes Königreich"


def test_currencies_offered_are_those_in_use_and_the_sections_own():
    codes = [code for code, _label in currency_choices("en")]
    assert {"GBP", "SEK", "PKR", "MXN", "EUR", "USD"} <= set(codes)
    assert "DEM" not in codes and "XAU" not in codes
    assert codes == sorted(codes)
    assert "DEM" in [code for code, _label in currency_choices("en", keep="DEM")]
    assert dict(currency_choices("sv"))["SEK"] == "SEK · svensk krona"


def test_time_zones_are_iana_names():
    assert check_time_zone(" Asia/Karachi ") == "Asia/Karachi"
    assert check_time_zone("UTC") == "UTC"
    for bad in ("Mars/Olympus", "", "asia/karachi", "Asia/Karachi\x00", "x" * 5000):
        with pytest.raises(DomainError, match="is not a time zone"):
            check_time_zone(bad)
    groups = dict(time_zone_choices())
    assert groups["UTC"] == ["UTC"]
    assert "Europe/Stockholm" in groups["Europe"] and "America/Mexico_City" in groups["America"]
    # Old aliases are accepted, not offered.
    assert check_time_zone("US/Eastern") == "US/Eastern"
    assert "US" not in groups


def test_a_sections_language_is_one_the_tracker_speaks():
    assert check_section_language(" SV ") == "sv"
    for bad in ("xx", "", None, "english"):
        with pytest.raises(DomainError, match="is not one of the tracker's languages"):
            check_section_language(bad)
