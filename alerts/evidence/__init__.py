"""Evidence in the alerting service: verification and retention (``python -m alerts.evidence``)."""
