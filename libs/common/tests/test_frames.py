"""COPY of data frames in and out of the real PostgreSQL: column names that are SQL keywords."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import text

from common.db import sync_session
from common.frames import read_frame, write_frame


def test_a_keyword_column_is_written_whether_or_not_its_name_comes_quoted(servers: Any) -> None:
    frame = pd.DataFrame({"start": ["2024-01-01"], "end": ["2024-01-03"], "units": [2.5]})
    with sync_session() as session:
        connection = session.connection()
        connection.execute(text('CREATE TEMP TABLE _runs (start date, "end" date, units double precision)'))
        assert write_frame(connection, "_runs", frame, ("start", "end", "units")) == 1
        quoted = frame.rename(columns={"end": '"end"'})
        assert write_frame(connection, "_runs", quoted, ("start", '"end"', "units")) == 1
        back = read_frame(connection, 'SELECT start, "end", units FROM _runs')
    assert back.astype(str).to_numpy().tolist() == [["2024-01-01", "2024-01-03", "2.5"]] * 2
