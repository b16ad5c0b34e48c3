"""The models that ship with tieng, by name, and where a model comes from.

Each bundled model is registered once, with its kind (``"segmenter"``, ``"tagger"``, and the
stages to come), its file in ``tieng/models/`` and a line about it; :data:`BUNDLED_MODELS` and
:data:`BUNDLED_TAGGERS` are the names of each kind.  A :class:`ModelSource` is what a segmenter
or a tagger pickles as: a name, a path or the bytes, so a worker process loads the same model
again cheaply.  Which class reads the bytes is the business of the model's own module.

This module imports nothing of tieng but the file container.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .container import ModelError, read_file

__all__ = [
    "BUNDLED",
    "BUNDLED_MODELS",
    "BUNDLED_PARSERS",
    "BUNDLED_RESTORERS",
    "BUNDLED_TAGGERS",
    "Bundled",
    "ModelSource",
    "bundled_bytes",
    "bundled_names",
    "register",
]


class Bundled(NamedTuple):
    """A model that ships in the package."""

    kind: str  # "segmenter", "tagger", ...
    file: str  # its file in tieng/models/
    about: str  # what it is for, in a few words


BUNDLED: dict[str, Bundled] = {}
# The names of each kind (views kept up to date by register): what a Segmenter (or --model)
# and a Tagger (or --tagger) accept by name.
BUNDLED_MODELS: dict[str, str] = {}
BUNDLED_TAGGERS: dict[str, str] = {}
BUNDLED_RESTORERS: dict[str, str] = {}
BUNDLED_PARSERS: dict[str, str] = {}
_BY_KIND = {
    "segmenter": BUNDLED_MODELS,
    "tagger": BUNDLED_TAGGERS,
    "restorer": BUNDLED_RESTORERS,
    "parser": BUNDLED_PARSERS,
}


# Where each kind of model goes, for the message when one is given in place of another.
_WHERE = {
    "segmenter": "tieng.Segmenter, or --model on the command line",
    "tagger": "tieng.Tagger, or --tagger on the command line",
    "restorer": "tieng.Restorer, or --restorer on the command line",
    "parser": "tieng.Parser, or --parser on the command line",
}


def register(name: str, kind: str, file: str, about: str) -> None:
    """Add a bundled model: ``name`` is what users pass, ``file`` its file in tieng/models/."""
    if name in BUNDLED:
        raise ValueError(f"a bundled model is already called {name!r}")
    BUNDLED[name] = Bundled(kind, file, about)
    _BY_KIND.setdefault(kind, {})[name] = file


def bundled_names(kind: str) -> dict[str, str]:
    """The bundled models of one kind: name -> file.

    >>> bundled_names("tagger")
    {'vlsp2013-pos': 'vlsp2013-pos.tieng'}
    """
    return _BY_KIND.setdefault(kind, {})


register("vlsp2013", "segmenter", "vlsp2013.tieng", "the default segmenter")
register(
    "vlsp2013-unaccented",
    "segmenter",
    "vlsp2013-unaccented.tieng",
    "also reads text typed without diacritics",
)
register("vlsp2013-pos", "tagger", "vlsp2013-pos.tieng", "the default part-of-speech tagger")
register(
    "viwiki-restorer",
    "restorer",
    "viwiki-restorer.tieng",
    "restores diacritics (CC BY-SA 4.0: trained on Vietnamese Wikipedia and VLSP 2013 text)",
)
register(
    "vtb-parser",
    "parser",
    "vtb-parser.tieng",
    "dependency parser (CC BY-SA 4.0: trained on UD Vietnamese-VTB)",
)


MODELS = Path(__file__).parent / "models"  # where the package's model files are


def bundled_bytes(file: str) -> bytes:
    """The bytes of a model file that ships in the package (``tieng/models/``).

    Read into memory, not mapped: a mapped file truncated or rewritten in place under a
    running process (a reinstall that writes over it, a copy made while a service runs) would
    kill the process with SIGBUS, or change arrays after their checks.  The files are small
    (about 6 MB with 8-bit weights: 3 ms to read on this machine).
    """
    try:
        return (MODELS / file).read_bytes()
    except OSError:  # imported from a zip (a wheel on spark-submit --py-files)
        from importlib import resources

        return resources.files("tieng").joinpath("models").joinpath(file).read_bytes()


@dataclass(frozen=True)
class ModelSource:
    """Where a model comes from: a bundled model's name, a file, or the file's bytes.

    What a segmenter (or a tagger) pickles as, so that a worker process loads the same model
    again cheaply (a name or a path, not the weights).  :meth:`of` gives the source of
    anything a segmenter or a tagger accepts; :meth:`read` its bytes.
    """

    bundled: str | None = None
    path: str | None = None
    data: bytes | None = None

    @classmethod
    def of(
        cls,
        model: str | os.PathLike[str] | bytes,
        bundled: Mapping[str, str] = BUNDLED_MODELS,
        kind: str = "Model",
    ) -> ModelSource:
        """The source of ``model``: one of the ``bundled`` names, the bytes of a file, or a
        path.  A bundled name wins over a file of the same name in the working directory;
        write ``"./vlsp2013"`` for the file.  ``kind`` names the model object the caller
        also accepts, for the error message.

        >>> ModelSource.of("vlsp2013")
        ModelSource(bundled='vlsp2013', path=None, data=None)
        """
        if isinstance(model, str) and model in bundled:
            return cls(bundled=model)
        if isinstance(model, str) and model in BUNDLED:  # a bundled model of another kind
            other = BUNDLED[model].kind
            where = _WHERE.get(other, "")
            wanted = {
                "Model": "segmenter",
                "TaggerModel": "tagger",
                "RestorerModel": "restorer",
                "ParserModel": "parser",
            }.get(kind, kind)
            raise ModelError(
                f"{model!r} is a bundled {other} model, where a {wanted} model is needed "
                f"(give it to {where})"
            )
        if isinstance(model, (bytes, bytearray, memoryview)):
            return cls(data=bytes(model))
        if isinstance(model, (str, os.PathLike)):
            if not os.fspath(model):
                raise ModelError("an empty model name: give a path or a bundled model's name")
            try:
                path = os.fspath(Path(model).resolve())
            except (OSError, RuntimeError):  # a loop of links (RuntimeError before 3.13)
                path = os.path.abspath(model)  # read_file says what is wrong with it
            if isinstance(model, str) and os.sep not in model and not os.path.lexists(model):
                names = ", ".join(bundled)
                raise ModelError(
                    f"{path}: model file not found, and {model!r} is not the name of "
                    f"a bundled model ({names})"
                )
            return cls(path=path)
        raise TypeError(
            f"model must be a path, a bundled model's name, bytes, a {kind} or None, "
            f"not {type(model).__name__}"
        )

    def read(self) -> tuple[bytes | memoryview, str]:
        """The model file's bytes, and what to call it in an error message."""
        if self.bundled is not None:
            file = BUNDLED[self.bundled].file
            return bundled_bytes(file), f"<bundled {file}>"
        if self.path is not None:
            return read_file(self.path), self.path
        if self.data is not None:
            return self.data, "<bytes>"
        raise ModelError("an empty model source")

    def __repr__(self) -> str:
        if self.data is not None:
            return f"ModelSource(<{len(self.data)} bytes>)"
        return f"ModelSource(bundled={self.bundled!r}, path={self.path!r}, data=None)"

    def describe(self) -> str:
        """The source in a few words: the bundled name, the path, or ``<bytes>``."""
        return self.bundled or self.path or "<bytes>"
