"""The analysts' report: the plan's data-analysis chapter as one self-contained HTML page."""
