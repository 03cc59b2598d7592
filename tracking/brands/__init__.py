"""Brands: one TOML file per shop, validated at start-up.

``brand.py`` holds the ``Brand`` model and its loader, composed of each feature's own section
(``[page]`` in ``page/config.py``, ``[shipping]`` in ``estimates/config.py``, ``[returns]`` in
``returns/config.py``); ``base.py`` holds the shared pydantic bases those sections build on.
"""
