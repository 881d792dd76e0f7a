"""Validate a 10-million-row residents batch chunk by chunk, against one hand-written SQL pass.

The batch is a CSV on disk, made of the city generator's residents (valid and defective rows,
typing variations, random person numbers that sometimes collide) in blocks. Three measurements:

- ``gx``: ``chunks.iter_frames`` + ``chunked_validation.validate_chunks`` over the file, in a fresh
  interpreter so its peak RSS is the validation's own (rows/s, peak RSS, time spent reading);
- ``copy``: the same file COPYed into an unlogged table of the stack's warehouse;
- ``sql``: one SQL statement over that table computing the same checks (key present and unique,
  GB 11643 shape, birth date and check digit, gender domain and agreement with the ID, date shape,
  division code known/current, mobile), the floor any validator of these rows has to pay. Like
  the expectations, it normalises (NFKC, spaces, +86) only values not already canonical.

    SILOBREAK_STACK=demo uv run silobreak up --no-airflow
    SILOBREAK_STACK=demo uv run python bench/bench_validation.py --rows 200000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from silobreak.city.residents import RECORD_COLUMNS

BLOCK = 250_000
COLUMNS = RECORD_COLUMNS  # the department's schema, as the feed contract names it


def generate(path: Path, rows: int, seed: int) -> float:
    """Write ``rows`` residents as a utf-8 CSV at ``path``; returns seconds taken."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from silobreak.city.residents import generate_residents

    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    schema = pa.schema([(c, pa.string()) for c in COLUMNS])
    with pacsv.CSVWriter(
        str(partial),
        schema,
        write_options=pacsv.WriteOptions(quoting_style="needed"),
    ) as writer:
        for number, start in enumerate(range(0, rows, BLOCK)):
            records = generate_residents(min(BLOCK, rows - start), seed=seed + number, defect_rate=0.03).records
            records["updated_at"] = records["updated_at"].dt.strftime("%Y-%m-%d %H:%M:%S+08")
            writer.write_table(pa.Table.from_pandas(records[list(COLUMNS)], preserve_index=False).cast(schema))
    partial.rename(path)  # only a complete file is reused by a later run
    return time.perf_counter() - started


def _peak_rss_kib(fallback: int) -> int:
    """This interpreter's peak RSS: VmHWM starts afresh at exec, while ru_maxrss can carry the
    parent's (the one that generated the file) over the fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return fallback


def measure_gx(path: Path, chunk_rows: int) -> dict[str, Any]:
    """Run in a fresh interpreter (see ``--measure-gx``): chunked validation of the file."""
    from silobreak.contracts import get_contract
    from silobreak.pipeline.chunked_validation import validate_chunks
    from silobreak.pipeline.chunks import iter_frames
    from silobreak.pipeline.landing import Manifest

    contract = get_contract("public_security__residents")
    manifest = Manifest(
        feed=contract.feed, department=contract.department, batch_id="bench", sha256="", size=0,
        row_count=None, format="csv", encoding="utf-8", delimiter=",", source={}, schema=[],
        extracted_at="", data_key="",
    )  # fmt: skip
    started = time.perf_counter()
    import great_expectations as gx

    import silobreak.expectations  # noqa: F401 - what every validation imports first

    gx.get_context(mode="ephemeral")
    startup = time.perf_counter() - started
    reading = 0.0
    baseline = resource.getrusage(resource.RUSAGE_SELF)
    startup_peak = _peak_rss_kib(baseline.ru_maxrss)

    def timed(frames: Any) -> Any:
        nonlocal reading
        while True:
            began = time.perf_counter()
            try:
                frame = next(frames)
            except StopIteration:
                return
            reading += time.perf_counter() - began
            yield frame

    started = time.perf_counter()
    with path.open("rb") as stream:
        outcome = validate_chunks(contract, "bench", timed(iter_frames(manifest, stream, chunk_rows)))
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - baseline.ru_utime - baseline.ru_stime
    return {
        "measure": "gx",
        "rows": outcome.row_count,
        "chunk_rows": chunk_rows,
        "seconds": round(seconds, 1),
        "rows_per_s": round(outcome.row_count / seconds),
        "cpu_s": round(cpu, 1),
        "reading_s": round(reading, 1),
        "startup_s": round(startup, 1),
        "peak_rss_mib": round(_peak_rss_kib(usage.ru_maxrss) / 1024),
        "rss_after_startup_mib": round(startup_peak / 1024),
        "invalid": outcome.invalid_count,
        "duplicated_keys": sum(1 for r in outcome.reasons_by_row.values() if "person_no:key_unique" in r),
        "warnings": outcome.warnings,
    }


_NID = "case when id_card_no ~ '^[0-9]{17}[0-9X]$' then id_card_no "
_NID += "else upper(regexp_replace(normalize(id_card_no, NFKC), '\\s', '', 'g')) end"
_SUM = " + ".join(
    f"substr(nid, {i + 1}, 1)::int * {w}" for i, w in enumerate((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2))
)
CHECKS_SQL = f"""
with n as (
    select person_no, name, gender, birth_date, division_code, id_card_no, phone,
           {_NID} as nid,
           case when phone ~ '^1[3-9][0-9]{{9}}$' then phone
                else regexp_replace(regexp_replace(normalize(phone, NFKC), '[\\s\\-\u2010-\u2015\u2212]', '', 'g'),
                                    '^(\\+86|0086|86)([0-9]{{11}})$', '\\2') end as nphone,
           case when division_code ~ '^[0-9]{{6}}$' then division_code
                else regexp_replace(normalize(division_code, NFKC), '\\s', '', 'g') end as ndiv,
           count(*) over (partition by person_no) as key_n
    from bench_validation.residents
    offset 0  -- computed once per row: without it Postgres inlines nid into each of its ~25 uses
), shaped as (
    select *, nid ~ '^[0-9]{{17}}[0-9X]$' as shape from n
), parts as (
    select *,
           case when shape then substr(nid, 7, 4)::int end as y,
           case when shape then substr(nid, 11, 2)::int end as m,
           case when shape then substr(nid, 13, 2)::int end as d
    from shaped
    offset 0
), checked as (
    select *,
           person_no is null as key_missing,
           person_no is not null and key_n > 1 as key_duplicated,
           name is null as name_missing,
           id_card_no is null as id_missing,
           id_card_no is not null and not coalesce(
               shape
               and substr('10X98765432', ({_SUM}) % 11 + 1, 1) = substr(nid, 18, 1)
               and case when m not between 1 and 12 or d < 1 or y < 1 then false
                        when d > extract(day from make_date(y, m, 1) + interval '1 month - 1 day') then false
                        else make_date(y, m, d) between date '1900-01-01' and current_date end,
               false) as id_invalid,
           gender not in ('男', '女') as gender_bad,
           birth_date !~ '^\\d{{4}}-\\d{{2}}-\\d{{2}}$' as birth_date_bad,
           division_code !~ '^\\d{{6}}$' as division_format_bad,
           ndiv not in ('440303', '440304', '440305', '440306', '440307', '440308', '440309', '440310', '440311',
                        '440301', '440321') as division_unknown,
           ndiv not in ('440303', '440304', '440305', '440306', '440307', '440308', '440309', '440310', '440311')
               as division_retired,
           phone is not null and nphone !~ '^1[3-9][0-9]{{9}}$' as phone_bad
    from parts
    offset 0
), paired as (
    select *,
           not id_invalid and shape and gender is not null
           and case upper(btrim(gender)) when '男' then 1 when 'M' then 1 when 'MALE' then 1 when '1' then 1
                                          when '女' then 0 when 'F' then 0 when 'FEMALE' then 0 when '2' then 0 end
               <> substr(nid, 17, 1)::int % 2 as gender_mismatch
    from checked
)
select count(*) as rows,
       count(*) filter (where key_missing or key_duplicated or name_missing or id_missing or id_invalid
                        or coalesce(gender_bad, false) or coalesce(birth_date_bad, false)
                        or coalesce(division_format_bad, false) or coalesce(division_unknown, false)
                        or coalesce(phone_bad, false) or coalesce(gender_mismatch, false)) as invalid,
       count(*) filter (where key_duplicated) as duplicated_keys,
       count(*) filter (where division_retired) as division_warnings
from paired
"""  # noqa: S608 - built from constants only


def _cpu_seconds(stat: Path) -> float:
    """User + system CPU of a process from /proc (the backend's own work, whatever else runs)."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_sql(path: Path) -> list[dict[str, Any]]:
    """COPY the file into the warehouse of the current stack, then time one pass of the checks."""
    from silobreak.settings import current_stack
    from silobreak.warehouse import connect

    stack = current_stack()
    columns = ", ".join(COLUMNS)
    with connect(stack, autocommit=True) as conn:
        conn.execute("create schema if not exists bench_validation")
        conn.execute("drop table if exists bench_validation.residents")
        conn.execute(
            "create unlogged table bench_validation.residents ("
            + ", ".join(f"{c} text" for c in COLUMNS)
            + ", _row bigint generated always as identity)"
        )
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(f"copy bench_validation.residents ({columns}) from stdin (format csv, header true)") as copy,
            path.open("rb") as stream,
        ):
            while block := stream.read(1 << 20):
                copy.write(block)
        copied = time.perf_counter() - started
        conn.execute("vacuum analyze bench_validation.residents")
        conn.execute("set work_mem = '256MB'")
        conn.execute("set max_parallel_workers_per_gather = 0")  # one core, as Python; all CPU in this backend
        backend = Path(f"/proc/{conn.info.backend_pid}/stat")  # the stack's Postgres runs on this machine
        cpu_before = _cpu_seconds(backend)
        started = time.perf_counter()
        row = conn.execute(CHECKS_SQL).fetchone()
        checked = time.perf_counter() - started
        cpu = _cpu_seconds(backend) - cpu_before
        conn.execute("drop table bench_validation.residents")
    assert row is not None
    rows, invalid, duplicated, warnings = row
    return [
        {"measure": "copy", "rows": rows, "seconds": round(copied, 1), "rows_per_s": round(rows / copied)},
        {
            "measure": "sql",
            "rows": rows,
            "seconds": round(checked, 1),
            "rows_per_s": round(rows / checked),
            "cpu_s": round(cpu, 1),
            "invalid": invalid,
            "duplicated_keys": duplicated,
            "warnings": {"division_code:division_code_current": warnings},
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--file", type=Path, help="keep the generated CSV here (reused when it exists)")
    parser.add_argument("--skip", choices=("gx", "sql"), action="append", default=[])
    parser.add_argument("--measure-gx", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_gx:
        print(json.dumps(measure_gx(args.measure_gx, args.chunk_rows), ensure_ascii=False))
        return
    with tempfile.TemporaryDirectory() as scratch:
        path = args.file or Path(scratch) / "residents.csv"
        if not path.exists():
            seconds = generate(path, args.rows, args.seed)
            print(json.dumps({"measure": "generate", "rows": args.rows, "seconds": round(seconds, 1)}), flush=True)
        results: dict[str, dict[str, Any]] = {}
        if "gx" not in args.skip:
            command = [sys.executable, __file__, "--measure-gx", str(path), "--chunk-rows", str(args.chunk_rows)]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            results["gx"] = json.loads(out.strip().splitlines()[-1])
            print(json.dumps(results["gx"], ensure_ascii=False), flush=True)
        if "sql" not in args.skip:
            for item in measure_sql(path):
                results[item["measure"]] = item
                print(json.dumps(item, ensure_ascii=False), flush=True)
        if "gx" in results and "sql" in results:
            summary = {
                "measure": "summary",
                "rows": results["gx"]["rows"],
                "gx_over_sql": round(results["gx"]["seconds"] / results["sql"]["seconds"], 1),
                "gx_over_sql_cpu": round(results["gx"]["cpu_s"] / max(results["sql"]["cpu_s"], 0.01), 1),
                "gx_over_copy_and_sql": round(
                    results["gx"]["seconds"] / (results["sql"]["seconds"] + results["copy"]["seconds"]), 1
                ),
                "same_invalid_count": results["gx"]["invalid"] == results["sql"]["invalid"],
            }
            print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
