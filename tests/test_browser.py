"""The page in a real browser: headless Chromium, network blocked, driven with Playwright.

Without Chromium (Debian package ``chromium``) or Playwright the tests skip and say why;
``.ci/run`` installs both, so in CI they always run.
"""

import re
import shutil
from pathlib import Path

import pytest
from test_render import HOSTILE, hostile_chain

from supplychain.io import load
from supplychain.render import write_page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - CI installs it with the test extras
    sync_playwright = None

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or sync_playwright is None,
    reason="browser tests need Chromium (apt install chromium) and Playwright"
    " (pip install '.[test]'); .ci/run installs both",
)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


class Visit:
    """A page opened from a file with every network request refused and recorded."""

    def __init__(self, browser, path: Path):
        self.context = browser.new_context(viewport={"width": 1500, "height": 950})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("body[data-ready=true]", timeout=30_000)

    def _route(self, route):
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def _console(self, message):
        if message.type == "error":
            self.errors.append(message.text)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def point_of(self, node_id: str) -> tuple[float, float]:
        """Where ``node_id`` is drawn on the screen."""
        position = self.page.evaluate(
            "(id) => { const n = window.supplychain.network;"
            " return n.canvasToDOM(n.getPositions([id])[id]); }",
            node_id,
        )
        box = self.page.locator("#graph").bounding_box()
        return box["x"] + position["x"], box["y"] + position["y"]

    def focus_on(self, node_id: str) -> tuple[float, float]:
        self.page.evaluate(
            "(id) => window.supplychain.network.focus(id, {scale: 1.5, animation: false})",
            node_id,
        )
        self.page.wait_for_timeout(100)
        return self.point_of(node_id)

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    paths = {
        "ai-inference": write_page(load("ai-inference"), folder / "ai.html", samples=100),
        "focus": write_page(
            load("ai-inference"), folder / "focus.html", focus="image-generation", samples=0
        ),
        "hostile": write_page(hostile_chain(), folder / "hostile.html", samples=0),
    }
    return paths


@pytest.fixture
def visit(browser):
    opened = []

    def open_(path):
        opened.append(Visit(browser, path))
        return opened[-1]

    yield open_
    for each in opened:
        each.close()


def test_the_graph_draws_every_node_and_loads_nothing(pages, visit):
    seen = visit(pages["ai-inference"])
    count = seen.page.evaluate("window.supplychain.nodes.length")
    assert count == len(load("ai-inference").nodes) == 147
    painted = seen.page.evaluate(
        "() => { const c = document.querySelector('#graph canvas');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"
    )
    assert painted > 5000  # the canvas has been drawn on
    assert seen.requests == [] and seen.errors == [] and seen.dialogs == []


def test_every_node_opens_inside_the_canvas_with_a_margin(pages, visit):
    # vis-network's own fit left the centres of the mines and services 5 % of the width
    # from the edges, so their dots and labels touched them; the page zooms out to 8 %
    seen = visit(pages["ai-inference"])
    box = seen.page.locator("#graph").bounding_box()
    points = [seen.point_of(node) for node in load("ai-inference").nodes["id"]]
    margin = 0.07 * box["width"]
    assert min(x for x, _ in points) > box["x"] + margin
    assert max(x for x, _ in points) < box["x"] + box["width"] - margin


@pytest.mark.parametrize(
    ("page", "legend"),
    [
        ("ai-inference", "Monte Carlo of 100 samples (seed 0)"),
        ("focus", "No Monte Carlo was run for this page"),
    ],
)
def test_the_legend_says_what_the_percentiles_rest_on(pages, visit, page, legend):
    seen = visit(pages[page])
    assert legend in seen.page.inner_text("body")


def test_hover_shows_a_tooltip_and_click_the_panel(pages, visit):
    seen = visit(pages["ai-inference"])
    x, y = seen.focus_on("gpu-a100-sxm4-80gb")
    seen.page.mouse.move(x, y)
    tooltip = seen.page.locator("div.vis-tooltip")
    tooltip.wait_for(state="visible", timeout=5000)
    assert "gpu-a100-sxm4-80gb" in tooltip.inner_text()
    assert "P5–P95" in tooltip.inner_text()
    seen.page.mouse.click(x, y)
    panel = seen.page.locator("#panel")
    assert panel.is_visible()
    text = panel.inner_text()
    assert "NVIDIA A100 SXM4 80GB GPU" in text and "forced_labour: high" in text
    assert "BoaviztAPI impact factors" in text and "100.0%" in text
    assert seen.errors == [] and seen.requests == []


def test_search_and_filters(pages, visit):
    seen = visit(pages["ai-inference"])
    seen.page.fill("#search", "server-p4de-24xlarge-hour")
    assert seen.page.inner_text("#found") == "1 found"
    assert "One hour of the inference server" in seen.page.inner_text("#panel")
    seen.page.uncheck("#kind-filters input[value=mine]")
    hidden = seen.page.evaluate("window.supplychain.nodes.get({filter: n => n.hidden}).length")
    assert hidden == 98  # every mine
    assert seen.page.inner_text("#subtitle").startswith("49 of 147 nodes (147 on the page")
    seen.page.select_option("#country-filter", "COD")
    seen.page.check("#kind-filters input[value=mine]")
    shown = seen.page.evaluate(
        "window.supplychain.nodes.get({filter: n => !n.hidden}).map(n => n.id).sort()"
    )
    # the Congo's mines and every path from them to the products, not lone dots
    assert "cobalt-mining-cod" in shown and "copper-mining-chn" not in shown
    assert {"cobalt", "gpu-a100-sxm4-80gb", "server-p4de-24xlarge", "image-generation"} <= set(
        shown
    )
    links = seen.page.evaluate("window.supplychain.data.edges.map(e => [e.from, e.to])")
    lone = [n for n in shown if not any(n in pair and set(pair) <= set(shown) for pair in links)]
    assert lone == []
    assert seen.page.inner_text("#subtitle").startswith(f"{len(shown)} of 147 nodes")
    assert seen.errors == []


def test_a_focused_page_shows_its_note(pages, visit):
    seen = visit(pages["focus"])
    assert "nodes are hidden: below 0.1% of the total of image-generation" in seen.page.inner_text(
        "#note"
    )
    # most of the 147 nodes are cut off (the rest carry 0.1% of the impact or mined mass)
    assert (
        seen.page.evaluate("window.supplychain.nodes.length") < len(load("ai-inference").nodes) / 2
    )
    assert seen.errors == [] and seen.requests == []


def test_hostile_names_show_as_text_and_run_nothing(pages, visit):
    seen = visit(pages["hostile"])
    for node_id in HOSTILE:
        x, y = seen.focus_on(node_id)
        seen.page.mouse.move(x, y)
        seen.page.locator("div.vis-tooltip").wait_for(state="visible", timeout=5000)
        seen.page.mouse.click(x, y)
        seen.page.wait_for_timeout(100)
        assert node_id in seen.page.inner_text("#panel")
    tooltip = seen.page.inner_text("div.vis-tooltip")
    assert HOSTILE[0] in tooltip or HOSTILE[1] in tooltip
    assert seen.page.evaluate("document.querySelectorAll('img, iframe').length") == 0
    assert (
        seen.page.evaluate("document.querySelectorAll('script').length") == 6
    )  # ours only: data, vis, d3-sankey, d3-geo, the world, the page
    seen.page.fill("#search", "alert")
    assert seen.page.inner_text("#found") == "2 found"
    assert seen.dialogs == [] and seen.errors == [] and seen.requests == []


def _overlapping(labels):
    return [
        (a["id"], b["id"])
        for i, a in enumerate(labels)
        for b in labels[i + 1 :]
        if a["left"] < b["right"] and b["left"] < a["right"]
        and a["top"] < b["bottom"] and b["top"] < a["bottom"]
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["ai-inference", "focus"])
def test_labels_are_drawn_at_the_fitted_zoom_inside_the_canvas_and_apart(pages, visit, name):
    """At the fitted zoom vis-network drew no label at all (14 px at a scale of about 0.3);
    the page draws short ones for the nodes that matter, none overlapping or cut."""
    seen = visit(pages[name])
    labels = seen.page.evaluate("window.supplychain.labels")
    box = seen.page.locator("#graph").bounding_box()
    assert len(labels) >= 20
    assert _overlapping(labels) == []
    assert all(b["left"] >= 0 and b["right"] <= box["width"] for b in labels)
    assert all(b["top"] >= 0 and b["bottom"] <= box["height"] for b in labels)
    chain = load("ai-inference")
    services = set(chain.nodes.loc[chain.nodes["kind"] == "service", "id"])
    labelled = {b["id"] for b in labels}
    if name == "ai-inference":
        assert services <= labelled  # every service is named at first sight
    else:
        assert "image-generation" in labelled
    # cut after a whole word, never inside one
    names = dict(zip(chain.nodes["id"], chain.nodes["name"], strict=True))
    for label in labels:
        text = label["text"]
        if text.endswith("…"):
            full = re.sub(r"\s*\([^()]*\)", "", names[label["id"]] or label["id"]).strip()
            assert full.startswith(text[:-1]) and full[len(text) - 1] in " ,-(", text


def test_zoomed_in_the_page_leaves_labels_to_the_network(pages, visit):
    seen = visit(pages["ai-inference"])
    seen.focus_on("image-generation")
    assert seen.page.evaluate("window.supplychain.labels") == []


@pytest.mark.parametrize(("name", "node"), [("focus", "image-generation"), ("ai-inference", None)])
def test_the_sankey_draws_flows_that_add_up_to_the_nodes_mined_mass(pages, visit, name, node):
    from supplychain.social import mined_mass

    seen = visit(pages[name])
    seen.page.click("#view-sankey")
    assert seen.page.locator("#graph").is_hidden() and seen.page.locator("#sankey").is_visible()
    drawn = seen.page.evaluate("window.supplychain.sankey")
    chain = load("ai-inference")
    node = node or drawn["node"]
    mass = dict(zip(chain.nodes["id"], mined_mass(chain), strict=True))
    into = sum(link["value"] for link in drawn["links"] if link["target"] == node)
    assert drawn["total"] == pytest.approx(mass[node], rel=1e-12)
    assert into == pytest.approx(mass[node], rel=1e-9)
    assert len(drawn["links"]) > 20
    paths = seen.page.locator("#sankey path").count()
    assert paths == len(drawn["links"])
    seen.page.click("#view-graph")
    assert seen.page.locator("#graph").is_visible()
    assert seen.errors == [] and seen.requests == []


def test_hostile_names_stay_text_in_the_sankey(pages, visit):
    seen = visit(pages["hostile"])
    seen.page.click("#view-sankey")
    assert (
        seen.page.evaluate("document.querySelectorAll('#sankey script, #sankey img').length") == 0
    )
    assert seen.dialogs == [] and seen.errors == []


def test_the_map_shows_the_countries_of_trace_by_country(pages, visit):
    """Every country trace --by country names for image generation is drawn, with its
    mined mass; the DR Congo's worst level is the DOL listing's high."""
    from supplychain.trace import requirements_by_country

    seen = visit(pages["focus"])
    seen.page.click("#view-map")
    assert seen.page.locator("#map").is_visible() and seen.page.locator("#graph").is_hidden()
    drawn = seen.page.evaluate("window.supplychain.map")
    expected = (
        requirements_by_country(load("ai-inference"), "image-generation")
        .groupby("country")["amount"].sum().drop("(unknown)", errors="ignore")
    )  # fmt: skip
    mined = {c["country"]: c["mined"] for c in drawn["origins"]["countries"]}
    assert set(mined) == set(expected.index)
    for country, kilograms in expected.items():
        assert mined[country] == pytest.approx(kilograms, rel=1e-12)
    # drawn as shapes: all but the few too small for the 1:110m map (Singapore ...)
    assert len(set(drawn["countries"])) >= len(mined) - 3 and "COD" in drawn["countries"]
    worst = {c["country"]: c["worst"] for c in drawn["origins"]["countries"]}
    assert worst["COD"] == "high"
    assert seen.errors == [] and seen.requests == []
