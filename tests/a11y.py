"""Accessibility checks for the browser tests: axe-core in the page, visible keyboard focus.

axe-core is vendored as ``tests/vendor/axe.min.js`` (MPL-2.0, see tests/vendor/README.md).
Pages are checked against WCAG 2.0 A/AA and 2.1 AA; a violation of impact "serious" or
"critical" fails the test and is printed rule by rule with the offending elements.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21aa"]
BLOCKING = frozenset({"serious", "critical"})


def run_axe(page: Any, *, context: str | None = None, tags: list[str] | None = None,
            rules: list[str] | None = None) -> list[dict[str, Any]]:
    """axe's violations on the page (or inside the ``context`` selector).

    ``rules`` runs exactly those rules (for example ``color-contrast-enhanced``, the
    7:1 rule, which is tagged AAA and so not among ``tags``); otherwise the ``tags``.
    The page's context must allow the injected script (``bypass_csp=True``: the
    kiosk's Content-Security-Policy forbids inline scripts).
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    if rules:
        run_only = {"type": "rule", "values": rules}
    else:
        run_only = {"type": "tag", "values": tags or WCAG_TAGS}
    options = {"runOnly": run_only, "resultTypes": ["violations"]}
    result = page.evaluate(
        "([context, options]) => axe.run(context ? document.querySelector(context) : document,"
        " options)",
        [context, options],
    )
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    """Violations as text a person can act on: rule, impact, help, each element and why."""
    lines: list[str] = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}\n  {v['helpUrl']}")
        for node in v["nodes"][:8]:
            target = " ".join(json.dumps(t) if not isinstance(t, str) else t
                              for t in node["target"])
            lines.append(f"    at {target}")
            lines.append(f"       {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n       ")
            if summary:
                lines.append(f"       {summary}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def assert_no_serious_violations(page: Any, where: str, **kwargs: Any) -> None:
    """Fail with a readable list when axe finds a serious or critical violation."""
    found = [v for v in run_axe(page, **kwargs) if v.get("impact") in BLOCKING]
    assert not found, f"axe: {len(found)} serious/critical violation(s) on {where}:\n" + describe(
        found)


def _luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(fg: tuple[float, ...], bg: tuple[float, ...]) -> float:
    """WCAG contrast ratio of two opaque sRGB colours (0-255 channels)."""
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def _parse_rgb(css: str) -> tuple[float, ...]:
    inside = css[css.index("(") + 1:css.rindex(")")].replace(",", " ").replace("/", " ")
    values = [float(v) for v in inside.split()]
    if len(values) == 4:
        assert values[3] == 1, f"translucent colour {css}: contrast needs the backdrop"
    return tuple(values[:3])


def element_contrast(page: Any, selector: str) -> float:
    """Contrast of an element's text colour on its own (opaque) background colour.

    Unlike axe's ``color-contrast-enhanced``, which asks only 4.5:1 of large text, this
    is the plain ratio, for the kiosk's stricter 7:1 on every result screen.
    """
    colours = page.locator(selector).evaluate(
        "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]")
    return contrast_ratio(_parse_rgb(colours[0]), _parse_rgb(colours[1]))


FOCUS_STYLE_JS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const s = getComputedStyle(el);
    return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'),
            text: (el.innerText || el.value || '').trim().slice(0, 40),
            focusVisible: el.matches(':focus-visible'),
            outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0,
            boxShadow: s.boxShadow};
}"""


def assert_focus_visible(page: Any) -> dict[str, Any]:
    """The focused element shows the page's own focus ring: a solid outline of at least
    2 px (the browser's thin default ring, ``auto``, does not count). Returns what was
    focused."""
    style = page.evaluate(FOCUS_STYLE_JS)
    assert style is not None, "nothing has the keyboard focus"
    assert style["focusVisible"], f"focus is not :focus-visible on {style}"
    outlined = style["outlineStyle"] not in ("none", "hidden", "auto") and (
        style["outlineWidth"] >= 2)
    assert outlined, f"no visible focus outline on {style}"
    return dict(style)


def tab_to(page: Any, selector: str, limit: int = 40, check_focus: bool = True) -> None:
    """Press Tab until ``selector`` has the focus, checking that every stop shows it."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if check_focus and page.evaluate("() => document.activeElement !== document.body"):
            assert_focus_visible(page)
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")
