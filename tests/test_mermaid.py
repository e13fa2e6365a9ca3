"""The dependency diagrams, proven by Mermaid itself: mermaid-cli (tools/mermaid, installed by
`make tools`) renders each one headless with Debian's chromium, as GitHub would; a parse error
fails the test. Grouping and markings are then read from what Mermaid laid out (the SVG):
every node inside its namespace's box, classes on exposed and key-holding services, the
monitoring stack connected, and in `nexusgen diff` the added and removed parts styled apart."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from conftest import CATALOGUE, ROOT, nexusgen_here, tool
from nexusgen import catalogue as catalogue_io

MMDC = ROOT / "tools" / "mermaid" / "node_modules" / ".bin" / "mmdc"
DIFF_CASES = ROOT / "tests" / "diff"
_TRANSLATE = re.compile(r"translate\(\s*([-0-9.e]+)[ ,]+([-0-9.e]+)\s*\)")


@dataclass
class Layout:
    boxes: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)  # id: x, y, w, h
    nodes: dict[str, tuple[float, float, set[str], str]] = field(default_factory=dict)  # id: cx, cy, classes, text
    links: list[tuple[str, str]] = field(default_factory=list)  # (id, style)

    def inside(self, node: str, box: str) -> bool:
        x, y, _, _ = self.nodes[node]
        bx, by, bw, bh = self.boxes[box]
        return bx <= x <= bx + bw and by <= y <= by + bh


def _walk(element: ET.Element, dx: float, dy: float, out: Layout) -> None:
    for child in element:
        cx, cy = dx, dy
        match = _TRANSLATE.search(child.get("transform", ""))
        if match:
            cx, cy = dx + float(match.group(1)), dy + float(match.group(2))
        tag, classes, ident = child.tag.split("}")[-1], set(child.get("class", "").split()), child.get("id", "")
        if tag == "g" and "cluster" in classes:
            rect = child.find("{http://www.w3.org/2000/svg}rect")
            out.boxes[ident.removeprefix("my-svg-")] = (
                dx + float(rect.get("x")), dy + float(rect.get("y")), float(rect.get("width")), float(rect.get("height")))
        elif tag == "g" and "node" in classes:
            name = re.sub(r"-[0-9]+$", "", ident.removeprefix("my-svg-flowchart-"))
            out.nodes[name] = (cx, cy, classes, " ".join("".join(child.itertext()).split()))
        elif tag == "path" and "flowchart-link" in classes:
            out.links.append((ident.removeprefix("my-svg-"), child.get("style", "")))
        _walk(child, cx, cy, out)


@pytest.fixture(scope="module")
def mermaid(tmp_path_factory):
    """``mermaid(source) -> Layout``: the diagram rendered by mermaid-cli, read back from its SVG."""
    if not MMDC.exists():
        pytest.fail("mermaid-cli is not installed in tools/mermaid; run the tests through `make test`")
    work = tmp_path_factory.mktemp("mermaid")
    config = work / "puppeteer.json"
    config.write_text(json.dumps({"executablePath": tool("chromium"), "args": ["--no-sandbox"]}))
    count = iter(range(1000))

    def render(source: str) -> Layout:
        n = next(count)
        source_path, svg = work / f"{n}.mmd", work / f"{n}.svg"
        source_path.write_text(source)
        result = subprocess.run([str(MMDC), "-p", str(config), "-i", str(source_path), "-o", str(svg), "-q"],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"Mermaid refused the diagram:\n{result.stderr[:2000]}\n{source}"
        layout = Layout()
        _walk(ET.parse(svg).getroot(), 0.0, 0.0, layout)
        return layout

    return render


def diagram(markdown: str) -> str:
    (source,) = re.findall(r"^```mermaid\n(.*?)^```$", markdown, flags=re.S | re.M)
    return source


def node(kind: str, name: str) -> str:
    return f"{kind}_{name.replace('-', '_')}"


def test_readme_diagram_groups_by_namespace_and_marks_exposure_and_keys(mermaid, rendered: Path):
    source = diagram((rendered / "README.md").read_text())
    layout = mermaid(source)
    cat = catalogue_io.parse(CATALOGUE.read_bytes(), "services.yaml")
    for name, svc in cat.services.items():
        ident = node("svc", name)
        assert layout.inside(ident, f"ns_{svc.group}"), f"{name} is not drawn inside the {svc.group} namespace"
        classes = layout.nodes[ident][2]
        assert ("exposed" in classes) == (svc.ingress is not None), name
        access = {cat.secrets[ref].exchange for ref in svc.secrets.values()}
        assert ("trade" in classes) == ("trade" in access), name
        assert ("read" in classes) == (access == {"read"} or access == {"read", "none"}), name
        if svc.ingress:
            assert "public" in layout.nodes[ident][3]
    for name, infra in cat.infrastructure.items():
        assert layout.inside(node("infra", name), f"ns_{infra.group}"), name
    for name in cat.external:
        assert layout.inside(node("ext", name), "ns_internet"), name
    arrows = [line for line in source.splitlines() if re.search(r" (-->|==>|-\.->)", line)]
    assert len(layout.links) == len(arrows), "every edge in the source is drawn"
    # the shared stores are reached by one summarised edge per namespace, not one per service
    to_postgres = [i for i, _ in layout.links if i.endswith("_infra_postgres_0")]
    assert to_postgres and all(i.startswith("L_ns_") for i in to_postgres)
    assert len(to_postgres) < sum("postgres" in s.depends_on.infrastructure for s in cat.services.values())
    # the monitoring stack is connected: Prometheus scrapes, alerts to Alertmanager, Grafana queries it
    ids = {i for i, _ in layout.links}
    assert {"L_infra_prometheus_ns_core_0", "L_infra_prometheus_infra_alertmanager_0",
            "L_infra_grafana_infra_prometheus_0"} <= ids


def test_diff_diagram_styles_added_and_removed_apart(mermaid, tmp_path: Path):
    for case, name, state, colour in (("new-trading-service", "trader", "added", "#1e8449"),
                                      ("removed-service", "ledger", "removed", "#c0392b")):
        for side in ("before", "after"):
            (tmp_path / case / side).mkdir(parents=True)
            (tmp_path / case / side / "services.yaml").write_text((DIFF_CASES / case / f"{side}.yaml").read_text())
        result = nexusgen_here("diff", "before/services.yaml", "after/services.yaml", "--format", "markdown", cwd=tmp_path / case)
        assert result.returncode == 0, result.stderr
        layout = mermaid(diagram(result.stdout))
        ident = node("svc", name)
        assert state in layout.nodes[ident][2] and state in layout.nodes[ident][3]
        assert layout.inside(ident, "ns_core" if name == "trader" else "ns_data")
        own = [style for i, style in layout.links if f"_{ident}_" in f"_{i}_"]
        assert own and all(colour in style for style in own), own
        others = [style for i, style in layout.links if f"_{ident}_" not in f"_{i}_" and "ns_" not in i]
        assert others and not any(colour in style for style in others), "only the changed edges are styled"


def rename(data: dict, names: dict[str, str]) -> dict:
    """The catalogue with services and infrastructure renamed (and every reference to them)."""
    for section in ("services", "infrastructure"):
        data[section] = {names.get(k, k): v for k, v in data[section].items()}
    for svc in data["services"].values():
        for kind, targets in svc.get("depends_on", {}).items():
            svc["depends_on"][kind] = [names.get(t, t) for t in targets]
    for alert in data["monitoring"].get("alerts", []):
        alert["service"] = names.get(alert["service"], alert["service"])
    return data


def test_mermaid_keywords_as_names_still_render(mermaid, tmp_path: Path):
    names = {"api": "end", "worker": "click", "db": "subgraph"}
    data = rename(yaml.safe_load((ROOT / "tests" / "cases" / "minimal" / "services.yaml").read_text()), names)
    data["services"]["style"] = {**data["services"]["click"], "source": "style",
                                 "ports": {"http": 8090, "metrics": 9095}, "depends_on": {"services": ["end"]}}
    # through JSON: no shared objects, so no YAML aliases (which the catalogue refuses)
    (tmp_path / "services.yaml").write_text(yaml.safe_dump(json.loads(json.dumps(data)), sort_keys=False))
    result = nexusgen_here("render", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    layout = mermaid(diagram((tmp_path / "out" / "README.md").read_text()))
    for name in ("end", "click", "style"):
        assert layout.nodes[node("svc", name)][3].startswith(name)
    assert layout.nodes["infra_subgraph"][3] == "subgraph"
    assert layout.inside("svc_end", "ns_core") and layout.inside("svc_click", "ns_data")
    assert {"L_svc_end_svc_click_0", "L_svc_style_svc_end_0"} <= {i for i, _ in layout.links}


def test_mermaid_labels_round_trip_hostile_text(mermaid):
    """``mermaid_label``/``mermaid_id``: whatever the text, Mermaid shows it as written."""
    from nexusgen.engine.markup import mermaid_id, mermaid_label

    texts = ['end', 'say "hi"', "<b>bold</b> & <!-- x -->", "#quot; #35; ###", "a --> b", "click x call y()",
             "subgraph end", "[x] (y) {z} |w|", "line\nbreak"]
    lines = ["flowchart LR"] + [f'  {mermaid_id("n", t)}{i}["{mermaid_label(t)}"]' for i, t in enumerate(texts)]
    layout = mermaid("\n".join(lines) + "\n")
    for i, text in enumerate(texts):
        assert layout.nodes[f"{mermaid_id('n', text)}{i}"][3] == " ".join(text.split()), text
