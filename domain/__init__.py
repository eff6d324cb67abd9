"""The bottom floor: the types and pure maths both processes share — the rule core's events
(``events``), the service calendar and its schedule model, rosters, the strict model base and
the three levels, and the floor homography. Imports nothing of the project's other packages."""
