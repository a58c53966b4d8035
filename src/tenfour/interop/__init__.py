"""Interoperability: Ten-Four speaking the standards other systems and devices speak.

AVL ingestion lives here: the device registry (``devices``), the one path every
position takes onto ``unit.locate`` / ``member.locate`` (``avl``), and one small
adapter per device protocol (``owntracks`` over HTTP and MQTT, ``osmand`` for the
OsmAnd / Traccar client protocol, ``nmea`` for NMEA 0183 over TCP).
"""
