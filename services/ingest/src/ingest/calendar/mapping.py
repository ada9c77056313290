"""Which column of a stores or events file is which canonical column (header names compared normalised)."""

from __future__ import annotations

from ingest.mapping import SYNONYMS

STORE_REQUIRED = ("store",)
STORE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "store": SYNONYMS["store"],
    "name": ("name", "storename", "shopname", "locationname", "branchname", "sitename", "description"),
    "country": ("country", "countrycode", "countryiso", "iso", "iso2", "nation"),
    "subdivision": (
        "subdivision",
        "subdivisioncode",
        "state",
        "statecode",
        "region",
        "regioncode",
        "province",
        "county",
        "land",
        "bundesland",
        "canton",
        "prefecture",
    ),
    "city": ("city", "town", "municipality", "locality"),
    "opened_on": ("openedon", "opened", "opendate", "openingdate", "dateopened", "openedat", "opening"),
    "closed_on": ("closedon", "closed", "closedate", "closingdate", "dateclosed", "closedat", "closing"),
}

EVENT_REQUIRED = ("name", "start")
EVENT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("name", "event", "eventname", "title", "campaign", "campaignname", "description"),
    "start": ("start", "startdate", "startson", "from", "fromdate", "datefrom", "begin", "firstday", "date"),
    "end": ("end", "enddate", "endson", "to", "todate", "dateto", "until", "lastday"),
    "store": SYNONYMS["store"],
    "category": SYNONYMS["category"],
    "kind": ("kind", "type", "eventtype", "eventkind"),
}
