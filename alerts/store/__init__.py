"""The alerting service's persistence: every table in ``schema``, one ``Database`` that creates
them (``database``), and one repository per table or concept."""
