"""The console's main menu: the sections the person's roles open to them."""

from __future__ import annotations

from dataclasses import dataclass

from service.adapters.console.i18n import gettext_ as _
from service.domain.access import Action, Actor


@dataclass(frozen=True, slots=True)
class Section:
    label: str
    href: str
    current: bool


def navigation(actor: Actor, path: str) -> list[Section]:
    candidates = [
        (_("Dashboard"), "/", None),
        (_("Recoveries"), "/recoveries", Action.RECOVERY_READ),
        (_("Record a recovery"), "/recoveries/new", Action.RECOVERY_RECORD),
        (_("Trace requests"), "/traces", Action.TRACE_READ),
        (_("Networks"), "/networks", Action.NETWORK_READ),
        (_("Statistics"), "/statistics", Action.TRACE_STATISTICS),
        (_("Administration"), "/admin", Action.ACCOUNTS_ADMINISTER),
    ]
    shown = [
        (label, href) for label, href, action in candidates if action is None or actor.may(action)
    ]
    # The longest matching prefix is the current section (/recoveries/new is not /recoveries).
    matching = [
        href
        for _label, href in shown
        if path == href or (href != "/" and path.startswith(href + "/"))
    ]
    current = max(matching, key=len, default="/" if path == "/" else None)
    return [Section(label, href, href == current) for label, href in shown]
