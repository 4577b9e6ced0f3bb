"""Where the managed server's parts live: the pinned jars in the cache, one server dir's files."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from transfergraph.config import Settings

POM = Path(__file__).with_name("pom.xml")


def pinned_versions() -> dict[str, str]:
    """neo4j / gds / browser versions, read from the pom so that it is the one place they are pinned."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    props = ET.parse(POM).getroot().find("m:properties", ns)
    assert props is not None
    return {el.tag.split("}")[1].removesuffix(".version"): (el.text or "") for el in props}


def server_home(settings: Settings) -> Path:
    v = pinned_versions()
    return settings.cache_dir / f"neo4j-{v['neo4j']}-gds-{v['gds']}"


@dataclass(frozen=True)
class Paths:
    conf: Path
    data: Path
    logs: Path
    run: Path
    pid: Path
    password: Path

    @classmethod
    def of(cls, settings: Settings) -> Paths:
        d = settings.server_dir
        return cls(d / "conf", d / "data", d / "logs", d / "run", d / "run" / "tg-neo4j.pid", d / "password")


def classpath(settings: Settings) -> str:
    home = server_home(settings)
    return f"{home / 'lib'}/*:{home / 'plugins'}/*"


def password(settings: Settings) -> str | None:
    """NEO4J_PASSWORD, else the managed server's password file; never that file for NEO4J_URI: the
    managed server's password is not sent to another server."""
    if settings.password is not None or settings.external:
        return settings.password
    try:
        return Paths.of(settings).password.read_text().strip()
    except FileNotFoundError:
        return None


def log_files(settings: Settings) -> list[Path]:
    logs = Paths.of(settings).logs
    return [p for p in (logs / "neo4j.log", logs / "console.log", logs / "debug.log") if p.exists()]
