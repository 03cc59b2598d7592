"""Page weight: what a phone's headless Chromium fetches for a demo tracking page.

Serves the app (demo loaded into a temporary SQLite file) on a loopback port and opens two
demo tracking pages in Debian's Chromium (``/usr/bin/chromium``, driven by Playwright) at a
phone viewport, throttled to Lighthouse's slow 4G (562.5 ms round trip, 1.47 Mbit/s down, 4×
CPU), with an empty cache. For each page: the requests made, the bytes transferred (headers and
body as sent over the wire, read from the DevTools protocol; each response listed with its
encoding) and the Largest Contentful Paint; then the same page again with a warm cache (what a
customer's second visit costs). Several rounds, each in a new browser context; the summary gives
the median LCP (the bytes and requests do not vary).

    .venv/bin/python bench/weight.py                 # both pages, cold and warm, 3 rounds
    .venv/bin/python bench/weight.py --no-throttle --rounds 1

The demo fetches from our own host only (a request to any other host is reported).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
# Lighthouse's "slow 4G" as DevTools applies it (mobileSlow4G, devtools throttling): 562.5 ms
# round trip, 1.47 Mbit/s down, 675 kbit/s up, and a 4x slower CPU: a phone on a poor connection.
SLOW_4G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 1474.56 * 1024 / 8,
    "uploadThroughput": 675 * 1024 / 8,
}
LCP_SCRIPT = """
new Promise(resolve => {
  new PerformanceObserver(list => {
    const entries = list.getEntries();
    resolve(entries[entries.length - 1].startTime);
  }).observe({type: "largest-contentful-paint", buffered: true});
  setTimeout(() => resolve(null), 5000);
})
"""


def _serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _measure(context, url: str, throttle: bool) -> dict:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if throttle:
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    sizes: dict[str, int] = {}
    urls: dict[str, str] = {}
    cached: set[str] = set()
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on("Network.requestServedFromCache", lambda e: cached.add(e["requestId"]))
    encodings: dict[str, str] = {}

    def received(e):
        if e["response"].get("fromDiskCache"):
            cached.add(e["requestId"])
        headers = {k.lower(): v for k, v in e["response"]["headers"].items()}
        encodings[e["requestId"]] = headers.get("content-encoding", "-")

    cdp.on("Network.responseReceived", received)
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    lcp = page.evaluate(LCP_SCRIPT)
    # data: URIs (small images inside the page) show up as requests in DevTools but never
    # touch the network: their bytes are already in the page's.
    network = {
        rid: sizes.get(rid, 0)
        for rid in urls
        if rid not in cached and not urls[rid].startswith("data:")
    }
    own = url.split("/", 3)[:3]
    result = {
        "requests": len(network),
        "cached": len([rid for rid in urls if rid in cached]),
        "inline": len([u for u in urls.values() if u.startswith("data:")]),
        "bytes": sum(network.values()),
        "lcp_ms": lcp,
        "foreign": [
            u for u in urls.values() if u.split("/", 3)[:3] != own and not u.startswith("data:")
        ],
        "each": sorted(
            (
                (encodings.get(rid, "") + " " + urls[rid].split("?")[0].replace(url, "<page>"), n)
                for rid, n in network.items()
            ),
            key=lambda item: -item[1],
        ),
    }
    page.close()
    return result


def _print(number: str, visit: str, r: dict) -> None:
    lcp = f"{r['lcp_ms']:.0f} ms" if r["lcp_ms"] is not None else "n/a"
    print(
        f"{number} {visit}: {r['requests']} requests over the network "
        f"({r['cached']} from cache), {r['bytes'] / 1024:.1f} KB transferred, LCP {lcp}"
    )
    for name, n in r["each"]:
        print(f"    {n:>7} B  {name}")
    if r["foreign"]:
        print(f"    requests to other hosts: {r['foreign']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-throttle", action="store_true", help="measure bytes only")
    parser.add_argument("--pages", default="ST-1001,NP-2001", help="demo order numbers")
    parser.add_argument("--rounds", type=int, default=3, help="new browser context each")
    parser.add_argument("--quiet", action="store_true", help="the summary only")
    parser.add_argument("--json", default="", help="write the summary here (bench/all.py)")
    args = parser.parse_args()
    logging.disable(logging.INFO)

    from playwright.sync_api import sync_playwright
    from sqlmodel import Session

    from app import create_app
    from tracking import demo, migrate
    from tracking.db import get_engine
    from tracking.security import order_token

    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/weight.sqlite3"
        migrate.upgrade(db)
        app = create_app(
            {"DATABASE_URL": db, "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"}
        )
        with app.app_context(), Session(get_engine(app), expire_on_commit=False) as s:
            orders = {o.number: o for o in demo.load(s)}
        server, base = _serve(app)
        with app.app_context():
            pages = {
                n: f"{base}/{orders[n].brand}/o/{order_token(orders[n].brand, orders[n].public_id)}"
                for n in args.pages.split(",")
            }
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            lcps: dict[tuple[str, str], list[float]] = {}
            seen: dict[tuple[str, str], dict] = {}
            for _ in range(args.rounds):
                for number, url in pages.items():
                    context = browser.new_context(
                        viewport={"width": 390, "height": 844}, locale="ja-JP", is_mobile=True
                    )
                    for visit in ("first visit", "second visit"):
                        r = _measure(context, url, not args.no_throttle)
                        seen[number, visit] = r
                        if r["lcp_ms"] is not None:
                            lcps.setdefault((number, visit), []).append(r["lcp_ms"])
                        if not args.quiet:
                            _print(number, visit, r)
                    context.close()
            throttled = "slow 4G, 4x CPU" if not args.no_throttle else "no throttling"
            if args.json:
                rows = [
                    {
                        "page": number,
                        "visit": visit,
                        "requests": r["requests"],
                        "bytes": r["bytes"],
                        "lcp_ms": statistics.median(lcps[number, visit])
                        if (number, visit) in lcps
                        else None,
                        "each": r["each"],
                        "foreign": r["foreign"],
                    }
                    for (number, visit), r in seen.items()
                ]
                Path(args.json).write_text(json.dumps(rows, indent=1))
            print(f"summary ({args.rounds} rounds, {throttled}, median LCP):")
            for (number, visit), r in seen.items():
                lcp = lcps.get((number, visit))
                shown = f"{statistics.median(lcp):.0f} ms" if lcp else "n/a"
                print(
                    f"  {number} {visit:<12} {r['requests']:>2} requests "
                    f"({r['cached']} from cache)  {r['bytes'] / 1024:5.1f} KB  LCP {shown}"
                )
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
