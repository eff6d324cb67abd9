"""Evidence contract shared by the pipeline (which writes) and the alerting service (which verifies
and serves): the case-folder layout and the signed manifest."""
