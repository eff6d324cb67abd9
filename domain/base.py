"""The building blocks every config model uses."""

from __future__ import annotations

import unicodedata
from enum import Enum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo must not silently disable a rule; numbers are finite (an
    ``.inf`` or ``.nan`` in YAML is refused, whatever the field's own bounds)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Level(str, Enum):
    """The three administrative levels of electronic supervision (市、县、乡)."""

    city = "city"
    county = "county"
    township = "township"


LEVEL_PARENT = {Level.county: Level.city, Level.township: Level.county}


# Unicode categories a name never needs: controls, format characters (bidi overrides, zero-width
# joiners), private use, surrogates and line/paragraph separators. Each can disguise a name where it
# is shown (a right-to-left override reverses the rest of a legend line).
_UNPRINTABLE = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}


def printable_name(value: str) -> str:
    """``value`` unchanged when it is printable text and not blank, else a typed error."""
    if any(unicodedata.category(c) in _UNPRINTABLE for c in value):
        raise PydanticCustomError(
            "printable", "must be printable text (no control, format or line-separator characters)"
        )
    if value and not value.strip():
        raise PydanticCustomError("blank", "must not be blank")
    return value


def display_name(value: str) -> str:
    """A name the config gives a region, hall, window, camera or zone: printable, and without the
    ASCII double quote (Grafana's region selector reads names out of `name="…"`; write “ ” instead)."""
    printable_name(value)
    if '"' in value:
        raise PydanticCustomError("double_quote", 'must not contain " (write “ ” instead)')
    return value


PersonName = Annotated[str, StringConstraints(max_length=64), AfterValidator(printable_name)]
"""A person's name typed in the console, e.g. 张三 or a staff number."""
DisplayName = Annotated[str, StringConstraints(max_length=64), AfterValidator(display_name)]
"""A display name in the config (may be empty where a field says so)."""


def invalid(code: str, message: str, **context: object) -> PydanticCustomError:
    """A validation error of a stable kind, ``code`` (the console translates kinds and fields, never the
    English ``message``, a template over ``context``: "needs at least {need} points")."""
    return PydanticCustomError(code, message, context or None)


# A position in an image (pixels) or on a hall's floor (metres), as configs, overlays, the
# installers' tool and replayed detections carry it: finite, and within 100,000 of the origin.
COORDINATE_LIMIT = 100_000
Coordinate = Annotated[float, Field(ge=-COORDINATE_LIMIT, le=COORDINATE_LIMIT, allow_inf_nan=False)]
# A zone's or an overlay's polygon: at most this many vertices.
MAX_POLYGON_POINTS = 200
# A camera's image side, pixels.
PixelSize = Annotated[int, Field(ge=16, le=16_384)]
