// The Graph Data Science library version; fails when GDS is not installed (tg db status).
RETURN gds.version() AS gds_version
