"""Build settings that pyproject.toml cannot state: the optional compiled scorer.

Without a C compiler the build goes on without it (``optional=True``) and tieng runs on
numpy alone, with the same output.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "tieng._speedups",
            ["src/tieng/_speedups.c"],
            optional=True,
            extra_compile_args=["-O3"],
        )
    ]
)
