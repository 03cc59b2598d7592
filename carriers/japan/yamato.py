"""Yamato Transport (ヤマト運輸) 宅急便, ネコポス, コンパクト.

Source: the public tracking CGI (POST form, up to 10 numbers per request); the result page holds one
``.parts-tracking-invoice-block`` per number (layout per reference §1.4, documentation-built).

Only the event table's rows (``.tracking-invoice-block-detail ol > li``) are statuses, read
without the buttons in them: the current page puts 「お届け完了通知を依頼」 and
「お届け予定日時・場所の変更」 next to the rows, and their words are status words.

A 返品 row means the parcel is going back to the shop whatever scans follow it (the page goes
on listing the return leg: 発送済み, 作業店通過, 配達中 …): every later row is part of the way
back, and a delivery after it is the delivery back to the shop (returned to sender), not to
the customer.
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import urlencode

from .. import http
from ..errors import ParseFailed
from ..model import DeliveryChange, TrackingEvent, TrackingResult
from ..numbers import mod7_valid
from ..parsing import collect
from ..status import Status
from .base import JapaneseAdapter
from .dates import delivery_window, has_clock, parse_jp_datetime
from .html import Node, labelled_value, nfkc
from .rules import NOT_FOUND_MARKERS, not_registered, raise_not_found

TRACKING_CGI = "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko"
#: The parcel's own page (reference channels-and-privacy.md §C, "Tracking link with number"):
#: opens on the result for the number, with the changes a クロネコメンバーズ member may ask for.
#: The number goes in bare (12 digits): a hyphenated one is refused. The CGI above is a POST
#: form; a GET ``tneko?number01=…`` is reported to open the empty form instead.
PARCEL_PAGE = "https://member.kms.kuronekoyamato.co.jp/parcel/detail"

# Yamato-only rows (official meaning table, kuronekoyamato.co.jp/ytc/scn/about-tracking.html);
# the shared JP table covers the rest. Most specific first.
# Only what COMMON_RULES maps otherwise: 持戻(ご不在) and ご来店予定(保管中) are already mapped
# there (持戻, ご来店予定) to the same status, so a row here would repeat it.
RULES = (("持戻(休業)", Status.ATTEMPT_FAILED, "business_closed"),)


class YamatoAdapter(JapaneseAdapter):
    code = "yamato"
    names = {"ja": "ヤマト運輸", "en": "Yamato Transport"}
    batch_size = 10
    rules = RULES

    def validate(self, number: str) -> bool:
        return mod7_valid(number)

    def tracking_url(self, number: str) -> str:
        bare = re.sub(r"\D", "", number)
        return f"{PARCEL_PAGE}?{urlencode({'pno': bare})}"

    def redelivery_url(self, number: str) -> str | None:
        # The same page offers 再配達 and the change of day, time or place.
        return self.tracking_url(number)

    def delivery_change(self, number: str) -> DeliveryChange:
        # Reference channels-and-privacy.md §C: クロネコメンバーズ (free; Amazon, Yahoo! JAPAN or
        # 楽天 IDs also sign in) change the day and time, the place (a Yamato office, a
        # convenience store, PUDO lockers) and, since 2024-06-10, 置き配 for 宅急便 and
        # 宅急便コンパクト (not クール, 着払い, コレクト); from the parcel's own page.
        return DeliveryChange(
            url=self.tracking_url(number),
            number_filled=True,
            membership={"ja": "クロネコメンバーズ", "en": "Kuroneko Members"},
            changes=("day", "time", "place", "okihai"),
        )

    def _request(self, batch: list[str]):
        # The search form posts number01…number10; number00=1 and category=0 are what the
        # form itself sends. POST is not idempotent in HTTP terms, so no automatic retry.
        form = {"number00": "1", "category": "0"}
        form.update({f"number{i:02d}": n for i, n in enumerate(batch, start=1)})
        return http.request("POST", TRACKING_CGI, data=form)

    def _parse_page(self, root: Node, number: str) -> TrackingResult:
        blocks = root.find_all(cls="parts-tracking-invoice-block")
        if not blocks:
            raise ParseFailed("yamato: no .parts-tracking-invoice-block (layout changed?)")
        block = _block_for(blocks, number)
        state = block.find(cls="tracking-invoice-block-state")
        if state is not None and not_registered(state.text(), NOT_FOUND_MARKERS):
            raise_not_found(self.code, number)
        detail = block.find(cls="tracking-invoice-block-detail")
        if detail is None:
            raise ParseFailed(f"yamato: block for {number} has no .tracking-invoice-block-detail")

        def build(item: Node) -> TrackingEvent:
            status_node, date_node = item.find(cls="item"), item.find(cls="date")
            if status_node is None or date_node is None:
                raise ParseFailed("yamato: event without .item/.date")
            raw = status_node.label_text()
            name = item.find(cls="name")
            status, sub = self.classify(raw)
            return TrackingEvent(
                occurred_at=parse_jp_datetime(date_node.text()),
                date_only=not has_clock(date_node.text()),
                status=status,
                sub_status=sub,
                description=raw,
                location=name.text() if name is not None else "",
                raw_code=raw,
            )

        # The event table's rows only (not the button lists beside them). One odd row (no
        # date: a label-created line) is skipped and logged, not fatal.
        rows = [li for ol in detail.find_all("ol") for li in ol.elements("li")]
        events = after_return(collect(self.code, rows, build))
        summary_block = block.find(cls="tracking-invoice-block-summary") or block
        edd_text = labelled_value(summary_block, "お届け予定日時")
        edd = delivery_window(edd_text) if edd_text else None
        summary = state.find(cls="tracking-invoice-block-state-title") if state else None
        summary_text = summary.label_text() if summary else ""
        return self.page_result(number, events, edd, summary_text, self.told_pickup(block))


def _block_for(blocks: list[Node], number: str) -> Node:
    """The block that shows ``number`` (printed as 4444-1375-8703) on a multi-number page."""
    pattern = re.compile(rf"(?<!\d){re.escape(number)}(?!\d)")
    for block in blocks:
        if pattern.search(re.sub(r"[-\s]", "", nfkc(block.text()).replace("−", ""))):
            return block
    raise ParseFailed(f"yamato: page has {len(blocks)} block(s), none for {number}")


def after_return(events: list[TrackingEvent]) -> list[TrackingEvent]:
    """Rows in page order (oldest first): from the first 返品 row on, the parcel is on its way
    back. Later rows stay in the journey as part of the return leg; a delivery among them is
    the delivery back to the shop."""
    out: list[TrackingEvent] = []
    returning = False
    for event in events:
        if returning:
            back = event.status is Status.DELIVERED or event.status is Status.RETURNED_TO_SENDER
            event = replace(
                event,
                status=Status.RETURNED_TO_SENDER if back else Status.RETURNING_TO_SENDER,
                sub_status="" if back else "return_leg",
            )
        elif event.status is Status.RETURNING_TO_SENDER:
            returning = True
        out.append(event)
    return out
