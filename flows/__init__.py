"""Prefect flows that only compose tasks (prefect.yaml's entrypoints): `interpolate-catalog` over a
bucket prefix and `interpolate-video` per video. They run in the flow process."""
