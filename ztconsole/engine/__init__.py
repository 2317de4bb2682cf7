"""Pure analysis: what-if, gaps, flows, rule algebra, checks. No I/O; no textual, httpx or SDK imports."""
