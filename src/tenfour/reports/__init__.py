"""Reports from the journal: interval times (call processing, turnout, travel, total
response) per incident and per unit, their 90th percentiles against targets, grouped.

``intervals`` folds journaled events into times and figures (the replay uses the same
fold for its own interval figures); ``output`` writes CSV, JSON and HTML; ``cli`` is
``tenfour report``; ``tenfour.api.reports`` serves the analyst page.
"""
