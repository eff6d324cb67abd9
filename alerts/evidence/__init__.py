"""Evidence: clips, snapshots and signed manifests (see ``python -m alerts.evidence --help``)."""
