"""Ten-Four speaking other systems' formats: EIDO, CAP, GeoJSON, AVL devices."""
