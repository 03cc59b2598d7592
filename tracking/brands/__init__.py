"""Brands: one TOML file per shop, validated at start-up.

``brand.py`` holds the ``Brand`` model and its loader, composed of each feature's own section
(``[page]`` in ``page/config.py``, ``[shipping]`` in ``estimates/config.py``, ``[returns]`` in
``returns/config.py``); ``base.py`` holds the shared pydantic bases those sections build on.
``problems.py`` turns mistakes into one translated line each, ``cli.py`` is ``flask brands check``
and the start-up refusal, ``registry.py`` the app's brands, re-read when a file changes.
"""
