"""Dashboard: the figures page and its CSV tables (``TABLES``: one entry per downloadable table)."""

from __future__ import annotations

from flask import abort, render_template
from htmx_flask import request

from tracking.dashboard import charts, figures, inquiries
from tracking.db import get_session
from tracking.orders.sheets import csv_response
from tracking.web.staff.auth import staff_page
from tracking.web.staff.dashboard.home import bp


def _figures(brand):
    rng = figures.parse_range(request.args, brand, inquiries.today(brand))
    return figures.figures(get_session(), brand, rng)


@bp.get("/figures")
@staff_page
def figures_page(brand, user):
    fig = _figures(brand)
    chart = charts.bars([(d.isoformat(), n) for d, n in fig.views_per_day])
    ratings = charts.bars(
        [(str(k), v) for k, v in fig.feedback_distribution.items()], width=320, height=120
    )
    return render_template(
        "dashboard/figures.html",
        brand=brand,
        user=user,
        fig=fig,
        chart=chart,
        ratings=ratings,
        range_args={"since": fig.range.start.isoformat(), "until": fig.range.end.isoformat()},
    )


ON_TIME = [
    "carrier",
    "delivered",
    "with_estimate",
    "on_time",
    "on_time_rate",
    "inside_window",
    "accuracy",
]


def _keyed(names: list[str], rows_of):
    """A table whose rows are dicts: the header is their keys, each CSV row those keys' values."""
    return names, lambda fig: ([row[name] for name in names] for row in rows_of(fig))


TABLES = {
    "views": (["day", "views"], lambda fig: ([d, n] for d, n in fig.views_per_day)),
    "feedback": (
        ["rating", "answers"],
        lambda fig: ([k, v] for k, v in fig.feedback_distribution.items()),
    ),
    "comments": (
        ["created_at", "rating", "comment"],
        lambda fig: ([t, r, c] for t, r, c in fig.comments),
    ),
    "banners": _keyed(
        ["banner", "placement", "impressions", "clicks", "ctr"], lambda fig: fig.banners
    ),
    "on-time": _keyed(ON_TIME, lambda fig: fig.on_time),
    "views-by-status": (
        ["status", "views"],
        lambda fig: ([st or "not_recorded", n] for st, n in fig.views_per_status),
    ),
    "sources": (
        ["lookups", "link_opens", "not_recorded", "lookup_share"],
        lambda fig: [
            [fig.sources[k] for k in ("lookups", "link_opens", "unknown", "lookup_share")]
        ],
    ),
    "on-time-lanes": _keyed(
        [ON_TIME[0], "origin", "destination", *ON_TIME[1:]], lambda fig: fig.on_time_lanes
    ),
    "return-reasons": _keyed(["reason", "lines", "units"], lambda fig: fig.return_reasons),
    "return-products": _keyed(
        ["sku", "name", "returned", "sold", "rate"], lambda fig: fig.return_products
    ),
    "kept": _keyed(["lines", "kept_lines", "share", "value", "kept_value"], lambda fig: [fig.kept]),
}


@bp.get("/figures/<table>.csv")
@staff_page
def figures_csv(brand, user, table):
    if table not in TABLES:
        abort(404)
    header, rows = TABLES[table]
    return csv_response(brand, f"figures-{table}", header, rows(_figures(brand)))
