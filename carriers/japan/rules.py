"""Status rules shared by the Japanese scrapers: the common table, classify, not-found markers.

Everything here is pure (standard library only) so every JP ``parse`` stays pure too. Dates
live in ``carriers.japan.dates``; page decoding and the tiny DOM in ``carriers.japan.html``.
"""

from __future__ import annotations

from ..errors import NotFound
from ..parsing import unknown
from ..status import Status
from .html import nfkc

# --------------------------------------------------------------------------- status tables

#: (substring after NFKC, status, sub_status). Checked in order: most specific first.
Rule = tuple[str, Status, str]


def classify(raw: str, rules: tuple[Rule, ...], carrier: str) -> tuple[Status, str]:
    """Map one raw status text by substring; unknown texts are logged once and never guessed."""
    text = nfkc(raw)
    for needle, status, sub in rules:
        if nfkc(needle) in text:
            return status, sub
    return unknown(carrier, text), ""


def not_registered(text: str, markers: tuple[str, ...]) -> bool:
    folded = nfkc(text)
    return any(nfkc(m) in folded for m in markers)


# Statuses shared by every JP carrier; each adapter puts its own specific rows first.
COMMON_RULES: tuple[Rule, ...] = (
    ("配達完了(宅配ボックス)", Status.DELIVERED, "delivery_box"),
    ("宅配ボックス", Status.DELIVERED, "delivery_box"),
    # 置き配 delivery (Yamato since 2024-06-10) [?: the row's exact wording not seen live]; the
    # needle keeps 配達完了 so a 置き配 request row is never read as a delivery.
    ("配達完了(置き配)", Status.DELIVERED, "left_at_door"),
    ("差出人に返送済み", Status.RETURNED_TO_SENDER, ""),
    ("返送済", Status.RETURNED_TO_SENDER, ""),
    ("差出人に返送中", Status.RETURNING_TO_SENDER, ""),
    ("返送中", Status.RETURNING_TO_SENDER, ""),
    ("返品", Status.RETURNING_TO_SENDER, ""),
    ("持戻(転居)", Status.EXCEPTION, "moved"),
    ("持戻(ポスト投函不可)", Status.EXCEPTION, "mailbox_unusable"),
    ("宛所不明", Status.EXCEPTION, "address_unknown"),
    ("調査中", Status.EXCEPTION, "investigating"),
    ("営業所へお問い合わせください", Status.EXCEPTION, "contact_office"),
    ("ご来店予定", Status.AVAILABLE_FOR_PICKUP, "held_at_office"),
    ("依頼受付(店頭受取)", Status.AVAILABLE_FOR_PICKUP, "held_at_office"),
    ("依頼受付(日、時間帯変更)", Status.IN_TRANSIT, "delivery_rescheduled"),
    ("持戻", Status.ATTEMPT_FAILED, "recipient_absent"),
    ("持ち戻り", Status.ATTEMPT_FAILED, "recipient_absent"),
    ("ご不在", Status.ATTEMPT_FAILED, "recipient_absent"),
    ("保管", Status.AVAILABLE_FOR_PICKUP, "held_at_office"),
    ("Retention", Status.AVAILABLE_FOR_PICKUP, "held_at_office"),
    ("投函完了", Status.DELIVERED, "mailbox"),
    ("お客様引渡完了", Status.DELIVERED, ""),
    ("引渡完了", Status.DELIVERED, ""),
    ("コンビニエンスストアに引渡", Status.DELIVERED, "picked_up_by_recipient"),
    ("窓口でお渡し", Status.DELIVERED, "picked_up_by_recipient"),
    ("お届け済み", Status.DELIVERED, ""),
    ("配達完了", Status.DELIVERED, ""),
    ("配達は終了", Status.DELIVERED, ""),
    ("Final delivery", Status.DELIVERED, ""),
    ("配達中", Status.OUT_FOR_DELIVERY, ""),
    ("持ち出し中", Status.OUT_FOR_DELIVERY, ""),
    ("Item out for physical delivery", Status.OUT_FOR_DELIVERY, ""),
    ("配達店到着", Status.IN_TRANSIT, "arrived_delivery_office"),
    ("配達局から出発", Status.IN_TRANSIT, "departed"),
    ("発送済み", Status.IN_TRANSIT, "departed"),
    ("輸送中", Status.IN_TRANSIT, ""),
    ("作業店通過", Status.IN_TRANSIT, "arrived_hub"),
    ("配達希望受付", Status.IN_TRANSIT, "delivery_rescheduled"),
    ("通関", Status.IN_TRANSIT, "customs"),
    ("税関", Status.IN_TRANSIT, "customs"),
    ("国際交換局", Status.IN_TRANSIT, "customs"),
    ("Customs", Status.IN_TRANSIT, "customs"),
    ("office of exchange", Status.IN_TRANSIT, "arrived_hub"),
    ("Processing at delivery Post Office", Status.IN_TRANSIT, "arrived_delivery_office"),
    ("中継", Status.IN_TRANSIT, "arrived_hub"),
    ("通過", Status.IN_TRANSIT, "arrived_hub"),
    ("到着", Status.IN_TRANSIT, "arrived_delivery_office"),
    ("転送", Status.IN_TRANSIT, "forwarded"),
    ("荷物受付", Status.IN_TRANSIT, "picked_up"),
    ("集荷", Status.IN_TRANSIT, "picked_up"),
    ("引受", Status.IN_TRANSIT, "picked_up"),
    ("Posting/Collection", Status.IN_TRANSIT, "picked_up"),
    ("発送", Status.IN_TRANSIT, "picked_up"),
    ("出荷指示", Status.INFO_RECEIVED, ""),
    ("伝票発行", Status.INFO_RECEIVED, ""),
    ("依頼受付", Status.INFO_RECEIVED, ""),
)

#: Texts meaning "no such number (yet)": raise NotFound, the sync layer shows ``pending``.
NOT_FOUND_MARKERS = (
    "伝票番号未登録",
    "伝票番号誤り",
    "該当なし",
    "データは登録されておりません",  # Sagawa: お問い合わせのデータは登録されておりません。
    "お荷物データが登録されておりません",
    "お確かめ下さい",  # Sagawa: お問い合わせNo.をお確かめ下さい。 (malformed number)
    "見当りません",
    "見当たりません",
)


def raise_not_found(carrier: str, number: str) -> None:
    raise NotFound(f"{carrier}: {number} not registered (yet)")
