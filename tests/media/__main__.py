"""`python -m tests.media`: fetch, check and build the test media now (the tests do it on first use)."""
from tests.media import media_dir, triplets_dir

print(f"test media: {media_dir()}")
print(f"test triplets: {triplets_dir()}")
