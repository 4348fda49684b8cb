"""The stages of the demo generator, in the order they run (the order is part of the seed).

Each stage is a function `stage(st: State) -> None` that fills in part of the state (see
`isnote_demo.state`); none writes a file.
"""

from __future__ import annotations

from .amounts import amounts
from .calendar import dates_and_ids
from .names import names
from .participants import participants
from .places import regions, services
from .register import register_rows
from .skeleton import excluded_operations, fse_operations, fse_roles_2017, fse_roles_2019, iej_operations
from .survey import managing_bodies, survey_answers, survey_rows
from .wording import write_texts

STAGES = (fse_operations, fse_roles_2019, fse_roles_2017, iej_operations, excluded_operations,   # the skeleton
          managing_bodies, survey_answers, regions, services, dates_and_ids, amounts, participants, names, write_texts,
          survey_rows, register_rows)

__all__ = ["STAGES"]
