"""Staff uploads are data about the people in them while they are kept: a privacy export lists
the uploads that mention the address, an erasure drops their stored files and the row errors
that quote it, and an upload about someone else stays as it was."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from tests.support.imports import run_imports
from tracking.orders.imports import generic, jobs
from tracking.orders.models import ImportJob
from tracking.privacy.erase import erase_subject
from tracking.privacy.export import export
from tracking.privacy.subject import Subject

HEADER = generic.TEMPLATE.split("\r\n", 1)[0]


def _upload(session, rows: str, encoding: str = "utf-8") -> str:
    raw = (HEADER + "\r\n" + rows).encode(encoding)
    return jobs.enqueue_preview(session, "sakura-tea", "generic", "orders.csv", raw)


def test_an_upload_mentioning_the_address_is_exported_and_then_forgotten(app, session):
    mine = _upload(
        session,
        "ST-9001,Hanako.Yamada@example.com,2026-11-24 10:15,山田 花子,090-1234-5678,150-0001,"
        "東京都渋谷区神宮前1-2-3,ja,JPY,card,,,,,TEA-01,煎茶,,2,1200,,,,\r\n"
        # Refused (two addresses in one cell): the row error quotes the cell.
        "ST-9002,hanako.yamada@example.com; taro@example.com,2026-11-24 10:15,山田 花子,,150-0001,"
        "東京都,ja,JPY,card,,,,,TEA-01,煎茶,,1,1200,,,,\r\n",
        encoding="cp932",
    )
    other = _upload(
        session,
        "ST-9003,taro@example.com,2026-11-24 10:15,山田 太郎,,150-0001,"
        "東京都,ja,JPY,card,,,,,TEA-01,煎茶,,1,1200,,,,\r\n",
    )
    run_imports(app)
    subject = Subject.of("sakura-tea", "hanako.yamada@example.com")

    before = session.exec(select(ImportJob).where(ImportJob.file_id == mine)).one()
    assert "hanako.yamada@example.com" in json.dumps(before.report).lower(), before.report

    listed = export(session, subject)["uploaded_files"]
    assert [u["file_id"] for u in listed] == [mine]
    assert listed[0]["filename"] == "orders.csv" and "data" not in listed[0]

    erasure = erase_subject(session, subject, Path("."))
    session.commit()
    session.expire_all()
    rows = {
        j.file_id: j for j in session.exec(select(ImportJob).where(ImportJob.kind == "preview"))
    }
    assert erasure.uploads == 1
    assert rows[mine].data is None
    assert "hanako" not in json.dumps(rows[mine].report or {}).lower()
    assert (rows[mine].report or {}).get("failed") == 1, "the counts stay"
    assert rows[other].data is not None and b"taro@example.com" in rows[other].data
    assert export(session, subject)["uploaded_files"] == []
