// The GDS plugin's version; fails when the server has no GDS (an external server without it).
RETURN gds.version() AS version
