"""The VPN-to-ZTNA rollout's analysis (CONTRACTS §9), pure: the model and plain data in, typed results out.

* :mod:`.inventory` (steps 2 and 3, ``inventory`` and ``apps``): what the point-to-site VPN reaches today (its
  client pools, the address spaces behind its gateways, the NSG rules that admit the pools, the routes its
  traffic takes), the traffic evidence (a flow CSV, the Global Secure Access application discovery export,
  the Global Secure Access traffic logs) and the per-application Private Access segments that evidence
  justifies.

No I/O here: the parsers take text and plain dicts; the wizard and the commands read the files and call Graph.
"""

from __future__ import annotations
