"""Build settings that pyproject.toml cannot state: the optional compiled helpers.

``tieng._speedups`` (C) does tieng's per-token loops.  Without a C compiler the build goes on
without it (``optional=True``) and tieng runs its Python code, with the same output.
"""

import os

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "tieng._speedups",
            ["src/tieng/_speedups.c"],
            optional=True,
            extra_compile_args=[] if os.name == "nt" else ["-O3"],
        )
    ]
)
