"""Which of the CPU's instruction sets x264 may use, so that an encode is reproducible.

On an AVX-512 machine (measured on an AMD EPYC, Zen 4) x264's AVX-512 code gave different
bitstreams for the same frames: encoded in 5 separate processes, 3 distinct outputs, and
tests/flows/test_shared_nothing.py (one worker against three, the same chunks) failed 4 times of 4;
with the same CPU's instruction sets up to AVX2 the encodes were identical and the test passed. A
video stitched on one worker must match the same video stitched on another, so on such a machine
x264 is given every set it would pick itself except AVX-512. Elsewhere x264 decides.
"""
from __future__ import annotations

import functools
import platform

# x264's names (common/cpu.c) for the /proc/cpuinfo flags they stand for, in x264's order.
X264_NAMES = (("mmxext", "MMX2"), ("sse", "SSE"), ("sse2", "SSE2"), ("pni", "SSE3"), ("ssse3", "SSSE3"),
              ("sse4_1", "SSE4"), ("sse4_2", "SSE4.2"), ("abm", "LZCNT"), ("avx", "AVX"), ("xop", "XOP"),
              ("fma4", "FMA4"), ("fma", "FMA3"), ("bmi1", "BMI1"), ("bmi2", "BMI2"), ("avx2", "AVX2"))


def cpu_flags(cpuinfo: str) -> set[str]:
    line = next((l for l in cpuinfo.splitlines() if l.startswith("flags")), "")
    return set(line.partition(":")[2].split())


def x264_asm(cpuinfo: str) -> str | None:
    """x264's `asm` parameter for a CPU with these /proc/cpuinfo flags; None: leave x264 to choose."""
    flags = cpu_flags(cpuinfo)
    if "avx512f" not in flags:
        return None
    return ",".join(name for flag, name in X264_NAMES if flag in flags)


@functools.lru_cache(maxsize=1)
def this_machines_x264_asm() -> str | None:
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return None
    try:
        with open("/proc/cpuinfo") as fh:
            return x264_asm(fh.read())
    except OSError:
        return None
