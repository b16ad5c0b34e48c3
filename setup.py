"""Build settings that pyproject.toml cannot state: the optional compiled helpers.

``tieng._speedups`` (C) does tieng's per-token loops: ``src/tieng/_speedups.c`` and the parts it
includes from ``src/tieng/csrc/``.  Without a C compiler the build goes on
without it (``optional=True``) and tieng runs its Python code, with the same output.
"""

import os

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "tieng._speedups",
            ["src/tieng/_speedups.c"],
            # The parts _speedups.c includes (one translation unit), by job.
            depends=[
                f"src/tieng/csrc/{name}"
                for name in (
                    "common.h", "scan.c", "scores.c", "writers.c", "decoders.c", "restore.c"
                )
            ],
            optional=True,
            extra_compile_args=[] if os.name == "nt" else ["-O3"],
        )
    ]
)
