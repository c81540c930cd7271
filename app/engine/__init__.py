"""The engine: walking runs (``walk``), flow control (``flow``), calling connectors
(``calls``) and the expressions they all evaluate (``expressions``)."""
