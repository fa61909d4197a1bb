"""Case networks: recoveries, cases, persons, parties of chains of custody, places and
registry records as nodes; links between them, each with its kind, confidence, provenance and time.

INTERPOL's advice is that a recovered gun is part of a larger scheme: the same weapon
recovered twice, two guns sold by the same dealer, a serial that hits a theft report.
Machine rules propose links; investigators confirm or reject them (a rejected link stays
rejected when its rule fires again) and add their own. Every node belongs to exactly one
network: the connected component of the links that are not rejected or retracted.

Everything here is pure: the rules turn facts into proposed links, `reconcile` decides
what a rule's new proposals change among the links already made, and the membership
functions decide how networks merge and split.

Modules: nodes, links (and reconcile), rules, membership."""
