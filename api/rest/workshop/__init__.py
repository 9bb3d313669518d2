"""The workshop page (``/workshop``) and its compact JSON API (docs/design.md §4): the page and
sign-in (page), the segment views (views, proposition), the blind votes (votes), live updates
(events), all gathered in one router (routes)."""
