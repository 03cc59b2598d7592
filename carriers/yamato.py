"""Yamato Transport (ヤマト運輸) 宅急便."""

from __future__ import annotations

from .base import Adapter
from .numbers import mod7_valid


class YamatoAdapter(Adapter):
    code = "yamato"
    names = {"ja": "ヤマト運輸", "en": "Yamato Transport"}
    batch_size = 10

    def validate(self, number: str) -> bool:
        return mod7_valid(number)

    def tracking_url(self, number: str) -> str:
        return f"https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number01={number}"

    def redelivery_url(self, number: str) -> str | None:
        return f"https://member.kms.kuronekoyamato.co.jp/parcel/detail?pno={number}"
