"""A chart where people would rather look than read: regional live GMV by period."""
import html
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.publish import published_warehouse
from dagster_project.resources import WarehouseResource

BAR_COLOURS = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795"]


def gmv_rows(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql("""
            select region, period, value / 1e8 as yi_yuan, status, n_articles
            from marts.regional_metrics
            where metric = 'gmv' and unit = 'CNY' and region_level in ('country', 'province', 'prefecture', 'county', 'town')
              and period is not null and value > 0
            order by region, period_end, status""").fetchall()


def render_chart(rows: list[tuple], title: str = "Live-commerce GMV by region and period (亿元)") -> str:
    """A self-contained HTML page with one horizontal SVG bar per region x period x status."""
    width, bar_h, gap, left = 900, 22, 6, 330
    top = 60
    height = top + len(rows) * (bar_h + gap) + 40
    biggest = max((r[2] for r in rows), default=1)
    regions = sorted({r[0] for r in rows})
    colour = {reg: BAR_COLOURS[i % len(BAR_COLOURS)] for i, reg in enumerate(regions)}
    bars = []
    for i, (region, period, value, status, n_articles) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = max(2, (width - left - 140) * value / biggest)
        label = html.escape(f"{region} · {period}" + ("" if status == "actual" else f" ({status})"))
        opacity = "" if status == "actual" else ' fill-opacity="0.45"'
        bars.append(
            f'<text x="{left - 8}" y="{y + bar_h * 0.72}" text-anchor="end" font-size="13">{label}</text>'
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour[region]}"'
            f'{opacity}><title>{label}: {value:,.2f} 亿元, '
            f'{n_articles} article(s)</title></rect>'
            f'<text x="{left + w + 6:.1f}" y="{y + bar_h * 0.72}" font-size="12">{value:,.2f}</text>')
    if not rows:
        bars.append(f'<text x="20" y="{top}" font-size="14">No regional GMV figures in the warehouse yet.</text>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">'
           f'<text x="20" y="30" font-size="18" font-weight="bold">{html.escape(title)}</text>{"".join(bars)}</svg>')
    return f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head><body>{svg}</body></html>'


@dg.asset(group_name="publish", kinds={"html"}, deps=[published_warehouse],
          description="Regional live GMV by period as an HTML bar chart beside the published warehouse "
                      "(lighter bars are forecasts and targets).")
def regional_gmv_chart(warehouse: WarehouseResource) -> dg.MaterializeResult:
    published = Path(warehouse.published_path)
    rows = gmv_rows(published)
    path = published.parent / "charts" / "regional_gmv.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_chart(rows), encoding="utf-8")
    return dg.MaterializeResult(metadata={"chart": dg.MetadataValue.path(str(path)),
                                          "chart_url": dg.MetadataValue.url(path.as_uri()),
                                          "bars": len(rows)})
