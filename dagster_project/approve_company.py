"""Approve a discovered company: add it to the dictionary (dbt/seeds/companies.csv).

    python -m dagster_project.approve_company 星晟传媒 --type mcn --home-region 中山市 \\
        --alias 中山市星晟传媒有限公司

After the next refresh its mentions resolve to the canonical name (source ``dictionary``) and
it leaves ``marts.company_candidates``.
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

from dagster_project.parsing import reference

TYPES = ("platform", "mcn", "brand", "manufacturer", "service", "research", "retailer", "other")


def approve(company: str, company_type: str, home_region: str = "", aliases: list[str] | None = None,
            seeds_dir: Path | None = None) -> Path:
    if company_type not in TYPES:
        raise ValueError(f"company type must be one of {', '.join(TYPES)}, not {company_type!r}")
    path = (seeds_dir or reference.DBT_SEEDS_DIR) / "companies.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    names = {r["company"] for r in rows} | {a for r in rows for a in (r["aliases"] or "").split("|") if a}
    if company in names:
        raise ValueError(f"{company} is already in {path}")
    with open(path, "a", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerow([company, company_type, home_region, "|".join(aliases or [])])
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("company")
    ap.add_argument("--type", required=True, choices=TYPES)
    ap.add_argument("--home-region", default="")
    ap.add_argument("--alias", action="append", default=[])
    args = ap.parse_args()
    path = approve(args.company, args.type, args.home_region, args.alias)
    print(f"added {args.company} to {path}; refresh to apply")


if __name__ == "__main__":
    main()
