"""`tg db install`: the pinned Neo4j, GDS and Browser jars resolved with Maven into the cache."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from transfergraph.config import Settings
from transfergraph.errors import TGError
from transfergraph.server.layout import POM, pinned_versions, server_home


def _java_major() -> int:
    java = shutil.which("java")
    if java is None:
        raise TGError("java not found on PATH: the managed Neo4j needs Java 17 or newer")
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not m:
        raise TGError(f"cannot read the Java version from `java -version`: {out.strip()[:120]}")
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major


def is_installed(settings: Settings) -> bool:
    return (server_home(settings) / ".complete").exists()


def install(settings: Settings, offline: bool = False, say: Callable[[str], None] = print) -> Path:
    """Resolve the pinned jars with Maven into the cache. Idempotent; `offline` uses ~/.m2 only."""
    home = server_home(settings)
    if is_installed(settings):
        say(f"Neo4j server already installed in {home}")
        return home
    if _java_major() < 17:
        raise TGError("the managed Neo4j 5.26 needs Java 17 or newer (java -version)")
    mvn = shutil.which("mvn")
    if mvn is None:
        raise TGError("mvn not found on PATH: `tg db install` resolves the server's jars with Maven")
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    v = pinned_versions()
    say(f"Resolving Neo4j {v['neo4j']} + GDS {v['gds']} + Browser {v['browser']} from Maven Central ...")
    with tempfile.TemporaryDirectory(dir=settings.cache_dir, prefix=".install-") as tmp:
        work = Path(tmp)
        shutil.copy(POM, work / "pom.xml")  # Maven may write next to the pom: never into site-packages
        cmd = [
            mvn,
            "-B",
            "-q",
            "-P",
            "server,gds",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={work / 'all'}",
            "-DincludeScope=runtime",
            "-Dmdep.prependGroupId=true",
        ]
        if offline:
            cmd.insert(1, "-o")
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        if proc.returncode != 0:
            last = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "ERROR" in ln][:1]
            raise TGError(f"mvn could not resolve the server's jars: {last[0] if last else proc.returncode}")
        staged = work / "home"
        (staged / "lib").mkdir(parents=True)
        (staged / "plugins").mkdir()
        for jar in sorted((work / "all").glob("*.jar")):
            # GDS is a plugin (Neo4j scans plugins/ for procedures); everything else is the server.
            dest = "plugins" if jar.name.startswith("org.neo4j.gds.") else "lib"
            jar.rename(staged / dest / jar.name)
        (staged / ".complete").write_text(f"neo4j {v['neo4j']}\ngds {v['gds']}\nbrowser {v['browser']}\n")
        if home.exists():  # a crash left a partial install: replace it
            shutil.rmtree(home)
        staged.rename(home)
    say(f"Installed into {home}")
    return home
