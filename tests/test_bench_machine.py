"""The speed benchmark names the CPU it ran on: a speed is only comparable with the CPU beside it."""
from benchmarks.bench_model import machine_description

TWO_CORE_AVX2 = """processor\t: 0
model name\t: AMD EPYC
flags\t\t: fpu sse2 avx avx2 fma f16c
processor\t: 1
model name\t: AMD EPYC
flags\t\t: fpu sse2 avx avx2 fma f16c
"""


def test_machine_description_names_the_cpu_and_its_vector_instructions():
    described = machine_description(TWO_CORE_AVX2)
    assert described.startswith("AMD EPYC, 2 logical CPUs; avx2 fma; lacks avx512f avx512_vnni")
    assert "amx_int8" in described.split("lacks")[1]


def test_machine_description_of_a_machine_without_cpuinfo():
    assert machine_description("") == ("unknown CPU, ? logical CPUs; none of the listed; lacks avx2 fma avx512f "
                                       "avx512_vnni avx_vnni avx512_bf16 amx_int8 amx_bf16")
