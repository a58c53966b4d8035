"""Replay real dispatch records through Ten-Four and compare its decisions with reality.

``plan_replay(csv, map)`` reads a DataSF Fire Department Calls for Service file and
prepares the calls on the map, the roster and the policies; ``run_replay(plan, out)``
drives them through the real service and journal on a simulated clock (units move
with ``tenfour.sim.movement``); ``write_report(run, out)`` writes ``summary.json``,
``calls.csv``, the plots and ``report.html``. ``cli.replay_app`` is ``tenfour replay``.
The method, the numbers of the real week and their limits: ``docs/replay/README.md``.

Nothing is imported here, so ``tenfour --help`` does not load maps and plots.
"""
