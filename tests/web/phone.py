"""A phone's screen for the browser tests, and what sticks out of it sideways (shared by
tests/web/test_phone_browser.py and the pages outside the access matrix, e.g. the worker's trip)."""

from __future__ import annotations

from typing import Any

PHONE = {"width": 390, "height": 844}

# The elements that stick out past the right edge, innermost first, to name the culprit on failure.
WIDE_ELEMENTS = """() => {
  const limit = window.innerWidth + 1, out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= limit) continue;
    if ([...el.children].some((c) => c.getBoundingClientRect().right > limit)) continue;
    let clipped = false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') { clipped = true; break; }
    }
    if (!clipped) out.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : '') + ' ' + Math.round(r.right) + 'px');
  }
  return out.slice(0, 5);
}"""


def too_wide(page: Any) -> list[str]:
    """[] when nothing widens ``page`` past the screen, else the innermost culprits (at most five,
    ``tag.class right-edge``), or ``["(page)"]`` when the page is wide but no element is named."""
    if not page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        return []
    return page.evaluate(WIDE_ELEMENTS) or ["(page)"]
