"""Everything around the files: the fsspec/s3fs edge (store, with its error translation and
retries in faults), where each object lives under DEST_URI (layout), manifests (manifest_store),
video leases for overlapping runs (leases), leftovers of killed writers (leftovers), the local
scratch disk (scratch), and credentials kept out of text (secrets)."""
