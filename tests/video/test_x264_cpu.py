"""x264's instruction sets: everything but AVX-512 on an AVX-512 machine, x264's own choice elsewhere.
(That the outputs then match bit for bit across workers is tests/flows/test_shared_nothing.py.)"""
from __future__ import annotations

from rifeflow.video.x264_cpu import x264_asm

ZEN4 = "flags\t\t: fpu sse sse2 pni ssse3 sse4_1 sse4_2 abm avx fma bmi1 bmi2 avx2 avx512f avx512bw mmxext\n"
HASWELL = "flags\t\t: fpu sse sse2 pni ssse3 sse4_1 sse4_2 abm avx fma bmi1 bmi2 avx2 mmxext\n"


def test_avx512_is_left_out_and_nothing_the_cpu_lacks_is_named():
    assert x264_asm(ZEN4) == "MMX2,SSE,SSE2,SSE3,SSSE3,SSE4,SSE4.2,LZCNT,AVX,FMA3,BMI1,BMI2,AVX2"
    assert x264_asm(ZEN4.replace(" avx2", "").replace(" bmi2", "")) == \
        "MMX2,SSE,SSE2,SSE3,SSSE3,SSE4,SSE4.2,LZCNT,AVX,FMA3,BMI1"
    assert x264_asm(HASWELL) is None and x264_asm("") is None
