"""The building blocks every config model uses."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo must not silently disable a rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(str, Enum):
    """The three administrative levels of electronic supervision (市、县、乡)."""

    city = "city"
    county = "county"
    township = "township"


LEVEL_PARENT = {Level.county: Level.city, Level.township: Level.county}
