"""Evidence recording in the pipeline: the ring buffer of recent frames, clip jobs, overlays and
signed manifests (verified and served by ``alerts.evidence``)."""
