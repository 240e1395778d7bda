"""The HTTP routes, one module per Square API area.

``/_simulator`` (the admin API) is in ``square_simulator.admin``."""
