"""Benchmark: how master_address keys the city's addresses when people spell them differently.

    SILOBREAK_STACK=test uv run python bench/bench_address_keys.py --scale 100000 --share 0.3

Generates the city (in memory), takes every address its departments write (residents, subsidies,
enterprises, food business licences) and re-spells ``--share`` of them the ways people write
addresses and the city does not: Chinese numerals (一百零五号, 二零一室), 幢 / 座 / 号楼 / # for 栋,
楼 / F for 层, 室 / 房 after the room, 第, a leading zero, full-width digits. The city's own spelling
is the truth: its variations (province, city, sub-district) never change the rest.

The warehouse of the running stack then keys every mention as master_address does (the macros
compiled by dbt): on the cleaned text (before ADR 0013) and on the canonical spelling
(``address_detail``). Prints one JSON line: mentions, true addresses, and per key the master
addresses, how many true addresses were split and how many master addresses merge two true ones,
and the seconds the key took in Postgres.
"""

from __future__ import annotations

import argparse
import json
import re
import time

import numpy as np

from silobreak.city.generate import generate_city
from silobreak.pipeline.transform import dbt
from silobreak.settings import current_stack
from silobreak.warehouse import connect

#: department.entity -> its address column
ADDRESS_COLUMNS = {
    "public_security.residents": "registered_address",
    "civil_affairs.subsidies": "address",
    "market_regulation.enterprises": "registered_address",
    "market_regulation.food_business_licences": "premises_address",
}
CN_DIGITS = "零一二三四五六七八九"
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
#: the detail of a cleaned address, as master_address keyed it before ADR 0013
CLEANED_DETAIL = "regexp_replace({a}, '^深圳市[^市区]{{1,4}}区([^区]{{1,8}}?街道)?', '')"


def chinese_number(n: int) -> str:
    """105 -> 一百零五, 23 -> 二十三, 10 -> 十 (below 1000)."""
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    out = f"{CN_DIGITS[hundreds]}百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else CN_DIGITS[tens]) + "十"
    elif hundreds and ones:
        out += "零"
    return out + (CN_DIGITS[ones] if ones or not out else "")


def respell(address: str, rng: np.random.Generator) -> str:
    """One address as someone else writes it: two or three of the variants that apply."""
    variants = [
        lambda a: re.sub(r"(?<=[路道街])(\d+)号", lambda m: chinese_number(int(m[1])) + "号", a, count=1),
        lambda a: re.sub(r"(?<=[路道街])(\d+)号", r"0\1号", a, count=1),
        lambda a: re.sub(r"(\d+)栋", lambda m: m[1] + str(rng.choice(["幢", "座", "号楼", "#"])), a),
        lambda a: re.sub(r"(\d+)栋", lambda m: "第" + chinese_number(int(m[1])) + "栋", a),
        lambda a: re.sub(r"(\d+)单元", lambda m: chinese_number(int(m[1])) + "单元", a),
        lambda a: re.sub(r"(\d+)层", lambda m: m[1] + str(rng.choice(["楼", "F"])), a),
        lambda a: re.sub(r"(?<=[栋元层])(\d+)$", lambda m: m[1] + str(rng.choice(["室", "房"])), a),
        lambda a: re.sub(r"(?<=[栋元层])(\d+)$", lambda m: "".join(CN_DIGITS[int(d)] for d in m[1]) + "室", a),
        lambda a: a.translate(FULLWIDTH),
    ]
    for k in rng.choice(len(variants), size=int(rng.integers(2, 4)), replace=False).tolist():
        address = variants[k](address)
    return address


def mentions(scale: int, seed: int, share: float) -> list[tuple[str, str]]:
    """(the department's spelling, the re-spelt one) of every address the city's departments write."""
    city = generate_city(scale, seed=seed)
    rng = np.random.default_rng(seed)
    out = []
    for table, column in ADDRESS_COLUMNS.items():
        for value in city.table(table).records[column].dropna().tolist():
            out.append((value, respell(value, rng) if rng.random() < share else value))
    return out


def compiled(sql: str) -> str:
    """An inline query with the project's macros, as dbt compiles it."""
    return dbt(["compile", "--quiet", "--inline", sql], stack=current_stack(), lineage=False).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000, help="residents of the city")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--share", type=float, default=0.3, help="share of mentions re-spelt")
    args = parser.parse_args()
    rows = mentions(args.scale, args.seed, args.share)
    # staging normalises (untimed); master_address keys the normalised column (timed)
    district = "{{ address_district('address') }} || '|' || "
    expressions = {
        "cleaned_text": district + CLEANED_DETAIL.format(a="address"),
        "canonical": district + "{{ address_detail('address') }}",
    }
    result: dict[str, object] = {"scale": args.scale, "share": args.share, "mentions": len(rows)}
    with connect(current_stack()) as conn:
        conn.execute("create temp table bench_address_mentions (original text, address text)")
        with conn.cursor().copy("copy bench_address_mentions from stdin") as copy:
            for row in rows:
                copy.write_row(row)
        truth = compiled(
            "select "  # noqa: S608 - constants and the project's macros, no input
            + "{{ address_district(normalise_address('original')) }} || '|' || "
            + CLEANED_DETAIL.format(a="{{ normalise_address('original') }}")
            + " as truth, {{ normalise_address('address') }} as address from bench_address_mentions"
        )
        conn.execute(f"create temp table bench_truth as {truth}")
        result["true_addresses"] = (conn.execute("select count(distinct truth) from bench_truth").fetchone() or (0,))[0]
        for key, expression in expressions.items():
            sql = compiled(f"select truth, {expression} as key from bench_truth")  # noqa: S608 - constants
            started = time.perf_counter()
            conn.execute(f"create temp table keyed_{key} as {sql}")
            seconds = time.perf_counter() - started
            masters, split, merged = conn.execute(
                f"""
                select count(distinct key),
                    (select count(*) from (select truth from keyed_{key} group by truth
                        having count(distinct key) > 1) s),
                    (select count(*) from (select key from keyed_{key} group by key
                        having count(distinct truth) > 1) m)
                from keyed_{key}
                """  # noqa: S608 - key is one of two constants
            ).fetchone() or (0, 0, 0)
            result[key] = {"master_addresses": masters, "split": split, "merged": merged, "seconds": round(seconds, 2)}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
