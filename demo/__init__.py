"""`careledger demo`: a realistic operations day, planned from a seed and recorded through the
application's commands only.

world, people, cast (the city, its customers, who acts) · draw (the distributions) · plan (steps
in business time) · demand, order_times, orders (who orders what, how long each stage takes, each
order's story) · complaint_kinds, complaint_traits, complaints · surveys · incidents · day (the
whole day's plan) · execute (runs it with the SLA sweeper and the delay watchdog) · summary,
report (the read models afterwards) · run (all of it) · progress (the bar on stderr).
"""
