"""Travel times learned from history: a model of how long driving a road really takes.

The map's speeds are what a road allows; fire engines in a city are slower (SFFD's
engines took 1.8 times the map's time). ``model`` holds a :class:`TravelModel`
(speed factor per road class group, a delay per traffic signal and stop sign, a delay
per left turn, right turn and U-turn, a fixed overhead per trip, optional hour-of-day
factors, start-up delay per unit kind) with its JSON file, the arc times it gives a
map and the index that pays its turn delays (``geo.turns``); ``trips`` extracts training trips
(units leaving their station) from SFFD records; ``fit`` fits the model with
``scipy.optimize.least_squares`` and evaluates it on days and station areas it never
saw; ``cli`` is ``tenfour calibrate``.

Nothing heavy is imported here, so ``tenfour --help`` stays fast.
"""
