"""The attendance report (考勤报表): built from the service minutes, the reviewed alerts and the
registered absences (``report``), read from the store (``source``), exported (``export``) and
exposed to Prometheus (``metrics``)."""
