"""Keep glibc from returning every freed tensor to the kernel.

Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536. Setting that
variable also freezes glibc's adaptive mmap threshold, so each multi-megabyte
activation tensor is mmapped, zero-filled by page faults and unmapped again:
IFNet ran 1.6-2x slower under it (bench/run.py --only worker). Fixed thresholds put
such blocks back on the heap and keep up to TRIM_THRESHOLD_BYTES of freed memory.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024  # glibc's own upper bound for the adaptive threshold
TRIM_THRESHOLD_BYTES = 256 * 1024 * 1024


@functools.cache
def keep_freed_memory() -> bool:
    """Set fixed malloc thresholds once per process; False where libc is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    ok = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1 and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
    if not ok:
        log.debug("mallopt refused the thresholds; keeping the allocator's defaults")
    return ok
