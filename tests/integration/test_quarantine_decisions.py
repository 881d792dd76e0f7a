"""What becomes of held rows, on the real warehouse and S3: governance releases or rejects them (and
the decision sticks across reruns), a department's corrected file supersedes its batch, and a
batch of unusual size is flagged against the feed's recent volume.

The steps run in-process (test_feed_pipeline covers the Airflow path).
"""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.parse
import uuid
from pathlib import Path

import pytest

from silobreak.contracts import FileDropSource, get_contract
from silobreak.errors import SilobreakError
from silobreak.pipeline import decisions, landing, steps
from silobreak.settings import REPO_ROOT, Stack
from silobreak.stack.s3 import client as s3_client
from silobreak.warehouse import connect

FEED = "health__vaccinations"
CONTRACT = get_contract(FEED)


def silobreak(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "silobreak", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )


def run_feed(stack: Stack) -> list[str]:
    batches: list[str] = steps.extract(FEED, stack=stack)["batches"]
    for batch in batches:
        steps.validate_batch(FEED, batch, stack=stack)
        steps.load_batch(FEED, batch, stack=stack)
    return batches


def raw_rows(stack: Stack, batch: str) -> set[int]:
    with connect(stack) as conn:
        rows = conn.execute(
            f'select _row_number from "{CONTRACT.raw_schema}"."{CONTRACT.raw_table}" where _batch_id = %s', (batch,)
        ).fetchall()
    return {r[0] for r in rows}


def statuses(stack: Stack, batch: str) -> dict[int, str]:
    with connect(stack) as conn:
        rows = conn.execute(
            "select row_number, status from silobreak.quarantine where feed = %s and batch_id = %s", (FEED, batch)
        ).fetchall()
    return dict(rows)


def held_rows(stack: Stack, batch: str) -> list[int]:
    return sorted(n for n, status in statuses(stack, batch).items() if status == "held")


@pytest.fixture(scope="module")
def first_batch(stack: Stack) -> str:
    """The city's vaccinations file, landed and loaded: its defective rows are held."""
    run_feed(stack)  # lands the file unless an earlier test did
    with connect(stack) as conn:
        row = conn.execute(
            "select batch_id from silobreak.batches where feed = %s and status = 'loaded' order by landed_at limit 1",
            (FEED,),
        ).fetchone()
    assert row is not None, "the test city dropped a vaccinations file"
    assert len(held_rows(stack, row[0])) >= 3
    return str(row[0])


def test_results_and_held_rows_are_kept_per_batch(stack: Stack, first_batch: str) -> None:
    with connect(stack) as conn:
        checks = conn.execute(
            "select count(*), count(*) filter (where not success) from silobreak.validation_results "
            "where feed = %s and batch_id = %s",
            (FEED, first_batch),
        ).fetchone()
        history = conn.execute(
            "select row_count, quarantined_count, failed_checks from silobreak.quality_history "
            "where feed = %s and batch_id = %s",
            (FEED, first_batch),
        ).fetchone()
    assert checks is not None and history is not None
    assert checks[0] >= 4 and checks[1] >= 1, "one result per expectation; the injected defects fail some"
    assert history[1] == len(statuses(stack, first_batch)) and history[2] == checks[1]
    assert history[0] > history[1] > 0
    assert "quarantined rows (held)" in silobreak("quarantine", "list", FEED).stdout


def test_release_puts_rows_into_raw_and_a_rerun_keeps_them(stack: Stack, first_batch: str) -> None:
    released, rejected = held_rows(stack, first_batch)[:2]
    with connect(stack) as conn:
        outcome = decisions.decide(
            conn, CONTRACT, first_batch, "released", reason="ID confirmed by phone", decided_by="test", rows=[released]
        )
    assert (outcome.decided, outcome.loaded) == (1, 1)
    assert released in raw_rows(stack, first_batch)

    result = silobreak(
        "quarantine", "reject", FEED, "--batch", first_batch, "--rows", f"{released},{rejected}",
        "--reason", "not a vaccination of ours", "--by", "governance",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "rejected 1 row(s)" in result.stdout and f"row {released} was already released" in result.stdout
    assert statuses(stack, first_batch)[rejected] == "rejected"

    steps.load_batch(FEED, first_batch, stack=stack)  # a rerun of the load
    assert released in raw_rows(stack, first_batch), "a released row stays released"
    assert rejected not in raw_rows(stack, first_batch)

    with connect(stack) as conn, pytest.raises(SilobreakError, match="a decision needs a reason"):
        decisions.decide(conn, CONTRACT, first_batch, "released", reason=" ", decided_by="test")
    bad = silobreak("quarantine", "release", FEED, "--batch", first_batch, "--rows", "999999", "--reason", "x")
    assert bad.returncode == 1 and "holds no row 999999" in bad.stderr


def _gbk_lines(stack: Stack, batch: str) -> list[str]:
    s3 = s3_client(stack)
    manifest = landing.read_manifest(s3, CONTRACT, batch)
    return landing.read_batch(s3, manifest).decode("gbk").splitlines()


def test_a_corrected_file_supersedes_a_rejected_batch(stack: Stack, first_batch: str, tmp_path: Path) -> None:
    assert isinstance(CONTRACT.source, FileDropSource)
    header, *lines = _gbk_lines(stack, first_batch)
    clean = [line for n, line in enumerate(lines) if n not in statuses(stack, first_batch)]
    start = uuid.uuid4().int % (len(clean) - 12)  # new content per run: batches are content-addressed
    clean = clean[start : start + 12]
    record_no = header.split(",").index("id_card_no")
    broken = [",".join(v if i != record_no else "12345" for i, v in enumerate(line.split(","))) for line in clean]

    run = uuid.uuid4().hex[:8]  # inbox names are write-once too
    bad_file = tmp_path / f"vaccinations-{run}-1.csv"
    bad_file.write_bytes("\n".join([header, *broken[:8], *clean[8:]]).encode("gbk") + b"\n")
    assert silobreak("inbox", "drop", str(bad_file), CONTRACT.source.prefix).returncode == 0
    extracted = steps.extract(FEED, stack=stack)
    (rejected_batch,) = extracted["new"]
    with pytest.raises(SilobreakError) as error:
        steps.validate_batch(FEED, rejected_batch, stack=stack)
    message = str(error.value)
    assert f"department health: batch {rejected_batch} of feed {FEED} was rejected" in message
    assert "66.7% of rows are invalid" in message and f"--supersedes {rejected_batch}" in message

    good_file = tmp_path / f"vaccinations-{run}-2.csv"
    good_file.write_bytes("\n".join([header, *clean]).encode("gbk") + b"\n")
    dropped = silobreak("inbox", "drop", str(good_file), CONTRACT.source.prefix, "--supersedes", rejected_batch)
    assert dropped.returncode == 0 and f"supersedes {rejected_batch}" in dropped.stdout
    (corrected,) = run_feed(stack)
    with connect(stack) as conn:
        ledger = {
            row[0]: row[1:]
            for row in conn.execute(
                "select batch_id, status, superseded_by, supersedes, warnings from silobreak.batches "
                "where feed = %s and batch_id in (%s, %s)",
                (FEED, rejected_batch, corrected),
            )
        }
    assert ledger[rejected_batch][:2] == ("superseded", corrected)
    status, _, supersedes, warnings = ledger[corrected]
    assert (status, supersedes) == ("loaded", rejected_batch)
    assert any(re.match(r"volume: 12 rows is \d+% below the [\d,]+ rows of", w) for w in warnings), warnings
    assert set(statuses(stack, rejected_batch).values()) == {"superseded"}, "its held rows are superseded too"
    assert len(raw_rows(stack, corrected)) == 12


def test_quality_history_and_data_docs_are_browsable(stack: Stack, first_batch: str) -> None:
    checks = silobreak("quality", FEED, "--checks")
    assert checks.returncode == 0 and "id_card_no:resident_id_valid" in checks.stdout
    docs = silobreak("data-docs")
    assert docs.returncode == 0, docs.stderr
    index = Path(urllib.parse.urlparse(docs.stdout.strip()).path)
    assert index.name == "index.html" and index.exists()
    pages = list(index.parent.glob(f"validations/{CONTRACT.suite}/{first_batch}/*/*.html"))
    assert pages, f"no Data Docs page for batch {first_batch}"
    page = pages[0].read_text(encoding="utf-8")
    assert "holds resident IDs (GB 11643)" in page, "silobreak's expectations are described in words"
