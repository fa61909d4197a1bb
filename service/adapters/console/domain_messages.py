"""What the domain says of a value, in the reader's language.

The domain's rules speak English (the API's problems are English, and a domain that
knows nothing of readers stays simple). The console shows their messages beside the
fields they are about; those it knows are listed here, so that the catalogues carry
them, and those that name a number or a value are matched by their shape. A test keeps
the list whole: every literal message of the domain is in it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from service.adapters.console.i18n import N_
from service.adapters.console.i18n import gettext_ as _

DOMAIN_MESSAGES: Final = (
    N_("3-64 characters: letters, digits and . _ @ -, starting alphanumeric"),
    N_("a ballistic link names the hit's reference"),
    N_("a not_traced answer has no chain of custody"),
    N_("a peer's configured name: letters, digits, - and _"),
    N_("a recovery holds at least one item"),
    N_("a response carries the answer"),
    N_("a service account needs at least one scope"),
    N_("a submission carries the request"),
    N_("a thread message is not a step"),
    N_("a user needs at least one role"),
    N_("between 0 (excluded) and 1"),
    N_("choose a photo to attach"),
    N_("confirm or reject"),
    N_("document_number and document_country go together"),
    N_("does not take this step on this request"),
    N_("does not write on this request's thread"),
    N_("has no characters once separators are removed"),
    N_("has no legible character; record the serial state instead"),
    N_("is a file name, not a path"),
    N_("is after the request was sent"),
    N_("is before acknowledge_by"),
    N_("is not after the request was sent"),
    N_("is not an item of this recovery"),
    N_("is not from the sender to the recipient"),
    N_("is required"),
    N_("is required unless serial_state is obliterated or unmarked"),
    N_("lat and lon are given together or not at all"),
    N_("lies after the recovery of the item"),
    N_("lies before 1800"),
    N_("lies in the future"),
    N_("must be 64 lower-case hexadecimal digits"),
    N_("must be a date and time"),
    N_("must be a date without a time"),
    N_("must be a date, YYYY-MM-DD"),
    N_("must be a finite number"),
    N_("must be a media type such as image/jpeg"),
    N_("must be a number"),
    N_("must be a whole number"),
    N_("must be a year between 1800 and 2200"),
    N_("must be an IANA time zone, e.g. Europe/Paris"),
    N_("must be at most 1024 characters"),
    N_("must be between -180 and 180"),
    N_("must be between -90 and 90"),
    N_("must be between 0 and 2 GiB"),
    N_("must be text, a number, true, false or null"),
    N_("must be text, not a date"),
    N_("must be text, not true or false"),
    N_("must include a time zone offset, for example Z"),
    N_("must not be empty"),
    N_("needs a manufacturer, part number, serial or lot to be traceable"),
    N_("needs its SHA-256"),
    N_("needs its text, country or year"),
    N_("the description is too large or too deep"),
    N_("the message is missing"),
    N_("this request was already submitted"),
    N_("to decline, use the decline action with a reason"),
    N_("lies outside the years 1900 to 2199"),
)

# The starts of the periods the console's forms ask for, by the label of their field.
_PERIOD_STARTS: Final = {
    "recovered_from": N_("Recovered from"),
    "submitted_from": N_("Sent from"),
}


def _after(start: str) -> str:
    """A period's end must be after its start, named as its form names it."""
    named = _(_PERIOD_STARTS[start]) if start in _PERIOD_STARTS else start
    return _("must be after %(field)s") % {"field": named}


# Messages that carry a value: the domain's wording as a pattern, and the catalogue's
# message with the value in its place.
_SHAPED: Final[tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...]] = (
    (
        re.compile(r"must be at most (\d+) characters"),
        lambda m: _("must be at most %(count)s characters") % {"count": m.group(1)},
    ),
    (
        re.compile(r"must be at least (\d+) characters"),
        lambda m: _("must be at least %(count)s characters") % {"count": m.group(1)},
    ),
    (
        re.compile(r"must not contain control or invisible characters \((U\+[0-9A-F]+)\)"),
        lambda m: (
            _("must not contain control or invisible characters (%(code)s)") % {"code": m.group(1)}
        ),
    ),
    (
        re.compile(r"(.+) is not an ISO 3166-1 alpha-2 country code"),
        lambda m: _("%(value)s is not an ISO 3166-1 alpha-2 country code") % {"value": m.group(1)},
    ),
    (
        re.compile(r"must be one of:? (.+)"),
        lambda m: _("must be one of: %(choices)s") % {"choices": m.group(1)},
    ),
    (re.compile(r"must be after (\w+)"), lambda m: _after(m.group(1))),
    (
        re.compile(r"must be between 1 and (\d+)"),
        lambda m: _("must be between 1 and %(count)s") % {"count": m.group(1)},
    ),
)


def said_to_reader(detail: str) -> str:
    """The domain's message in the reader's language, where the catalogue knows it."""
    translated = _(detail)
    if translated != detail:
        return translated
    for pattern, say in _SHAPED:
        if found := pattern.fullmatch(detail):
            return say(found)
    return detail
