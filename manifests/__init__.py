"""Typed records and pure planning, shared by every process: the options model (options), the
records manifests are made of (records), the catalog's parameters (config), chunk planning and
content keys (planning), and exact frame rates and times (rates). No I/O."""
